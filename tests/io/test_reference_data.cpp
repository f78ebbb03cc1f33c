// Tests of io/csv.* and io/reference_data_io.* : the CSV reader, the embedded reference data and
// the validator's messages.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/csv.hpp"
#include "io/reference_data_io.hpp"
#include "sim/errors.hpp"

namespace phsim::data {
std::string_view embedded_file(const std::string& name);
}  // namespace phsim::data

namespace phsim {
namespace {

/// Passes when `text` contains `part`; prints the text otherwise.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not found in:\n" << text;
}

/// Runs `f`, expects it to throw E and returns the message ("" after a test failure otherwise).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

const ReferenceData& embedded_data() {
  static const ReferenceData data = load_embedded_reference_data();
  return data;
}

// ---- CSV reader ------------------------------------------------------------------------------

std::vector<std::vector<std::string>> fields_of(const std::vector<CsvRecord>& records) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : records) out.push_back(r.fields);
  return out;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvReader, SimpleRecordsAndLineNumbers) {
  const auto recs = parse_csv_records("a,b\n1,2\n3,4\n", "t.csv");
  EXPECT_EQ(fields_of(recs), (Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}}));
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].line, 1);
  EXPECT_EQ(recs[2].line, 3);
}

TEST(CsvReader, QuotedCommaAndDoubledQuotes) {
  const auto recs = parse_csv_records("name,note\n\"Smith, J\",\"say \"\"hi\"\"\"\n", "t.csv");
  EXPECT_EQ(fields_of(recs), (Rows{{"name", "note"}, {"Smith, J", "say \"hi\""}}));
}

TEST(CsvReader, EmptyQuotedAndEmptyFields) {
  const auto recs = parse_csv_records("a,b,c\n\"\",,x\n,,\n", "t.csv");
  EXPECT_EQ(fields_of(recs), (Rows{{"a", "b", "c"}, {"", "", "x"}, {"", "", ""}}));
}

TEST(CsvReader, NewlineInsideQuotesKeepsPhysicalLineNumbers) {
  const auto recs = parse_csv_records("a,b\n1,\"x\ny\nz\"\n2,w\n", "t.csv");
  EXPECT_EQ(fields_of(recs), (Rows{{"a", "b"}, {"1", "x\ny\nz"}, {"2", "w"}}));
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].line, 2);
  EXPECT_EQ(recs[2].line, 5);  // the quoted field spans lines 2-4
}

TEST(CsvReader, CrlfAndLoneCr) {
  const auto crlf = parse_csv_records("a,b\r\n1,2\r\n", "t.csv");
  EXPECT_EQ(fields_of(crlf), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(crlf[1].line, 2);
  const auto cr = parse_csv_records("a,b\r1,2\r", "t.csv");
  EXPECT_EQ(fields_of(cr), (Rows{{"a", "b"}, {"1", "2"}}));
  const auto quoted = parse_csv_records("a\r\n\"x\r\ny\"\r\nz\r\n", "t.csv");
  EXPECT_EQ(fields_of(quoted), (Rows{{"a"}, {"x\r\ny"}, {"z"}}));
  EXPECT_EQ(quoted[2].line, 4);
}

TEST(CsvReader, ByteOrderMarkIsSkipped) {
  const auto recs = parse_csv_records(
      "\xEF\xBB\xBF"
      "a,b\n1,2\n",
      "t.csv");
  EXPECT_EQ(fields_of(recs), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_TRUE(parse_csv_records("\xEF\xBB\xBF", "t.csv").empty());
  EXPECT_TRUE(parse_csv_records("\xEF\xBB", "t.csv").size() == 1u);  // not a BOM: a field
}

TEST(CsvReader, NoTrailingNewlineAndTrailingComma) {
  EXPECT_EQ(fields_of(parse_csv_records("a,b\n1,2", "t.csv")), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(fields_of(parse_csv_records("a,b\n1,", "t.csv")), (Rows{{"a", "b"}, {"1", ""}}));
  EXPECT_EQ(fields_of(parse_csv_records("a,\"b\"", "t.csv")), (Rows{{"a", "b"}}));
}

TEST(CsvReader, EmptyInputAndEmptyLines) {
  EXPECT_TRUE(parse_csv_records("", "t.csv").empty());
  EXPECT_TRUE(parse_csv_records("\n\r\n\n", "t.csv").empty());
  const auto recs = parse_csv_records("a\n\n1\n\n", "t.csv");
  EXPECT_EQ(fields_of(recs), (Rows{{"a"}, {"1"}}));
  EXPECT_EQ(recs[1].line, 3);
  const auto msg = message_of<DataError>([] { parse_csv("", "empty.csv"); });
  EXPECT_TRUE(Contains(msg, "empty.csv:1"));
  EXPECT_TRUE(Contains(msg, "empty"));
  EXPECT_THROW(parse_csv("\xEF\xBB\xBF", "bom.csv"), DataError);
}

TEST(CsvReader, UnterminatedQuoteNamesTheLineWhereItStarts) {
  const auto msg =
      message_of<DataError>([] { parse_csv_records("a,b\n1,2\n3,\"oops\n4,5\n", "u.csv"); });
  EXPECT_TRUE(Contains(msg, "u.csv:3:"));
  EXPECT_TRUE(Contains(msg, "unterminated"));
}

TEST(CsvReader, StrayQuotesAreRejected) {
  EXPECT_TRUE(Contains(message_of<DataError>([] { parse_csv_records("a\nab\"c\n", "s.csv"); }),
                       "s.csv:2:"));
  EXPECT_TRUE(Contains(message_of<DataError>([] { parse_csv_records("a,b\n\"x\"y,1\n", "s.csv"); }),
                       "s.csv:2: text after a closing quote"));
}

TEST(CsvReader, FieldCountMustMatchTheHeader) {
  const auto msg = message_of<DataError>([] { parse_csv("a,b,c\n1,2,3\n4,5\n", "w.csv"); });
  EXPECT_TRUE(Contains(msg, "w.csv:3:"));
  EXPECT_TRUE(Contains(msg, "2 fields"));
  EXPECT_TRUE(Contains(msg, "expected 3 fields"));
  const auto table = parse_csv("a,b\n1,2\n", "ok.csv");
  EXPECT_EQ(table.header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0].line, 2);
  EXPECT_EQ(table.column("b"), 1u);
  EXPECT_TRUE(Contains(message_of<DataError>([&] { (void)table.column("zz"); }), "'zz'"));
}

TEST(CsvReader, HugeFieldAndBinaryBytes) {
  std::string big = "a\n\"" + std::string(1 << 20, 'x') + "\"\n";
  const auto recs = parse_csv_records(big, "big.csv");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].fields[0].size(), std::size_t{1} << 20);
  const std::string binary("a,\0b\n\x01,\xff\n", 9);
  const auto bin = parse_csv_records(binary, "bin.csv");
  ASSERT_EQ(bin.size(), 2u);
  EXPECT_EQ(bin[0].fields[1], std::string("\0b", 2));
}

TEST(CsvReader, HeaderCheckNamesPositionAndExpectedColumn) {
  const auto table = parse_csv("county,fips,regoin\n", "h.csv");
  const auto msg = message_of<DataError>([&] {
    require_header(table, {"county", "fips", "region"});
  });
  EXPECT_TRUE(Contains(msg, "h.csv:1:"));
  EXPECT_TRUE(Contains(msg, "column 'region'"));
  EXPECT_TRUE(Contains(msg, "'regoin'"));
  EXPECT_TRUE(Contains(msg, "position 3"));
  EXPECT_TRUE(Contains(message_of<DataError>([&] {
                         require_header(table, {"county", "fips"});
                       }),
                       "extra column"));
  EXPECT_TRUE(Contains(message_of<DataError>([&] {
                         require_header(table, {"county", "fips", "regoin", "status"});
                       }),
                       "column 'status': missing"));
  EXPECT_NO_THROW(require_header(table, {"county", "fips", "regoin"}));
}

TEST(CsvReader, StrictNumberConversions) {
  EXPECT_EQ(parse_int64("12345"), 12345);
  EXPECT_EQ(parse_int64("-7"), -7);
  EXPECT_FALSE(parse_int64("12x"));
  EXPECT_FALSE(parse_int64(""));
  EXPECT_FALSE(parse_int64(" 1"));
  EXPECT_FALSE(parse_int64("+1"));
  EXPECT_FALSE(parse_int64("1.0"));
  EXPECT_FALSE(parse_int64("99999999999999999999"));
  EXPECT_EQ(parse_double("12.5"), 12.5);
  EXPECT_EQ(parse_double("-0.5"), -0.5);
  EXPECT_EQ(parse_double("1e6"), 1e6);
  EXPECT_EQ(parse_double("3"), 3.0);
  for (const char* bad : {"", "nan", "NaN", "inf", "-inf", "infinity", "1e400", "0x10", "1,5",
                          "12x", " 1", "1 ", "+1", "--1", "."}) {
    EXPECT_FALSE(parse_double(bad)) << bad;
  }
  EXPECT_EQ(parse_bool("true"), true);
  EXPECT_EQ(parse_bool("false"), false);
  EXPECT_FALSE(parse_bool("True"));
  EXPECT_FALSE(parse_bool("1"));
}

TEST(CsvReader, RowAccessorsNameFileLineAndColumn) {
  const auto table = parse_csv("k,n,x,b\nkey,12x,,yes\nok,7,2.5,true\n", "r.csv");
  const CsvRow bad(table, 0);
  const auto msg = message_of<DataError>([&] { (void)bad.int64("n"); });
  EXPECT_TRUE(Contains(msg, "r.csv:2: column 'n': not an integer: '12x'; expected"));
  EXPECT_TRUE(Contains(message_of<DataError>([&] { (void)bad.number("x"); }),
                       "r.csv:2: column 'x': empty"));
  EXPECT_TRUE(std::isnan(bad.optional_number("x")));
  EXPECT_TRUE(Contains(message_of<DataError>([&] { (void)bad.boolean("b"); }),
                       "column 'b': not a boolean: 'yes'; expected true or false"));
  const CsvRow good(table, 1);
  EXPECT_EQ(good.int64("n"), 7);
  EXPECT_EQ(good.number("x"), 2.5);
  EXPECT_EQ(good.optional_number("x"), 2.5);
  EXPECT_TRUE(good.boolean("b"));
  EXPECT_EQ(good.line(), 3);
}

TEST(CsvReader, MessagesQuoteValuesOnOneShortLine) {
  EXPECT_EQ(quote_for_message("a\nb"), "'a?b'");
  EXPECT_EQ(quote_for_message(std::string(100, 'x')), "'" + std::string(60, 'x') + "...'");
}

// ---- the embedded data -----------------------------------------------------------------------

TEST(EmbeddedData, LoadsWithTheExpectedCounts) {
  const auto& d = embedded_data();
  EXPECT_EQ(d.origin, "embedded");
  EXPECT_EQ(d.counties.size(), 58u);
  EXPECT_EQ(d.plans.size(), 22u);
  EXPECT_EQ(d.contracts.size(), 113u);
  EXPECT_EQ(d.measures.size(), 21u);
}

TEST(EmbeddedData, TotalEnrollmentMatchesTheSource) {
  // Sum of the 58 county Jun-2024 certified-eligible counts in /work/shared/data/counties.csv
  // (the shared README: "The 58 counties sum to 14,913,710").
  EXPECT_EQ(embedded_data().total_enrollment(), 14913710);
  // Sum of the 113 plan rows: all medical MCP enrollment in Jun-2024 (shared README).
  std::int64_t in_plans = 0;
  for (const auto& k : embedded_data().contracts) in_plans += k.enrollment;
  EXPECT_EQ(in_plans, 13972847);
}

TEST(EmbeddedData, PlanModelCounts) {
  std::map<std::string, int> n;
  for (const auto& c : embedded_data().counties) ++n[std::string(to_string(c.plan_model))];
  EXPECT_EQ(n["COHS"], 34);
  EXPECT_EQ(n["Two-Plan"], 14);
  EXPECT_EQ(n["GMC"], 2);
  EXPECT_EQ(n["Single Plan"], 3);
  EXPECT_EQ(n["Regional"], 5);
}

TEST(EmbeddedData, LosAngelesHasThreeContracts) {
  const auto& d = embedded_data();
  const auto la = d.find_county("Los Angeles");
  ASSERT_TRUE(la);
  EXPECT_EQ(d.counties[static_cast<std::size_t>(*la)].fips, "06037");
  EXPECT_EQ(d.counties[static_cast<std::size_t>(*la)].enrollment, 4120400);
  std::set<std::string> names;
  std::int64_t members = 0;
  for (const auto& k : d.contracts) {
    if (k.county != *la) continue;
    names.insert(d.plans[static_cast<std::size_t>(k.plan)].name);
    members += k.enrollment;
  }
  EXPECT_EQ(names, (std::set<std::string>{"L.A. Care Health Plan", "Health Net Community Solutions",
                                          "Kaiser Permanente (Kaiser Foundation Health Plan)"}));
  EXPECT_EQ(members, 2356726 + 1184653 + 293295);
}

TEST(EmbeddedData, ContractsAreSortedByCountyAndPlansInFirstAppearanceOrder) {
  const auto& d = embedded_data();
  for (std::size_t i = 1; i < d.contracts.size(); ++i) {
    EXPECT_LE(d.contracts[i - 1].county, d.contracts[i].county);
  }
  ASSERT_FALSE(d.plans.empty());
  EXPECT_EQ(d.plans[0].name, "Alameda Alliance for Health");  // first row of plans.csv
  EXPECT_EQ(d.plans[1].name, "Kaiser Permanente (Kaiser Foundation Health Plan)");
  const auto kaiser = d.find_plan("Kaiser Permanente (Kaiser Foundation Health Plan)");
  ASSERT_TRUE(kaiser);
  int kaiser_counties = 0;
  for (const auto& k : d.contracts) kaiser_counties += (k.plan == *kaiser) ? 1 : 0;
  EXPECT_EQ(kaiser_counties, 32);
}

TEST(EmbeddedData, HeldMeasuresHaveMplHplAndReference) {
  const auto& d = embedded_data();
  int held = 0;
  for (const auto& m : d.measures) {
    if (!m.held_to_mpl) continue;
    ++held;
    EXPECT_FALSE(std::isnan(m.mpl_percent)) << m.id;
    EXPECT_FALSE(std::isnan(m.hpl_percent)) << m.id;
    EXPECT_FALSE(std::isnan(m.reference_rate_percent)) << m.id;
    if (m.inverse) {
      EXPECT_LT(m.hpl_percent, m.mpl_percent) << m.id;
    } else {
      EXPECT_GT(m.hpl_percent, m.mpl_percent) << m.id;
    }
  }
  EXPECT_EQ(held, 18);
  const auto gsd = d.find_measure("GSD>9");
  ASSERT_TRUE(gsd);
  EXPECT_TRUE(d.measures[static_cast<std::size_t>(*gsd)].inverse);
  const auto w30 = d.find_measure("W30-6");
  ASSERT_TRUE(w30);
  EXPECT_DOUBLE_EQ(d.measures[static_cast<std::size_t>(*w30)].mpl_percent, 58.38);
  EXPECT_DOUBLE_EQ(d.measures[static_cast<std::size_t>(*w30)].reference_rate_percent, 26.0);
  EXPECT_TRUE(
      Contains(d.measures[static_cast<std::size_t>(*w30)].status, "mpl=estimate-unverified"));
  EXPECT_TRUE(Contains(d.measures[static_cast<std::size_t>(*w30)].status, "hpl=assumption"));
}

TEST(EmbeddedData, ParametersTheSimulatorNeeds) {
  const auto& d = embedded_data();
  EXPECT_DOUBLE_EQ(d.parameter("qwi.withhold_fraction").value, 0.005);
  EXPECT_EQ(d.parameter("qwi.withhold_fraction").status, "sourced");
  EXPECT_DOUBLE_EQ(d.parameter("mcas.plans_sanctioned_my2024").value, 14);
  EXPECT_DOUBLE_EQ(d.parameter("mcas.plans_rated_my2024").value, 22);
  EXPECT_DOUBLE_EQ(d.parameter("mcas.sanctions_total_my2024_usd").value, 1.5e6);
  EXPECT_DOUBLE_EQ(d.parameter("reinvestment.tier1_fraction").value, 0.05);
  EXPECT_DOUBLE_EQ(d.parameter("reinvestment.tier2_fraction").value, 0.075);
  EXPECT_DOUBLE_EQ(d.parameter("births.medi_cal_per_year").value, 250000);
  EXPECT_DOUBLE_EQ(d.parameter("enrollment.managed_care_share").value, 0.937);
  const auto& churn = d.parameter("churn.annual_disenrollment_fraction");
  EXPECT_DOUBLE_EQ(churn.low, 0.10);
  EXPECT_DOUBLE_EQ(churn.high, 0.15);
  const auto& aaip = d.parameter("aaip.default_rate");
  EXPECT_EQ(aaip.status, "assumption");
  EXPECT_LE(aaip.low, 0.2);
  EXPECT_GE(aaip.high, 0.2);
  for (const char* key :
       {"practice.mean_panel_members", "practice.panel_size_sigma_log", "capitation.child_pmpm_usd",
        "capitation.adult_parent_pmpm_usd", "capitation.adult_expansion_pmpm_usd",
        "capitation.disabled_pmpm_usd", "capitation.aged_pmpm_usd", "ept.practices_accepted",
        "ept.total_revised_usd"}) {
    EXPECT_GT(d.parameter(key).value, 0.0) << key;
  }
  for (const auto& p : d.parameters) {
    if (p.status == "estimate" || p.status == "assumption" || p.status == "estimate-unverified") {
      EXPECT_FALSE(std::isnan(p.low) || std::isnan(p.high)) << p.key;
    }
  }
  EXPECT_TRUE(
      Contains(message_of<DataError>([&] { (void)d.parameter("no.such_key"); }), "no.such_key"));
}

TEST(EmbeddedData, PopulationGroupsSumToHundred) {
  std::map<std::pair<std::string, std::string>, double> sums;
  for (const auto& s : embedded_data().population) sums[{s.dimension, s.given}] += s.share_percent;
  for (const auto& [group, sum] : sums) {
    EXPECT_NEAR(sum, 100.0, 0.01) << group.first << " | " << group.second;
  }
  for (const auto& g :
       std::vector<std::pair<std::string, std::string>>{{"age_band", ""},
                                                        {"sex", "age_band=0-20"},
                                                        {"sex", "age_band=21-64"},
                                                        {"sex", "age_band=65-99"},
                                                        {"race", ""},
                                                        {"language", ""},
                                                        {"language", "county=Los Angeles"},
                                                        {"aid_category", "age_band=0-18"},
                                                        {"aid_category", "age_band=19-64"},
                                                        {"aid_category", "age_band=65-99"}}) {
    EXPECT_TRUE(sums.count(g)) << g.first << " | " << g.second;
  }
  // Overall female share: the sex rows weighted by the age bands reproduce 54%.
  std::map<std::string, double> age;
  std::map<std::string, double> female;
  for (const auto& s : embedded_data().population) {
    if (s.dimension == "age_band") age[s.category] = s.share_percent;
    if (s.dimension == "sex" && s.category == "female") female[s.given] = s.share_percent;
  }
  const double children =
      age["0-0"] + age["1-1"] + age["2-2"] + age["3-5"] + age["6-11"] + age["12-17"] + age["18-20"];
  const double seniors = age["65-74"] + age["75-84"] + age["85-99"];
  const double adults = 100.0 - children - seniors;
  const double overall = (children * female["age_band=0-20"] + adults * female["age_band=21-64"] +
                          seniors * female["age_band=65-99"]) /
                         100.0;
  EXPECT_NEAR(overall, 54.0, 0.05);
  EXPECT_NEAR(children, 5.5e6 / 14913710.0 * 100.0, 0.01);  // Children Now: 5.5M aged 0-20
}

TEST(EmbeddedData, DescribeText) {
  const std::string text = describe_reference_data(embedded_data());
  EXPECT_TRUE(Contains(text, "embedded"));
  EXPECT_TRUE(Contains(text, "14,913,710"));
  EXPECT_TRUE(Contains(text, "Los Angeles"));
  EXPECT_TRUE(Contains(text, "4,120,400"));
  EXPECT_TRUE(Contains(text, "COHS"));
  EXPECT_TRUE(Contains(text, "113"));
  // Los Angeles is the largest county, so it heads the county table.
  const auto table = text.find("Largest counties");
  ASSERT_NE(table, std::string::npos);
  const auto first_row = text.find('\n', text.find('\n', table) + 1) + 1;
  EXPECT_EQ(text.compare(first_row + 2, 11, "Los Angeles"), 0) << text;
}

TEST(EmbeddedData, DescribeJson) {
  const auto j = nlohmann::json::parse(describe_reference_data_json(embedded_data()));
  EXPECT_EQ(j["origin"], "embedded");
  EXPECT_EQ(j["total_enrollment"], 14913710);
  EXPECT_EQ(j["counties"].size(), 58u);
  EXPECT_EQ(j["plans"].size(), 22u);
  EXPECT_EQ(j["contracts"].size(), 113u);
  EXPECT_EQ(j["measures"].size(), 21u);
  EXPECT_EQ(j["counties"][0]["name"], "Alameda");
  EXPECT_EQ(j["counties"][0]["fips"], "06001");
  EXPECT_EQ(j["counties"][0]["plan_model"], "Single Plan");
  std::int64_t plan_total = 0;
  for (const auto& p : j["plans"]) plan_total += p["enrollment"].get<std::int64_t>();
  EXPECT_EQ(plan_total, 13972847);
  EXPECT_EQ(j["plans"][0]["counties"], nlohmann::json::array({"Alameda"}));
  bool saw_null = false;
  for (const auto& m : j["measures"]) {
    if (m["id"] == "DSF-E") {
      EXPECT_TRUE(m["mpl_percent"].is_null());
      EXPECT_FALSE(m["held_to_mpl"].get<bool>());
      saw_null = true;
    }
  }
  EXPECT_TRUE(saw_null);
}

// ---- bad data sets on disk -------------------------------------------------------------------

class BadData : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "phsim_refdata_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    m_dir = pattern;
    for (const char* name : kReferenceFiles) {
      m_text[name] = std::string(data::embedded_file(name));
      write(name);
    }
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  void write(const std::string& name) {
    std::ofstream out(m_dir + "/" + name, std::ios::binary);
    out << m_text[name];
  }
  /// Replaces the first occurrence of `from` in file `name` and returns its line number.
  int replace(const std::string& name, const std::string& from, const std::string& to) {
    auto& text = m_text[name];
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos == std::string::npos) return -1;
    text.replace(pos, from.size(), to);
    write(name);
    return 1 +
           static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
  }
  std::string load_error() {
    return message_of<DataError>([this] { load_reference_data(m_dir); });
  }
  std::string file(const std::string& name, int line) {
    return m_dir + "/" + name + ":" + std::to_string(line) + ":";
  }

  std::string m_dir;
  std::map<std::string, std::string> m_text;
};

TEST_F(BadData, UnchangedCopyLoadsWithTheDirectoryAsOrigin) {
  const auto d = load_reference_data(m_dir + "/");
  EXPECT_EQ(d.origin, m_dir);
  EXPECT_EQ(d.counties.size(), 58u);
  EXPECT_EQ(d.contracts.size(), 113u);
}

TEST_F(BadData, RenamedColumn) {
  replace("counties.csv", "county,fips,region,", "county,fips,regoin,");
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("counties.csv", 1)));
  EXPECT_TRUE(Contains(msg, "column 'region'"));
  EXPECT_TRUE(Contains(msg, "'regoin' at position 3"));
}

TEST_F(BadData, BadNumber) {
  const int line = replace("plans.csv", ",400282,", ",12x,");
  const auto msg = load_error();
  EXPECT_TRUE(
      Contains(msg, file("plans.csv", line) + " column 'enrollment': not an integer: '12x'"));
}

TEST_F(BadData, UnknownCountyInPlans) {
  const int line = replace("plans.csv", "\nLos Angeles,", "\nLos Angles,") + 1;
  const auto msg = load_error();
  EXPECT_TRUE(
      Contains(msg, file("plans.csv", line) +
                        " column 'county': unknown county 'Los Angles'; expected one of the "
                        "names in counties.csv"));
}

TEST_F(BadData, MissingFile) {
  std::filesystem::remove(m_dir + "/measures.csv");
  const auto msg = message_of<IoError>([this] { load_reference_data(m_dir); });
  EXPECT_TRUE(Contains(msg, m_dir + "/measures.csv"));
  EXPECT_TRUE(Contains(msg, "does not exist"));
  EXPECT_TRUE(Contains(message_of<IoError>([this] { load_reference_data(m_dir + "/nope"); }),
                       "not a directory"));
}

TEST_F(BadData, ShareGroupSummingTo99) {
  const int line = replace("population.csv", "sex,female,age_band=0-20,49.00,",
                           "sex,female,age_band=0-20,48.00,");
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("population.csv", line) + " column 'share_percent'"));
  EXPECT_TRUE(Contains(msg, "sum to 99"));
  EXPECT_TRUE(Contains(msg, "age_band=0-20"));
}

TEST_F(BadData, ParameterOutsideItsRange) {
  const int line = replace("parameters.csv", "aaip.default_rate,0.3,", "aaip.default_rate,0.7,");
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("parameters.csv", line) + " column 'high'"));
  EXPECT_TRUE(Contains(msg, "aaip.default_rate"));
}

TEST_F(BadData, DuplicateParameterKeyAndBadKey) {
  int line = replace("parameters.csv", "qwi.program_start_year,", "qwi.withhold_fraction,");
  EXPECT_TRUE(Contains(load_error(), file("parameters.csv", line) +
                                         " column 'key': duplicate key 'qwi.withhold_fraction'"));
  replace("parameters.csv", "qwi.withhold_fraction,2024", "qwi.Program-Start,2024");
  EXPECT_TRUE(Contains(load_error(), file("parameters.csv", line) + " column 'key': bad key"));
}

TEST_F(BadData, HeldMeasureWithoutMpl) {
  const int line =
      replace("measures.csv",
              "CBP,Controlling High Blood Pressure (<140/90),chronic disease,false,true,61.31,",
              "CBP,Controlling High Blood Pressure (<140/90),chronic disease,false,true,,");
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("measures.csv", line) + " column 'mpl_percent'"));
  EXPECT_TRUE(Contains(msg, "'CBP'"));
}

TEST_F(BadData, InverseMeasureWithHplAboveMpl) {
  const int line = replace("measures.csv", "true,true,37.96,27.96,", "true,true,37.96,47.96,");
  EXPECT_TRUE(Contains(load_error(), file("measures.csv", line) + " column 'hpl_percent'"));
}

TEST_F(BadData, DuplicateCountyAndBadFips) {
  const int line = replace("counties.csv", "\nAlpine,06003,", "\nAlameda,06003,") + 1;
  EXPECT_TRUE(Contains(
      load_error(), file("counties.csv", line) + " column 'county': duplicate county 'Alameda'"));
  replace("counties.csv", "\nAlameda,06003,", "\nAlpine,6003,");
  EXPECT_TRUE(Contains(load_error(), file("counties.csv", line) + " column 'fips'"));
}

TEST_F(BadData, UnknownPlanModel) {
  const int line = replace("counties.csv", ",Two-Plan,", ",Three-Plan,");
  EXPECT_TRUE(Contains(load_error(), file("counties.csv", line) +
                                         " column 'plan_model': unknown plan model 'Three-Plan'"));
}

TEST_F(BadData, CountyWithMembersButNoPlan) {
  // Alpine's two plan rows (35 and 239 members) lose their members.
  replace("plans.csv", "(public),35,2024-06", "(public),0,2024-06");
  replace("plans.csv", "Elevance Health,239,2024-06", "Elevance Health,0,2024-06");
  const int county_line = replace("counties.csv", "\nAlpine,", "\nAlpine,") + 1;
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("counties.csv", county_line) + " column 'county'"));
  EXPECT_TRUE(Contains(msg, "'Alpine'"));
  EXPECT_TRUE(Contains(msg, "no row in plans.csv with enrollment > 0"));
}

TEST_F(BadData, DuplicateCountyPlanPair) {
  // Repeat the first plan row (Alameda Alliance for Health) on the next line.
  auto& text = m_text["plans.csv"];
  const auto start = text.find('\n') + 1;
  const auto end = text.find('\n', start) + 1;
  text.insert(end, text.substr(start, end - start));
  write("plans.csv");
  EXPECT_TRUE(Contains(load_error(), file("plans.csv", 3) +
                                         " column 'plan': duplicate plan 'Alameda Alliance for "
                                         "Health' in county 'Alameda' (first on line 2)"));
}

TEST_F(BadData, InconsistentParentOrg) {
  const int line = replace("plans.csv",
                           "\nAlameda,Kaiser Permanente (Kaiser Foundation Health Plan),Kaiser "
                           "direct contract (AHCSP),Kaiser Permanente,",
                           "\nAlameda,Kaiser Permanente (Kaiser Foundation Health Plan),Kaiser "
                           "direct contract (AHCSP),Kaiser,") +
                   1;
  // Kaiser's first row is this one, so the next Kaiser row disagrees with it.
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, "column 'parent_org'"));
  EXPECT_TRUE(Contains(msg, "on line " + std::to_string(line)));
}

TEST_F(BadData, PopulationUnknownCategoryAndGiven) {
  const int line = replace("population.csv", "race,black,", "race,blak,");
  EXPECT_TRUE(Contains(
      load_error(), file("population.csv", line) + " column 'category': unknown category 'blak'"));
  replace("population.csv", "race,blak,", "race,black,");
  const int line2 = replace("population.csv", "county=Fresno", "county=Fresn0");
  EXPECT_TRUE(Contains(load_error(),
                       file("population.csv", line2) + " column 'given': unknown county 'Fresn0'"));
}

TEST_F(BadData, PopulationAgeBandGapAndMissingGroup) {
  const int line = replace("population.csv", "age_band,3-5,", "age_band,4-5,");
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("population.csv", line) + " column 'category'"));
  EXPECT_TRUE(Contains(msg, "gap"));
  replace("population.csv", "age_band,4-5,", "age_band,3-5,");
  // Move the 65-99 sex rows to another age group: the required group goes missing.
  replace("population.csv", "sex,female,age_band=65-99", "sex,female,age_band=65-98");
  replace("population.csv", "sex,male,age_band=65-99", "sex,male,age_band=65-98");
  const auto msg2 = load_error();
  EXPECT_TRUE(Contains(msg2, "population.csv"));
  EXPECT_TRUE(Contains(msg2, "missing required group (dimension 'sex', given 'age_band=65-99')"));
}

TEST_F(BadData, BadStatusAndDate) {
  const int line = replace("counties.csv", ",2024-06,sourced,", ",2024-13,sourced,");
  EXPECT_TRUE(Contains(load_error(), file("counties.csv", line) + " column 'enrollment_as_of'"));
  replace("counties.csv", ",2024-13,sourced,", ",2024-06,guess,");
  EXPECT_TRUE(Contains(load_error(),
                       file("counties.csv", line) + " column 'status': unknown status 'guess'"));
}

TEST_F(BadData, WrongFieldCountNamesTheLine) {
  const int line =
      replace("parameters.csv", "\nqwi.max_points,100,points,,,", "\nqwi.max_points,100,points,,") +
      1;
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("parameters.csv", line)));
  EXPECT_TRUE(Contains(msg, "7 fields"));
  EXPECT_TRUE(Contains(msg, "expected 8 fields"));
}

TEST(ReferenceDataParse, EmptyAndGarbageInputsThrowDataError) {
  const std::string c(data::embedded_file("counties.csv"));
  const std::string p(data::embedded_file("plans.csv"));
  const std::string m(data::embedded_file("measures.csv"));
  const std::string r(data::embedded_file("parameters.csv"));
  const std::string s(data::embedded_file("population.csv"));
  EXPECT_NO_THROW(parse_reference_data(c, p, m, r, s, "mem"));
  EXPECT_THROW(parse_reference_data("", p, m, r, s, "mem"), DataError);
  EXPECT_THROW(parse_reference_data(c, "\xEF\xBB\xBF", m, r, s, "mem"), DataError);
  EXPECT_THROW(parse_reference_data(c, p, "\"", r, s, "mem"), DataError);
  EXPECT_THROW(parse_reference_data(c, p, m, "key,value\n", s, "mem"), DataError);
  EXPECT_THROW(parse_reference_data(c, p, m, r, s.substr(0, s.size() / 2), "mem"), DataError);
  // A header only: no counties.
  EXPECT_TRUE(Contains(message_of<DataError>([&] {
                         parse_reference_data(c.substr(0, c.find('\n') + 1), p, m, r, s, "mem");
                       }),
                       "mem/counties.csv"));
}

}  // namespace
}  // namespace phsim
