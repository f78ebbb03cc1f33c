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

const Measure& measure(const std::string& id) {
  const auto& d = embedded_data();
  const auto i = d.find_measure(id);
  EXPECT_TRUE(i) << id;
  return d.measures[static_cast<std::size_t>(i.value_or(0))];
}

/// The age bounds of a year_end spec in months: LO years .. HI years + 11 months.
constexpr std::int16_t months_lo(int years) { return static_cast<std::int16_t>(years * 12); }
constexpr std::int16_t months_hi(int years) { return static_cast<std::int16_t>(years * 12 + 11); }

TEST(EmbeddedData, EveryMeasureHasASpec) {
  // (id, kind, anchor, sex, age_lo_years (-1: milestone anchor), age_hi_years, window,
  //  min_services, condition, trigger, counted_at, control, enrollment) as decided for the project.
  struct Row {
    const char* id;
    MeasureKind kind;
    Anchor anchor;
    SexFilter sex;
    int age_lo;
    int age_hi;
    WindowKind window;
    int k;
    Condition condition;
    Trigger trigger;
    Trigger counted_at;
    ControlState control;
    EnrollmentRule enrollment;
  };
  using MK = MeasureKind;
  using WK = WindowKind;
  using C = Condition;
  using T = Trigger;
  using CS = ControlState;
  using ER = EnrollmentRule;
  constexpr SexFilter any = SexFilter::Any;
  constexpr SexFilter fem = SexFilter::Female;
  constexpr Anchor ms = Anchor::Milestone;
  constexpr Anchor ye = Anchor::YearEnd;
  // clang-format off
  const std::vector<Row> expected = {
      {"W30-6", MK::CountInWindow, ms, any, -1, -1, WK::AgeMonths, 6, C::None, T::None, T::None, CS::None, ER::Year},
      {"W30-2", MK::CountInWindow, ms, any, -1, -1, WK::AgeMonths, 2, C::None, T::None, T::None, CS::None, ER::Year},
      {"WCV", MK::CountInWindow, ye, any, 3, 21, WK::Year, 1, C::None, T::None, T::None, CS::None, ER::Year},
      {"CIS-10", MK::CountInWindow, ms, any, -1, -1, WK::AgeMonths, 7, C::None, T::None, T::None, CS::None, ER::Year},
      {"IMA-2", MK::CountInWindow, ms, any, -1, -1, WK::AgeMonths, 3, C::None, T::None, T::None, CS::None, ER::Year},
      {"LSC", MK::CountInWindow, ms, any, -1, -1, WK::AgeMonths, 1, C::None, T::None, T::None, CS::None, ER::Year},
      {"TFL-CH", MK::CountInWindow, ye, any, 1, 20, WK::Year, 2, C::None, T::None, T::None, CS::None, ER::Year},
      {"DEV", MK::CountInWindow, ms, any, -1, -1, WK::SinceBirthday, 1, C::None, T::None, T::None, CS::None, ER::Year},
      {"CHL", MK::CountInWindow, ye, fem, 16, 24, WK::Year, 1, C::None, T::None, T::None, CS::None, ER::Year},
      {"PPC-Pre", MK::Followup, ye, fem, 12, 55, WK::Event, 1, C::None, T::PrenatalStart, T::Delivery, CS::None, ER::Event},
      {"PPC-Pst", MK::Followup, ye, fem, 12, 55, WK::Event, 1, C::None, T::Delivery, T::Delivery, CS::None, ER::Event},
      {"BCS-E", MK::CountInWindow, ye, fem, 50, 74, WK::Lookback, 1, C::None, T::None, T::None, CS::None, ER::Year},
      {"CCS", MK::CountInWindow, ye, fem, 21, 64, WK::Lookback, 1, C::None, T::None, T::None, CS::None, ER::Year},
      {"CBP", MK::Control, ye, any, 18, 85, WK::Year, 1, C::Hypertension, T::None, T::None, CS::BloodPressure, ER::Year},
      {"GSD>9", MK::Control, ye, any, 18, 75, WK::Year, 1, C::Diabetes, T::None, T::None, CS::HbA1c, ER::Year},
      {"AMR", MK::Ratio, ye, any, 5, 64, WK::Year, 1, C::Asthma, T::None, T::None, CS::None, ER::Year},
      {"FUA-30", MK::Followup, ye, any, 13, 120, WK::Event, 1, C::SubstanceUse, T::EdSubstanceUse, T::EdSubstanceUse, CS::None, ER::Event},
      {"FUM-30", MK::Followup, ye, any, 6, 120, WK::Event, 1, C::MentalIllness, T::EdMentalHealth, T::EdMentalHealth, CS::None, ER::Event},
      {"DSF-E", MK::CountInWindow, ye, any, 12, 120, WK::Year, 1, C::None, T::None, T::None, CS::None, ER::Year},
      {"PND-E", MK::Followup, ye, fem, 12, 55, WK::Event, 1, C::None, T::PrenatalStart, T::Delivery, CS::None, ER::Event},
      {"PDS-E", MK::Followup, ye, fem, 12, 55, WK::Event, 1, C::None, T::Delivery, T::Delivery, CS::None, ER::Event},
  };
  // clang-format on
  ASSERT_EQ(embedded_data().measures.size(), expected.size());
  EXPECT_LE(embedded_data().measures.size(), static_cast<std::size_t>(kMaxMeasures));
  for (const auto& e : expected) {
    const Measure& m = measure(e.id);
    const MeasureSpec& s = m.spec;
    EXPECT_EQ(s.kind, e.kind) << e.id;
    EXPECT_EQ(s.anchor, e.anchor) << e.id;
    EXPECT_EQ(s.sex, e.sex) << e.id;
    if (e.anchor == Anchor::YearEnd) {
      EXPECT_EQ(s.age_lo, months_lo(e.age_lo)) << e.id;
      EXPECT_EQ(s.age_hi, months_hi(e.age_hi)) << e.id;
      EXPECT_EQ(s.n_milestones, 0) << e.id;
    } else {
      EXPECT_GE(s.n_milestones, 1) << e.id;
    }
    EXPECT_EQ(s.window, e.window) << e.id;
    EXPECT_EQ(s.min_services, e.k) << e.id;
    EXPECT_EQ(s.condition, e.condition) << e.id;
    EXPECT_EQ(s.trigger, e.trigger) << e.id;
    EXPECT_EQ(s.counted_at, e.counted_at) << e.id;
    EXPECT_EQ(s.control, e.control) << e.id;
    EXPECT_EQ(s.enrollment, e.enrollment) << e.id;
    EXPECT_EQ(s.inverse, m.inverse) << e.id;
    EXPECT_GT(m.spec_basis.size(), 40u) << e.id;
  }
}

TEST(EmbeddedData, MeasureSpecDetails) {
  const MeasureSpec& w30 = measure("W30-6").spec;
  EXPECT_EQ(w30.anchor, Anchor::Milestone);
  EXPECT_EQ(w30.n_milestones, 1);
  EXPECT_EQ(w30.milestones[0], 15);
  EXPECT_EQ(w30.window, WindowKind::AgeMonths);
  EXPECT_EQ(w30.window_lo, 0);
  EXPECT_EQ(w30.window_hi, 15);
  EXPECT_EQ(w30.min_services, 6);
  EXPECT_EQ(w30.age_lo, 0);
  EXPECT_EQ(w30.age_hi, 0);
  EXPECT_EQ(w30.lookback_months, 0);

  const MeasureSpec& w302 = measure("W30-2").spec;
  EXPECT_EQ(w302.window_lo, 15);
  EXPECT_EQ(w302.window_hi, 30);
  EXPECT_EQ(w302.milestones[0], 30);
  const MeasureSpec& ima = measure("IMA-2").spec;
  EXPECT_EQ(ima.window_lo, 108);
  EXPECT_EQ(ima.window_hi, 156);
  EXPECT_EQ(ima.milestones[0], 156);
  EXPECT_EQ(measure("CIS-10").spec.min_services, 7);
  EXPECT_TRUE(Contains(measure("CIS-10").spec_basis, "Combination 10"));

  const MeasureSpec& dev = measure("DEV").spec;
  EXPECT_EQ(dev.n_milestones, 3);
  EXPECT_EQ(dev.milestones[0], 12);
  EXPECT_EQ(dev.milestones[1], 24);
  EXPECT_EQ(dev.milestones[2], 36);
  EXPECT_EQ(dev.window, WindowKind::SinceBirthday);
  EXPECT_EQ(dev.min_services, 1);

  const MeasureSpec& pre = measure("PPC-Pre").spec;
  EXPECT_EQ(pre.kind, MeasureKind::Followup);
  EXPECT_EQ(pre.sex, SexFilter::Female);
  EXPECT_EQ(pre.trigger, Trigger::PrenatalStart);
  EXPECT_EQ(pre.counted_at, Trigger::Delivery);
  EXPECT_EQ(pre.window, WindowKind::Event);
  EXPECT_EQ(pre.enrollment, EnrollmentRule::Event);
  EXPECT_EQ(pre.age_lo, 12 * 12);
  EXPECT_EQ(pre.age_hi, 55 * 12 + 11);

  const MeasureSpec& cbp = measure("CBP").spec;
  EXPECT_EQ(cbp.kind, MeasureKind::Control);
  EXPECT_EQ(cbp.condition, Condition::Hypertension);
  EXPECT_EQ(cbp.control, ControlState::BloodPressure);
  EXPECT_FALSE(cbp.inverse);
  EXPECT_EQ(cbp.age_lo, 18 * 12);
  EXPECT_EQ(cbp.age_hi, 85 * 12 + 11);

  const MeasureSpec& gsd = measure("GSD>9").spec;
  EXPECT_EQ(gsd.kind, MeasureKind::Control);
  EXPECT_EQ(gsd.condition, Condition::Diabetes);
  EXPECT_EQ(gsd.control, ControlState::HbA1c);
  EXPECT_TRUE(gsd.inverse);
  EXPECT_EQ(gsd.age_hi, 75 * 12 + 11);

  const MeasureSpec& amr = measure("AMR").spec;
  EXPECT_EQ(amr.kind, MeasureKind::Ratio);
  EXPECT_EQ(amr.condition, Condition::Asthma);
  EXPECT_EQ(amr.age_lo, 5 * 12);
  EXPECT_EQ(amr.age_hi, 64 * 12 + 11);

  const MeasureSpec& ccs = measure("CCS").spec;
  EXPECT_EQ(ccs.window, WindowKind::Lookback);
  EXPECT_EQ(ccs.lookback_months, 36);
  EXPECT_EQ(ccs.age_lo, 252);
  EXPECT_EQ(ccs.age_hi, 64 * 12 + 11);
  EXPECT_EQ(ccs.sex, SexFilter::Female);
  EXPECT_EQ(measure("BCS-E").spec.lookback_months, 27);

  const MeasureSpec& fum = measure("FUM-30").spec;
  EXPECT_EQ(fum.kind, MeasureKind::Followup);
  EXPECT_EQ(fum.condition, Condition::MentalIllness);
  EXPECT_EQ(fum.trigger, Trigger::EdMentalHealth);
  EXPECT_EQ(fum.counted_at, Trigger::EdMentalHealth);
  EXPECT_EQ(fum.age_lo, 6 * 12);
  EXPECT_EQ(fum.age_hi, 120 * 12 + 11);
  EXPECT_EQ(fum.sex, SexFilter::Any);
}

TEST(EmbeddedData, SimulatorParametersExistWithinTheirRanges) {
  const auto& d = embedded_data();
  std::vector<std::string> keys = {
      "churn.monthly_reenrollment_probability",
      "vital.births_per_1000_member_years",
      "vital.deaths_per_1000_member_years",
      "mortality.gompertz_log_hazard_at_0",
      "mortality.gompertz_slope_per_year",
      "mortality.infant_annual",
      "mortality.serious_illness_annual_excess",
      "mortality.scale",
      "serious_illness.share_cancer",
      "serious_illness.share_heart_failure",
      "serious_illness.share_copd",
      "serious_illness.share_liver",
      "control.bp_controlled_share",
      "control.bp_mean_sojourn_months",
      "control.a1c_poor_share",
      "control.a1c_mean_sojourn_months",
      "utilization.ed_visits_per_member_year",
      "utilization.ed_multiplier_mental_illness",
      "utilization.ed_multiplier_substance_use",
      "utilization.ed_multiplier_serious_illness",
      "utilization.ed_mental_health_visits_per_affected_member_year",
      "utilization.ed_substance_use_visits_per_affected_member_year",
      "utilization.inpatient_admissions_per_1000_member_years",
      "utilization.inpatient_multiplier_serious_illness",
      "utilization.inpatient_mean_los_days",
      "utilization.delivery_los_days",
      "cost.ed_visit_usd",
      "cost.inpatient_day_usd",
      "cost.delivery_usd",
      "cost.serious_illness_monthly_usd",
      "cost.base_medical_fraction_of_capitation",
      "amr.reliever_fills_per_month",
      "variation.county_sd_logit",
      "variation.plan_sd_logit",
      "variation.practice_tier_spread_logit",
  };
  for (const char* band : {"15_19", "20_24", "25_29", "30_34", "35_39", "40_44"}) {
    keys.push_back(std::string("fertility.relative_") + band);
  }
  for (const char* group : {"black", "american_indian_alaska_native", "hispanic",
                            "asian_pacific_islander", "white", "other_unknown"}) {
    keys.push_back(std::string("disparity.") + group + "_logit");
  }
  for (const char* band :
       {"asthma_0_17", "asthma_18_64", "asthma_65_120", "diabetes_18_44", "diabetes_45_64",
        "diabetes_65_120", "hypertension_18_44", "hypertension_45_64", "hypertension_65_120",
        "mental_illness_12_17", "mental_illness_18_120", "substance_use_13_17",
        "substance_use_18_120", "serious_illness_18_44", "serious_illness_45_64",
        "serious_illness_65_120"}) {
    keys.push_back(std::string("prevalence.") + band);
    keys.push_back(std::string("incidence.") + band + "_per_year");
  }
  EXPECT_EQ(keys.size(), 79u);
  for (const auto& key : keys) {
    const Parameter* p = nullptr;
    for (const auto& q : d.parameters) {
      if (q.key == key) p = &q;
    }
    ASSERT_NE(p, nullptr) << key;
    EXPECT_FALSE(std::isnan(p->low)) << key;
    EXPECT_FALSE(std::isnan(p->high)) << key;
    EXPECT_LE(p->low, p->value) << key;
    EXPECT_LE(p->value, p->high) << key;
    EXPECT_FALSE(p->source.empty()) << key;
  }
  // Exact starting values the simulator is built around.
  EXPECT_DOUBLE_EQ(d.parameter("churn.monthly_reenrollment_probability").value, 0.04);
  EXPECT_NEAR(d.parameter("vital.births_per_1000_member_years").value,
              250000.0 / 14913748.0 * 1000.0, 0.005);
  EXPECT_EQ(d.parameter("vital.births_per_1000_member_years").status, "derived");
  EXPECT_DOUBLE_EQ(d.parameter("vital.deaths_per_1000_member_years").value, 6.0);
  EXPECT_DOUBLE_EQ(d.parameter("mortality.gompertz_log_hazard_at_0").value, -9.6);
  EXPECT_DOUBLE_EQ(d.parameter("mortality.gompertz_slope_per_year").value, 0.085);
  EXPECT_DOUBLE_EQ(d.parameter("prevalence.hypertension_65_120").value, 0.62);
  EXPECT_DOUBLE_EQ(d.parameter("incidence.serious_illness_65_120_per_year").value, 0.015);
  EXPECT_DOUBLE_EQ(d.parameter("cost.delivery_usd").value,
                   d.parameter("spend.median_per_live_birth_usd").value);
  EXPECT_DOUBLE_EQ(d.parameter("disparity.black_logit").value, -0.25);
  EXPECT_DOUBLE_EQ(d.parameter("disparity.white_logit").value, 0.0);
  double shares = 0.0;
  for (const char* c : {"cancer", "heart_failure", "copd", "liver"}) {
    shares += d.parameter(std::string("serious_illness.share_") + c).value;
  }
  EXPECT_NEAR(shares, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(d.parameter("fertility.relative_20_24").value, 1.0);
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
  /// Sets `column` of the measures.csv row with measure_id `id` to `value`; returns its line.
  int set_measure(const std::string& id, const std::string& column, const std::string& value) {
    const auto table = parse_csv(m_text["measures.csv"], "measures.csv");
    const std::size_t col = table.column(column);
    std::vector<std::vector<std::string>> records = {table.header};
    int line = -1;
    for (const auto& r : table.rows) {
      records.push_back(r.fields);
      if (r.fields[0] == id) {
        records.back()[col] = value;
        line = static_cast<int>(r.line);
      }
    }
    EXPECT_NE(line, -1) << id;
    write_measures(records);
    return line;
  }
  /// Writes measures.csv from records, quoting fields as RFC 4180 requires.
  void write_measures(const std::vector<std::vector<std::string>>& records) {
    std::string text;
    for (const auto& fields : records) {
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) text += ',';
        const auto& f = fields[i];
        if (f.find_first_of(",\"\n\r") == std::string::npos) {
          text += f;
        } else {
          text += '"';
          for (const char c : f) text += (c == '"') ? std::string("\"\"") : std::string(1, c);
          text += '"';
        }
      }
      text += '\n';
    }
    m_text["measures.csv"] = text;
    write("measures.csv");
  }
  /// The load error after setting one field of a measure; checks it names file, line, column.
  std::string spec_error(const std::string& id, const std::string& column,
                         const std::string& value) {
    const int line = set_measure(id, column, value);
    const auto msg = load_error();
    EXPECT_TRUE(Contains(msg, file("measures.csv", line) + " column '" + column + "': "));
    return msg;
  }
  /// Restores the embedded measures.csv.
  void reset_measures() {
    m_text["measures.csv"] = std::string(data::embedded_file("measures.csv"));
    write("measures.csv");
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

TEST_F(BadData, MeasureSpecRewrittenUnchangedStillLoads) {
  // The helper's own round trip: rewriting a field with its value keeps the data valid.
  set_measure("CBP", "kind", "control");
  EXPECT_NO_THROW(load_reference_data(m_dir));
}

TEST_F(BadData, MeasureSpecColumnsAreRequired) {
  replace("measures.csv", ",source,kind,anchor,", ",source,type,anchor,");
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("measures.csv", 1) + " column 'kind'"));
  EXPECT_TRUE(Contains(msg, "'type' at position 12"));
}

TEST_F(BadData, MeasureSpecUnknownWords) {
  EXPECT_TRUE(Contains(spec_error("WCV", "kind", "counting"),
                       "unknown value 'counting'; expected one of count_in_window, followup, "
                       "control or ratio"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "anchor", "birthday"),
                       "unknown value 'birthday'; expected one of year_end or milestone"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("CHL", "sex", "women"),
                       "unknown value 'women'; expected one of any, female or male"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("CBP", "condition", "high_bp"),
                       "unknown value 'high_bp'; expected one of none, asthma, diabetes, "
                       "hypertension, mental_illness, substance_use or serious_illness"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("PPC-Pst", "trigger", "birth"),
                       "unknown value 'birth'; expected one of none, delivery, prenatal_start, "
                       "ed_mental_health or ed_substance_use"));
  reset_measures();
  EXPECT_TRUE(
      Contains(spec_error("PPC-Pst", "counted_at", "Delivery"), "unknown value 'Delivery'"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("CBP", "control", "bp"),
                       "unknown value 'bp'; expected one of none, blood_pressure or hba1c"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "enrollment", "continuous"),
                       "unknown value 'continuous'; expected one of year or event"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "window", "calendar"),
                       "unknown window 'calendar'; expected year, age:LO-HI, since_birthday, "
                       "lookback:N or event"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "spec_basis", ""), "empty; expected a non-empty value"));
}

TEST_F(BadData, MeasureSpecAges) {
  EXPECT_TRUE(Contains(spec_error("WCV", "age_hi_years", "121"),
                       "bad age '121'; expected whole years 0-120"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "age_lo_years", "-1"), "bad age '-1'; expected"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "age_lo_years", ""),
                       "empty for an anchor=year_end measure; expected whole years"));
  reset_measures();
  // Out of order: the message names age_hi_years.
  const int line = set_measure("WCV", "age_lo_years", "22");
  EXPECT_TRUE(Contains(load_error(), file("measures.csv", line) +
                                         " column 'age_hi_years': measure 'WCV': age_hi_years 21 "
                                         "< age_lo_years 22; expected age_lo_years <= "
                                         "age_hi_years"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("W30-6", "age_lo_years", "0"),
                       "with anchor=milestone; expected blank for anchor=milestone"));
}

TEST_F(BadData, MeasureSpecMilestones) {
  const char* expected = "expected 1-3 ages in months (1-1440) in increasing order";
  EXPECT_TRUE(Contains(spec_error("W30-6", "milestones_months", ""), "empty for anchor=milestone"));
  EXPECT_TRUE(Contains(load_error(), expected));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "milestones_months", "15"),
                       "milestones '15' with anchor=year_end; expected blank unless "
                       "anchor=milestone"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("W30-6", "milestones_months", "0"), "bad milestone '0'"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("W30-6", "milestones_months", "1441"), expected));
  reset_measures();
  EXPECT_TRUE(
      Contains(spec_error("DEV", "milestones_months", "12;24;36;48"), "more than 3 milestones"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("DEV", "milestones_months", "12;12"), "not increasing"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("DEV", "milestones_months", "12;;36"), "bad milestone ''"));
  reset_measures();
  set_measure("DEV", "milestones_months", "1440");
  EXPECT_NO_THROW(load_reference_data(m_dir));
}

TEST_F(BadData, MeasureSpecWindows) {
  const char* age_expected = "expected age:LO-HI in months with 0 <= LO < HI <= 1440";
  EXPECT_TRUE(Contains(spec_error("W30-6", "window", "age:15-15"), "bad age window 'age:15-15'"));
  EXPECT_TRUE(Contains(load_error(), age_expected));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("W30-6", "window", "age:0-1441"), age_expected));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("W30-6", "window", "age:0"), age_expected));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("W30-6", "window", "age:x-15"), age_expected));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("CCS", "window", "lookback:0"),
                       "bad lookback 'lookback:0'; expected lookback:N with N months in 1-255"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("CCS", "window", "lookback:256"), "bad lookback"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("W30-6", "window", "lookback:12"),
                       "window=lookback:12 with anchor=milestone; expected lookback only with "
                       "anchor=year_end"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "window", "since_birthday"),
                       "window=since_birthday with anchor=year_end; expected since_birthday only "
                       "with anchor=milestone"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("FUA-30", "window", "year"),
                       "window=year with kind=followup; expected window=event exactly when "
                       "kind=followup"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "window", "event"),
                       "window=event with kind=count_in_window; expected window=event exactly "
                       "when kind=followup"));
}

TEST_F(BadData, MeasureSpecKindRules) {
  // Changing kind makes the anchor invalid: the message names the anchor column.
  const int line = set_measure("W30-6", "kind", "ratio");
  EXPECT_TRUE(Contains(load_error(), file("measures.csv", line) +
                                         " column 'anchor': measure 'W30-6': anchor=milestone "
                                         "with kind=ratio; expected anchor=milestone only with "
                                         "kind=count_in_window"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("PPC-Pre", "trigger", "none"),
                       "none for kind=followup; expected an event"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("PPC-Pst", "counted_at", "none"),
                       "none for kind=followup; expected an event"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "trigger", "delivery"),
                       "'delivery' with kind=count_in_window; expected none unless kind=followup"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("CBP", "control", "none"),
                       "none for kind=control; expected blood_pressure or hba1c for kind=control"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("CBP", "condition", "none"),
                       "no condition for kind=control; expected a condition"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("AMR", "condition", "none"),
                       "no condition for kind=ratio; expected a condition"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("WCV", "control", "hba1c"),
                       "'hba1c' with kind=count_in_window; expected none unless kind=control"));
}

TEST_F(BadData, MeasureSpecMinServices) {
  EXPECT_TRUE(Contains(spec_error("W30-6", "min_services", "64"),
                       "bad service count '64'; expected a whole number 1-63 for "
                       "kind=count_in_window"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("W30-6", "min_services", "0"), "bad service count '0'"));
  reset_measures();
  EXPECT_TRUE(Contains(spec_error("CBP", "min_services", "2"),
                       "min_services '2' with kind=control; expected 1 unless "
                       "kind=count_in_window"));
}

TEST_F(BadData, AtMostMaxMeasures) {
  auto records = [this] {
    const auto table = parse_csv(m_text["measures.csv"], "measures.csv");
    std::vector<std::vector<std::string>> out = {table.header};
    for (const auto& r : table.rows) out.push_back(r.fields);
    return out;
  }();
  const auto last = records.back();  // a reporting-only row: copies need no MPL
  int n = static_cast<int>(records.size()) - 1;
  const auto add_copy = [&] {
    std::string id = "X";
    id += std::to_string(++n);
    records.push_back(last);
    records.back()[0] = id;
  };
  while (n < kMaxMeasures) add_copy();
  write_measures(records);
  EXPECT_NO_THROW(load_reference_data(m_dir));  // exactly kMaxMeasures
  add_copy();
  write_measures(records);
  const int line = kMaxMeasures + 2;  // header + 24 rows, then the 25th
  const auto msg = load_error();
  EXPECT_TRUE(Contains(msg, file("measures.csv", line) +
                                " column 'measure_id': measure 'X25' is "
                                "number 25; expected at most 24 measures"));
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
