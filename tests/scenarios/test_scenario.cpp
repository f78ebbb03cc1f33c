// Tests of scenarios/scenario.*: the embedded baseline, extends, validation messages, overrides,
// the resolved text and its hash, and robustness against malformed input.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/scenario.hpp"

// Same configuration as the tomlplusplus::tomlplusplus target the library links (Debian's
// shared build); the test reads resolved_toml back with it.
#include <toml++/toml.h>

#include "sim/errors.hpp"
#include "sim/reference_data.hpp"

namespace phsim {
namespace {

namespace fs = std::filesystem;

/// A few counties, plans and measures: enough for the name checks, independent of data/.
ReferenceData small_data() {
  ReferenceData d;
  for (const char* name : {"Alameda", "Los Angeles", "San Diego", "Riverside", "San Bernardino"}) {
    County c;
    c.name = name;
    c.plan_model = PlanModel::TwoPlan;
    c.enrollment = 1000;
    d.counties.push_back(c);
  }
  // Kaiser: the default of policy.auto_assignment.excluded_plans.
  for (const char* name : {"L.A. Care Health Plan", "Health Net Community Solutions",
                           "Kaiser Permanente (Kaiser Foundation Health Plan)",
                           "Molina Healthcare of California"}) {
    Plan p;
    p.name = name;
    d.plans.push_back(p);
  }
  // The measures the policy defaults name (policy.qwi.measures, policy.auto_assignment.measures),
  // with their domains (intervention effect targets "domain:<domain>").
  for (const auto& [id, domain] : std::vector<std::pair<const char*, const char*>>{
           {"W30-6", "children's health"},
           {"GSD>9", "chronic disease"},
           {"W30-2", "children's health"},
           {"WCV", "children's health"},
           {"CIS-10", "children's health"},
           {"PPC-Pre", "reproductive/maternal"},
           {"PPC-Pst", "reproductive/maternal"},
           {"CBP", "chronic disease"},
           {"BCS-E", "cancer prevention"},
           {"CCS", "cancer prevention"}}) {
    Measure m;
    m.id = id;
    m.domain = domain;
    d.measures.push_back(m);
  }
  d.origin = "test";
  return d;
}

const ReferenceData& data() {
  static const ReferenceData d = small_data();
  return d;
}

/// small_data() plus the parameters behind the data-dependent policy defaults.
ReferenceData data_with_parameters() {
  ReferenceData d = small_data();
  for (const auto& [key, value] : std::vector<std::pair<std::string, double>>{
           {"capitation.child_pmpm_usd", 137},
           {"capitation.adult_parent_pmpm_usd", 333},
           {"capitation.adult_expansion_pmpm_usd", 392},
           {"capitation.disabled_pmpm_usd", 1143},
           {"capitation.aged_pmpm_usd", 686},
           {"aaip.default_rate", 0.3},
           {"qwi.withhold_fraction", 0.005}}) {
    Parameter p;
    p.key = key;
    p.value = value;
    d.parameters.push_back(p);
  }
  return d;
}

Scenario parse(const std::string& text, const std::string& name = "test.toml") {
  return parse_scenario(text, name, "", data());
}

/// Runs `f`, expects it to throw E, and expects the message to contain every one of `parts`.
template <class E>
void expect_error(const std::function<void()>& f, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const E& e) {
    const std::string what = e.what();
    for (const auto& p : parts) {
      EXPECT_NE(what.find(p), std::string::npos) << "message: " << what << "\nmissing: " << p;
    }
    return;
  } catch (const std::exception& e) {
    FAIL() << "wrong exception type: " << e.what();
  }
  FAIL() << "no exception thrown";
}

void expect_scenario_error(const std::string& text, std::initializer_list<std::string> parts) {
  expect_error<ScenarioError>([&] { parse(text, "bad.toml"); }, parts);
}

std::string fnv1a_hex(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

/// A fresh directory for scenario files, removed afterwards.
class ScenarioFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = fs::temp_directory_path() / ("phsim_test_scenario_" + std::string(info->name()) + "_" +
                                         std::to_string(std::random_device{}()));
    fs::create_directories(m_dir);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  std::string write(const std::string& rel, const std::string& text) {
    const fs::path p = m_dir / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path m_dir;
};

// ---- the embedded baseline ----------------------------------------------------------------------

TEST(EmbeddedBaseline, LoadsTheDocumentedValues) {
  const Scenario s = load_default_scenario(data());
  EXPECT_EQ(s.source, "<embedded>/baseline.toml");
  EXPECT_EQ(s.run.name, "baseline");
  EXPECT_EQ(s.run.start_year, 2024);
  EXPECT_EQ(s.run.years, 1);
  EXPECT_EQ(s.run.members, 100000u);
  EXPECT_FALSE(s.run.members_full);
  EXPECT_EQ(s.run.replicates, 1);
  EXPECT_EQ(s.run.seed, 20240101u);
  EXPECT_EQ(s.hash.size(), 16u);
  EXPECT_EQ(s.hash, fnv1a_hex(s.resolved_toml));
}

TEST(EmbeddedBaseline, StatesTheSameValuesAsTheDefaults) {
  // An empty file takes the defaults of sim/config.hpp; the baseline writes them out.
  EXPECT_EQ(parse("").resolved_toml, load_default_scenario(data()).resolved_toml);
}

TEST(EmbeddedBaseline, IsListedAndReadable) {
  const auto names = embedded_scenarios();
  EXPECT_NE(std::find(names.begin(), names.end(), "baseline.toml"), names.end());
  EXPECT_NE(embedded_scenario("baseline.toml").find("[run]"), std::string_view::npos);
  expect_error<ScenarioError>([] { embedded_scenario("nope.toml"); },
                              {"nope.toml", "baseline.toml"});
}

// ---- resolved text and hash ---------------------------------------------------------------------

TEST(Resolved, ContainsEveryRunKeyWhenTheFileGivesNone) {
  for (const std::string text : {"", "[run]\n", "# nothing\n"}) {
    const Scenario s = parse(text);
    const toml::table doc = toml::parse(s.resolved_toml);
    const auto* run = doc["run"].as_table();
    ASSERT_NE(run, nullptr) << s.resolved_toml;
    EXPECT_EQ(run->size(), 6u) << s.resolved_toml;
    EXPECT_EQ(doc["run"]["name"].value<std::string>(), "baseline");
    EXPECT_EQ(doc["run"]["start_year"].value<std::int64_t>(), 2024);
    EXPECT_EQ(doc["run"]["years"].value<std::int64_t>(), 1);
    EXPECT_EQ(doc["run"]["members"].value<std::int64_t>(), 100000);
    EXPECT_EQ(doc["run"]["replicates"].value<std::int64_t>(), 1);
    EXPECT_EQ(doc["run"]["seed"].value<std::int64_t>(), 20240101);
  }
}

TEST(Resolved, HashIsStableForIdenticalInput) {
  const std::string text = "[run]\nname = \"a\"\nseed = 7\n";
  const Scenario a = parse(text, "one.toml");
  const Scenario b = parse(text, "two.toml");
  EXPECT_EQ(a.resolved_toml, b.resolved_toml);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.hash, fnv1a_hex(a.resolved_toml));
  for (const char c : a.hash) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

TEST(Resolved, HashChangesWhenAnyValueChanges) {
  const std::string base = parse("").hash;
  const std::vector<std::string> edits = {
      "name = \"other\"",   "start_year = 2025", "years = 2",      "members = 100001",
      "members = \"full\"", "replicates = 2",    "seed = 20240102"};
  std::vector<std::string> hashes{base};
  for (const auto& e : edits) {
    const std::string h = parse("[run]\n" + e + "\n").hash;
    EXPECT_EQ(std::find(hashes.begin(), hashes.end(), h), hashes.end()) << e;
    hashes.push_back(h);
  }
}

TEST(Resolved, IgnoresHowTheValuesWereWritten) {
  const std::string plain = parse("[run]\nseed = 16\nyears = 2\n").hash;
  EXPECT_EQ(parse("[run]\nseed = 0x10\nyears = 2\n").hash, plain);
  EXPECT_EQ(parse("run = { seed = 16, years = 2 }\n").hash, plain);
  EXPECT_EQ(parse("run.seed = 16\nrun.years = 2 # comment\n").hash, plain);
}

TEST(Resolved, ReparsesToTheSameScenario) {
  const Scenario a = parse("[run]\nname = \"x\"\nmembers = \"full\"\nseed = 0\n");
  const Scenario b = parse(a.resolved_toml);
  EXPECT_EQ(a.resolved_toml, b.resolved_toml);
  EXPECT_EQ(b.run.name, "x");
  EXPECT_TRUE(b.run.members_full);
  EXPECT_EQ(b.run.seed, 0u);
}

// ---- extends ------------------------------------------------------------------------------------

TEST_F(ScenarioFiles, ExtendsChainOverridesOnlyWhatEachFileSets) {
  write("grand.toml", "[run]\nname = \"grand\"\nseed = 1\nyears = 3\nreplicates = 5\n");
  write("parent.toml", "extends = \"grand.toml\"\n[run]\nseed = 2\nmembers = \"full\"\n");
  const std::string child = write(
      "sub/child.toml", "extends = \"../parent.toml\"\n[run]\nname = \"child\"\nreplicates = 9\n");
  const Scenario s = load_scenario(child, data());
  EXPECT_EQ(s.source, child);
  EXPECT_EQ(s.run.name, "child");     // child
  EXPECT_EQ(s.run.replicates, 9);     // child over grand
  EXPECT_EQ(s.run.seed, 2u);          // parent over grand
  EXPECT_TRUE(s.run.members_full);    // parent
  EXPECT_EQ(s.run.years, 3);          // grand
  EXPECT_EQ(s.run.start_year, 2024);  // default
  EXPECT_EQ(s.resolved_toml.find("extends"), std::string::npos);
}

TEST(Extends, FallsBackToTheEmbeddedBaseline) {
  const std::string path = std::string(PHSIM_SOURCE_DIR) + "/tests/scenarios/fixtures/small.toml";
  const Scenario s = load_scenario(path, data());
  EXPECT_EQ(s.run.name, "small");
  EXPECT_EQ(s.run.members, 1000u);
  EXPECT_EQ(s.run.replicates, 3);
  EXPECT_EQ(s.run.seed, 20240101u);   // from the baseline
  EXPECT_EQ(s.run.start_year, 2024);  // from the baseline
}

TEST_F(ScenarioFiles, ExtendsParseTextRelativeToBaseDir) {
  write("p.toml", "[run]\nyears = 7\n");
  const Scenario s =
      parse_scenario("extends = \"p.toml\"\n", "inline.toml", m_dir.string(), data());
  EXPECT_EQ(s.run.years, 7);
}

TEST_F(ScenarioFiles, ExtendsCycleNamesBothFiles) {
  const std::string a = write("a.toml", "extends = \"b.toml\"\n");
  write("b.toml", "extends = \"a.toml\"\n[run]\nyears = 2\n");
  expect_error<ScenarioError>([&] { load_scenario(a, data()); }, {"cycle", "a.toml", "b.toml"});
  const std::string self = write("self.toml", "extends = \"self.toml\"\n");
  expect_error<ScenarioError>([&] { load_scenario(self, data()); }, {"cycle", "self.toml"});
}

TEST_F(ScenarioFiles, ExtendsChainOfSixteenLinksIsTheLimit) {
  // f0 extends f1 ... extends f16: 16 links is allowed, 17 is not.
  for (int i = 0; i < 17; ++i) {
    const std::string name = std::string("f").append(std::to_string(i)).append(".toml");
    const std::string next = std::string("f").append(std::to_string(i + 1)).append(".toml");
    write(name, std::string("extends = \"").append(next).append("\"\n"));
  }
  write("f17.toml", "[run]\nyears = 4\n");
  EXPECT_EQ(load_scenario((m_dir / "f1.toml").string(), data()).run.years, 4);
  expect_error<ScenarioError>([&] { load_scenario((m_dir / "f0.toml").string(), data()); },
                              {"f0.toml", "longer than 16"});
}

TEST_F(ScenarioFiles, ExtendsMissingFileOrWrongType) {
  const std::string a = write("a.toml", "extends = \"missing.toml\"\n");
  expect_error<ScenarioError>([&] { load_scenario(a, data()); },
                              {"a.toml", "key 'extends'", "missing.toml", "baseline.toml"});
  const std::string b = write("b.toml", "extends = 3\n");
  expect_error<ScenarioError>([&] { load_scenario(b, data()); },
                              {"b.toml", "key 'extends'", "expected a string", "an integer 3"});
  const std::string c = write("c.toml", "extends = \".\"\n");
  expect_error<IoError>([&] { load_scenario(c, data()); }, {"not a regular file"});
}

TEST_F(ScenarioFiles, InheritedErrorNamesTheFileThatWroteTheKey) {
  const std::string parent = write("parent.toml", "[run]\nreplicats = 2\nyears = 0\n");
  const std::string child = write("child.toml", "extends = \"parent.toml\"\n[run]\nseed = 3\n");
  expect_error<ScenarioError>(
      [&] { load_scenario(child, data()); },
      {parent + ": unknown key 'run.replicats'", "did you mean 'replicates'?"});
  write("parent.toml", "[run]\nyears = 0\n");
  expect_error<ScenarioError>([&] { load_scenario(child, data()); },
                              {parent + ": key 'run.years': expected an integer in 1..50, got 0"});
  // The child overriding the bad value repairs it.
  const std::string fixed = write("fixed.toml", "extends = \"parent.toml\"\n[run]\nyears = 5\n");
  EXPECT_EQ(load_scenario(fixed, data()).run.years, 5);
}

TEST(LoadScenario, MissingFileIsAnIoErrorNamingThePath) {
  expect_error<IoError>([] { load_scenario("/nonexistent/dir/x.toml", data()); },
                        {"/nonexistent/dir/x.toml"});
}

// ---- validation messages ------------------------------------------------------------------------

TEST(Validate, UnknownKeySuggestsTheClosestAndListsTheAllowed) {
  expect_scenario_error("[run]\nreplicate = 3\n",
                        {"bad.toml: unknown key 'run.replicate'", "did you mean 'replicates'?",
                         "members, name, replicates, seed, start_year, years"});
  expect_scenario_error("[runn]\nseed = 1\n",
                        {"bad.toml: unknown key 'runn'", "did you mean 'run'?",
                         "extends, intervention, policy, run, sweep"});
  try {
    parse("[run]\ncolour = \"blue\"\n");
    FAIL() << "no exception";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()).find("did you mean"), std::string::npos) << e.what();
  }
  expect_scenario_error("[run]\n\"odd.key\" = 1\n", {"unknown key 'run.\"odd.key\"'"});
}

TEST(Validate, WrongTypeNamesExpectedAndFound) {
  expect_scenario_error("[run]\nreplicates = \"3\"\n",
                        {"bad.toml: key 'run.replicates': expected an integer in 1..100000, got a "
                         "string \"3\""});
  expect_scenario_error("[run]\nyears = 1.5\n", {"key 'run.years'", "got a float 1.5"});
  expect_scenario_error("[run]\nname = 5\n",
                        {"key 'run.name'", "expected a string", "got an integer 5"});
  expect_scenario_error("run = 5\n", {"bad.toml: key 'run': expected a table, got an integer 5"});
  expect_scenario_error("[run.seed]\n", {"key 'run.seed'", "got a table"});
  expect_scenario_error("[run]\nseed = 2024-01-01\n", {"key 'run.seed'", "got a date 2024-01-01"});
}

TEST(Validate, OutOfRangeNamesTheValueAndTheRange) {
  expect_scenario_error(
      "[run]\nreplicates = 0\n",
      {"bad.toml: key 'run.replicates': expected an integer in 1..100000, got 0"});
  expect_scenario_error("[run]\nreplicates = 100001\n", {"got 100001"});
  expect_scenario_error("[run]\nyears = 51\n",
                        {"key 'run.years': expected an integer in 1..50, got 51"});
  expect_scenario_error("[run]\nstart_year = 1999\n",
                        {"key 'run.start_year'", "2000..2100, got 1999"});
  expect_scenario_error("[run]\nseed = -1\n", {"key 'run.seed'", "0..4294967295, got -1"});
  expect_scenario_error("[run]\nseed = 4294967296\n", {"got 4294967296"});
  // The ends of each range are valid.
  EXPECT_EQ(parse("[run]\nseed = 0\n").run.seed, 0u);
  EXPECT_EQ(parse("[run]\nseed = 4294967295\n").run.seed, 4294967295u);
  EXPECT_EQ(parse("[run]\nreplicates = 100000\n").run.replicates, 100000);
  EXPECT_EQ(parse("[run]\nyears = 50\nstart_year = 2100\n").run.years, 50);
  EXPECT_EQ(parse("[run]\nmembers = 4294967295\n").run.members, 4294967295u);
}

TEST(Validate, ScenarioNameCharactersAndLength) {
  expect_scenario_error("[run]\nname = \"bad name!\"\n",
                        {"bad.toml: key 'run.name': expected a string of 1..64 characters from "
                         "[A-Za-z0-9_.=-], got \"bad name!\""});
  expect_scenario_error("[run]\nname = \"\"\n", {"key 'run.name'", "got \"\""});
  expect_scenario_error("[run]\nname = \"" + std::string(65, 'a') + "\"\n", {"key 'run.name'"});
  expect_scenario_error("[run]\nname = \"caf\xC3\xA9\"\n", {"key 'run.name'"});
  EXPECT_EQ(parse("[run]\nname = \"" + std::string(64, 'a') + "\"\n").run.name,
            std::string(64, 'a'));
  EXPECT_EQ(parse("[run]\nname = \"A-z_0.9\"\n").run.name, "A-z_0.9");
  // '=' is allowed for the names of swept scenarios.
  EXPECT_EQ(parse("[run]\nname = \"b-x=0.5\"\n").run.name, "b-x=0.5");
}

TEST(Validate, MembersFull) {
  const Scenario s = parse("[run]\nmembers = \"full\"\n");
  EXPECT_TRUE(s.run.members_full);
  const toml::table doc = toml::parse(s.resolved_toml);
  EXPECT_EQ(doc["run"]["members"].value<std::string>(), "full");
  expect_scenario_error("[run]\nmembers = \"fuill\"\n",
                        {"bad.toml: key 'run.members': expected an integer in 1..4294967295 or "
                         "\"full\", got \"fuill\"",
                         "did you mean \"full\"?"});
  expect_scenario_error("[run]\nmembers = 0\n", {"key 'run.members'", "got 0"});
  expect_scenario_error("[run]\nmembers = 4294967296\n", {"key 'run.members'", "got 4294967296"});
  expect_scenario_error("[run]\nmembers = true\n", {"key 'run.members'", "got a boolean true"});
}

TEST(Validate, ReferenceNamesAreChecked) {
  EXPECT_FALSE(detail::check_reference_name("county", "Los Angeles", data()).has_value());
  EXPECT_FALSE(detail::check_reference_name("plan", "L.A. Care Health Plan", data()).has_value());
  EXPECT_FALSE(detail::check_reference_name("measure", "GSD>9", data()).has_value());
  const auto county = detail::check_reference_name("county", "Los Angelos", data());
  ASSERT_TRUE(county.has_value());
  EXPECT_NE(county->find("unknown county \"Los Angelos\""), std::string::npos) << *county;
  EXPECT_NE(county->find("did you mean \"Los Angeles\"?"), std::string::npos) << *county;
  EXPECT_NE(county->find("\"Alameda\", \"Los Angeles\", \"San Diego\""), std::string::npos)
      << *county;
  const auto measure = detail::check_reference_name("measure", "XYZ-123", data());
  ASSERT_TRUE(measure.has_value());
  EXPECT_NE(measure->find("unknown measure \"XYZ-123\""), std::string::npos) << *measure;
  EXPECT_EQ(measure->find("did you mean"), std::string::npos) << *measure;
  EXPECT_NE(measure->find("\"W30-6\""), std::string::npos) << *measure;
  // Long lists are cut, with the count.
  ReferenceData many;
  for (int i = 0; i < 58; ++i) {
    County c;
    c.name = "County " + std::to_string(i);
    c.plan_model = PlanModel::COHS;
    many.counties.push_back(c);
  }
  const auto cut = detail::check_reference_name("county", "Nowhere", many);
  ASSERT_TRUE(cut.has_value());
  EXPECT_NE(cut->find("(58 in all)"), std::string::npos) << *cut;
  EXPECT_THROW(detail::check_reference_name("region", "x", data()), std::invalid_argument);
}

// ---- parse errors and robustness ----------------------------------------------------------------

TEST(Parse, ErrorsReportLineAndColumn) {
  expect_error<ScenarioError>([] { parse("[run]\nseed = \n", "bad.toml"); },
                              {"bad.toml:2:8: ", "expected value"});
  expect_scenario_error("[run]\nseed = 1\nyears = 2\nyears = 3\n",
                        {"bad.toml:4:9: ", "cannot redefine"});
  // Integers beyond int64 are a parse error.
  expect_scenario_error("[run]\n\nseed = 99999999999999999999\n",
                        {"bad.toml:3:28: ", "not representable"});
  try {
    parse("[run]\nseed = \n", "bad.toml");
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("bad.toml:2:8: ", 0), 0u) << e.what();
  }
}

TEST(Parse, MalformedInputIsAScenarioErrorNeverACrash) {
  const std::vector<std::string> inputs = {
      std::string("\xFF\xFE[run]\n"),
      std::string("[run]\nname = \"\xC3\x28\"\n"),
      std::string("[run]\0seed = 1\n", 15),
      "[" + std::string(100000, 'a') + "]\n",
      [] {
        std::string s = "[";
        for (int i = 0; i < 100000; ++i) s += "a.";
        return s + "a]\n";
      }(),
      [] {
        std::string s;
        for (int i = 0; i < 100000; ++i) s += "a.";
        return s + "a = 1\n";
      }(),
      "x = " + std::string(100000, '['),
      "x = " + std::string(100000, '{'),
      [] {
        std::string s = "x = ";
        for (int i = 0; i < 50000; ++i) s += "{a=";
        return s;
      }(),
      [] {
        std::string s = "x = [";
        for (int i = 0; i < 50000; ++i) s += "{a.b.c=[";
        return s;
      }(),
      [] {
        std::string s;
        for (int i = 0; i < 50000; ++i) s += "\"a\" . ";
        return s + "a = 1\n";
      }(),
      [] {
        std::string s = "['";
        for (int i = 0; i < 50000; ++i) s += "a'.'";
        return s + "a']\n";
      }(),
      "[[run]]\n",
      "run = []\n",
      "[run]\nseed = inf\n",
      "[run]\nseed = nan\n",
      "extends = \"\"\n",
      std::string("extends = \"a\\u0000b\"\n"),
      "extends = \"/dev/zero\"\n",
  };
  for (const auto& text : inputs) {
    try {
      parse(text, "fuzz.toml");
      ADD_FAILURE() << "accepted: " << text.substr(0, 60);
    } catch (const ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find("fuzz.toml"), std::string::npos) << e.what();
    } catch (const IoError&) {
    }
  }
}

TEST(Parse, DeepButLegalNestingIsReportedNotCrashed) {
  // 40 levels parse; the unknown key is then reported normally.
  std::string s = "[run";
  for (int i = 0; i < 40; ++i) s += ".x";
  expect_scenario_error(s + "]\n", {"unknown key 'run.x'"});
}

TEST(Parse, RandomMutationsOfTheBaselineNeverCrash) {
  const std::string base(embedded_scenario("baseline.toml"));
  std::mt19937 rng(12345);
  const std::string alphabet = "[]{}.=\"'#\\,\n 0123456789abcdefrun_\xC3\xFF";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          if (at < s.size()) s.erase(at, 1 + rng() % 20);
          break;
        default:
          if (at < s.size()) s[at] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    try {
      const Scenario sc = parse(s, "fuzz.toml");
      EXPECT_EQ(sc.hash, fnv1a_hex(sc.resolved_toml));
    } catch (const ScenarioError&) {
    }
  }
}

// ---- overrides ----------------------------------------------------------------------------------

TEST(Overrides, ChangeTheResolvedTextAndTheHash) {
  Scenario s = load_default_scenario(data());
  const std::string before = s.hash;
  ScenarioOverrides o;
  o.members = 5000;
  o.years = 3;
  o.replicates = 7;
  o.seed = 42;
  o.start_year = 2030;
  apply_overrides(s, o, data());
  EXPECT_EQ(s.run.members, 5000u);
  EXPECT_EQ(s.run.years, 3);
  EXPECT_EQ(s.run.replicates, 7);
  EXPECT_EQ(s.run.seed, 42u);
  EXPECT_EQ(s.run.start_year, 2030);
  EXPECT_EQ(s.run.name, "baseline");
  EXPECT_EQ(s.source, "<embedded>/baseline.toml");
  const toml::table doc = toml::parse(s.resolved_toml);
  EXPECT_EQ(doc["run"]["members"].value<std::int64_t>(), 5000);
  EXPECT_EQ(doc["run"]["years"].value<std::int64_t>(), 3);
  EXPECT_EQ(doc["run"]["replicates"].value<std::int64_t>(), 7);
  EXPECT_EQ(doc["run"]["seed"].value<std::int64_t>(), 42);
  EXPECT_EQ(doc["run"]["start_year"].value<std::int64_t>(), 2030);
  EXPECT_NE(s.hash, before);
  EXPECT_EQ(s.hash, fnv1a_hex(s.resolved_toml));
  // The same values written in a file give the same scenario.
  const Scenario f =
      parse("[run]\nmembers = 5000\nyears = 3\nreplicates = 7\nseed = 42\nstart_year = 2030\n");
  EXPECT_EQ(f.hash, s.hash);
}

TEST(Overrides, NoneLeaveTheScenarioAsItWas) {
  Scenario s = parse("[run]\nseed = 0x10\nname = \"n\"\n");
  const Scenario before = s;
  apply_overrides(s, ScenarioOverrides{}, data());
  EXPECT_EQ(s.resolved_toml, before.resolved_toml);
  EXPECT_EQ(s.hash, before.hash);
}

TEST(Overrides, MembersFullAndBack) {
  Scenario s = load_default_scenario(data());
  ScenarioOverrides full;
  full.members_full = true;
  apply_overrides(s, full, data());
  EXPECT_TRUE(s.run.members_full);
  EXPECT_EQ(toml::parse(s.resolved_toml)["run"]["members"].value<std::string>(), "full");
  ScenarioOverrides count;
  count.members = 12;
  apply_overrides(s, count, data());
  EXPECT_FALSE(s.run.members_full);
  EXPECT_EQ(s.run.members, 12u);
}

TEST(Overrides, InvalidValuesNameTheFlag) {
  Scenario s = load_default_scenario(data());
  const Scenario before = s;
  const auto try_override = [&](const ScenarioOverrides& o,
                                std::initializer_list<std::string> parts) {
    expect_error<ScenarioError>([&] { apply_overrides(s, o, data()); }, parts);
    EXPECT_EQ(s.hash, before.hash);  // a failed override leaves the scenario unchanged
  };
  ScenarioOverrides o;
  o.replicates = 0;
  try_override(o, {"--replicates: expected an integer in 1..100000, got 0"});
  o = {};
  o.years = 51;
  try_override(o, {"--years: expected an integer in 1..50, got 51"});
  o = {};
  o.start_year = 1999;
  try_override(o, {"--start-year:", "got 1999"});
  o = {};
  o.members = 0;
  try_override(o, {"--members:", "got 0"});
  o = {};
  o.members = 18446744073709551615ull;
  try_override(o, {"--members:", "got 18446744073709551615"});
}

// ---- [policy.*] ---------------------------------------------------------------------------------

/// Every PolicySettings field of `a` equals that of `b`.
void expect_same_policy(const PolicySettings& a, const PolicySettings& b) {
  EXPECT_EQ(a.capitation.pmpm_usd, b.capitation.pmpm_usd);
  EXPECT_EQ(a.capitation.scale, b.capitation.scale);
  EXPECT_EQ(a.qwi.enabled, b.qwi.enabled);
  EXPECT_EQ(a.qwi.withhold_fraction, b.qwi.withhold_fraction);
  EXPECT_EQ(a.qwi.measures, b.qwi.measures);
  EXPECT_EQ(a.qwi.target, b.qwi.target);
  EXPECT_EQ(a.qwi.improvement_points, b.qwi.improvement_points);
  EXPECT_EQ(a.qwi.proxy_targets, b.qwi.proxy_targets);
  EXPECT_EQ(a.qwi.proxy_met_share, b.qwi.proxy_met_share);
  EXPECT_EQ(a.qwi.redistribute_unearned, b.qwi.redistribute_unearned);
  EXPECT_EQ(a.qwi.incentive_min_share_met, b.qwi.incentive_min_share_met);
  EXPECT_EQ(a.qwi.min_denominator, b.qwi.min_denominator);
  EXPECT_EQ(a.sanctions.enabled, b.sanctions.enabled);
  EXPECT_EQ(a.sanctions.measures, b.sanctions.measures);
  EXPECT_EQ(a.sanctions.base_usd, b.sanctions.base_usd);
  EXPECT_EQ(a.sanctions.usd_per_missed_case, b.sanctions.usd_per_missed_case);
  EXPECT_EQ(a.sanctions.tier_starts, b.sanctions.tier_starts);
  EXPECT_EQ(a.sanctions.tier_multipliers, b.sanctions.tier_multipliers);
  EXPECT_EQ(a.sanctions.max_usd, b.sanctions.max_usd);
  EXPECT_EQ(a.sanctions.min_denominator, b.sanctions.min_denominator);
  const auto &x = a.auto_assignment, &y = b.auto_assignment;
  EXPECT_EQ(x.enabled, y.enabled);
  EXPECT_EQ(x.default_rate, y.default_rate);
  EXPECT_EQ(x.measures, y.measures);
  EXPECT_EQ(x.points_mpl, y.points_mpl);
  EXPECT_EQ(x.points_hpl, y.points_hpl);
  EXPECT_EQ(x.points_improvement, y.points_improvement);
  EXPECT_EQ(x.improvement_points, y.improvement_points);
  EXPECT_EQ(x.quality_weight, y.quality_weight);
  EXPECT_EQ(x.share_floor, y.share_floor);
  EXPECT_EQ(x.share_cap, y.share_cap);
  EXPECT_EQ(x.excluded_plans, y.excluded_plans);
  EXPECT_EQ(x.min_denominator, y.min_denominator);
  EXPECT_EQ(a.plan_response.enabled, b.plan_response.enabled);
  EXPECT_EQ(a.plan_response.max_effort_logit, b.plan_response.max_effort_logit);
  EXPECT_EQ(a.plan_response.max_effort_logit_sd_log, b.plan_response.max_effort_logit_sd_log);
  EXPECT_EQ(a.plan_response.half_saturation_usd, b.plan_response.half_saturation_usd);
  EXPECT_EQ(a.plan_response.cost_pmpm_per_logit, b.plan_response.cost_pmpm_per_logit);
  EXPECT_EQ(a.plan_response.adjustment, b.plan_response.adjustment);
  EXPECT_EQ(a.plan_response.margin_horizon_months, b.plan_response.margin_horizon_months);
  EXPECT_EQ(a.reinvestment.enabled, b.reinvestment.enabled);
  EXPECT_EQ(a.reinvestment.tier1_fraction, b.reinvestment.tier1_fraction);
  EXPECT_EQ(a.reinvestment.tier2_fraction, b.reinvestment.tier2_fraction);
  EXPECT_EQ(a.reinvestment.tier2_threshold_fraction_of_revenue,
            b.reinvestment.tier2_threshold_fraction_of_revenue);
  EXPECT_EQ(a.reinvestment.admin_fraction, b.reinvestment.admin_fraction);
  EXPECT_EQ(a.reinvestment.primary_care_fraction, b.reinvestment.primary_care_fraction);
}

TEST(Policy, EmbeddedBaselineYieldsTheDocumentedDefaults) {
  const Scenario s = load_default_scenario(data());
  expect_same_policy(s.policy, PolicySettings{});
  // The 2024 values baseline.toml and scenarios/README.md document.
  const PolicySettings& p = s.policy;
  EXPECT_EQ(p.capitation.scale, 1.0);
  for (const double pmpm : p.capitation.pmpm_usd) EXPECT_LT(pmpm, 0.0);  // no data parameters
  EXPECT_TRUE(p.qwi.enabled);
  EXPECT_EQ(p.qwi.withhold_fraction, 0.005);
  EXPECT_EQ(p.qwi.measures, (std::vector<std::string>{"CBP", "GSD>9", "PPC-Pre", "PPC-Pst", "WCV",
                                                       "W30-6", "W30-2"}));
  EXPECT_EQ(p.qwi.target, "mpl_or_improvement");
  EXPECT_EQ(p.qwi.improvement_points, 2.0);
  EXPECT_EQ(p.qwi.proxy_targets, 3);
  EXPECT_EQ(p.qwi.proxy_met_share, 0.5);
  EXPECT_TRUE(p.qwi.redistribute_unearned);
  EXPECT_EQ(p.qwi.incentive_min_share_met, 0.8);
  EXPECT_EQ(p.qwi.min_denominator, 30);
  EXPECT_TRUE(p.sanctions.enabled);
  EXPECT_TRUE(p.sanctions.measures.empty());
  EXPECT_EQ(p.sanctions.base_usd, 265.0);
  EXPECT_EQ(p.sanctions.usd_per_missed_case, 1.15);
  EXPECT_EQ(p.sanctions.tier_starts, (std::vector<int>{1, 3, 6}));
  EXPECT_EQ(p.sanctions.tier_multipliers, (std::vector<double>{1.0, 1.5, 2.0}));
  EXPECT_EQ(p.sanctions.max_usd, 890000.0);
  EXPECT_EQ(p.sanctions.min_denominator, 30);
  EXPECT_TRUE(p.auto_assignment.enabled);
  EXPECT_LT(p.auto_assignment.default_rate, 0.0);  // no data parameter
  EXPECT_EQ(p.auto_assignment.measures.size(), 10u);
  EXPECT_EQ(p.auto_assignment.quality_weight, 1.0);
  EXPECT_EQ(p.auto_assignment.share_floor, 0.25);
  EXPECT_EQ(p.auto_assignment.share_cap, 0.75);
  EXPECT_EQ(p.auto_assignment.excluded_plans,
            (std::vector<std::string>{"Kaiser Permanente (Kaiser Foundation Health Plan)"}));
  EXPECT_TRUE(p.plan_response.enabled);
  EXPECT_EQ(p.plan_response.max_effort_logit, 0.6);
  EXPECT_EQ(p.plan_response.max_effort_logit_sd_log, 0.3);
  EXPECT_EQ(p.plan_response.half_saturation_usd, 6.0);
  EXPECT_EQ(p.plan_response.adjustment, 0.5);
  EXPECT_TRUE(p.reinvestment.enabled);
  EXPECT_EQ(p.reinvestment.tier1_fraction, 0.05);
  EXPECT_EQ(p.reinvestment.tier2_fraction, 0.075);
  EXPECT_EQ(p.reinvestment.tier2_threshold_fraction_of_revenue, 0.02);
  EXPECT_EQ(p.reinvestment.admin_fraction, 0.051);
  EXPECT_EQ(p.reinvestment.primary_care_fraction, 0.07);
}

TEST(Policy, ResolvedTextListsEveryPolicyKey) {
  const Scenario s = parse("");
  const toml::table doc = toml::parse(s.resolved_toml);
  const auto* policy = doc["policy"].as_table();
  ASSERT_NE(policy, nullptr) << s.resolved_toml;
  EXPECT_EQ(policy->size(), 6u);
  // Without the data parameters the five PMPMs and default_rate are left out.
  const std::vector<std::pair<std::string, std::size_t>> sizes = {
      {"capitation", 1},    {"qwi", 10},          {"sanctions", 8},
      {"auto_assignment", 11}, {"plan_response", 7}, {"reinvestment", 6}};
  for (const auto& [table, size] : sizes) {
    const auto* t = doc["policy"][table].as_table();
    ASSERT_NE(t, nullptr) << table;
    EXPECT_EQ(t->size(), size) << table << "\n" << s.resolved_toml;
  }
  EXPECT_EQ(doc["policy"]["qwi"]["withhold_fraction"].value<double>(), 0.005);
  EXPECT_EQ(doc["policy"]["qwi"]["target"].value<std::string>(), "mpl_or_improvement");
  EXPECT_EQ(doc["policy"]["sanctions"]["tier_starts"][2].value<std::int64_t>(), 6);
  EXPECT_TRUE(doc["policy"]["sanctions"]["tier_multipliers"][0].is_floating_point());
  EXPECT_EQ(doc["policy"]["sanctions"]["measures"].as_array()->size(), 0u);
  EXPECT_EQ(doc["policy"]["auto_assignment"]["excluded_plans"][0].value<std::string>(),
            "Kaiser Permanente (Kaiser Foundation Health Plan)");
  EXPECT_EQ(doc["policy"]["reinvestment"]["admin_fraction"].value<double>(), 0.051);
  EXPECT_FALSE(doc["policy"]["capitation"]["child_pmpm_usd"]);
  EXPECT_FALSE(doc["policy"]["auto_assignment"]["default_rate"]);
}

TEST(Policy, ResolvedTextTakesDataDependentDefaultsFromTheData) {
  const ReferenceData d = data_with_parameters();
  const Scenario s = parse_scenario("", "test.toml", "", d);
  const toml::table doc = toml::parse(s.resolved_toml);
  const std::array<std::pair<const char*, double>, 5> pmpm = {{{"child_pmpm_usd", 137},
                                                               {"adult_parent_pmpm_usd", 333},
                                                               {"adult_expansion_pmpm_usd", 392},
                                                               {"disabled_pmpm_usd", 1143},
                                                               {"aged_pmpm_usd", 686}}};
  for (std::size_t aid = 0; aid < pmpm.size(); ++aid) {
    const auto& [key, value] = pmpm[aid];
    EXPECT_TRUE(doc["policy"]["capitation"][key].is_floating_point()) << key;
    EXPECT_EQ(doc["policy"]["capitation"][key].value<double>(), value) << key;
    EXPECT_EQ(s.policy.capitation.pmpm_usd[aid], value) << key;
  }
  EXPECT_EQ(doc["policy"]["capitation"].as_table()->size(), 6u);
  EXPECT_EQ(doc["policy"]["auto_assignment"]["default_rate"].value<double>(), 0.3);
  EXPECT_EQ(s.policy.auto_assignment.default_rate, 0.3);
  // Only those keys take data values (qwi.withhold_fraction is in the data but not data-keyed).
  EXPECT_EQ(s.policy.qwi.withhold_fraction, 0.005);
  // The baseline resolves the same way.
  EXPECT_EQ(load_default_scenario(d).resolved_toml, s.resolved_toml);
  // A written value wins over the data; the others still come from the data.
  const Scenario set = parse_scenario(
      "[policy.capitation]\nchild_pmpm_usd = 150\n[policy.auto_assignment]\ndefault_rate = 0\n",
      "set.toml", "", d);
  EXPECT_EQ(set.policy.capitation.pmpm_usd[0], 150.0);
  EXPECT_EQ(set.policy.capitation.pmpm_usd[4], 686.0);
  EXPECT_EQ(set.policy.auto_assignment.default_rate, 0.0);
  const toml::table set_doc = toml::parse(set.resolved_toml);
  EXPECT_EQ(set_doc["policy"]["capitation"]["child_pmpm_usd"].value<double>(), 150.0);
  EXPECT_EQ(set_doc["policy"]["auto_assignment"]["default_rate"].value<double>(), 0.0);
  // Without the data, a written value still applies.
  EXPECT_EQ(parse("[policy.capitation]\naged_pmpm_usd = 700.5\n").policy.capitation.pmpm_usd[4],
            700.5);
  // Overrides keep the data values (they are in the resolved text now).
  Scenario o = s;
  apply_overrides(o, ScenarioOverrides{}, d);
  EXPECT_EQ(o.resolved_toml, s.resolved_toml);
  EXPECT_EQ(o.policy.capitation.pmpm_usd, s.policy.capitation.pmpm_usd);
  ScenarioOverrides years;
  years.years = 2;
  apply_overrides(o, years, d);
  EXPECT_EQ(o.policy.capitation.pmpm_usd, s.policy.capitation.pmpm_usd);
  EXPECT_EQ(o.policy.auto_assignment.default_rate, 0.3);
}

TEST(Policy, DataDependentDefaultsAreCheckedAndPartialDataIsFine) {
  ReferenceData partial = small_data();
  Parameter child;
  child.key = "capitation.child_pmpm_usd";
  child.value = 140;
  partial.parameters.push_back(child);
  const Scenario s = parse_scenario("", "test.toml", "", partial);
  EXPECT_EQ(s.policy.capitation.pmpm_usd[0], 140.0);
  EXPECT_LT(s.policy.capitation.pmpm_usd[1], 0.0);
  EXPECT_EQ(toml::parse(s.resolved_toml)["policy"]["capitation"].as_table()->size(), 2u);
  // A data value outside the key's range is reported with the key and the parameter.
  ReferenceData bad = small_data();
  Parameter rate;
  rate.key = "aaip.default_rate";
  rate.value = 1.5;
  bad.parameters.push_back(rate);
  bad.origin = "mydata";
  expect_error<ScenarioError>(
      [&] { parse_scenario("", "test.toml", "", bad); },
      {"test.toml: key 'policy.auto_assignment.default_rate'", "'aaip.default_rate'", "mydata",
       "expected a number in 0..1, got 1.5"});
  // Writing the key repairs it.
  EXPECT_EQ(parse_scenario("[policy.auto_assignment]\ndefault_rate = 0.2\n", "t.toml", "", bad)
                .policy.auto_assignment.default_rate,
            0.2);
}

TEST(Policy, DefaultNamesMustExistInTheData) {
  ReferenceData d = small_data();
  d.measures.erase(std::remove_if(d.measures.begin(), d.measures.end(),
                                  [](const Measure& m) { return m.id == "CBP"; }),
                   d.measures.end());
  expect_error<ScenarioError>([&] { parse_scenario("", "t.toml", "", d); },
                              {"t.toml: key 'policy.qwi.measures' is not set and its default",
                               "unknown measure \"CBP\""});
  const std::string without_cbp =
      "[policy.qwi]\nmeasures = [\"GSD>9\"]\n"
      "[policy.auto_assignment]\nmeasures = [\"W30-6\", \"WCV\"]\n";
  const Scenario s = parse_scenario(without_cbp, "t.toml", "", d);
  EXPECT_EQ(s.policy.qwi.measures, std::vector<std::string>{"GSD>9"});
}

TEST(Policy, WrittenValuesReachTheScenario) {
  const Scenario s = parse(
      "[policy.capitation]\nscale = 1.1\n"
      "[policy.qwi]\nenabled = false\nwithhold_fraction = 0.2\nmeasures = []\ntarget = \"hpl\"\n"
      "improvement_points = 0\nproxy_targets = 0\nproxy_met_share = 1\n"
      "redistribute_unearned = false\nincentive_min_share_met = 0\nmin_denominator = 100000\n"
      "[policy.sanctions]\nmeasures = [\"W30-6\", \"GSD>9\"]\nbase_usd = 0\n"
      "usd_per_missed_case = 1e12\ntier_starts = [1]\ntier_multipliers = [3]\nmax_usd = 0\n"
      "[policy.auto_assignment]\nenabled = false\nquality_weight = 20\nshare_floor = 0.5\n"
      "share_cap = 0.5\nexcluded_plans = []\npoints_hpl = 0\n"
      "[policy.plan_response]\nhalf_saturation_usd = 1e6\nmax_effort_logit = 5\nadjustment = 1\n"
      "max_effort_logit_sd_log = 0.7\n"
      "[policy.reinvestment]\nenabled = false\ntier2_fraction = 1\nadmin_fraction = 0\n");
  const PolicySettings& p = s.policy;
  EXPECT_EQ(p.capitation.scale, 1.1);
  EXPECT_FALSE(p.qwi.enabled);
  EXPECT_EQ(p.qwi.withhold_fraction, 0.2);
  EXPECT_TRUE(p.qwi.measures.empty());
  EXPECT_EQ(p.qwi.target, "hpl");
  EXPECT_EQ(p.qwi.proxy_targets, 0);
  EXPECT_EQ(p.qwi.proxy_met_share, 1.0);
  EXPECT_FALSE(p.qwi.redistribute_unearned);
  EXPECT_EQ(p.qwi.min_denominator, 100000);
  EXPECT_EQ(p.sanctions.measures, (std::vector<std::string>{"W30-6", "GSD>9"}));
  EXPECT_EQ(p.sanctions.base_usd, 0.0);
  EXPECT_EQ(p.sanctions.usd_per_missed_case, 1e12);
  EXPECT_EQ(p.sanctions.tier_starts, std::vector<int>{1});
  EXPECT_EQ(p.sanctions.tier_multipliers, std::vector<double>{3.0});
  EXPECT_FALSE(p.auto_assignment.enabled);
  EXPECT_EQ(p.auto_assignment.quality_weight, 20.0);
  EXPECT_EQ(p.auto_assignment.share_floor, 0.5);  // floor == cap is allowed
  EXPECT_TRUE(p.auto_assignment.excluded_plans.empty());
  EXPECT_EQ(p.auto_assignment.points_hpl, 0.0);
  EXPECT_EQ(p.plan_response.half_saturation_usd, 1e6);
  EXPECT_EQ(p.plan_response.max_effort_logit, 5.0);
  EXPECT_EQ(p.plan_response.max_effort_logit_sd_log, 0.7);
  EXPECT_FALSE(p.reinvestment.enabled);
  EXPECT_EQ(p.reinvestment.tier2_fraction, 1.0);
  // Unwritten keys keep their defaults.
  EXPECT_EQ(p.sanctions.min_denominator, 30);
  EXPECT_EQ(p.plan_response.cost_pmpm_per_logit, 1.0);
  // The resolved text reparses to the same scenario.
  const Scenario again = parse(s.resolved_toml);
  EXPECT_EQ(again.hash, s.hash);
  expect_same_policy(again.policy, s.policy);
}

TEST(Policy, IntegersForNumbersAreStoredAsFloatsAndHashAlike) {
  const std::string plain = parse("").hash;
  EXPECT_EQ(parse("[policy.sanctions]\ntier_multipliers = [1, 1.5, 2]\nbase_usd = 265\n").hash,
            plain);
  EXPECT_EQ(parse("policy.sanctions.tier_starts = [0x1, 3, 6]\n").hash, plain);
  EXPECT_EQ(parse("policy = { reinvestment = { admin_fraction = 0.051 } }\n").hash, plain);
  const Scenario s = parse("[policy.qwi]\nwithhold_fraction = 0\n");
  EXPECT_EQ(s.policy.qwi.withhold_fraction, 0.0);
  EXPECT_TRUE(toml::parse(s.resolved_toml)["policy"]["qwi"]["withhold_fraction"].is_floating_point());
  EXPECT_NE(s.hash, plain);
}

TEST(Policy, ResolvedFloatsAreShortAndExact) {
  const Scenario s = parse(
      "[policy.qwi]\nwithhold_fraction = 0.0050000000000000001\n"
      "[policy.sanctions]\nmax_usd = 1e12\nbase_usd = 0.30000000000000004\n"
      "[policy.plan_response]\nhalf_saturation_usd = 1e-7\n");
  for (const std::string line :
       {"\nwithhold_fraction = 0.005\n", "\nmax_usd = 1e+12\n", "\nbase_usd = 0.30000000000000004\n",
        "\nhalf_saturation_usd = 1e-07\n", "\ntier_multipliers = [ 1.0, 1.5, 2.0 ]\n",
        "\nmeasures = []\n", "\n[policy.qwi]\n", "\n[run]\n"}) {
    EXPECT_NE(s.resolved_toml.find(line), std::string::npos) << line << "\n" << s.resolved_toml;
  }
  EXPECT_EQ(s.policy.sanctions.base_usd, 0.1 + 0.2);
  const Scenario again = parse(s.resolved_toml);
  EXPECT_EQ(again.resolved_toml, s.resolved_toml);
  expect_same_policy(again.policy, s.policy);
  // The text is what toml++ reads back as the same document.
  EXPECT_EQ(toml::parse(s.resolved_toml), toml::parse(again.resolved_toml));
}

TEST(Policy, HashChangesWithPolicyValues) {
  std::vector<std::string> hashes{parse("").hash};
  for (const std::string text :
       {"[policy.qwi]\nwithhold_fraction = 0.02\n", "[policy.sanctions]\nenabled = false\n",
        "[policy.sanctions]\ntier_starts = [1, 3, 7]\n",
        "[policy.auto_assignment]\nexcluded_plans = []\n",
        "[policy.capitation]\nchild_pmpm_usd = 137\n"}) {
    const std::string h = parse(text).hash;
    EXPECT_EQ(std::find(hashes.begin(), hashes.end(), h), hashes.end()) << text;
    hashes.push_back(h);
  }
}

// ---- shipped scenarios ----------------------------------------------------------------------------

Scenario embedded(const std::string& name, const ReferenceData& d = data()) {
  return parse_scenario(embedded_scenario(name), "<embedded>/" + name, "", d);
}

TEST(ShippedScenarios, AreEmbedded) {
  const auto names = embedded_scenarios();
  for (const char* name : {"baseline.toml", "qwi_withhold_2pct.toml",
                           "auto_assignment_quality_heavy.toml", "no_sanctions.toml"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(ShippedScenarios, EachLoadsAndSetsWhatItSays) {
  const Scenario base = load_default_scenario(data());

  const Scenario qwi = embedded("qwi_withhold_2pct.toml");
  EXPECT_EQ(qwi.run.name, "qwi_withhold_2pct");
  EXPECT_EQ(qwi.policy.qwi.withhold_fraction, 0.02);
  PolicySettings expect = base.policy;
  expect.qwi.withhold_fraction = 0.02;
  expect_same_policy(qwi.policy, expect);

  const Scenario aa = embedded("auto_assignment_quality_heavy.toml");
  EXPECT_EQ(aa.run.name, "auto_assignment_quality_heavy");
  expect = base.policy;
  expect.auto_assignment.quality_weight = 3.0;
  expect.auto_assignment.share_floor = 0.1;
  expect.auto_assignment.share_cap = 0.9;
  expect_same_policy(aa.policy, expect);

  const Scenario ns = embedded("no_sanctions.toml");
  EXPECT_EQ(ns.run.name, "no_sanctions");
  EXPECT_FALSE(ns.policy.sanctions.enabled);
  expect = base.policy;
  expect.sanctions.enabled = false;
  expect_same_policy(ns.policy, expect);

  // Everything else, [run] included (but the name), is the baseline's.
  for (const Scenario* s : {&qwi, &aa, &ns}) {
    EXPECT_EQ(s->run.members, base.run.members);
    EXPECT_EQ(s->run.seed, base.run.seed);
    EXPECT_EQ(s->run.start_year, base.run.start_year);
    EXPECT_EQ(s->run.years, base.run.years);
    EXPECT_NE(s->hash, base.hash);
  }
  EXPECT_NE(qwi.hash, aa.hash);
  EXPECT_NE(aa.hash, ns.hash);
}

TEST(ShippedScenarios, SourceFilesResolveLikeTheEmbeddedCopies) {
  const ReferenceData d = data_with_parameters();
  for (const std::string name : {"baseline.toml", "qwi_withhold_2pct.toml",
                                 "auto_assignment_quality_heavy.toml", "no_sanctions.toml"}) {
    const Scenario file =
        load_scenario(std::string(PHSIM_SOURCE_DIR) + "/scenarios/" + name, d);
    const Scenario copy = embedded(name, d);
    EXPECT_EQ(file.resolved_toml, copy.resolved_toml) << name;
    EXPECT_EQ(copy.policy.capitation.pmpm_usd[3], 1143.0) << name;
    EXPECT_EQ(copy.policy.auto_assignment.default_rate, 0.3) << name;
  }
}

// ---- [policy.*] validation --------------------------------------------------------------------------

TEST(PolicyValidate, UnknownMeasureIdInAList) {
  expect_scenario_error("[policy.qwi]\nmeasures = [\"CBP\", \"XYZ-1\"]\n",
                        {"bad.toml: key 'policy.qwi.measures': unknown measure \"XYZ-1\"",
                         "known measures: \"W30-6\"", "(at index 1)"});
  expect_scenario_error("[policy.auto_assignment]\nmeasures = [\"CPB\"]\n",
                        {"bad.toml: key 'policy.auto_assignment.measures': unknown measure \"CPB\"",
                         "did you mean \"CBP\"?", "(at index 0)"});
  expect_scenario_error("[policy.sanctions]\nmeasures = [\"W30\"]\n",
                        {"bad.toml: key 'policy.sanctions.measures': unknown measure \"W30\""});
  expect_scenario_error(
      "[policy.qwi]\nmeasures = [\"CBP\", \"WCV\", \"CBP\"]\n",
      {"bad.toml: key 'policy.qwi.measures': expected an array of distinct measure names, got "
       "\"CBP\" twice (at index 0 and 2)"});
}

TEST(PolicyValidate, UnknownPlanInExcludedPlans) {
  expect_scenario_error(
      "[policy.auto_assignment]\nexcluded_plans = [\"Kaiser Permanente\"]\n",
      {"bad.toml: key 'policy.auto_assignment.excluded_plans': unknown plan \"Kaiser Permanente\"",
       "known plans: \"L.A. Care Health Plan\""});
  expect_scenario_error(
      "[policy.auto_assignment]\nexcluded_plans = [\"L.A. Care Health Plans\"]\n",
      {"key 'policy.auto_assignment.excluded_plans'", "did you mean \"L.A. Care Health Plan\"?"});
}

TEST(PolicyValidate, OutOfRange) {
  expect_scenario_error(
      "[policy.qwi]\nwithhold_fraction = 0.5\n",
      {"bad.toml: key 'policy.qwi.withhold_fraction': expected a number in 0..0.2, got 0.5"});
  expect_scenario_error("[policy.qwi]\nwithhold_fraction = -0.01\n", {"got -0.01"});
  expect_scenario_error("[policy.qwi]\nwithhold_fraction = nan\n",
                        {"key 'policy.qwi.withhold_fraction'", "got nan"});
  expect_scenario_error("[policy.qwi]\nproxy_targets = 101\n",
                        {"key 'policy.qwi.proxy_targets': expected an integer in 0..100, got 101"});
  expect_scenario_error(
      "[policy.qwi]\nmin_denominator = 100001\n",
      {"key 'policy.qwi.min_denominator': expected an integer in 0..100000, got 100001"});
  expect_scenario_error("[policy.qwi]\nproxy_met_share = 1.5\n",
                        {"key 'policy.qwi.proxy_met_share': expected a number in 0..1"});
  expect_scenario_error(
      "[policy.capitation]\nchild_pmpm_usd = -1\n",
      {"key 'policy.capitation.child_pmpm_usd': expected a number in 0..1000000000000, got -1"});
  expect_scenario_error("[policy.capitation]\nscale = 11\n",
                        {"key 'policy.capitation.scale': expected a number in 0..10, got 11"});
  expect_scenario_error("[policy.sanctions]\nmax_usd = 1e13\n", {"key 'policy.sanctions.max_usd'"});
  expect_scenario_error("[policy.auto_assignment]\ndefault_rate = 1.2\n",
                        {"key 'policy.auto_assignment.default_rate': expected a number in 0..1"});
  expect_scenario_error(
      "[policy.auto_assignment]\nquality_weight = 21\n",
      {"key 'policy.auto_assignment.quality_weight': expected a number in 0..20, got 21"});
  expect_scenario_error("[policy.auto_assignment]\nshare_cap = 1.01\n",
                        {"key 'policy.auto_assignment.share_cap'", "got 1.01"});
  expect_scenario_error(
      "[policy.plan_response]\nhalf_saturation_usd = 0\n",
      {"key 'policy.plan_response.half_saturation_usd': expected a number > 0 and <= 1000000, "
       "got 0"});
  expect_scenario_error("[policy.plan_response]\nmax_effort_logit = 5.5\n",
                        {"key 'policy.plan_response.max_effort_logit'", "0..5, got 5.5"});
  expect_scenario_error(
      "[policy.plan_response]\nmax_effort_logit_sd_log = -0.1\n",
      {"bad.toml: key 'policy.plan_response.max_effort_logit_sd_log': expected a number in 0..5, "
       "got -0.1"});
  expect_scenario_error("[policy.plan_response]\nmax_effort_logit_sd_log = 5.01\n",
                        {"key 'policy.plan_response.max_effort_logit_sd_log'", "got 5.01"});
  EXPECT_EQ(parse("[policy.plan_response]\nmax_effort_logit_sd_log = 0\n")
                .policy.plan_response.max_effort_logit_sd_log,
            0.0);
  EXPECT_EQ(parse("[policy.plan_response]\nmax_effort_logit_sd_log = 5\n")
                .policy.plan_response.max_effort_logit_sd_log,
            5.0);
  expect_scenario_error("[policy.plan_response]\nadjustment = -0.1\n",
                        {"key 'policy.plan_response.adjustment'", "0..1"});
  expect_scenario_error("[policy.reinvestment]\nadmin_fraction = 2\n",
                        {"key 'policy.reinvestment.admin_fraction'", "0..1, got 2"});
  EXPECT_EQ(parse("[policy.plan_response]\nhalf_saturation_usd = 0.001\n")
                .policy.plan_response.half_saturation_usd,
            0.001);
}

TEST(PolicyValidate, TargetChoices) {
  expect_scenario_error("[policy.qwi]\ntarget = \"best\"\n",
                        {"bad.toml: key 'policy.qwi.target': expected one of \"mpl\", \"hpl\" or "
                         "\"mpl_or_improvement\", got \"best\""});
  expect_scenario_error("[policy.qwi]\ntarget = \"MPL\"\n", {"did you mean \"mpl\"?"});
  EXPECT_EQ(parse("[policy.qwi]\ntarget = \"mpl\"\n").policy.qwi.target, "mpl");
}

TEST(PolicyValidate, TierArrays) {
  const std::string starts_expected =
      "expected an array of integers in 1..100, strictly increasing, with 1..24 elements";
  expect_scenario_error("[policy.sanctions]\ntier_starts = [0, 3, 6]\n",
                        {"bad.toml: key 'policy.sanctions.tier_starts': " + starts_expected +
                         ", got 0 at index 0"});
  expect_scenario_error("[policy.sanctions]\ntier_starts = [1, 3, 3]\n",
                        {"key 'policy.sanctions.tier_starts'", "strictly increasing",
                         "got [1, 3, 3] (3 at index 2 is not greater than 3)"});
  expect_scenario_error("[policy.sanctions]\ntier_starts = []\n",
                        {"key 'policy.sanctions.tier_starts'", "got 0 elements"});
  expect_scenario_error("[policy.sanctions]\ntier_multipliers = []\n",
                        {"key 'policy.sanctions.tier_multipliers'", "got 0 elements"});
  expect_scenario_error("[policy.sanctions]\ntier_starts = [1, 2.5, 6]\n",
                        {"key 'policy.sanctions.tier_starts': " + starts_expected +
                         ", got a float 2.5 at index 1"});
  expect_scenario_error(
      "[policy.sanctions]\ntier_multipliers = [1.0, -1.5, 2.0]\n",
      {"bad.toml: key 'policy.sanctions.tier_multipliers': expected an array of numbers in "
       "0..100 with 1..24 elements, got -1.5 at index 1"});
  expect_scenario_error("[policy.sanctions]\ntier_multipliers = [1.0, \"2\", 2.0]\n",
                        {"key 'policy.sanctions.tier_multipliers'", "got a string \"2\" at index 1"});
  std::string many = "[policy.sanctions]\ntier_starts = [";
  for (int i = 1; i <= 25; ++i) many += (i > 1 ? ", " : "") + std::to_string(i);
  expect_scenario_error(many + "]\n", {"key 'policy.sanctions.tier_starts'", "got 25 elements"});
}

TEST(PolicyValidate, TierArraysOfDifferentLengths) {
  // One written, the other the default (3 tiers).
  expect_scenario_error(
      "[policy.sanctions]\ntier_starts = [1, 3]\n",
      {"bad.toml: keys 'policy.sanctions.tier_starts' = [1, 3] and "
       "'policy.sanctions.tier_multipliers' = [1.0, 1.5, 2.0] (default): expected one tier "
       "multiplier per tier start, got 2 tier_starts and 3 tier_multipliers"});
  expect_scenario_error("[policy.sanctions]\ntier_multipliers = [1, 2, 3, 4]\n",
                        {"bad.toml: keys 'policy.sanctions.tier_starts' = [1, 3, 6] (default) and "
                         "'policy.sanctions.tier_multipliers' = [1.0, 2.0, 3.0, 4.0]",
                         "got 3 tier_starts and 4 tier_multipliers"});
  // Both written, consistently: fine.
  const Scenario s =
      parse("[policy.sanctions]\ntier_starts = [1, 2]\ntier_multipliers = [1.0, 4.0]\n");
  EXPECT_EQ(s.policy.sanctions.tier_starts, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.policy.sanctions.tier_multipliers, (std::vector<double>{1.0, 4.0}));
}

TEST(PolicyValidate, ShareBoundsLeaveRoomForShares) {
  // With bounds scaled by 2/n the shares can sum to one only if floor <= 0.5 <= cap.
  expect_scenario_error("[policy.auto_assignment]\nshare_floor = 0.6\n",
                        {"bad.toml: key 'policy.auto_assignment.share_floor'", "0..0.5", "0.6"});
  expect_scenario_error("[policy.auto_assignment]\nshare_cap = 0.4\n",
                        {"bad.toml: key 'policy.auto_assignment.share_cap'", "0.5..1", "0.4"});
}

TEST_F(ScenarioFiles, CrossKeyErrorNamesTheFileAndWhereTheOtherValueCameFrom) {
  write("parent.toml", "[policy.sanctions]\ntier_starts = [1, 4]\n");
  const std::string child = write(
      "child.toml", "extends = \"parent.toml\"\n[policy.sanctions]\ntier_multipliers = [1.0, 2.0, 3.0]\n");
  expect_error<ScenarioError>(
      [&] { load_scenario(child, data()); },
      // The message names the file that wrote the first key, and where the other came from.
      {(m_dir / "parent.toml").string() + ": keys", "'policy.sanctions.tier_starts' = [1, 4]",
       "'policy.sanctions.tier_multipliers' = [1.0, 2.0, 3.0] (from " + child + ")",
       "expected one tier multiplier per tier start, got 2 tier_starts and 3 tier_multipliers"});
  // An inherited bad list names the file that wrote it.
  const std::string parent = write("p2.toml", "[policy.qwi]\nmeasures = [\"NOPE\"]\n");
  const std::string c2 = write("c2.toml", "extends = \"p2.toml\"\n[run]\nyears = 2\n");
  expect_error<ScenarioError>([&] { load_scenario(c2, data()); },
                              {parent + ": key 'policy.qwi.measures': unknown measure \"NOPE\""});
}

TEST(PolicyValidate, WrongTypes) {
  expect_scenario_error("[policy.qwi]\nwithhold_fraction = \"0.02\"\n",
                        {"bad.toml: key 'policy.qwi.withhold_fraction': expected a number in "
                         "0..0.2, got a string \"0.02\""});
  expect_scenario_error("[policy.qwi]\nenabled = 1\n",
                        {"bad.toml: key 'policy.qwi.enabled': expected true or false, got an "
                         "integer 1"});
  expect_scenario_error("[policy.sanctions]\nenabled = \"false\"\n",
                        {"key 'policy.sanctions.enabled'", "got a string \"false\""});
  expect_scenario_error("[policy.qwi]\nmeasures = \"CBP\"\n",
                        {"bad.toml: key 'policy.qwi.measures': expected an array of distinct "
                         "measure names, got a string \"CBP\""});
  expect_scenario_error("[policy.qwi]\nmeasures = [\"CBP\", 3]\n",
                        {"key 'policy.qwi.measures'", "got an integer 3 at index 1"});
  expect_scenario_error("[policy.qwi]\nproxy_targets = 2.5\n",
                        {"key 'policy.qwi.proxy_targets': expected an integer in 0..100, got a "
                         "float 2.5"});
  expect_scenario_error("[policy.qwi]\ntarget = 1\n",
                        {"key 'policy.qwi.target'", "got an integer 1"});
  expect_scenario_error("[policy.sanctions]\ntier_starts = 1\n",
                        {"key 'policy.sanctions.tier_starts'", "got an integer 1"});
  expect_scenario_error("[policy.sanctions]\ntier_multipliers = [[1.0]]\n",
                        {"key 'policy.sanctions.tier_multipliers'", "got an array at index 0"});
  expect_scenario_error("[policy.auto_assignment]\nexcluded_plans = {}\n",
                        {"key 'policy.auto_assignment.excluded_plans'", "got a table"});
  expect_scenario_error("[policy.capitation]\nchild_pmpm_usd = true\n",
                        {"key 'policy.capitation.child_pmpm_usd'", "got a boolean true"});
  expect_scenario_error("policy = 1\n", {"bad.toml: key 'policy': expected a table, got an integer 1"});
  expect_scenario_error("[policy]\nqwi = []\n",
                        {"bad.toml: key 'policy.qwi': expected a table, got an array"});
  expect_scenario_error("[[policy.sanctions]]\n", {"key 'policy.sanctions': expected a table"});
}

TEST(PolicyValidate, UnknownKeys) {
  expect_scenario_error(
      "[policy.qwi]\nwithold_fraction = 0.01\n",
      {"bad.toml: unknown key 'policy.qwi.withold_fraction'", "did you mean 'withhold_fraction'?",
       "(allowed in [policy.qwi]: enabled, improvement_points, incentive_min_share_met, "
       "measures, min_denominator, proxy_met_share, proxy_targets, redistribute_unearned, "
       "target, withhold_fraction)"});
  expect_scenario_error("[policy.sanction]\nenabled = false\n",
                        {"unknown key 'policy.sanction'", "did you mean 'sanctions'?",
                         "(allowed in [policy]: auto_assignment, capitation, plan_response, qwi, "
                         "reinvestment, sanctions)"});
  expect_scenario_error("[policy.capitation]\npmpm_usd = 300\n",
                        {"unknown key 'policy.capitation.pmpm_usd'",
                         "adult_expansion_pmpm_usd, adult_parent_pmpm_usd, aged_pmpm_usd, "
                         "child_pmpm_usd, disabled_pmpm_usd, scale"});
  expect_scenario_error("[policy]\nwithhold_fraction = 0.01\n",
                        {"unknown key 'policy.withhold_fraction'"});
}

TEST(PolicyValidate, OverridesKeepPolicyValues) {
  Scenario s = parse("[policy.qwi]\nwithhold_fraction = 0.01\n[policy.sanctions]\nenabled = false\n");
  ScenarioOverrides o;
  o.seed = 9;
  apply_overrides(s, o, data());
  EXPECT_EQ(s.run.seed, 9u);
  EXPECT_EQ(s.policy.qwi.withhold_fraction, 0.01);
  EXPECT_FALSE(s.policy.sanctions.enabled);
}

// ---- [[intervention]] ---------------------------------------------------------------------------

std::string fixture(const std::string& name) {
  return std::string(PHSIM_SOURCE_DIR) + "/tests/scenarios/fixtures/" + name;
}

/// Wraps one [[intervention]] body (TOML lines) in a scenario of years 2024-2025.
std::string one_intervention(const std::string& body) {
  return "[run]\nyears = 2\n[[intervention]]\n" + body;
}

/// A valid practice_support intervention's body, with `extra` lines appended.
std::string coaching(const std::string& extra = "") {
  return one_intervention("name = \"c\"\neffects = [ { target = \"CBP\", odds_ratio = 1.2 } ]\n" +
                          extra);
}

TEST(Intervention, AFullInterventionSetsEveryField) {
  const Scenario s = load_scenario(fixture("interventions.toml"), data());
  ASSERT_EQ(s.interventions.size(), 2u);
  const InterventionSettings& c = s.interventions[0];
  EXPECT_EQ(c.name, "pso_coaching");
  EXPECT_EQ(c.kind, "practice_support");
  EXPECT_EQ(c.counties, (std::vector<std::string>{"Riverside", "San Bernardino"}));
  EXPECT_EQ(c.plans, std::vector<std::string>{"Molina Healthcare of California"});
  EXPECT_EQ(c.conditions, (std::vector<std::string>{"diabetes", "hypertension"}));
  EXPECT_EQ(c.practices, "cohort");
  EXPECT_EQ(c.practice_cohort_size, 40);
  EXPECT_EQ(c.start_year, 2025);
  EXPECT_EQ(c.start_month, 1);
  EXPECT_EQ(c.duration_months, 24);
  EXPECT_EQ(c.ramp_months, 6);
  EXPECT_EQ(c.engagement, 0.6);
  EXPECT_EQ(c.correlation, 0.5);
  EXPECT_EQ(c.fixed_cost_usd, 1500000.0);
  EXPECT_EQ(c.cost_per_practice_usd, 25000.0);
  EXPECT_EQ(c.cost_per_member_month_usd, 0.75);
  EXPECT_EQ(c.practice_payment_min_usd, 375000.0);
  EXPECT_EQ(c.practice_payment_max_usd, 10000000.0);
  EXPECT_EQ(c.milestone_share.dist, "beta");
  EXPECT_EQ(c.milestone_share.mean, 0.7);
  EXPECT_EQ(c.milestone_share.sd, 0.1);
  ASSERT_EQ(c.effects.size(), 5u);
  // odds_ratio = 1.2 is { dist = "fixed", mean = ln 1.2 }.
  EXPECT_EQ(c.effects[0].target, "CBP");
  EXPECT_EQ(c.effects[0].effect.dist, "fixed");
  EXPECT_EQ(c.effects[0].effect.mean, std::log(1.2));
  EXPECT_EQ(c.effects[0].effect.sd, 0.0);
  // dist left out is normal.
  EXPECT_EQ(c.effects[1].target, "GSD>9");
  EXPECT_EQ(c.effects[1].effect.dist, "normal");
  EXPECT_EQ(c.effects[1].effect.mean, 0.1);
  EXPECT_EQ(c.effects[1].effect.sd, 0.05);
  EXPECT_EQ(c.effects[2].target, "domain:children's health");
  EXPECT_EQ(c.effects[2].effect.dist, "lognormal");
  EXPECT_EQ(c.effects[2].effect.mean, -2.0);
  EXPECT_EQ(c.effects[2].effect.sd, 0.5);
  EXPECT_EQ(c.effects[3].target, "ed_visits");
  EXPECT_EQ(c.effects[3].effect.dist, "uniform");
  EXPECT_EQ(c.effects[3].effect.low, -0.2);
  EXPECT_EQ(c.effects[3].effect.high, 0.0);
  EXPECT_EQ(c.effects[4].target, "inpatient_admissions");
  EXPECT_EQ(c.effects[4].effect.dist, "fixed");
  EXPECT_EQ(c.effects[4].effect.mean, -0.05);

  // The second takes the defaults of InterventionSettings for what it leaves out.
  const InterventionSettings& p = s.interventions[1];
  const InterventionSettings d{};
  EXPECT_EQ(p.name, "sb1004");
  EXPECT_EQ(p.kind, "palliative_care");
  EXPECT_TRUE(p.counties.empty());
  EXPECT_TRUE(p.plans.empty());
  EXPECT_TRUE(p.conditions.empty());
  EXPECT_EQ(p.practices, d.practices);
  EXPECT_EQ(p.practice_cohort_size, d.practice_cohort_size);
  EXPECT_EQ(p.start_year, d.start_year);
  EXPECT_EQ(p.start_month, d.start_month);
  EXPECT_EQ(p.duration_months, d.duration_months);
  EXPECT_EQ(p.ramp_months, d.ramp_months);
  EXPECT_EQ(p.engagement, d.engagement);
  EXPECT_EQ(p.correlation, d.correlation);
  EXPECT_EQ(p.fixed_cost_usd, 0.0);
  EXPECT_EQ(p.practice_payment_max_usd, 0.0);
  EXPECT_EQ(p.milestone_share.dist, "fixed");
  EXPECT_EQ(p.milestone_share.mean, 1.0);
  ASSERT_EQ(p.effects.size(), 2u);
  EXPECT_EQ(p.effects[0].effect.dist, "beta");
  EXPECT_EQ(p.effects[0].effect.mean, 0.05);
  EXPECT_EQ(p.effects[1].effect.mean, std::log(0.7));
  // A scenario without [[intervention]] has none.
  EXPECT_TRUE(load_default_scenario(data()).interventions.empty());
}

TEST(Intervention, ResolvedTextListsEveryKeyAndReparsesToTheSameHash) {
  const Scenario s = load_scenario(fixture("interventions.toml"), data());
  const toml::table doc = toml::parse(s.resolved_toml);
  const auto* array = doc["intervention"].as_array();
  ASSERT_NE(array, nullptr) << s.resolved_toml;
  ASSERT_EQ(array->size(), 2u);
  for (const auto& e : *array) {
    const auto* t = e.as_table();
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->size(), 19u) << s.resolved_toml;  // every field of InterventionSettings
    EXPECT_EQ((*t)["milestone_share"].as_table()->size(), 5u);
    for (const auto& effect : *(*t)["effects"].as_array())
      EXPECT_EQ(effect.as_table()->size(), 6u);  // target, dist, mean, sd, low, high
  }
  EXPECT_EQ(doc["intervention"][1]["start"].value<std::string>(), "2024-01");
  EXPECT_EQ(doc["intervention"][1]["duration_months"].value<std::int64_t>(), 24);
  EXPECT_EQ(doc["intervention"][0]["effects"][0]["dist"].value<std::string>(), "fixed");
  EXPECT_EQ(doc["intervention"][0]["effects"][0]["mean"].value<double>(), std::log(1.2));
  EXPECT_FALSE(doc["intervention"][0]["effects"][0]["odds_ratio"]);
  EXPECT_TRUE(doc["intervention"][0]["fixed_cost_usd"].is_floating_point());
  // Distributions and effects are inline tables, in a fixed key order (toml++ quotes strings
  // with ' where it can).
  for (const std::string line :
       {"\n[[intervention]]\n", "\nstart = '2025-01'\n",
        "\nmilestone_share = { dist = 'beta', mean = 0.7, sd = 0.1, low = 0.0, high = 0.0 }\n",
        "\neffects = [\n  { target = 'CBP', dist = 'fixed', mean = ",
        "\n  { target = 'GSD>9', dist = 'normal', mean = 0.1, sd = 0.05, low = 0.0, high = 0.0 "
        "},\n",
        "\n  { target = \"domain:children's health\", dist = 'lognormal', mean = -2.0, sd = 0.5, "
        "low = 0.0, high = 0.0 },\n",
        "high = 0.0 }\n]\n", "\ncounties = [ 'Riverside', 'San Bernardino' ]\n"}) {
    EXPECT_NE(s.resolved_toml.find(line), std::string::npos) << line << "\n" << s.resolved_toml;
  }
  const Scenario again = parse(s.resolved_toml, "again.toml");
  EXPECT_EQ(again.resolved_toml, s.resolved_toml);
  EXPECT_EQ(again.hash, s.hash);
  ASSERT_EQ(again.interventions.size(), 2u);
  EXPECT_EQ(again.interventions[0].effects[0].effect.mean, std::log(1.2));
  EXPECT_EQ(again.interventions[1].effects[0].effect.sd, 0.02);
  // Overrides keep the interventions.
  Scenario o = s;
  ScenarioOverrides seed;
  seed.seed = 5;
  apply_overrides(o, seed, data());
  EXPECT_EQ(o.interventions.size(), 2u);
  EXPECT_NE(o.resolved_toml.find("name = 'pso_coaching'"), std::string::npos);
}

TEST(Intervention, IgnoresHowTheEffectsWereWritten) {
  char ln[64];
  std::snprintf(ln, sizeof ln, "%.17g", std::log(1.2));
  const std::string inline_effects = coaching();
  const std::string headers =
      "[run]\nyears = 2\n[[intervention]]\nname = \"c\"\n[[intervention.effects]]\n"
      "target = \"CBP\"\nodds_ratio = 1.2\n";
  const std::string written_out = one_intervention(
      std::string("name = \"c\"\neffects = [ { target = \"CBP\", dist = \"fixed\", mean = ") + ln +
      " } ]\nkind = \"practice_support\"\nengagement = 1\n");
  const std::string h = parse(inline_effects).hash;
  EXPECT_EQ(parse(headers).hash, h);
  EXPECT_EQ(parse(written_out).hash, h);
  EXPECT_NE(parse(coaching("engagement = 0.5\n")).hash, h);
  // An empty array is no intervention.
  EXPECT_EQ(parse("intervention = []\n[run]\nyears = 2\n").hash, parse("[run]\nyears = 2\n").hash);
}

TEST(Intervention, UnknownNamesAndKeysNameTheKeyWithItsIndex) {
  expect_scenario_error(
      one_intervention(
          "name = \"a\"\neffects = [{ target = \"CBP\", odds_ratio = 2 }]\n"
          "[[intervention]]\nname = \"b\"\ncounties = [\"Alameda\", \"Riverside County\"]\n"),
      {"bad.toml: key 'intervention[1].counties': unknown county \"Riverside County\"",
       "known counties: \"Alameda\"", "(at index 1)"});
  expect_scenario_error(
      coaching("plans = [\"Molina Healthcare\"]\n"),
      {"bad.toml: key 'intervention[0].plans': unknown plan \"Molina Healthcare\""});
  expect_scenario_error(coaching("conditions = [\"asthmaa\"]\n"),
                        {"bad.toml: key 'intervention[0].conditions'", "did you mean \"asthma\"?",
                         "\"serious_illness\"", "(at index 0)"});
  expect_scenario_error(
      coaching("kind = \"outreach\"\n"),
      {"bad.toml: key 'intervention[0].kind': expected one of \"practice_support\", "
       "\"member_outreach\" or \"palliative_care\", got \"outreach\""});
  expect_scenario_error(coaching("practices = \"some\"\n"),
                        {"key 'intervention[0].practices'", "\"all\" or \"cohort\""});
  expect_scenario_error(
      coaching("duration = 12\n"),
      {"bad.toml: unknown key 'intervention[0].duration'", "did you mean 'duration_months'?",
       "(allowed in [[intervention]]: ", "practice_payment_max_usd"});
  expect_scenario_error(
      one_intervention("name = \"c\"\neffects = [{ target = \"CBP\", odds = 1.2 }]\n"),
      {"bad.toml: unknown key 'intervention[0].effects[0].odds'", "did you mean 'odds_ratio'?"});
  expect_scenario_error(coaching("milestone_share = { dist = \"fixed\", average = 1 }\n"),
                        {"unknown key 'intervention[0].milestone_share.average'"});
  expect_scenario_error(one_intervention("kind = \"practice_support\"\n"),
                        {"bad.toml: missing required key 'intervention[0].name'"});
  expect_scenario_error(one_intervention("name = \"x\"\neffects = [{ mean = 0.1 }]\n"),
                        {"missing required key 'intervention[0].effects[0].target'"});
  expect_scenario_error(coaching("name = \"bad name\"\n"), {"cannot redefine"});
  expect_scenario_error(
      one_intervention("name = \"bad name\"\n"),
      {"key 'intervention[0].name': expected a string of 1..64 characters from [A-Za-z0-9_.-]"});
  expect_scenario_error("intervention = { name = \"x\" }\n",
                        {"bad.toml: key 'intervention': expected an array of tables"});
  expect_scenario_error(one_intervention("name = \"x\"\neffects = [\"CBP\"]\n"),
                        {"key 'intervention[0].effects[0]': expected a table, got a string"});
  expect_scenario_error(coaching("practice_cohort_size = 1.5\n"),
                        {"key 'intervention[0].practice_cohort_size'", "got a float 1.5"});
}

TEST(Intervention, EffectTargets) {
  const auto target = [](const std::string& t) {
    return one_intervention("name = \"x\"\neffects = [{ target = \"" + t +
                            "\", odds_ratio = 1.5 }]\n");
  };
  EXPECT_EQ(parse(target("domain:chronic disease")).interventions[0].effects[0].target,
            "domain:chronic disease");
  EXPECT_EQ(parse(target("inpatient_admissions")).interventions[0].effects.size(), 1u);
  expect_scenario_error(target("CPB"),
                        {"bad.toml: key 'intervention[0].effects[0].target': unknown effect target "
                         "\"CPB\"; did you mean \"CBP\"?",
                         "expected a measure id, \"domain:<domain>\", \"ed_visits\"",
                         "domains: \"children's health\""});
  expect_scenario_error(target("domain:childrens health"),
                        {"key 'intervention[0].effects[0].target': unknown domain \"childrens "
                         "health\"",
                         "did you mean \"domain:children's health\"?"});
  expect_scenario_error(target("ed_visit"), {"did you mean \"ed_visits\"?"});
  // palliative_enrollment belongs to palliative_care only, which needs one.
  expect_scenario_error(
      one_intervention("name = \"x\"\neffects = [{ target = \"palliative_enrollment\", dist = "
                       "\"fixed\", mean = 0.1 }]\n"),
      {"bad.toml: key 'intervention[0].effects[0].target': \"palliative_enrollment\" is an effect "
       "of kind = \"palliative_care\" only; this intervention's kind is \"practice_support\" "
       "(default)"});
  expect_scenario_error(
      one_intervention("name = \"p\"\nkind = \"palliative_care\"\n"
                       "effects = [{ target = \"ed_visits\", odds_ratio = 0.8 }]\n"),
      {"bad.toml: key 'intervention[0].effects': kind = \"palliative_care\" needs an effect with "
       "target = \"palliative_enrollment\""});
  expect_scenario_error(
      one_intervention("name = \"p\"\nkind = \"palliative_care\"\neffects = ["
                       "{ target = \"palliative_enrollment\", dist = \"fixed\", mean = 0.1 },"
                       "{ target = \"CBP\", odds_ratio = 1.1 }]\n"),
      {"key 'intervention[0].effects[1].target': \"CBP\" is a measure, which a palliative_care "
       "intervention does not act on"});
  expect_scenario_error(
      one_intervention("name = \"p\"\nkind = \"palliative_care\"\n"
                       "effects = [{ target = \"palliative_enrollment\", odds_ratio = 2 }]\n"),
      {"key 'intervention[0].effects[0].odds_ratio': palliative_enrollment is a monthly "
       "probability, not an odds ratio"});
  expect_scenario_error(
      one_intervention("name = \"p\"\nkind = \"palliative_care\"\n"
                       "effects = [{ target = \"palliative_enrollment\", mean = 0.1 }]\n"),
      {"key 'intervention[0].effects[0].dist': palliative_enrollment is a probability (0..1): "
       "expected \"fixed\", \"beta\" or \"uniform\", got \"normal\" (default)"});
  expect_scenario_error(
      one_intervention("name = \"p\"\nkind = \"palliative_care\"\n"
                       "effects = [{ target = \"palliative_enrollment\", dist = \"fixed\", "
                       "mean = 1.5 }]\n"),
      {"key 'intervention[0].effects[0].mean': palliative_enrollment is a probability: expected "
       "a number in 0..1, got 1.5"});
  // member_outreach acts through the care gaps of targeted measures.
  expect_scenario_error(
      one_intervention("name = \"o\"\nkind = \"member_outreach\"\n"
                       "effects = [{ target = \"ed_visits\", odds_ratio = 0.9 }]\n"),
      {"key 'intervention[0].effects': kind = \"member_outreach\" reaches members with an open "
       "care gap"});
  EXPECT_EQ(parse(one_intervention("name = \"o\"\nkind = \"member_outreach\"\n"
                                   "effects = [{ target = \"domain:chronic disease\", mean = 0.2, "
                                   "sd = 0.1 }]\n"))
                .interventions[0]
                .kind,
            "member_outreach");
  // One effect per target.
  expect_scenario_error(
      one_intervention(
          "name = \"x\"\neffects = [{ target = \"CBP\", odds_ratio = 1.2 }, "
          "{ target = \"WCV\", odds_ratio = 1.2 }, { target = \"CBP\", mean = 0.1 }]\n"),
      {"key 'intervention[0].effects[2].target': \"CBP\" is already the target of effects[0]"});
}

TEST(Intervention, OddsRatiosAndDistributions) {
  const auto effect = [](const std::string& e) {
    return one_intervention(
        "name = \"x\"\neffects = [{ target = \"WCV\", odds_ratio = 1.1 }, "
        "{ target = \"CBP\", " +
        e + " }]\n");
  };
  expect_scenario_error(
      effect("odds_ratio = 0"),
      {"bad.toml: key 'intervention[0].effects[1].odds_ratio': odds ratio must be "
       "> 0 and <= 1000, got 0"});
  expect_scenario_error(
      effect("odds_ratio = -1.5"),
      {"key 'intervention[0].effects[1].odds_ratio': odds ratio must be > 0", "got -1.5"});
  expect_scenario_error(effect("odds_ratio = \"1.2\""),
                        {"key 'intervention[0].effects[1].odds_ratio'", "got a string \"1.2\""});
  expect_scenario_error(effect("odds_ratio = 1.2, sd = 0.1"),
                        {"key 'intervention[0].effects[1].sd': odds_ratio = x stands for { dist = "
                         "\"fixed\", mean = ln(x) } and cannot be combined with sd"});
  expect_scenario_error(effect("sd = 0.1"),
                        {"key 'intervention[0].effects[1]': the effect has no size: expected "
                         "odds_ratio = x, or mean"});
  expect_scenario_error(effect("dist = \"gamma\", mean = 1"),
                        {"key 'intervention[0].effects[1].dist': expected one of \"normal\", "
                         "\"lognormal\", \"beta\", \"uniform\" or \"fixed\", got \"gamma\""});
  expect_scenario_error(effect("mean = 0.1, sd = -0.1"),
                        {"key 'intervention[0].effects[1].sd': expected a number in 0..1000000, "
                         "got -0.1"});
  // beta: 0 < mean < 1 and sd^2 < mean (1 - mean).
  expect_scenario_error(
      effect("dist = \"beta\", mean = 1.2, sd = 0.1"),
      {"bad.toml: key 'intervention[0].effects[1].mean': dist = \"beta\" needs 0 < "
       "mean < 1, got 1.2"});
  expect_scenario_error(
      effect("dist = \"beta\", mean = 0.5, sd = 0.5"),
      {"bad.toml: key 'intervention[0].effects[1].sd': dist = \"beta\" with mean = "
       "0.5 needs sd^2 < mean (1 - mean), i.e. sd < 0.5, got 0.5"});
  EXPECT_EQ(
      parse(effect("dist = \"beta\", mean = 0.5, sd = 0.49")).interventions[0].effects[1].effect.sd,
      0.49);
  // uniform: low and high, low <= high, no mean or sd.
  expect_scenario_error(effect("dist = \"uniform\", low = 0.3, high = 0.1"),
                        {"bad.toml: keys 'intervention[0].effects[1].low' = 0.3 and "
                         "'intervention[0].effects[1].high' = 0.1: expected low <= high"});
  expect_scenario_error(effect("dist = \"uniform\", low = 0.1"),
                        {"key 'intervention[0].effects[1].high': dist = \"uniform\" needs low and "
                         "high"});
  expect_scenario_error(effect("dist = \"uniform\", low = 0.1, high = 0.2, mean = 0.15"),
                        {"key 'intervention[0].effects[1].mean': does not apply to dist = "
                         "\"uniform\""});
  EXPECT_EQ(parse(effect("dist = \"uniform\", low = 0.1, high = 0.1"))
                .interventions[0]
                .effects[1]
                .effect.low,
            0.1);
  // fixed: no sd; low and high are for uniform.
  expect_scenario_error(effect("dist = \"fixed\", mean = 0.1, sd = 0.2"),
                        {"key 'intervention[0].effects[1].sd': sd = 0.2 has no effect with dist = "
                         "\"fixed\""});
  expect_scenario_error(
      effect("mean = 0.1, low = -1"),
      {"key 'intervention[0].effects[1].low': does not apply to dist = \"normal\" "
       "(default)"});
  // milestone_share is a share: fixed (the default dist), beta or uniform within 0..1.
  expect_scenario_error(coaching("milestone_share = { dist = \"beta\", mean = 0.9, sd = 0.4 }\n"),
                        {"bad.toml: key 'intervention[0].milestone_share.sd': dist = \"beta\" with "
                         "mean = 0.9 needs sd^2 < mean (1 - mean)"});
  expect_scenario_error(coaching("milestone_share = { dist = \"normal\", mean = 0.9, sd = 0.1 }\n"),
                        {"key 'intervention[0].milestone_share.dist': milestone_share is a "
                         "probability (0..1)"});
  expect_scenario_error(
      coaching("milestone_share = { dist = \"uniform\", low = 0.5, high = 1.5 }\n"),
      {"key 'intervention[0].milestone_share': milestone_share is a probability: "
       "expected 0 <= low <= high <= 1"});
  expect_scenario_error(coaching("milestone_share = { sd = 0 }\n"),
                        {"key 'intervention[0].milestone_share.mean': dist = \"fixed\" (default) "
                         "needs a mean"});
  const Scenario m = parse(coaching("milestone_share = { mean = 0.8 }\n"));
  EXPECT_EQ(m.interventions[0].milestone_share.dist, "fixed");
  EXPECT_EQ(m.interventions[0].milestone_share.mean, 0.8);
}

TEST(Intervention, RulesBetweenKeys) {
  // Names are unique.
  expect_scenario_error(
      coaching("[[intervention]]\nname = \"d\"\neffects = []\n[[intervention]]\nname = \"c\"\n"),
      {"bad.toml: key 'intervention[2].name': \"c\" is already the name of intervention[0]"});
  // A cohort needs its size; "all" takes none.
  expect_scenario_error(coaching("practices = \"cohort\"\n"),
                        {"bad.toml: key 'intervention[0].practice_cohort_size': practices = "
                         "\"cohort\" needs the number of practices in the cohort: expected an "
                         "integer in 1..100000, got 0 (default)"});
  expect_scenario_error(coaching("practice_cohort_size = 10\n"),
                        {"key 'intervention[0].practice_cohort_size': a cohort size of 10 with "
                         "practices = \"all\" (default)"});
  EXPECT_EQ(parse(coaching("practices = \"cohort\"\npractice_cohort_size = 207\n"))
                .interventions[0]
                .practice_cohort_size,
            207);
  expect_scenario_error(coaching("practice_cohort_size = 100001\n"),
                        {"key 'intervention[0].practice_cohort_size': expected an integer in "
                         "0..100000, got 100001"});
  // Costs are not negative; the payment range is ordered.
  expect_scenario_error(coaching("fixed_cost_usd = -5\n"),
                        {"bad.toml: key 'intervention[0].fixed_cost_usd': expected a number in "
                         "0..1000000000000, got -5"});
  expect_scenario_error(coaching("cost_per_member_month_usd = -0.01\n"),
                        {"key 'intervention[0].cost_per_member_month_usd'", "got -0.01"});
  expect_scenario_error(coaching("practice_payment_min_usd = 10\npractice_payment_max_usd = 5\n"),
                        {"bad.toml: keys 'intervention[0].practice_payment_min_usd' = 10.0 and "
                         "'intervention[0].practice_payment_max_usd' = 5.0: expected "
                         "practice_payment_min_usd <= practice_payment_max_usd"});
  expect_scenario_error(coaching("practice_payment_min_usd = 10\n"),
                        {"'intervention[0].practice_payment_max_usd' = 0.0 (default)"});
  // The ramp fits in the duration.
  expect_scenario_error(
      coaching("ramp_months = 30\n"),
      {"bad.toml: keys 'intervention[0].ramp_months' = 30 and "
       "'intervention[0].duration_months' = 24 (default): expected ramp_months <= "
       "duration_months"});
  expect_scenario_error(coaching("duration_months = 0\n"),
                        {"key 'intervention[0].duration_months': expected an integer in 1..600"});
  expect_scenario_error(coaching("engagement = 1.1\n"),
                        {"key 'intervention[0].engagement': expected a number in 0..1"});
  expect_scenario_error(coaching("correlation = 1\n"),
                        {"key 'intervention[0].correlation': expected a number in -0.99..0.99"});
  // An equicorrelation of n effects needs rho > -1/(n-1).
  const std::string three =
      "effects = [{ target = \"CBP\", mean = 0.1, sd = 0.1 }, { target = \"WCV\", mean = 0.1, "
      "sd = 0.1 }, { target = \"CCS\", mean = 0.1, sd = 0.1 }]\n";
  expect_scenario_error(one_intervention("name = \"x\"\ncorrelation = -0.5\n" + three),
                        {"bad.toml: key 'intervention[0].correlation': -0.5 with 3 effects: "
                         "expected a number > -1/(n - 1) = -0.5"});
  EXPECT_EQ(parse(one_intervention("name = \"x\"\ncorrelation = -0.49\n" + three))
                .interventions[0]
                .correlation,
            -0.49);
  // At most 8 interventions (one bit each on the device).
  std::string nine = "[run]\nyears = 2\n";
  for (int i = 0; i < 9; ++i) nine += "[[intervention]]\nname = \"i" + std::to_string(i) + "\"\n";
  expect_scenario_error(nine, {"bad.toml: key 'intervention': expected an array of tables with at "
                               "most 8 elements, got 9 elements"});
}

TEST(Intervention, StartIsAMonthWithinTheRunsHorizon) {
  const Scenario s = parse(coaching("start = \"2025-12\"\n"));
  EXPECT_EQ(s.interventions[0].start_year, 2025);
  EXPECT_EQ(s.interventions[0].start_month, 12);
  // A program may start before the first year (it is under way).
  EXPECT_EQ(parse(coaching("start = \"2019-07\"\n")).interventions[0].start_year, 2019);
  expect_scenario_error(
      coaching("start = \"2026-01\"\n"),
      {"bad.toml: key 'intervention[0].start': \"2026-01\" is after the run's "
       "horizon 2024-01..2025-12 (run.start_year = 2024, run.years = 2): expected "
       "a month from 1990-01 to 2025-12"});
  expect_scenario_error("[run]\nstart_year = 2020\nyears = 2\n[[intervention]]\nname = \"x\"\n",
                        {"key 'intervention[0].start': \"2024-01\" (default) is after the run's "
                         "horizon 2020-01..2021-12"});
  for (const std::string bad :
       {"2025-13", "2025-00", "2025-1", "25-01", "2025/01", "1989-12", "2025-01-01", ""}) {
    expect_scenario_error(coaching("start = \"" + bad + "\"\n"),
                          {"bad.toml: key 'intervention[0].start': expected a \"YYYY-MM\" string "
                           "(month 01..12, from 1990-01 on), got \"" +
                           bad + "\""});
  }
  expect_scenario_error(
      coaching("start = 2025-01-01\n"),
      {"key 'intervention[0].start': expected a \"YYYY-MM\" string", "got a date 2025-01-01"});
  expect_scenario_error(coaching("start = 202501\n"),
                        {"key 'intervention[0].start'", "got an integer 202501"});
  // Overrides re-check the horizon.
  Scenario o = parse(coaching("start = \"2025-06\"\n"));
  ScenarioOverrides years;
  years.years = 1;
  expect_error<ScenarioError>(
      [&] { apply_overrides(o, years, data()); },
      {"key 'intervention[0].start': \"2025-06\" is after the run's horizon "
       "2024-01..2024-12"});
  years.years = 3;
  apply_overrides(o, years, data());
  EXPECT_EQ(o.run.years, 3);
  EXPECT_EQ(o.interventions[0].start_month, 6);
}

TEST_F(ScenarioFiles, InterventionErrorsNameTheFileThatWroteThem) {
  const std::string parent =
      write("parent.toml", "[[intervention]]\nname = \"x\"\nfixed_cost_usd = -1\n");
  const std::string child = write("child.toml", "extends = \"parent.toml\"\n[run]\nyears = 2\n");
  expect_error<ScenarioError>([&] { load_scenario(child, data()); },
                              {parent + ": key 'intervention[0].fixed_cost_usd'"});
  write("parent.toml", "[[intervention]]\nname = \"x\"\npractices = \"cohort\"\n");
  expect_error<ScenarioError>([&] { load_scenario(child, data()); },
                              {parent + ": key 'intervention[0].practice_cohort_size'"});
  // The child's array replaces the parent's whole.
  const std::string fixed =
      write("fixed.toml", "extends = \"parent.toml\"\n[[intervention]]\nname = \"y\"\n");
  const Scenario s = load_scenario(fixed, data());
  ASSERT_EQ(s.interventions.size(), 1u);
  EXPECT_EQ(s.interventions[0].name, "y");
}

TEST(Intervention, RandomMutationsNeverCrash) {
  std::ifstream in(fixture("interventions.toml"));
  std::string base((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  base.replace(base.find("extends"), 0, "#");  // no file access
  base += "[sweep]\nkey = \"run.years\"\nvalues = [2, 3]\n";
  ASSERT_EQ(parse_scenarios(base, "fuzz.toml", "", data()).size(), 2u);
  std::mt19937 rng(2024);
  const std::string alphabet = "[]{}.=\"'#\\,\n 0123456789-abcdefnrt_:\xC3";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          if (at < s.size()) s.erase(at, 1 + rng() % 12);
          break;
        default:
          if (at < s.size()) s[at] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    try {
      for (const Scenario& sc : parse_scenarios(s, "fuzz.toml", "", data())) {
        EXPECT_EQ(sc.hash, fnv1a_hex(sc.resolved_toml));
        EXPECT_EQ(parse(sc.resolved_toml, "again.toml").hash, sc.hash);
      }
    } catch (const ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find("fuzz.toml"), std::string::npos) << e.what();
    }
  }
}

// ---- [sweep] ------------------------------------------------------------------------------------

TEST(Sweep, ExpandsIntoNamedScenariosWithTheValueSet) {
  const std::vector<Scenario> all = load_scenarios(fixture("sweep_withhold.toml"), data());
  ASSERT_EQ(all.size(), 3u);
  const std::vector<std::string> names = {"baseline-withhold_fraction=0.005",
                                          "baseline-withhold_fraction=0.01",
                                          "baseline-withhold_fraction=0.02"};
  const std::vector<double> values = {0.005, 0.01, 0.02};
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Scenario& s = all[i];
    EXPECT_EQ(s.run.name, names[i]);
    EXPECT_EQ(s.policy.qwi.withhold_fraction, values[i]);
    EXPECT_EQ(s.run.members, 1000u);  // the rest of the file applies to each
    EXPECT_EQ(s.source, fixture("sweep_withhold.toml"));
    EXPECT_EQ(s.hash, fnv1a_hex(s.resolved_toml));
    EXPECT_EQ(s.resolved_toml.find("sweep"), std::string::npos) << s.resolved_toml;
    const toml::table doc = toml::parse(s.resolved_toml);
    EXPECT_EQ(doc["policy"]["qwi"]["withhold_fraction"].value<double>(), values[i]);
    EXPECT_EQ(doc["run"]["name"].value<std::string>(), names[i]);
    // Each is the scenario its resolved text describes.
    const Scenario again = parse(s.resolved_toml, "again.toml");
    EXPECT_EQ(again.hash, s.hash);
    EXPECT_EQ(again.run.name, names[i]);
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(all[j].hash, s.hash);
  }
  // A file without [sweep] is one scenario, the one load_scenario gives.
  const std::vector<Scenario> one = load_scenarios(fixture("small.toml"), data());
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].hash, load_scenario(fixture("small.toml"), data()).hash);
  EXPECT_EQ(one[0].run.name, "small");
}

TEST(Sweep, LoadScenarioRefusesASweep) {
  expect_error<ScenarioError>(
      [] { load_scenario(fixture("sweep_withhold.toml"), data()); },
      {fixture("sweep_withhold.toml") + ": has a [sweep] of 'policy.qwi.withhold_fraction'; it "
                                        "expands into 3 scenarios",
       "load_scenarios"});
  expect_error<ScenarioError>(
      [] { parse("[sweep]\nkey = \"run.seed\"\nvalues = [1]\n", "s.toml"); },
      {"s.toml: has a [sweep] of 'run.seed'; it expands into 1 scenario,"});
}

std::vector<Scenario> sweep(const std::string& text) {
  return parse_scenarios(text, "sweep.toml", "", data());
}

void expect_sweep_error(const std::string& text, std::initializer_list<std::string> parts) {
  expect_error<ScenarioError>([&] { sweep(text); }, parts);
}

TEST(Sweep, KeysOfEveryScalarKind) {
  const auto seeds = sweep("[run]\nname = \"s\"\n[sweep]\nkey = \"run.seed\"\nvalues = [1, 2]\n");
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[0].run.name, "s-seed=1");
  EXPECT_EQ(seeds[1].run.seed, 2u);
  const auto flags = sweep("[sweep]\nkey = \"policy.sanctions.enabled\"\nvalues = [true, false]\n");
  EXPECT_EQ(flags[1].run.name, "baseline-enabled=false");
  EXPECT_FALSE(flags[1].policy.sanctions.enabled);
  const auto targets = sweep("[sweep]\nkey = \"policy.qwi.target\"\nvalues = [\"mpl\", \"hpl\"]\n");
  EXPECT_EQ(targets[0].run.name, "baseline-target=mpl");
  EXPECT_EQ(targets[1].policy.qwi.target, "hpl");
  const auto members = sweep("[sweep]\nkey = \"run.members\"\nvalues = [500, \"full\"]\n");
  EXPECT_EQ(members[1].run.name, "baseline-members=full");
  EXPECT_TRUE(members[1].run.members_full);
  EXPECT_EQ(members[0].run.members, 500u);
  // Integers for a number key are numbers (and name alike); exponents lose their '+'.
  const auto floats =
      sweep("[sweep]\nkey = \"policy.sanctions.max_usd\"\nvalues = [0, 1e12, 2.5]\n");
  EXPECT_EQ(floats[0].run.name, "baseline-max_usd=0.0");
  EXPECT_EQ(floats[1].run.name, "baseline-max_usd=1e12");
  EXPECT_EQ(floats[2].policy.sanctions.max_usd, 2.5);
  EXPECT_EQ(floats[0].hash, parse("[run]\nname = \"baseline-max_usd=0.0\"\n"
                                  "[policy.sanctions]\nmax_usd = 0\n")
                                .hash);
  // The new key: plan response uncertainty.
  const auto sd = sweep(
      "[sweep]\nkey = \"policy.plan_response.max_effort_logit_sd_log\"\n"
      "values = [0, 0.3]\n");
  EXPECT_EQ(sd[0].policy.plan_response.max_effort_logit_sd_log, 0.0);
  EXPECT_EQ(sd[1].run.name, "baseline-max_effort_logit_sd_log=0.3");
}

TEST(Sweep, Errors) {
  expect_sweep_error(
      "[sweep]\nkey = \"policy.qwi.withold_fraction\"\nvalues = [0.01]\n",
      {"sweep.toml: key 'sweep.key': unknown key \"policy.qwi.withold_fraction\"; did "
       "you mean \"policy.qwi.withhold_fraction\"?",
       "a sweep takes the dotted key of a number, boolean or string"});
  expect_sweep_error("[sweep]\nkey = \"intervention.engagement\"\nvalues = [0.5]\n",
                     {"key 'sweep.key': \"intervention.engagement\" is a key of [[intervention]], "
                      "which a sweep cannot vary"});
  expect_sweep_error("[sweep]\nkey = \"policy.qwi.measures\"\nvalues = [[\"CBP\"]]\n",
                     {"key 'sweep.key': \"policy.qwi.measures\" takes an array of distinct measure "
                      "names"});
  expect_sweep_error("[sweep]\nkey = \"run.name\"\nvalues = [\"a\"]\n",
                     {"key 'sweep.key': \"run.name\" cannot be swept"});
  expect_sweep_error("[sweep]\nkey = \"sweep.key\"\nvalues = [\"a\"]\n",
                     {"key 'sweep.key': unknown key \"sweep.key\""});
  expect_sweep_error("[sweep]\nkey = \"policy.qwi\"\nvalues = [1]\n",
                     {"key 'sweep.key': unknown key \"policy.qwi\""});
  expect_sweep_error("[sweep]\nkey = \"policy.qwi.withhold_fraction\"\nvalues = [0.01, 0.5]\n",
                     {"sweep.toml: key 'sweep.values': a value of 'policy.qwi.withhold_fraction': "
                      "expected a number in 0..0.2, got 0.5 (at index 1)"});
  expect_sweep_error(
      "[sweep]\nkey = \"run.years\"\nvalues = [2, \"3\"]\n",
      {"key 'sweep.values': a value of 'run.years': expected an integer in 1..50, got "
       "a string \"3\" (at index 1)"});
  expect_sweep_error(
      "[sweep]\nkey = \"policy.qwi.withhold_fraction\"\nvalues = [0.01, 0.02, 0.01]\n",
      {"key 'sweep.values': a float 0.01 at index 2 repeats the value at index 0"});
  expect_sweep_error(
      "[sweep]\nkey = \"policy.qwi.withhold_fraction\"\nvalues = []\n",
      {"key 'sweep.values': expected an array with 1..1000 elements, got 0 elements"});
  expect_sweep_error("[sweep]\nkey = \"policy.qwi.withhold_fraction\"\nvalues = 0.01\n",
                     {"key 'sweep.values': expected an array with 1..1000 elements, got a float"});
  expect_sweep_error("[sweep]\nkey = \"run.seed\"\n", {"missing required key 'sweep.values'"});
  expect_sweep_error("[sweep]\nkey = \"run.seed\"\nvalue = [1]\n",
                     {"unknown key 'sweep.value'; did you mean 'values'?"});
  // Each expanded scenario is checked whole, including the rules between keys.
  expect_sweep_error(
      "[sweep]\nkey = \"policy.auto_assignment.share_floor\"\nvalues = [0.5]\n"
      "[policy.auto_assignment]\nshare_cap = 0.6\n[policy.sanctions]\n"
      "tier_starts = [1, 2]\ntier_multipliers = [1.0, 2.0, 3.0]\n",
      {"sweep.toml: key 'sweep.values': the scenario of 0.5 (at index 0, "
       "\"baseline-share_floor=0.5\") is not valid: sweep.toml: keys "
       "'policy.sanctions.tier_starts' = [1, 2] and "
       "'policy.sanctions.tier_multipliers' = [1.0, 2.0, 3.0]"});
  expect_sweep_error(
      coaching("start = \"2025-06\"\n") + "[sweep]\nkey = \"run.years\"\nvalues = [2, 1]\n",
      {"sweep.toml: key 'sweep.values': the scenario of 1 (at index 1, "
       "\"baseline-years=1\") is not valid: sweep.toml: key 'intervention[0].start': "
       "\"2025-06\" is after the run's horizon"});
  // The name must stay a valid run.name.
  expect_sweep_error(
      "[run]\nname = \"" + std::string(60, 'n') + "\"\n[sweep]\nkey = \"run.seed\"\nvalues = [1]\n",
      {"key 'sweep.values': the scenario of 1 would be named", "shorten run.name"});
}

TEST_F(ScenarioFiles, SweepIsInheritedAndItsErrorsNameTheFile) {
  const std::string parent = write(
      "parent.toml", "[sweep]\nkey = \"policy.qwi.withhold_fraction\"\nvalues = [0.01, 0.3]\n");
  const std::string child = write("child.toml", "extends = \"parent.toml\"\n[run]\nname = \"c\"\n");
  expect_error<ScenarioError>([&] { load_scenarios(child, data()); },
                              {parent + ": key 'sweep.values'", "got 0.3 (at index 1)"});
  write("parent.toml", "[sweep]\nkey = \"policy.qwi.withhold_fraction\"\nvalues = [0.01, 0.02]\n");
  const auto all = load_scenarios(child, data());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].run.name, "c-withhold_fraction=0.02");
  expect_error<ScenarioError>([&] { load_scenario(child, data()); },
                              {child +
                               ": has a [sweep] of 'policy.qwi.withhold_fraction' (inherited "
                               "from " +
                               parent + "); it expands into 2 scenarios"});
}

}  // namespace
}  // namespace phsim
