// The policy engine inside full runs: money identities on every output cell, sanctions only
// where a held measure is below the MPL, quality-weighted auto-assignment feeding back into
// membership, and a stronger withhold raising effort and rates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "io/reference_data_io.hpp"
#include "sim/engine.hpp"
#include "sim/runner.hpp"

namespace phsim {
namespace {

const ReferenceData& data() {
  static const ReferenceData d = load_embedded_reference_data();
  return d;
}

ScenarioResults run(std::uint64_t members, int years, int replicates, const PolicySettings& policy,
                    std::uint32_t seed = 11) {
  RunSettings r;
  r.members = members;
  r.years = years;
  r.replicates = replicates;
  r.seed = seed;
  auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  return run_scenario(r, policy, data(), *engine);
}

std::size_t cell(const ScenarioResults& s, std::size_t r, std::size_t y, std::size_t c, std::size_t p) {
  return ((r * s.years.size() + y) * s.counties + c) * s.plans + p;
}

TEST(PolicyRun, MoneyIdentitiesHoldInEveryCell) {
  PolicySettings policy;
  const ScenarioResults s = run(60000, 2, 2, policy);
  double capitation = 0, withheld = 0;
  for (std::size_t i = 0; i < s.net_income_usd.size(); ++i) {
    const double net = s.capitation_usd[i] - s.withhold_usd[i] + s.withhold_returned_usd[i] +
                       s.incentive_usd[i] - s.sanction_usd[i] - s.medical_cost_usd[i] -
                       s.admin_cost_usd[i] - s.quality_effort_cost_usd[i];
    EXPECT_NEAR(s.net_income_usd[i], net, 1e-9 * std::max(1.0, std::abs(s.capitation_usd[i])));
    EXPECT_EQ(s.withhold_usd[i], policy.qwi.withhold_fraction * s.capitation_usd[i]);
    EXPECT_LE(s.withhold_returned_usd[i], s.withhold_usd[i] + 1e-9);
    capitation += s.capitation_usd[i];
    withheld += s.withhold_usd[i];
    // Sanctions only where a held measure was below the MPL.
    if (s.sanction_usd[i] > 0) {
      EXPECT_GT(s.measures_below_mpl[i], 0);
    }
    if (s.measures_below_mpl[i] == 0) {
      EXPECT_EQ(s.sanction_usd[i], 0.0);
    }
    EXPECT_EQ(s.corrective_action[i], s.measures_below_mpl[i] > 0 ? 1 : 0);
    if (s.net_income_usd[i] <= 0) {
      EXPECT_EQ(s.reinvestment_usd[i], 0.0);
    }
  }
  // Capitation is paid per enrolled member-month at the aid-category rates: the statewide mean
  // PMPM lies between the cheapest (child) and dearest (disabled) rates.
  const double months = std::accumulate(s.enrollment_member_months.begin(), s.enrollment_member_months.end(), 0.0);
  const double pmpm = capitation / months;
  EXPECT_GT(pmpm, data().parameter("capitation.child_pmpm_usd").value);
  EXPECT_LT(pmpm, data().parameter("capitation.disabled_pmpm_usd").value);
  // Returned withhold plus incentive never exceeds what was withheld statewide.
  const double paid = std::accumulate(s.withhold_returned_usd.begin(), s.withhold_returned_usd.end(), 0.0) +
                      std::accumulate(s.incentive_usd.begin(), s.incentive_usd.end(), 0.0);
  EXPECT_LE(paid, withheld * (1 + 1e-12));
}

TEST(PolicyRun, SinglePlanAndCohsCountiesKeepTheirDefaultShares) {
  const ScenarioResults s = run(30000, 3, 1, PolicySettings{});
  const auto& d = data();
  for (std::size_t k = 0; k < d.contracts.size(); ++k) {
    const auto c = static_cast<std::size_t>(d.contracts[k].county);
    const auto model = d.counties[c].plan_model;
    if (model != PlanModel::COHS && model != PlanModel::SinglePlan) continue;
    const auto p = static_cast<std::size_t>(d.contracts[k].plan);
    for (std::size_t y = 1; y < 3; ++y) {
      EXPECT_EQ(s.default_assignment_share[cell(s, 0, y, c, p)], s.default_assignment_share[cell(s, 0, 0, c, p)])
          << d.counties[c].name << " / " << d.plans[p].name;
    }
  }
}

/// Tulare (Two-Plan): Anthem and Health Net serve nearly equal numbers of members, so a shift
/// in default assignment shows as a shift in membership. Kaiser takes no defaults.
TEST(PolicyRun, HigherQualityPlanGetsMoreDefaultsAndGrowsOverFiveYears) {
  PolicySettings quality;
  quality.auto_assignment.quality_weight = 3.0;
  quality.auto_assignment.share_floor = 0.1;
  quality.auto_assignment.share_cap = 0.9;
  PolicySettings by_enrollment = quality;  // the counterfactual: shares stay by enrollment
  by_enrollment.auto_assignment.enabled = false;
  const ScenarioResults s = run(1000000, 5, 1, quality, 5);
  const ScenarioResults base = run(1000000, 5, 1, by_enrollment, 5);  // same seed: CRN
  const auto& d = data();
  const auto county = static_cast<std::size_t>(*d.find_county("Tulare"));
  std::vector<std::size_t> plans;
  for (const auto& k : d.contracts) {
    if (static_cast<std::size_t>(k.county) == county && d.plans[k.plan].name.find("Kaiser") == std::string::npos) {
      plans.push_back(static_cast<std::size_t>(k.plan));
    }
  }
  ASSERT_EQ(plans.size(), 2u);
  std::size_t high = plans[0], low = plans[1];
  if (s.plan_quality_score[cell(s, 0, 0, county, low)] > s.plan_quality_score[cell(s, 0, 0, county, high)]) {
    std::swap(high, low);
  }
  ASSERT_GT(s.plan_quality_score[cell(s, 0, 0, county, high)], s.plan_quality_score[cell(s, 0, 0, county, low)])
      << "the two plans tie in year 1; choose another seed";
  // From year 2 on the higher-scoring plan has the larger share of defaults and receives more.
  double defaults_high = 0, defaults_low = 0;
  for (std::size_t y = 1; y < 5; ++y) {
    EXPECT_GT(s.default_assignment_share[cell(s, 0, y, county, high)],
              s.default_assignment_share[cell(s, 0, y, county, low)]) << "year " << y;
    defaults_high += static_cast<double>(s.default_assigned_members[cell(s, 0, y, county, high)]);
    defaults_low += static_cast<double>(s.default_assigned_members[cell(s, 0, y, county, low)]);
  }
  EXPECT_GT(defaults_high, defaults_low);
  // Its membership grows relative to the other's: over the five years, and against the same
  // members assigned by enrollment shares.
  const auto ratio = [&](const ScenarioResults& r, std::size_t y) {
    return static_cast<double>(r.enrollment_member_months[cell(r, 0, y, county, high)]) /
           static_cast<double>(r.enrollment_member_months[cell(r, 0, y, county, low)]);
  };
  EXPECT_GT(ratio(s, 4), ratio(s, 0));
  EXPECT_GT(ratio(s, 4), ratio(base, 4));
  EXPECT_EQ(ratio(s, 0), ratio(base, 0));  // identical first year: the feedback starts in year 2
}

}  // namespace
}  // namespace phsim
