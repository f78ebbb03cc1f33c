// Tests of scenarios/scenario.*: the embedded baseline, extends, validation messages, overrides,
// the resolved text and its hash, and robustness against malformed input.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>
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
  for (const char* name : {"Alameda", "Los Angeles", "San Diego"}) {
    County c;
    c.name = name;
    c.plan_model = PlanModel::TwoPlan;
    c.enrollment = 1000;
    d.counties.push_back(c);
  }
  for (const char* name : {"L.A. Care Health Plan", "Health Net Community Solutions"}) {
    Plan p;
    p.name = name;
    d.plans.push_back(p);
  }
  for (const char* id : {"W30-6", "GSD>9"}) {
    Measure m;
    m.id = id;
    d.measures.push_back(m);
  }
  d.origin = "test";
  return d;
}

const ReferenceData& data() {
  static const ReferenceData d = small_data();
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
                        {"bad.toml: unknown key 'runn'", "did you mean 'run'?", "extends, run"});
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
                         "[A-Za-z0-9_.-], got \"bad name!\""});
  expect_scenario_error("[run]\nname = \"\"\n", {"key 'run.name'", "got \"\""});
  expect_scenario_error("[run]\nname = \"" + std::string(65, 'a') + "\"\n", {"key 'run.name'"});
  expect_scenario_error("[run]\nname = \"caf\xC3\xA9\"\n", {"key 'run.name'"});
  EXPECT_EQ(parse("[run]\nname = \"" + std::string(64, 'a') + "\"\n").run.name,
            std::string(64, 'a'));
  EXPECT_EQ(parse("[run]\nname = \"A-z_0.9\"\n").run.name, "A-z_0.9");
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

}  // namespace
}  // namespace phsim
