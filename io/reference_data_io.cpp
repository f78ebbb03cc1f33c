#include "io/reference_data_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/csv.hpp"
#include "sim/errors.hpp"

namespace phsim::data {
/// Defined by the generated phsim_data_embedded library (tools/cmake/embed_files.cmake).
std::string_view embedded_file(const std::string& name);
}  // namespace phsim::data

namespace phsim {

namespace {

// ---- schema ----------------------------------------------------------------------------------

const std::vector<std::string> kCountyColumns = {
    "county", "fips", "region", "plan_model", "enrollment", "enrollment_as_of", "status", "source"};
const std::vector<std::string> kPlanColumns = {"county",     "plan",       "plan_type",
                                               "parent_org", "enrollment", "enrollment_as_of",
                                               "status",     "source"};
const std::vector<std::string> kMeasureColumns = {"measure_id",
                                                  "name",
                                                  "domain",
                                                  "inverse",
                                                  "held_to_mpl",
                                                  "mpl_percent",
                                                  "hpl_percent",
                                                  "reference_rate_percent",
                                                  "reference_rate_basis",
                                                  "status",
                                                  "source",
                                                  "kind",
                                                  "anchor",
                                                  "sex",
                                                  "age_lo_years",
                                                  "age_hi_years",
                                                  "milestones_months",
                                                  "window",
                                                  "min_services",
                                                  "condition",
                                                  "trigger",
                                                  "counted_at",
                                                  "control",
                                                  "enrollment",
                                                  "spec_basis"};
const std::vector<std::string> kParameterColumns = {"key",  "value",  "unit",   "low",
                                                    "high", "status", "source", "notes"};
const std::vector<std::string> kPopulationColumns = {"dimension",     "category", "given",
                                                     "share_percent", "status",   "source"};

constexpr const char* kStatusWords[] = {"sourced", "derived", "estimate", "estimate-unverified",
                                        "assumption"};
constexpr const char* kStatusExpected =
    "one of sourced, derived, estimate, estimate-unverified, assumption";

struct PopulationDimension {
  const char* name;
  std::vector<std::string> categories;  ///< empty for age_band (categories are LO-HI ranges)
};

const std::vector<PopulationDimension>& population_dimensions() {
  static const std::vector<PopulationDimension> dims = {
      {"age_band", {}},
      {"sex", {"female", "male"}},
      {"race",
       {"hispanic", "white", "black", "asian_pacific_islander", "american_indian_alaska_native",
        "other_unknown"}},
      {"language", {"english", "spanish", "vietnamese", "chinese", "other"}},
      {"aid_category", {"child", "adult_parent", "adult_expansion", "disabled", "aged"}},
  };
  return dims;
}

/// Groups every valid data set must contain: (dimension, given).
const std::vector<std::pair<std::string, std::string>>& required_population_groups() {
  static const std::vector<std::pair<std::string, std::string>> groups = {
      {"age_band", ""},
      {"sex", "age_band=0-20"},
      {"sex", "age_band=21-64"},
      {"sex", "age_band=65-99"},
      {"race", ""},
      {"language", ""},
      {"aid_category", "age_band=0-18"},
      {"aid_category", "age_band=19-64"},
      {"aid_category", "age_band=65-99"},
  };
  return groups;
}

constexpr double kShareSumTolerance = 0.01;
constexpr int kMaxAge = 99;

// ---- small helpers ---------------------------------------------------------------------------

std::string label(const std::string& origin, const char* file) { return origin + "/" + file; }

std::string q(std::string_view s) { return quote_for_message(s); }

std::string format_number(double v) {
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

bool is_status_word(std::string_view s) {
  return std::any_of(std::begin(kStatusWords), std::end(kStatusWords),
                     [&](const char* w) { return s == w; });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

/// A status is one word of kStatusWords; with `per_field`, also `name=word; name=word ...`.
bool valid_status(std::string_view s, bool per_field) {
  if (is_status_word(s)) return true;
  if (!per_field || s.empty()) return false;
  while (true) {
    const std::size_t semi = s.find(';');
    const std::string_view part = trim(s.substr(0, semi));
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    for (const char c : part.substr(0, eq)) {
      if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
    }
    if (!is_status_word(part.substr(eq + 1))) return false;
    if (semi == std::string_view::npos) return true;
    s.remove_prefix(semi + 1);
  }
}

void check_status(const CsvRow& row, bool per_field = false) {
  const auto& status = row.text("status");
  if (!valid_status(status, per_field)) {
    row.fail("status", "unknown status " + q(status),
             per_field ? std::string(kStatusExpected) +
                             ", or per column as 'mpl=estimate; hpl=assumption'"
                       : std::string(kStatusExpected));
  }
}

/// "YYYY-MM" with a month 01..12.
bool valid_year_month(std::string_view s) {
  if (s.size() != 7 || s[4] != '-') return false;
  for (std::size_t i = 0; i < 7; ++i) {
    if (i != 4 && (s[i] < '0' || s[i] > '9')) return false;
  }
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  return month >= 1 && month <= 12;
}

std::optional<PlanModel> plan_model_from(std::string_view s) {
  if (s == "COHS") return PlanModel::COHS;
  if (s == "Two-Plan") return PlanModel::TwoPlan;
  if (s == "GMC") return PlanModel::GMC;
  if (s == "Single Plan") return PlanModel::SinglePlan;
  if (s == "Regional") return PlanModel::Regional;
  return std::nullopt;
}

std::int64_t non_negative_int(const CsvRow& row, std::string_view column) {
  const std::int64_t v = row.int64(column);
  if (v < 0) row.fail(column, "negative value " + std::to_string(v), "a count >= 0");
  return v;
}

void check_year_month(const CsvRow& row, std::string_view column) {
  const auto& v = row.text(column);
  if (!valid_year_month(v)) row.fail(column, "bad date " + q(v), "YYYY-MM, e.g. 2024-06");
}

double percent_or_nan(const CsvRow& row, std::string_view column) {
  const double v = row.optional_number(column);
  if (!std::isnan(v) && (v < 0.0 || v > 100.0)) {
    row.fail(column, "percentage " + format_number(v) + " out of range", "a value in [0, 100]");
  }
  return v;
}

// ---- counties.csv ----------------------------------------------------------------------------

std::vector<County> parse_counties(const CsvTable& table) {
  require_header(table, kCountyColumns);
  std::vector<County> counties;
  std::map<std::string, std::int64_t, std::less<>> name_line;
  std::map<std::string, std::int64_t, std::less<>> fips_line;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const CsvRow row(table, r);
    County c;
    c.name = row.required_text("county");
    if (const auto it = name_line.find(c.name); it != name_line.end()) {
      row.fail(
          "county",
          "duplicate county " + q(c.name) + " (first on line " + std::to_string(it->second) + ")",
          "each county once");
    }
    name_line.emplace(c.name, row.line());
    c.fips = row.text("fips");
    const bool fips_ok =
        c.fips.size() == 5 &&
        std::all_of(c.fips.begin(), c.fips.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!fips_ok) row.fail("fips", "bad FIPS code " + q(c.fips), "5 digits, e.g. 06037");
    if (const auto it = fips_line.find(c.fips); it != fips_line.end()) {
      row.fail("fips",
               "duplicate FIPS code " + q(c.fips) + " (first on line " +
                   std::to_string(it->second) + ")",
               "a different code for each county");
    }
    fips_line.emplace(c.fips, row.line());
    c.region = row.required_text("region");
    const auto& model = row.text("plan_model");
    const auto pm = plan_model_from(model);
    if (!pm) {
      row.fail("plan_model", "unknown plan model " + q(model),
               "one of COHS, Two-Plan, GMC, Single Plan, Regional");
    }
    c.plan_model = *pm;
    c.enrollment = non_negative_int(row, "enrollment");
    check_year_month(row, "enrollment_as_of");
    c.enrollment_as_of = row.text("enrollment_as_of");
    check_status(row);
    c.status = row.text("status");
    c.source = row.required_text("source");
    counties.push_back(std::move(c));
  }
  if (counties.empty()) {
    throw csv_error(table.file, table.header_line, "county", "no counties", "at least one row");
  }
  return counties;
}

// ---- plans.csv -------------------------------------------------------------------------------

void parse_plans(const CsvTable& table, const CsvTable& county_table, ReferenceData& data) {
  require_header(table, kPlanColumns);
  std::map<std::pair<int, std::string>, std::int64_t> pair_line;
  std::vector<std::int64_t> plan_first_line;
  std::vector<Contract> contracts;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const CsvRow row(table, r);
    const auto& county_name = row.text("county");
    const auto county = data.find_county(county_name);
    if (!county) {
      row.fail("county", "unknown county " + q(county_name), "one of the names in counties.csv");
    }
    const auto& plan_name = row.required_text("plan");
    const auto& parent = row.text("parent_org");
    auto plan = data.find_plan(plan_name);
    if (!plan) {
      data.plans.push_back(Plan{plan_name, parent});
      plan_first_line.push_back(row.line());
      plan = static_cast<int>(data.plans.size() - 1);
    } else if (data.plans[static_cast<std::size_t>(*plan)].parent_org != parent) {
      row.fail("parent_org",
               "plan " + q(plan_name) + " has parent " + q(parent) + " here but " +
                   q(data.plans[static_cast<std::size_t>(*plan)].parent_org) + " on line " +
                   std::to_string(plan_first_line[static_cast<std::size_t>(*plan)]),
               "the same parent_org on every row of a plan");
    }
    if (const auto it = pair_line.find({*county, plan_name}); it != pair_line.end()) {
      row.fail("plan",
               "duplicate plan " + q(plan_name) + " in county " + q(county_name) +
                   " (first on line " + std::to_string(it->second) + ")",
               "each (county, plan) pair once");
    }
    pair_line.emplace(std::pair<int, std::string>{*county, plan_name}, row.line());
    Contract k;
    k.county = *county;
    k.plan = *plan;
    k.plan_type = row.required_text("plan_type");
    k.enrollment = non_negative_int(row, "enrollment");
    check_year_month(row, "enrollment_as_of");
    k.enrollment_as_of = row.text("enrollment_as_of");
    check_status(row);
    k.status = row.text("status");
    k.source = row.required_text("source");
    contracts.push_back(std::move(k));
  }
  std::stable_sort(contracts.begin(), contracts.end(),
                   [](const Contract& a, const Contract& b) { return a.county < b.county; });
  // Every county with members needs a plan that holds members.
  std::vector<bool> served(data.counties.size(), false);
  for (const auto& k : contracts) {
    if (k.enrollment > 0) served[static_cast<std::size_t>(k.county)] = true;
  }
  for (std::size_t c = 0; c < data.counties.size(); ++c) {
    const auto& county = data.counties[c];
    if (county.enrollment > 0 && !served[c]) {
      throw csv_error(county_table.file, county_table.rows[c].line, "county",
                      "county " + q(county.name) + " has enrollment " +
                          std::to_string(county.enrollment) +
                          " but no row in plans.csv with enrollment > 0",
                      "at least one plan contract with members in every county with members");
    }
  }
  data.contracts = std::move(contracts);
}

// ---- measure specs (kernels/measure_spec.hpp) ------------------------------------------------

/// Oldest age (whole years) a measure's eligibility can name; "120" means "and older".
constexpr int kMaxSpecAgeYears = 120;
/// Largest age in months a milestone or an age window can name (120 years).
constexpr int kMaxSpecAgeMonths = 1440;
constexpr int kMaxMinServices = 63;
constexpr int kMaxLookbackMonths = 255;

template <class E>
struct EnumWord {
  const char* word;
  E value;
};

constexpr EnumWord<MeasureKind> kKindWords[] = {{"count_in_window", MeasureKind::CountInWindow},
                                                {"followup", MeasureKind::Followup},
                                                {"control", MeasureKind::Control},
                                                {"ratio", MeasureKind::Ratio}};
constexpr EnumWord<Anchor> kAnchorWords[] = {{"year_end", Anchor::YearEnd},
                                             {"milestone", Anchor::Milestone}};
constexpr EnumWord<SexFilter> kSexWords[] = {
    {"any", SexFilter::Any}, {"female", SexFilter::Female}, {"male", SexFilter::Male}};
constexpr EnumWord<Condition> kConditionWords[] = {{"none", Condition::None},
                                                   {"asthma", Condition::Asthma},
                                                   {"diabetes", Condition::Diabetes},
                                                   {"hypertension", Condition::Hypertension},
                                                   {"mental_illness", Condition::MentalIllness},
                                                   {"substance_use", Condition::SubstanceUse},
                                                   {"serious_illness", Condition::SeriousIllness}};
constexpr EnumWord<Trigger> kTriggerWords[] = {{"none", Trigger::None},
                                               {"delivery", Trigger::Delivery},
                                               {"prenatal_start", Trigger::PrenatalStart},
                                               {"ed_mental_health", Trigger::EdMentalHealth},
                                               {"ed_substance_use", Trigger::EdSubstanceUse}};
constexpr EnumWord<ControlState> kControlWords[] = {{"none", ControlState::None},
                                                    {"blood_pressure", ControlState::BloodPressure},
                                                    {"hba1c", ControlState::HbA1c}};
constexpr EnumWord<EnrollmentRule> kEnrollmentWords[] = {{"year", EnrollmentRule::Year},
                                                         {"event", EnrollmentRule::Event}};

/// The value of an enumerated column; fails naming the allowed words.
template <class E, std::size_t N>
E enum_column(const CsvRow& row, std::string_view column, const EnumWord<E> (&words)[N]) {
  const auto& text = row.text(column);
  for (const auto& w : words) {
    if (text == w.word) return w.value;
  }
  std::string all;
  for (std::size_t i = 0; i < N; ++i) {
    all += (i == 0 ? "" : (i + 1 == N ? " or " : ", "));
    all += words[i].word;
  }
  row.fail(column, "unknown value " + q(text), "one of " + all);
}

/// 1-4 decimal digits as an int in [lo, hi]; nullopt otherwise.
std::optional<int> small_int(std::string_view s, int lo, int hi) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

/// A whole number of years in [0, 120] in `column` (which must not be blank).
int spec_age_years(const CsvRow& row, std::string_view column) {
  const auto& text = row.text(column);
  const auto v = small_int(text, 0, kMaxSpecAgeYears);
  if (!v) {
    row.fail(
        column,
        text.empty() ? std::string("empty for an anchor=year_end measure") : "bad age " + q(text),
        "whole years 0-120 at Dec 31 of the measurement year (120 = and older)");
  }
  return *v;
}

/// Fills `m.spec` from the spec columns of `row` (validated; the fail messages name the column).
void parse_measure_spec(const CsvRow& row, Measure& m) {
  MeasureSpec spec;
  const std::string who = "measure " + q(m.id) + ": ";
  spec.inverse = m.inverse;
  spec.kind = enum_column(row, "kind", kKindWords);
  spec.anchor = enum_column(row, "anchor", kAnchorWords);
  if (spec.anchor == Anchor::Milestone && spec.kind != MeasureKind::CountInWindow) {
    row.fail("anchor", who + "anchor=milestone with kind=" + row.text("kind"),
             "anchor=milestone only with kind=count_in_window");
  }
  spec.sex = enum_column(row, "sex", kSexWords);

  // Eligibility by age: years at Dec 31 (year_end) or milestones (months).
  if (spec.anchor == Anchor::YearEnd) {
    const int lo = spec_age_years(row, "age_lo_years");
    const int hi = spec_age_years(row, "age_hi_years");
    if (lo > hi) {
      row.fail("age_hi_years",
               who + "age_hi_years " + std::to_string(hi) + " < age_lo_years " + std::to_string(lo),
               "age_lo_years <= age_hi_years");
    }
    spec.age_lo = static_cast<std::int16_t>(lo * 12);
    spec.age_hi = static_cast<std::int16_t>(hi * 12 + 11);
    if (!row.text("milestones_months").empty()) {
      row.fail("milestones_months",
               who + "milestones " + q(row.text("milestones_months")) + " with anchor=year_end",
               "blank unless anchor=milestone");
    }
  } else {
    for (const char* col : {"age_lo_years", "age_hi_years"}) {
      if (!row.text(col).empty()) {
        row.fail(col, who + "age " + q(row.text(col)) + " with anchor=milestone",
                 "blank for anchor=milestone (the milestones give the ages)");
      }
    }
    const std::string& text = row.text("milestones_months");
    const char* expected =
        "1-3 ages in months (1-1440) in increasing order separated by ';', e.g. 15 or 12;24;36";
    if (text.empty()) row.fail("milestones_months", who + "empty for anchor=milestone", expected);
    std::string_view rest = text;
    int n = 0;
    while (true) {
      const std::size_t semi = rest.find(';');
      const std::string_view part = rest.substr(0, semi);
      const auto v = small_int(part, 1, kMaxSpecAgeMonths);
      if (!v) row.fail("milestones_months", who + "bad milestone " + q(part), expected);
      if (n == kMaxMilestones) {
        row.fail("milestones_months",
                 who + "more than " + std::to_string(kMaxMilestones) + " milestones in " + q(text),
                 expected);
      }
      if (n > 0 && *v <= spec.milestones[n - 1]) {
        row.fail("milestones_months", who + "milestones not increasing in " + q(text), expected);
      }
      spec.milestones[n++] = static_cast<std::int16_t>(*v);
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
    spec.n_milestones = static_cast<std::uint8_t>(n);
  }

  // Window.
  const std::string& window = row.text("window");
  constexpr std::string_view kAge = "age:";
  constexpr std::string_view kLookback = "lookback:";
  const std::string_view w = window;
  if (w == "year") {
    spec.window = WindowKind::Year;
  } else if (w == "since_birthday") {
    spec.window = WindowKind::SinceBirthday;
    if (spec.anchor != Anchor::Milestone) {
      row.fail("window", who + "window=since_birthday with anchor=year_end",
               "since_birthday only with anchor=milestone");
    }
  } else if (w == "event") {
    spec.window = WindowKind::Event;
  } else if (w.substr(0, kAge.size()) == kAge) {
    const std::string_view range = w.substr(kAge.size());
    const std::size_t dash = range.find('-');
    const auto lo = small_int(range.substr(0, dash), 0, kMaxSpecAgeMonths);
    const auto hi = dash == std::string_view::npos
                        ? std::nullopt
                        : small_int(range.substr(dash + 1), 0, kMaxSpecAgeMonths);
    if (!lo || !hi || *lo >= *hi) {
      row.fail("window", who + "bad age window " + q(window),
               "age:LO-HI in months with 0 <= LO < HI <= 1440, e.g. age:0-15");
    }
    spec.window = WindowKind::AgeMonths;
    spec.window_lo = static_cast<std::int16_t>(*lo);
    spec.window_hi = static_cast<std::int16_t>(*hi);
  } else if (w.substr(0, kLookback.size()) == kLookback) {
    const auto months = small_int(w.substr(kLookback.size()), 1, kMaxLookbackMonths);
    if (!months) {
      row.fail("window", who + "bad lookback " + q(window),
               "lookback:N with N months in 1-255, e.g. lookback:36");
    }
    if (spec.anchor != Anchor::YearEnd) {
      row.fail("window", who + "window=" + window + " with anchor=milestone",
               "lookback only with anchor=year_end");
    }
    spec.window = WindowKind::Lookback;
    spec.lookback_months = static_cast<std::uint8_t>(*months);
  } else {
    row.fail("window", who + "unknown window " + q(window),
             "year, age:LO-HI, since_birthday, lookback:N or event");
  }
  const bool followup = spec.kind == MeasureKind::Followup;
  if (followup != (spec.window == WindowKind::Event)) {
    row.fail("window", who + "window=" + window + " with kind=" + row.text("kind"),
             "window=event exactly when kind=followup");
  }

  // Services needed.
  const auto& k_text = row.text("min_services");
  if (spec.kind == MeasureKind::CountInWindow) {
    const auto k = small_int(k_text, 1, kMaxMinServices);
    if (!k) {
      row.fail("min_services", who + "bad service count " + q(k_text),
               "a whole number 1-63 for kind=count_in_window");
    }
    spec.min_services = static_cast<std::uint8_t>(*k);
  } else if (k_text != "1") {
    row.fail("min_services", who + "min_services " + q(k_text) + " with kind=" + row.text("kind"),
             "1 unless kind=count_in_window");
  }

  spec.condition = enum_column(row, "condition", kConditionWords);
  if (spec.condition == Condition::None &&
      (spec.kind == MeasureKind::Control || spec.kind == MeasureKind::Ratio)) {
    row.fail("condition", who + "no condition for kind=" + row.text("kind"),
             "a condition (asthma, diabetes, ...) for kind=control and kind=ratio");
  }

  spec.trigger = enum_column(row, "trigger", kTriggerWords);
  spec.counted_at = enum_column(row, "counted_at", kTriggerWords);
  for (const auto& [col, value] :
       {std::pair<const char*, Trigger>{"trigger", spec.trigger},
        std::pair<const char*, Trigger>{"counted_at", spec.counted_at}}) {
    if (followup && value == Trigger::None) {
      row.fail(col, who + "none for kind=followup",
               "an event (delivery, prenatal_start, ed_mental_health, ed_substance_use) for "
               "kind=followup");
    }
    if (!followup && value != Trigger::None) {
      row.fail(col, who + q(row.text(col)) + " with kind=" + row.text("kind"),
               "none unless kind=followup");
    }
  }

  spec.control = enum_column(row, "control", kControlWords);
  const bool control = spec.kind == MeasureKind::Control;
  if (control && spec.control == ControlState::None) {
    row.fail("control", who + "none for kind=control", "blood_pressure or hba1c for kind=control");
  }
  if (!control && spec.control != ControlState::None) {
    row.fail("control", who + q(row.text("control")) + " with kind=" + row.text("kind"),
             "none unless kind=control");
  }

  spec.enrollment = enum_column(row, "enrollment", kEnrollmentWords);
  m.spec_basis = row.required_text("spec_basis");
  m.spec = spec;
}

// ---- measures.csv ----------------------------------------------------------------------------

std::vector<Measure> parse_measures(const CsvTable& table) {
  require_header(table, kMeasureColumns);
  std::vector<Measure> measures;
  std::map<std::string, std::int64_t, std::less<>> id_line;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const CsvRow row(table, r);
    Measure m;
    m.id = row.required_text("measure_id");
    if (const auto it = id_line.find(m.id); it != id_line.end()) {
      row.fail(
          "measure_id",
          "duplicate measure id " + q(m.id) + " (first on line " + std::to_string(it->second) + ")",
          "each measure once");
    }
    id_line.emplace(m.id, row.line());
    m.name = row.required_text("name");
    m.domain = row.required_text("domain");
    m.inverse = row.boolean("inverse");
    m.held_to_mpl = row.boolean("held_to_mpl");
    m.mpl_percent = percent_or_nan(row, "mpl_percent");
    m.hpl_percent = percent_or_nan(row, "hpl_percent");
    m.reference_rate_percent = percent_or_nan(row, "reference_rate_percent");
    if (m.held_to_mpl) {
      for (const char* col : {"mpl_percent", "hpl_percent", "reference_rate_percent"}) {
        if (row.text(col).empty()) {
          row.fail(col, "empty for measure " + q(m.id) + ", which is held to the MPL",
                   "a percentage (blank is allowed only when held_to_mpl is false)");
        }
      }
    }
    if (!std::isnan(m.mpl_percent) && !std::isnan(m.hpl_percent)) {
      if (m.inverse && m.hpl_percent > m.mpl_percent) {
        row.fail("hpl_percent",
                 "HPL " + format_number(m.hpl_percent) + " above MPL " +
                     format_number(m.mpl_percent) + " for inverse measure " + q(m.id),
                 "hpl_percent <= mpl_percent when lower is better");
      }
      if (!m.inverse && m.hpl_percent < m.mpl_percent) {
        row.fail("hpl_percent",
                 "HPL " + format_number(m.hpl_percent) + " below MPL " +
                     format_number(m.mpl_percent) + " for measure " + q(m.id),
                 "hpl_percent >= mpl_percent");
      }
    }
    m.reference_rate_basis = row.text("reference_rate_basis");
    if (!std::isnan(m.reference_rate_percent) && m.reference_rate_basis.empty()) {
      row.fail("reference_rate_basis", "empty although a reference rate is given",
               "where the reference rate comes from");
    }
    check_status(row, /*per_field=*/true);
    m.status = row.text("status");
    m.source = row.required_text("source");
    parse_measure_spec(row, m);
    if (measures.size() == static_cast<std::size_t>(kMaxMeasures)) {
      row.fail("measure_id",
               "measure " + q(m.id) + " is number " + std::to_string(kMaxMeasures + 1),
               "at most " + std::to_string(kMaxMeasures) +
                   " measures (kMaxMeasures: one state byte each per member)");
    }
    measures.push_back(std::move(m));
  }
  return measures;
}

// ---- parameters.csv --------------------------------------------------------------------------

std::vector<Parameter> parse_parameters(const CsvTable& table) {
  require_header(table, kParameterColumns);
  std::vector<Parameter> params;
  std::map<std::string, std::int64_t, std::less<>> key_line;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const CsvRow row(table, r);
    Parameter p;
    p.key = row.required_text("key");
    const bool key_ok = std::all_of(p.key.begin(), p.key.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
    if (!key_ok) {
      row.fail("key", "bad key " + q(p.key),
               "lowercase letters, digits, '_' and '.', e.g. qwi.withhold_fraction");
    }
    if (const auto it = key_line.find(p.key); it != key_line.end()) {
      row.fail("key",
               "duplicate key " + q(p.key) + " (first on line " + std::to_string(it->second) + ")",
               "each key once");
    }
    key_line.emplace(p.key, row.line());
    const std::string who = "parameter " + q(p.key) + ": ";
    p.value = row.number("value");
    p.unit = row.required_text("unit");
    p.low = row.optional_number("low");
    p.high = row.optional_number("high");
    check_status(row);
    p.status = row.text("status");
    const bool uncertain =
        p.status == "estimate" || p.status == "estimate-unverified" || p.status == "assumption";
    if (uncertain && (std::isnan(p.low) || std::isnan(p.high))) {
      row.fail(std::isnan(p.low) ? "low" : "high",
               who + "empty for a value whose status is " + q(p.status),
               "an uncertainty range (low and high) for every estimate or assumption");
    }
    if (!std::isnan(p.low) && !std::isnan(p.high) && p.low > p.high) {
      row.fail("low", who + "low " + format_number(p.low) + " > high " + format_number(p.high),
               "low <= value <= high");
    }
    if (!std::isnan(p.low) && p.low > p.value) {
      row.fail("low", who + "low " + format_number(p.low) + " > value " + format_number(p.value),
               "low <= value <= high");
    }
    if (!std::isnan(p.high) && p.value > p.high) {
      row.fail("high", who + "value " + format_number(p.value) + " > high " + format_number(p.high),
               "low <= value <= high");
    }
    p.source = row.required_text("source");
    p.notes = row.text("notes");
    params.push_back(std::move(p));
  }
  return params;
}

// ---- population.csv --------------------------------------------------------------------------

struct ShareGroup {
  std::string dimension;
  std::string given;
  std::vector<std::size_t> rows;  ///< indices into the table / population vector
};

std::string group_name(const std::string& dimension, const std::string& given) {
  return "(dimension '" + dimension + "', given '" + given + "')";
}

std::vector<PopulationShare> parse_population(const CsvTable& table, const ReferenceData& data) {
  require_header(table, kPopulationColumns);
  std::vector<PopulationShare> shares;
  std::vector<ShareGroup> groups;
  std::map<std::pair<std::string, std::string>, std::size_t> group_index;
  const auto& dims = population_dimensions();

  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const CsvRow row(table, r);
    PopulationShare s;
    s.dimension = row.text("dimension");
    const auto dim = std::find_if(dims.begin(), dims.end(), [&](const PopulationDimension& d) {
      return s.dimension == d.name;
    });
    if (dim == dims.end()) {
      row.fail("dimension", "unknown dimension " + q(s.dimension),
               "one of age_band, sex, race, language, aid_category");
    }
    s.category = row.text("category");
    if (dim->categories.empty()) {
      if (!parse_age_range(s.category, kMaxAge)) {
        row.fail("category", "bad age band " + q(s.category),
                 "LO-HI in whole years with 0 <= LO <= HI <= 99, e.g. 0-0 or 21-25");
      }
    } else if (std::find(dim->categories.begin(), dim->categories.end(), s.category) ==
               dim->categories.end()) {
      std::string all;
      for (const auto& c : dim->categories) all += (all.empty() ? "" : ", ") + c;
      row.fail("category", "unknown category " + q(s.category) + " of " + s.dimension,
               "one of " + all);
    }
    s.given = row.text("given");
    if (!s.given.empty()) {
      constexpr std::string_view kCounty = "county=";
      constexpr std::string_view kAge = "age_band=";
      const std::string_view g = s.given;
      if (g.substr(0, kCounty.size()) == kCounty) {
        const std::string_view name = g.substr(kCounty.size());
        if (!data.find_county(name)) {
          row.fail("given", "unknown county " + q(name),
                   "county=<one of the names in counties.csv>");
        }
      } else if (g.substr(0, kAge.size()) == kAge) {
        if (s.dimension == "age_band") {
          row.fail("given", "an age_band share given an age band",
                   "an empty given or county=<name> for dimension age_band");
        }
        if (!parse_age_range(g.substr(kAge.size()), kMaxAge)) {
          row.fail("given", "bad age range " + q(g.substr(kAge.size())),
                   "age_band=LO-HI with 0 <= LO <= HI <= 99, e.g. age_band=0-20");
        }
      } else {
        row.fail("given", "unknown condition " + q(s.given),
                 "empty, county=<name> or age_band=LO-HI");
      }
    }
    s.share_percent = row.number("share_percent");
    if (s.share_percent < 0.0 || s.share_percent > 100.0) {
      row.fail("share_percent", "share " + format_number(s.share_percent) + " out of range",
               "a percentage in [0, 100]");
    }
    check_status(row);
    s.status = row.text("status");
    s.source = row.required_text("source");

    const auto key = std::make_pair(s.dimension, s.given);
    auto it = group_index.find(key);
    if (it == group_index.end()) {
      it = group_index.emplace(key, groups.size()).first;
      groups.push_back(ShareGroup{s.dimension, s.given, {}});
    }
    auto& group = groups[it->second];
    for (const std::size_t other : group.rows) {
      if (shares[other].category == s.category) {
        row.fail("category",
                 "duplicate category " + q(s.category) + " in group " +
                     group_name(s.dimension, s.given) + " (first on line " +
                     std::to_string(table.rows[other].line) + ")",
                 "each category once per group");
      }
    }
    group.rows.push_back(shares.size());
    shares.push_back(std::move(s));
  }

  for (const auto& group : groups) {
    const std::int64_t first_line = table.rows[group.rows.front()].line;
    const auto dim = std::find_if(dims.begin(), dims.end(), [&](const PopulationDimension& d) {
      return group.dimension == d.name;
    });
    if (dim->categories.empty()) {
      // Age bands must tile 0..99 without gaps or overlaps.
      std::vector<std::pair<std::pair<int, int>, std::size_t>> bands;
      for (const std::size_t i : group.rows)
        bands.push_back({*parse_age_range(shares[i].category, kMaxAge), i});
      std::sort(bands.begin(), bands.end());
      int next = 0;
      for (const auto& [band, i] : bands) {
        if (band.first != next) {
          throw csv_error(
              table.file, table.rows[i].line, "category",
              "age band " + q(shares[i].category) + " in group " +
                  group_name(group.dimension, group.given) +
                  (band.first > next ? " leaves a gap before it" : " overlaps another band"),
              "bands that cover ages 0-99 once, starting at " + std::to_string(next));
        }
        next = band.second + 1;
      }
      if (next != kMaxAge + 1) {
        throw csv_error(table.file, first_line, "category",
                        "the age bands of group " + group_name(group.dimension, group.given) +
                            " end at " + std::to_string(next - 1),
                        "bands that cover ages 0-99");
      }
    } else {
      for (const auto& cat : dim->categories) {
        const bool present = std::any_of(group.rows.begin(), group.rows.end(),
                                         [&](std::size_t i) { return shares[i].category == cat; });
        if (!present) {
          throw csv_error(table.file, first_line, "category",
                          "group " + group_name(group.dimension, group.given) +
                              " has no row for category " + q(cat),
                          "every category of " + group.dimension + " (write 0 for none)");
        }
      }
    }
    double sum = 0.0;
    for (const std::size_t i : group.rows) sum += shares[i].share_percent;
    if (std::fabs(sum - 100.0) > kShareSumTolerance) {
      throw csv_error(table.file, first_line, "share_percent",
                      "shares of group " + group_name(group.dimension, group.given) + " sum to " +
                          format_number(sum),
                      "100 (within 0.01)");
    }
  }

  for (const auto& [dimension, given] : required_population_groups()) {
    if (group_index.find({dimension, given}) == group_index.end()) {
      throw csv_error(table.file, 0, "given",
                      "missing required group " + group_name(dimension, given),
                      "rows for dimension '" + dimension + "' with given '" + given + "'");
    }
  }
  return shares;
}

// ---- loading ---------------------------------------------------------------------------------

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    throw IoError(path.string() + ": cannot read the file (it does not exist); expected all of " +
                  "counties.csv, plans.csv, measures.csv, parameters.csv and population.csv in " +
                  "the data directory");
  }
  if (!std::filesystem::is_regular_file(st)) {
    throw IoError(path.string() +
                  ": cannot read the file (not a regular file); expected a CSV file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot open the file for reading");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw IoError(path.string() + ": read error");
  return buf.str();
}

std::string_view embedded(const char* name) {
  try {
    return data::embedded_file(name);
  } catch (const std::out_of_range&) {
    throw IoError(std::string("embedded/") + name + ": not compiled into this binary");
  }
}

// ---- summaries -------------------------------------------------------------------------------

std::string with_commas(std::int64_t v) {
  const std::string text = std::to_string(v);
  const std::size_t sign = (v < 0) ? 1 : 0;
  const std::string_view digits = std::string_view(text).substr(sign);
  std::string out = text.substr(0, sign);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string pad_right(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string pad_left(std::string s, std::size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

std::string percent_text(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace

ReferenceData parse_reference_data(std::string_view counties_csv, std::string_view plans_csv,
                                   std::string_view measures_csv, std::string_view parameters_csv,
                                   std::string_view population_csv, const std::string& origin) {
  ReferenceData data;
  data.origin = origin;
  const CsvTable counties = parse_csv(counties_csv, label(origin, "counties.csv"));
  data.counties = parse_counties(counties);
  const CsvTable plans = parse_csv(plans_csv, label(origin, "plans.csv"));
  parse_plans(plans, counties, data);
  data.measures = parse_measures(parse_csv(measures_csv, label(origin, "measures.csv")));
  data.parameters = parse_parameters(parse_csv(parameters_csv, label(origin, "parameters.csv")));
  data.population =
      parse_population(parse_csv(population_csv, label(origin, "population.csv")), data);
  return data;
}

ReferenceData load_embedded_reference_data() {
  return parse_reference_data(embedded("counties.csv"), embedded("plans.csv"),
                              embedded("measures.csv"), embedded("parameters.csv"),
                              embedded("population.csv"), "embedded");
}

ReferenceData load_reference_data(const std::string& dir) {
  std::string origin = dir;
  while (origin.size() > 1 && origin.back() == '/') origin.pop_back();
  if (origin.empty()) origin = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(origin, ec)) {
    throw IoError(origin + ": not a directory; expected a data directory holding counties.csv, " +
                  "plans.csv, measures.csv, parameters.csv and population.csv");
  }
  const std::filesystem::path base(origin);
  std::vector<std::string> texts;
  for (const char* name : kReferenceFiles) texts.push_back(read_file(base / name));
  return parse_reference_data(texts[0], texts[1], texts[2], texts[3], texts[4], origin);
}

std::string describe_reference_data(const ReferenceData& data) {
  const std::int64_t total = data.total_enrollment();
  std::int64_t in_contracts = 0;
  for (const auto& k : data.contracts) in_contracts += k.enrollment;
  std::set<std::string> as_of;
  for (const auto& c : data.counties) as_of.insert(c.enrollment_as_of);
  const std::string when = as_of.size() == 1 ? *as_of.begin() : std::string("various months");
  std::size_t held = 0;
  for (const auto& m : data.measures) held += m.held_to_mpl ? 1 : 0;

  std::ostringstream out;
  out << "Reference data: " << data.origin << "\n";
  out << "  counties     " << pad_left(std::to_string(data.counties.size()), 12) << "\n";
  out << "  plans        " << pad_left(std::to_string(data.plans.size()), 12) << "\n";
  out << "  contracts    " << pad_left(std::to_string(data.contracts.size()), 12)
      << "  (county x plan)\n";
  out << "  measures     " << pad_left(std::to_string(data.measures.size()), 12) << "  (" << held
      << " held to the MPL)\n";
  out << "  parameters   " << pad_left(std::to_string(data.parameters.size()), 12) << "\n";
  out << "  enrollment   " << pad_left(with_commas(total), 12) << "  certified eligibles, " << when
      << "\n";
  out << "  in plans     " << pad_left(with_commas(in_contracts), 12) << "  ("
      << percent_text(in_contracts, total) << " in managed-care contracts)\n";

  out << "\nEnrollment by plan model:\n";
  out << "  " << pad_right("plan model", 13) << pad_left("counties", 9)
      << pad_left("enrollment", 13) << pad_left("share", 8) << "\n";
  for (const PlanModel m : {PlanModel::COHS, PlanModel::TwoPlan, PlanModel::GMC,
                            PlanModel::SinglePlan, PlanModel::Regional}) {
    std::int64_t n = 0;
    std::int64_t e = 0;
    for (const auto& c : data.counties) {
      if (c.plan_model == m) {
        ++n;
        e += c.enrollment;
      }
    }
    out << "  " << pad_right(std::string(to_string(m)), 13) << pad_left(std::to_string(n), 9)
        << pad_left(with_commas(e), 13) << pad_left(percent_text(e, total), 8) << "\n";
  }

  std::vector<std::size_t> order(data.counties.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return data.counties[a].enrollment > data.counties[b].enrollment;
  });
  if (order.size() > 10) order.resize(10);
  std::vector<std::size_t> plans_in(data.counties.size(), 0);
  for (const auto& k : data.contracts) ++plans_in[static_cast<std::size_t>(k.county)];
  out << "\nLargest counties:\n";
  out << "  " << pad_right("county", 17) << pad_right("plan model", 13)
      << pad_left("enrollment", 12) << pad_left("share", 8) << pad_left("plans", 7) << "\n";
  for (const std::size_t i : order) {
    const auto& c = data.counties[i];
    out << "  " << pad_right(c.name, 17) << pad_right(std::string(to_string(c.plan_model)), 13)
        << pad_left(with_commas(c.enrollment), 12) << pad_left(percent_text(c.enrollment, total), 8)
        << pad_left(std::to_string(plans_in[i]), 7) << "\n";
  }
  return out.str();
}

std::string describe_reference_data_json(const ReferenceData& data) {
  using nlohmann::json;
  json j;
  j["origin"] = data.origin;
  j["total_enrollment"] = data.total_enrollment();
  json counties = json::array();
  for (const auto& c : data.counties) {
    counties.push_back({{"name", c.name},
                        {"fips", c.fips},
                        {"region", c.region},
                        {"plan_model", std::string(to_string(c.plan_model))},
                        {"enrollment", c.enrollment}});
  }
  j["counties"] = std::move(counties);
  json plans = json::array();
  for (std::size_t p = 0; p < data.plans.size(); ++p) {
    json names = json::array();
    std::int64_t enrollment = 0;
    for (const auto& k : data.contracts) {
      if (static_cast<std::size_t>(k.plan) != p) continue;
      names.push_back(data.counties[static_cast<std::size_t>(k.county)].name);
      enrollment += k.enrollment;
    }
    plans.push_back({{"name", data.plans[p].name},
                     {"parent_org", data.plans[p].parent_org},
                     {"counties", std::move(names)},
                     {"enrollment", enrollment}});
  }
  j["plans"] = std::move(plans);
  json contracts = json::array();
  for (const auto& k : data.contracts) {
    contracts.push_back({{"county", data.counties[static_cast<std::size_t>(k.county)].name},
                         {"plan", data.plans[static_cast<std::size_t>(k.plan)].name},
                         {"enrollment", k.enrollment}});
  }
  j["contracts"] = std::move(contracts);
  json measures = json::array();
  for (const auto& m : data.measures) {
    measures.push_back({{"id", m.id},
                        {"name", m.name},
                        {"domain", m.domain},
                        {"inverse", m.inverse},
                        {"held_to_mpl", m.held_to_mpl},
                        {"mpl_percent", number_or_null(m.mpl_percent)},
                        {"hpl_percent", number_or_null(m.hpl_percent)},
                        {"reference_rate_percent", number_or_null(m.reference_rate_percent)}});
  }
  j["measures"] = std::move(measures);
  return j.dump(2);
}

}  // namespace phsim
