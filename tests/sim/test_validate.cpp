// Validation (ctest label `validate`): a baseline run of one million members over two years.
//  - every measure's simulated statewide rate is within 3 percentage points of its reference;
//  - every denominator is in the expected proportion to enrollment, derived here from the
//    population marginals and parameters independently of the simulator (formulas below and in
//    docs/VALIDATION.md);
//  - deaths and births per 1000 member-years fall in their reference ranges.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <map>
#include <numeric>
#include <sstream>

#include "io/reference_data_io.hpp"
#include "sim/engine.hpp"
#include "sim/runner.hpp"

namespace phsim {
namespace {

constexpr std::uint64_t kMembers = 1000000;
constexpr int kYears = 2;

class Validate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_data = new ReferenceData(load_embedded_reference_data());
    RunSettings run;
    run.members = kMembers;
    run.years = kYears;
    run.seed = 20240101;
    auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
    s_res = new ScenarioResults(run_scenario(run, *s_data, *engine));
  }
  static void TearDownTestSuite() {
    delete s_res;
    delete s_data;
  }
  /// Statewide totals of a [replicate][year][county][plan](...) array for one year.
  static double year_total(const std::vector<std::int64_t>& v, int year, std::size_t measure = 0,
                           std::size_t measures = 1) {
    const std::size_t block = s_res->counties * s_res->plans * measures;
    double acc = 0;
    for (std::size_t j = 0; j < s_res->counties * s_res->plans; ++j) {
      acc += static_cast<double>(v[static_cast<std::size_t>(year) * block + j * measures + measure]);
    }
    return acc;
  }
  static ReferenceData* s_data;
  static ScenarioResults* s_res;
};
ReferenceData* Validate::s_data = nullptr;
ScenarioResults* Validate::s_res = nullptr;

TEST_F(Validate, EveryMeasureWithin3PointsOfReference) {
  const auto& d = *s_data;
  for (int y = 0; y < kYears; ++y) {
    for (std::size_t k = 0; k < d.measures.size(); ++k) {
      const double num = year_total(s_res->measure_numerator, y, k, d.measures.size());
      const double den = year_total(s_res->measure_denominator, y, k, d.measures.size());
      ASSERT_GT(den, 1000) << d.measures[k].id;
      const double rate = 100.0 * num / den;
      EXPECT_NEAR(rate, d.measures[k].reference_rate_percent, 3.0)
          << d.measures[k].id << " year " << s_res->years[static_cast<std::size_t>(y)];
      // Sampling error alone is far smaller than the tolerance at this size.
      const double p = rate / 100.0;
      EXPECT_LT(4 * 100 * std::sqrt(p * (1 - p) / den), 3.0) << d.measures[k].id;
    }
  }
}

/// Expected denominators per 1000 member-years, from the data alone.
class Expected {
 public:
  explicit Expected(const ReferenceData& d) : m_d(d) {
    // Age shares per year of age, uniform within each band of population.csv.
    m_age.assign(121, 0.0);
    for (const auto& s : d.population) {
      if (s.dimension != "age_band" || !s.given.empty()) continue;
      const auto r = parse_age_range(s.category, 120);
      for (int a = r->first; a <= r->second; ++a) m_age[static_cast<std::size_t>(a)] += s.share_percent / 100 / (r->second - r->first + 1);
    }
    // Continuous enrollment among members enrolled in December: no month out among the 11
    // before (the churn chain is reversible), or one one-month gap.
    const double out = 1 - std::pow(1 - d.parameter("churn.annual_disenrollment_fraction").value, 1.0 / 12);
    const double in = d.parameter("churn.monthly_reenrollment_probability").value;
    m_ce = std::pow(1 - out, 11) + 11 * out * in * std::pow(1 - out, 9);
  }
  double female(int age) const {
    for (const auto& s : m_d.population) {
      if (s.dimension != "sex" || s.category != "female") continue;
      const auto r = parse_age_range(s.given.substr(std::string("age_band=").size()), 120);
      if (age >= r->first && age <= r->second) return s.share_percent / 100;
    }
    return 0.5;
  }
  double prevalence(const std::string& condition, int age) const {
    for (const auto& p : m_d.parameters) {
      const std::string prefix = "prevalence." + condition + "_";
      if (p.key.rfind(prefix, 0) != 0) continue;
      std::string range = p.key.substr(prefix.size());
      std::replace(range.begin(), range.end(), '_', '-');
      const auto r = parse_age_range(range, 120);
      if (r && age >= r->first && age <= r->second) return p.value;
    }
    return 0.0;
  }
  /// Share of members aged lo..hi (years) of the given sex with the condition, at Dec 31.
  double share(int lo, int hi, SexFilter sex, const std::string& condition) const {
    double acc = 0;
    for (int a = lo; a <= std::min(hi, 120); ++a) {
      double w = m_age[static_cast<std::size_t>(a)];
      if (sex == SexFilter::Female) w *= female(a);
      if (!condition.empty()) w *= prevalence(condition, a);
      acc += w;
    }
    return acc;
  }
  double ce() const { return m_ce; }
  double age_share(int a) const { return m_age[static_cast<std::size_t>(a)]; }

 private:
  const ReferenceData& m_d;
  std::vector<double> m_age;
  double m_ce = 1;
};

std::string condition_key(Condition c) {
  switch (c) {
    case Condition::Asthma: return "asthma";
    case Condition::Diabetes: return "diabetes";
    case Condition::Hypertension: return "hypertension";
    case Condition::MentalIllness: return "mental_illness";
    case Condition::SubstanceUse: return "substance_use";
    case Condition::SeriousIllness: return "serious_illness";
    case Condition::None: break;
  }
  return "";
}

/// With PHSIM_VALIDATION_REPORT=path, the checks below also write their tables (Markdown) there.
std::ostringstream& report() {
  static std::ostringstream os;
  return os;
}
void flush_report() {
  if (const char* path = std::getenv("PHSIM_VALIDATION_REPORT")) std::ofstream(path) << report().str();
}

TEST_F(Validate, DenominatorsInExpectedProportionToEnrollment) {
  const auto& d = *s_data;
  const Expected e(d);
  auto& md = report();
  md << std::fixed << std::setprecision(2);
  md << "| measure | year | rate % | reference % | difference (pp) | denominator | denominator per 1000 member-years | expected | ratio |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  const double births = d.parameter("vital.births_per_1000_member_years").value;
  for (int y = 0; y < kYears; ++y) {
    const double member_years = year_total(s_res->enrollment_member_months, y) / 12.0;
    for (std::size_t k = 0; k < d.measures.size(); ++k) {
      const MeasureSpec& s = d.measures[k].spec;
      const std::string cond = condition_key(s.condition);
      double expected = 0;  // per 1000 member-years
      if (s.kind == MeasureKind::Followup) {
        if (s.counted_at == Trigger::Delivery) {
          expected = births;  // one event per delivery to an enrolled mother
        } else {
          const double per_affected =
              d.parameter(s.counted_at == Trigger::EdMentalHealth
                              ? "utilization.ed_mental_health_visits_per_affected_member_year"
                              : "utilization.ed_substance_use_visits_per_affected_member_year").value;
          expected = 1000 * e.share(s.age_lo / 12, s.age_hi / 12, s.sex, cond) * per_affected;
        }
      } else if (s.anchor == Anchor::Milestone) {
        // Children reaching each milestone age in the year: one year of age per milestone.
        for (int j = 0; j < s.n_milestones; ++j) expected += 1000 * e.age_share((s.milestones[j] - 1) / 12) * e.ce();
      } else {
        expected = 1000 * e.share(s.age_lo / 12, s.age_hi / 12, s.sex, cond) * e.ce();
      }
      const double den = year_total(s_res->measure_denominator, y, k, d.measures.size());
      const double observed = 1000 * den / member_years;
      const double rate = 100 * year_total(s_res->measure_numerator, y, k, d.measures.size()) / den;
      md << "| " << d.measures[k].id << " | " << s_res->years[static_cast<std::size_t>(y)] << " | " << rate
         << " | " << d.measures[k].reference_rate_percent << " | " << rate - d.measures[k].reference_rate_percent
         << " | " << static_cast<long long>(den) << " | " << observed << " | " << expected << " | "
         << observed / expected << " |\n";
      // Ratio measures count only members with a fill: at least the share with a reliever fill.
      double low = 0.85, high = 1.15;
      if (s.kind == MeasureKind::Ratio) {
        low *= 1 - std::pow(1 - d.parameter("amr.reliever_fills_per_month").value, 12);
      }
      EXPECT_GE(observed, low * expected) << d.measures[k].id << " year " << y;
      EXPECT_LE(observed, high * expected) << d.measures[k].id << " year " << y;
    }
  }
}

TEST_F(Validate, VitalRatesWithinReferenceRanges) {
  const auto& deaths_ref = s_data->parameter("vital.deaths_per_1000_member_years");
  const auto& births_ref = s_data->parameter("vital.births_per_1000_member_years");
  for (int y = 0; y < kYears; ++y) {
    const double member_years = year_total(s_res->enrollment_member_months, y) / 12.0;
    const double deaths = 1000 * year_total(s_res->deaths, y) / member_years;
    const double births = 1000 * year_total(s_res->births, y) / member_years;
    EXPECT_GE(deaths, deaths_ref.low) << "year " << y;
    EXPECT_LE(deaths, deaths_ref.high) << "year " << y;
    EXPECT_GE(births, births_ref.low) << "year " << y;
    EXPECT_LE(births, births_ref.high) << "year " << y;
    // Enrollment stays near its start: churn in equilibrium, births above deaths.
    EXPECT_NEAR(member_years / static_cast<double>(kMembers), 1.0, 0.03) << "year " << y;
    report() << "\nyear " << s_res->years[static_cast<std::size_t>(y)] << ": " << member_years
             << " member-years; deaths " << deaths << " per 1000 (reference " << deaths_ref.value
             << ", range " << deaths_ref.low << "-" << deaths_ref.high << "); births " << births
             << " per 1000 (reference " << births_ref.value << ", range " << births_ref.low << "-"
             << births_ref.high << ")\n";
  }
  flush_report();
}

TEST_F(Validate, CalibrationReachedEveryReference) {
  for (std::size_t k = 0; k < s_data->measures.size(); ++k) {
    EXPECT_NEAR(100 * s_res->calibrated_expected_rate[k], s_data->measures[k].reference_rate_percent, 0.05)
        << s_data->measures[k].id;
  }
}

}  // namespace
}  // namespace phsim
