// Tests of sim/policy.* (the policy engine, DESIGN.md §7) on hand-made reference data, with the
// dollars computed by hand in the test.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/errors.hpp"
#include "sim/policy.hpp"
#include "sim/reference_data.hpp"

namespace phsim {
namespace {

// Measure indices of the tiny data.
constexpr int W = 0, C = 1, G = 2, P = 3, B = 4, S = 5, N = 6;
constexpr int kMeasures = 7;
// Contract indices.
constexpr int kA = 0, kB = 1, kKaiser = 2, kCohs = 3, kSingle = 4, kSingleKaiser = 5,
              kGmcOnly = 6, kGmcKaiser = 7, kG4 = 8;  // kG4..kG4+3: four plans in a GMC county

Measure make_measure(const std::string& id, bool inverse, bool held, double mpl, double hpl) {
  Measure m;
  m.id = id;
  m.name = id;
  m.inverse = inverse;
  m.held_to_mpl = held;
  m.mpl_percent = mpl;
  m.hpl_percent = hpl;
  return m;
}

/// Five counties: a Two-Plan county (plans A and B and a Kaiser contract), a COHS county, a
/// Single Plan county (with a Kaiser contract), a GMC county with one eligible plan and Kaiser,
/// and a GMC county with four plans. Six held measures (G inverse) and one unheld (N).
ReferenceData tiny_data() {
  ReferenceData d;
  d.origin = "tiny";
  d.counties = {{"TwoA", "06001", "r", PlanModel::TwoPlan, 1000, "2024-06", "", ""},
                {"Cohs", "06003", "r", PlanModel::COHS, 1000, "2024-06", "", ""},
                {"Single", "06005", "r", PlanModel::SinglePlan, 250, "2024-06", "", ""},
                {"Gmc", "06007", "r", PlanModel::GMC, 400, "2024-06", "", ""},
                {"Gmc4", "06009", "r", PlanModel::GMC, 400, "2024-06", "", ""}};
  d.plans = {{"LocalA", ""}, {"CommB", ""}, {"Kaiser", ""}, {"CohsPlan", ""},
             {"SinglePlan", ""}, {"GmcOnly", ""}, {"Fourth", ""}};
  d.contracts = {{0, 0, "", 600, "", "", ""}, {0, 1, "", 300, "", "", ""},
                 {0, 2, "", 100, "", "", ""}, {1, 3, "", 1000, "", "", ""},
                 {2, 4, "", 200, "", "", ""}, {2, 2, "", 50, "", "", ""},
                 {3, 5, "", 100, "", "", ""}, {3, 2, "", 300, "", "", ""},
                 {4, 0, "", 100, "", "", ""}, {4, 1, "", 100, "", "", ""},
                 {4, 5, "", 100, "", "", ""}, {4, 6, "", 100, "", "", ""}};
  d.measures = {make_measure("W", false, true, 50, 70), make_measure("C", false, true, 60, 80),
                make_measure("G", true, true, 40, 30),  make_measure("P", false, true, 20, 40),
                make_measure("B", false, true, 50, 60), make_measure("S", false, true, 50, 60),
                make_measure("N", false, false, kNaN, kNaN)};
  Parameter dr;
  dr.key = "aaip.default_rate";
  dr.value = 0.3;
  d.parameters = {dr};
  return d;
}

PolicySettings tiny_settings() {
  PolicySettings s;
  s.qwi.measures = {"W", "C", "G"};
  s.sanctions.measures = {};  // every held measure: W C G P B S
  s.auto_assignment.measures = {"W", "C", "G", "P"};
  s.auto_assignment.excluded_plans = {"Kaiser"};
  // Round sanction amounts for hand arithmetic (the defaults are scaled to a statewide total).
  s.sanctions.base_usd = 5000;
  s.sanctions.usd_per_missed_case = 20;
  return s;
}

/// A year with no members and no tallies in any contract.
std::vector<ContractYear> empty_year(const ReferenceData& d) {
  std::vector<ContractYear> y(d.contracts.size());
  for (auto& c : y) {
    c.numerator.assign(d.measures.size(), 0);
    c.denominator.assign(d.measures.size(), 0);
  }
  return y;
}

/// Sets a contract's money and, for each measure with a given rate (percent of 100; -1 = no
/// denominator), numerator = rate and denominator = 100.
void set_contract(ContractYear& y, double member_months, double cap, double med,
                  const std::vector<int>& rates) {
  y.member_months = member_months;
  y.capitation_usd = cap;
  y.medical_cost_usd = med;
  for (std::size_t m = 0; m < rates.size(); ++m) {
    y.numerator[m] = rates[m] < 0 ? 0 : rates[m];
    y.denominator[m] = rates[m] < 0 ? 0 : 100;
  }
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "<no ScenarioError>";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
TEST(PolicyRates, RateAndDirection) {
  EXPECT_EQ(measure_rate_percent(25, 50, 30), 50.0);
  EXPECT_TRUE(std::isnan(measure_rate_percent(10, 29, 30)));
  EXPECT_TRUE(std::isnan(measure_rate_percent(0, 0, 0)));
  EXPECT_EQ(measure_rate_percent(5839, 10000, 30), 58.39);  // one rounding: equals the literal
  EXPECT_TRUE(at_or_better(50.0, 50.0, false));
  EXPECT_FALSE(at_or_better(49.9, 50.0, false));
  EXPECT_TRUE(at_or_better(39.0, 40.0, true));   // inverse: lower is better
  EXPECT_FALSE(at_or_better(41.0, 40.0, true));
  EXPECT_FALSE(at_or_better(kNaN, 40.0, false));
  EXPECT_FALSE(at_or_better(50.0, kNaN, false));
}

TEST(PolicyTables, ResolvesMeasuresAndEligibility) {
  const ReferenceData d = tiny_data();
  const PolicyTables t = make_policy_tables(tiny_settings(), d);
  EXPECT_EQ(t.qwi_measures, (std::vector<int>{W, C, G}));
  EXPECT_EQ(t.sanction_measures, (std::vector<int>{W, C, G, P, B, S}));  // held, not N
  EXPECT_EQ(t.assignment_measures, (std::vector<int>{W, C, G, P}));
  EXPECT_EQ(t.contract_gets_defaults,
            (std::vector<bool>{true, true, false, true, true, false, true, false, true, true, true,
                               true}));
  // Two-Plan with 2 eligible: yes; COHS, Single Plan: never; GMC with one eligible plan: no.
  EXPECT_EQ(t.county_quality_assignment, (std::vector<bool>{true, false, false, false, true}));

  PolicySettings s = tiny_settings();
  s.sanctions.measures = {"S", "W", "W"};  // sorted, duplicates dropped
  EXPECT_EQ(make_policy_tables(s, d).sanction_measures, (std::vector<int>{W, S}));
}

TEST(PolicyTables, UnknownNamesAreScenarioErrorsNamingTheKey) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.qwi.measures = {"W", "XYZ"};
  std::string e = error_of([&] { make_policy_tables(s, d); });
  EXPECT_TRUE(has(e, "policy.qwi.measures") && has(e, "XYZ")) << e;

  s = tiny_settings();
  s.sanctions.measures = {"Nope"};
  e = error_of([&] { make_policy_tables(s, d); });
  EXPECT_TRUE(has(e, "policy.sanctions.measures") && has(e, "Nope")) << e;

  s = tiny_settings();
  s.auto_assignment.measures = {"W", "Q9"};
  e = error_of([&] { make_policy_tables(s, d); });
  EXPECT_TRUE(has(e, "policy.auto_assignment.measures") && has(e, "Q9")) << e;

  s = tiny_settings();
  s.auto_assignment.excluded_plans = {"Kaiser", "No Such Plan"};
  e = error_of([&] { make_policy_tables(s, d); });
  EXPECT_TRUE(has(e, "policy.auto_assignment.excluded_plans") && has(e, "No Such Plan")) << e;

  s = tiny_settings();
  s.qwi.measures = {"N"};  // no MPL in the data
  e = error_of([&] { make_policy_tables(s, d); });
  EXPECT_TRUE(has(e, "policy.qwi.measures") && has(e, "'N'")) << e;

  s = tiny_settings();
  s.qwi.target = "best";
  e = error_of([&] { make_policy_tables(s, d); });
  EXPECT_TRUE(has(e, "policy.qwi.target") && has(e, "best")) << e;

  s = tiny_settings();
  s.sanctions.tier_multipliers = {1.0, 2.0};
  e = error_of([&] { make_policy_tables(s, d); });
  EXPECT_TRUE(has(e, "policy.sanctions.tier_multipliers")) << e;
}

TEST(PolicyState, InitialSharesFollowEnrollmentAmongEligible) {
  const ReferenceData d = tiny_data();
  const PolicyTables t = make_policy_tables(tiny_settings(), d);
  const PolicyState st = initial_policy_state(t, d);
  EXPECT_EQ(st.years_done, 0);
  ASSERT_EQ(st.previous_rate.size(), d.contracts.size() * kMeasures);
  for (const double r : st.previous_rate) EXPECT_TRUE(std::isnan(r));
  for (const double e : st.effort_logit) EXPECT_EQ(e, 0.0);
  EXPECT_EQ(st.default_share[kA], 600.0 / 900.0);
  EXPECT_EQ(st.default_share[kB], 300.0 / 900.0);
  EXPECT_EQ(st.default_share[kKaiser], 0.0);
  EXPECT_EQ(st.default_share[kCohs], 1.0);
  EXPECT_EQ(st.default_share[kSingle], 1.0);
  EXPECT_EQ(st.default_share[kSingleKaiser], 0.0);
  EXPECT_EQ(st.default_share[kGmcOnly], 1.0);
  EXPECT_EQ(st.default_share[kGmcKaiser], 0.0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(st.default_share[kG4 + i], 0.25);

  // A county with no eligible contract: in proportion to all contracts' enrollment.
  PolicySettings s = tiny_settings();
  s.auto_assignment.excluded_plans = {"Kaiser", "GmcOnly"};
  const PolicyState st2 = initial_policy_state(make_policy_tables(s, d), d);
  EXPECT_EQ(st2.default_share[kGmcOnly], 100.0 / 400.0);
  EXPECT_EQ(st2.default_share[kGmcKaiser], 300.0 / 400.0);
}

// ---------------------------------------------------------------------------------------------
TEST(PolicyQwi, WithholdIsExactAndReturnFollowsTargetsMet) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.qwi.target = "mpl";  // proxy_targets 3 met at 0.5 (defaults)
  const PolicyTables t = make_policy_tables(s, d);
  PolicyState st = initial_policy_state(t, d);
  auto y = empty_year(d);
  //                          W   C   G  P  B  S  N
  set_contract(y[kA], 12000, 1234567.89, 1e6, {55, 59, 35, 20, 50, 50, -1});
  const auto r = run_policy_year(s, t, d, y, st);
  // Targets: W 55 >= 50 met; C 59 < 60 missed; G 35 <= 40 (inverse) met. 3 evaluated.
  const double share = (2.0 + 3.0 * 0.5) / (3.0 + 3.0);  // (met + proxies × 0.5) / (3 + 3)
  EXPECT_EQ(r[kA].targets_met_share, share);
  const double withhold = 0.005 * 1234567.89;
  EXPECT_EQ(r[kA].withhold_usd, withhold);
  EXPECT_EQ(r[kA].withhold_returned_usd, withhold * share);
  // 0.5833 < 0.8: nobody qualifies (no contract can exceed (3 + 1.5) / 6 = 0.75).
  for (const auto& c : r) EXPECT_EQ(c.incentive_usd, 0.0);
  // A contract with no evaluated measure: only the proxies count.
  EXPECT_EQ(r[kCohs].targets_met_share, 0.5);
}

TEST(PolicyQwi, UnearnedPoolPaidByCapitationToQualifyingPlans) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.qwi.target = "mpl";
  s.qwi.proxy_targets = 0;
  const PolicyTables t = make_policy_tables(s, d);
  PolicyState st = initial_policy_state(t, d);
  auto y = empty_year(d);
  set_contract(y[kA], 12000, 3000000.0, 2e6, {55, 65, 35, -1, -1, -1, -1});     // 3/3 met
  set_contract(y[kB], 6000, 1500000.0, 1e6, {55, 65, 45, -1, -1, -1, -1});      // 2/3
  set_contract(y[kCohs], 24000, 7000000.0, 6e6, {60, 60, 40, -1, -1, -1, -1});  // 3/3
  set_contract(y[kSingle], 5000, 1100000.0, 9e5, {10, 10, 90, -1, -1, -1, -1});  // 0/3
  const auto r = run_policy_year(s, t, d, y, st);
  EXPECT_EQ(r[kA].targets_met_share, 1.0);
  EXPECT_EQ(r[kB].targets_met_share, 2.0 / 3.0);
  EXPECT_EQ(r[kSingle].targets_met_share, 0.0);
  const double wB = 0.005 * 1500000.0, wS = 0.005 * 1100000.0;
  EXPECT_EQ(r[kB].withhold_returned_usd, wB * (2.0 / 3.0));
  EXPECT_EQ(r[kSingle].withhold_returned_usd, 0.0);
  // Pool = unearned of B (wB/3) + unearned of Single (wS); A and Cohs earned everything back.
  const double pool = (wB - wB * (2.0 / 3.0)) + (wS - 0.0);
  // Qualifying (share >= 0.8): A, Cohs (and contracts with no targets and 0 capitation).
  const double qualifying = 3000000.0 + 7000000.0;
  EXPECT_EQ(r[kA].incentive_usd, pool * 3000000.0 / qualifying);
  EXPECT_EQ(r[kCohs].incentive_usd, pool * 7000000.0 / qualifying);
  EXPECT_NEAR(r[kA].incentive_usd + r[kCohs].incentive_usd, 2500.0 + 5500.0, 1e-9);
  EXPECT_EQ(r[kB].incentive_usd, 0.0);
  EXPECT_EQ(r[kSingle].incentive_usd, 0.0);

  // Pool kept by the state when redistribution is off; everything 0 when QWI is off.
  s.qwi.redistribute_unearned = false;
  PolicyState st2 = initial_policy_state(t, d);
  for (const auto& c : run_policy_year(s, t, d, y, st2)) EXPECT_EQ(c.incentive_usd, 0.0);
  s.qwi.enabled = false;
  s.qwi.redistribute_unearned = true;
  PolicyState st3 = initial_policy_state(t, d);
  const auto off = run_policy_year(s, t, d, y, st3);
  for (const auto& c : off) {
    EXPECT_EQ(c.withhold_usd, 0.0);
    EXPECT_EQ(c.withhold_returned_usd, 0.0);
    EXPECT_EQ(c.incentive_usd, 0.0);
  }
  EXPECT_EQ(off[kB].targets_met_share, 2.0 / 3.0);  // still reported
}

TEST(PolicyQwi, TargetKinds) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.qwi.proxy_targets = 0;
  auto share_for = [&](const std::string& target, const std::vector<int>& prior,
                       const std::vector<int>& now) {
    s.qwi.target = target;
    const PolicyTables t = make_policy_tables(s, d);
    PolicyState st = initial_policy_state(t, d);
    auto y = empty_year(d);
    if (!prior.empty()) {
      set_contract(y[kA], 1200, 1e5, 8e4, prior);
      run_policy_year(s, t, d, y, st);
    }
    set_contract(y[kA], 1200, 1e5, 8e4, now);
    return run_policy_year(s, t, d, y, st)[kA].targets_met_share;
  };
  // "mpl": W 50 = MPL met; C 59 missed; G 41 above the inverse MPL 40: missed.
  EXPECT_EQ(share_for("mpl", {}, {50, 59, 41, -1, -1, -1, -1}), 1.0 / 3.0);
  // "hpl": W 70 = HPL met; C 79 missed; G 30 = inverse HPL met.
  EXPECT_EQ(share_for("hpl", {}, {70, 79, 30, -1, -1, -1, -1}), 2.0 / 3.0);
  EXPECT_EQ(share_for("hpl", {}, {69, 80, 31, -1, -1, -1, -1}), 1.0 / 3.0);
  // "mpl_or_improvement", no prior year: only the MPL counts.
  EXPECT_EQ(share_for("mpl_or_improvement", {}, {42, 51, 48, -1, -1, -1, -1}), 0.0);
  // W 40 -> 42 (+2: met), C 50 -> 51 (+1: missed), G 50 -> 48 (inverse, down 2: met).
  EXPECT_EQ(share_for("mpl_or_improvement", {40, 50, 50, -1, -1, -1, -1},
                      {42, 51, 48, -1, -1, -1, -1}),
            2.0 / 3.0);
  // G 46 -> 48 is an inverse measure getting worse; W 40 -> 38 worse; C at MPL.
  EXPECT_EQ(share_for("mpl_or_improvement", {40, 50, 46, -1, -1, -1, -1},
                      {38, 60, 48, -1, -1, -1, -1}),
            1.0 / 3.0);
}

// ---------------------------------------------------------------------------------------------
/// Sanction of the n-th measure below the MPL under the default schedule.
double sanction_term(double multiplier, double mpl, double rate, double den) {
  return multiplier * (5000.0 + 20.0 * (std::fabs(mpl - rate) / 100.0 * den));
}

TEST(PolicySanctions, AtMplPaysNothing) {
  const ReferenceData d = tiny_data();
  const PolicySettings s = tiny_settings();
  const PolicyTables t = make_policy_tables(s, d);
  PolicyState st = initial_policy_state(t, d);
  auto y = empty_year(d);
  // Every held measure exactly at the MPL (G inverse at 40), W at the HPL.
  set_contract(y[kA], 1200, 1e5, 8e4, {70, 60, 40, 20, 50, 50, 3});
  const auto r = run_policy_year(s, t, d, y, st);
  EXPECT_EQ(r[kA].sanction_usd, 0.0);
  EXPECT_EQ(r[kA].measures_below_mpl, 0);
  EXPECT_FALSE(r[kA].corrective_action);
  EXPECT_EQ(r[kA].measures_at_hpl, 1);
}

TEST(PolicySanctions, OneBelowPaysBasePlusMissedCases) {
  const ReferenceData d = tiny_data();
  const PolicySettings s = tiny_settings();
  const PolicyTables t = make_policy_tables(s, d);
  PolicyState st = initial_policy_state(t, d);
  auto y = empty_year(d);
  set_contract(y[kA], 1200, 1e5, 8e4, {50, 60, 40, 20, 50, 50, -1});
  y[kA].numerator[W] = 90;
  y[kA].denominator[W] = 200;  // 45%: 5 points below, 10 missed cases
  const auto r = run_policy_year(s, t, d, y, st);
  EXPECT_EQ(r[kA].sanction_usd, sanction_term(1.0, 50.0, 45.0, 200.0));
  EXPECT_NEAR(r[kA].sanction_usd, 5000.0 + 20.0 * 10.0, 1e-9);
  EXPECT_EQ(r[kA].measures_below_mpl, 1);
  EXPECT_TRUE(r[kA].corrective_action);
}

TEST(PolicySanctions, TiersCapInverseAndSmallDenominators) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  const PolicyTables t = make_policy_tables(s, d);
  auto y = empty_year(d);
  // All six held measures below the MPL (G inverse: 50 is above its MPL 40, which is bad).
  //                     W   C   G   P   B   S
  set_contract(y[kA], 1200, 1e5, 8e4, {45, 50, 50, 10, 40, 49, -1});
  {
    PolicyState st = initial_policy_state(t, d);
    const auto r = run_policy_year(s, t, d, y, st);
    // Multipliers: 1st, 2nd x1.0; 3rd-5th x1.5 (tier from 3); 6th x2.0 (tier from 6).
    double expected = 0.0;
    expected += sanction_term(1.0, 50, 45, 100);  // W: 5 missed -> 5100
    expected += sanction_term(1.0, 60, 50, 100);  // C: 10 -> 5200
    expected += sanction_term(1.5, 40, 50, 100);  // G: 10 -> 7800
    expected += sanction_term(1.5, 20, 10, 100);  // P: 10 -> 7800
    expected += sanction_term(1.5, 50, 40, 100);  // B: 10 -> 7800
    expected += sanction_term(2.0, 50, 49, 100);  // S: 1 -> 10040
    EXPECT_EQ(r[kA].sanction_usd, expected);
    EXPECT_NEAR(r[kA].sanction_usd, 43740.0, 1e-9);
    EXPECT_EQ(r[kA].measures_below_mpl, 6);
    EXPECT_TRUE(r[kA].corrective_action);
  }
  {
    s.sanctions.max_usd = 20000;
    PolicyState st = initial_policy_state(t, d);
    EXPECT_EQ(run_policy_year(s, t, d, y, st)[kA].sanction_usd, 20000.0);
  }
  {
    // Disabled: nothing paid, but the measures below the MPL are still counted.
    s.sanctions.enabled = false;
    PolicyState st = initial_policy_state(t, d);
    const auto r = run_policy_year(s, t, d, y, st);
    EXPECT_EQ(r[kA].sanction_usd, 0.0);
    EXPECT_EQ(r[kA].measures_below_mpl, 6);
    EXPECT_TRUE(r[kA].corrective_action);
    s.sanctions.enabled = true;
    s.sanctions.max_usd = 890000;
  }
  {
    // Inverse direction: G at 39 is fine, at 41 is below the MPL.
    auto y2 = empty_year(d);
    set_contract(y2[kA], 1200, 1e5, 8e4, {50, 60, 39, 20, 50, 50, -1});
    PolicyState st = initial_policy_state(t, d);
    EXPECT_EQ(run_policy_year(s, t, d, y2, st)[kA].sanction_usd, 0.0);
    set_contract(y2[kA], 1200, 1e5, 8e4, {50, 60, 41, 20, 50, 50, -1});
    const auto r = run_policy_year(s, t, d, y2, st);
    EXPECT_EQ(r[kA].sanction_usd, sanction_term(1.0, 40, 41, 100));
    EXPECT_EQ(r[kA].measures_below_mpl, 1);
  }
  {
    // Denominator 29 < 30: not evaluated, never sanctioned.
    auto y3 = empty_year(d);
    set_contract(y3[kA], 1200, 1e5, 8e4, {50, 60, 40, 20, 50, 50, -1});
    y3[kA].numerator[W] = 0;
    y3[kA].denominator[W] = 29;
    PolicyState st = initial_policy_state(t, d);
    const auto r = run_policy_year(s, t, d, y3, st);
    EXPECT_EQ(r[kA].sanction_usd, 0.0);
    EXPECT_EQ(r[kA].measures_below_mpl, 0);
    EXPECT_FALSE(r[kA].corrective_action);
    EXPECT_TRUE(std::isnan(st.previous_rate[kA * kMeasures + W]));  // prior: not evaluated
    EXPECT_EQ(st.previous_rate[kA * kMeasures + C], 60.0);
    EXPECT_EQ(st.years_done, 1);
  }
}

// ---------------------------------------------------------------------------------------------
TEST(PolicyAssignment, QualityScoreCountsMplHplAndImprovement) {
  const ReferenceData d = tiny_data();
  const PolicySettings s = tiny_settings();  // points 1 / +1 / 0.5, improvement 2 points
  const PolicyTables t = make_policy_tables(s, d);
  PolicyState st = initial_policy_state(t, d);
  auto y = empty_year(d);
  //                  W:HPL C:<MPL G:MPL P:<MPL
  set_contract(y[kA], 1200, 1e5, 8e4, {70, 50, 40, 10, -1, -1, -1});
  EXPECT_EQ(run_policy_year(s, t, d, y, st)[kA].quality_score, 2.0 + 0.0 + 1.0 + 0.0);
  // Next year: W stays at HPL (2), C 50 -> 52 (+0.5), G 40 -> 38 (MPL 1, inverse +2: +0.5),
  // P 10 -> 11 (nothing).
  set_contract(y[kA], 1200, 1e5, 8e4, {70, 52, 38, 11, -1, -1, -1});
  EXPECT_EQ(run_policy_year(s, t, d, y, st)[kA].quality_score, 2.0 + 0.5 + 1.5 + 0.0);
}

/// Sum of next year's default shares over a county's contracts.
double county_share_sum(const ReferenceData& d, const PolicyState& st, int county) {
  double sum = 0.0;
  for (std::size_t k = 0; k < d.contracts.size(); ++k) {
    if (d.contracts[k].county == county) sum += st.default_share[k];
  }
  return sum;
}

TEST(PolicyAssignment, HigherScoreGetsLargerShareOnlyInMultiPlanCounties) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  const PolicyTables t = make_policy_tables(s, d);
  PolicyState st = initial_policy_state(t, d);
  const PolicyState initial = st;
  auto y = empty_year(d);
  // A: W and C at MPL (score 2); B: W at MPL (score 1); Kaiser: everything at HPL.
  set_contract(y[kA], 12000, 1e6, 8e5, {50, 60, 50, 10, -1, -1, -1});
  set_contract(y[kB], 6000, 5e5, 4e5, {50, 50, 50, 10, -1, -1, -1});
  set_contract(y[kKaiser], 2000, 2e5, 1e5, {90, 90, 10, 90, -1, -1, -1});
  set_contract(y[kCohs], 24000, 2e6, 1e6, {90, 90, 10, 90, -1, -1, -1});
  set_contract(y[kSingle], 2400, 2e5, 1e5, {10, 10, 90, 10, -1, -1, -1});
  set_contract(y[kSingleKaiser], 600, 5e4, 4e4, {90, 90, 10, 90, -1, -1, -1});
  const auto r = run_policy_year(s, t, d, y, st);
  EXPECT_EQ(r[kA].quality_score, 2.0);
  EXPECT_EQ(r[kB].quality_score, 1.0);
  // (2 + 1) : (1 + 1) = 3 : 2, inside [0.25, 0.75].
  EXPECT_DOUBLE_EQ(st.default_share[kA], 0.6);
  EXPECT_DOUBLE_EQ(st.default_share[kB], 0.4);
  EXPECT_EQ(st.default_share[kKaiser], 0.0);
  // COHS, Single Plan and the GMC county with one eligible plan keep their shares.
  for (const int k : {kCohs, kSingle, kSingleKaiser, kGmcOnly, kGmcKaiser}) {
    EXPECT_EQ(st.default_share[k], initial.default_share[k]) << k;
  }
  for (int c = 0; c < 5; ++c) EXPECT_NEAR(county_share_sum(d, st, c), 1.0, 1e-12) << c;

  // quality_weight large: the 3:2 ratio becomes extreme and the shares hit cap and floor.
  s.auto_assignment.quality_weight = 20;
  PolicyState st2 = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, st2);
  EXPECT_EQ(st2.default_share[kA], 0.75);
  EXPECT_EQ(st2.default_share[kB], 0.25);
  EXPECT_EQ(st2.default_share[kKaiser], 0.0);

  // Infeasible bounds (floor 0.6 for two plans): equal shares.
  s.auto_assignment.share_floor = 0.6;
  PolicyState st3 = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, st3);
  EXPECT_EQ(st3.default_share[kA], 0.5);
  EXPECT_EQ(st3.default_share[kB], 0.5);

  // Auto-assignment disabled: the shares in force stay.
  s = tiny_settings();
  s.auto_assignment.enabled = false;
  PolicyState st4 = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, st4);
  EXPECT_EQ(st4.default_share, initial.default_share);
}

TEST(PolicyAssignment, IterativeClampingReleasesMassToUnclampedPlans) {
  // Four plans in a GMC county, bounds [0.25 × 2/4, 0.75 × 2/4] = [0.125, 0.375]; scores
  // 7, 1, 0, 0 (W at HPL = 1 + 6 points; W at MPL = 1; W below = 0): raw 8 : 2 : 1 : 1
  // = 0.667, 0.167, 0.083, 0.083. Clamping every violator at once would give
  // 0.375, 0.375, 0.125, 0.125 (sum 1 only by accident of the free mass). The excess above the
  // cap (0.292) exceeds the deficit below the floor (0.083), so only plan 1 is clamped first:
  // the rest share 0.625 as 2 : 1 : 1 = 0.3125, 0.15625, 0.15625, all inside the bounds.
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.auto_assignment.measures = {"W"};
  s.auto_assignment.points_mpl = 1;
  s.auto_assignment.points_hpl = 6;
  const PolicyTables t = make_policy_tables(s, d);
  PolicyState st = initial_policy_state(t, d);
  auto y = empty_year(d);
  set_contract(y[kG4 + 0], 1200, 1e5, 8e4, {70, -1, -1, -1, -1, -1, -1});
  set_contract(y[kG4 + 1], 1200, 1e5, 8e4, {50, -1, -1, -1, -1, -1, -1});
  set_contract(y[kG4 + 2], 1200, 1e5, 8e4, {40, -1, -1, -1, -1, -1, -1});
  set_contract(y[kG4 + 3], 1200, 1e5, 8e4, {40, -1, -1, -1, -1, -1, -1});
  const auto r = run_policy_year(s, t, d, y, st);
  EXPECT_EQ(r[kG4].quality_score, 7.0);
  EXPECT_EQ(st.default_share[kG4 + 0], 0.375);
  EXPECT_DOUBLE_EQ(st.default_share[kG4 + 1], 0.3125);
  EXPECT_DOUBLE_EQ(st.default_share[kG4 + 2], 0.15625);
  EXPECT_DOUBLE_EQ(st.default_share[kG4 + 3], 0.15625);
  EXPECT_NEAR(county_share_sum(d, st, 4), 1.0, 1e-15);

  // Scores 0, 1, 0, 7 with a huge weight (raw ≈ 0 : 2^-100 : 0 : 1): plan 4 takes the cap,
  // then plan 2 would take nearly all of the remaining 0.625 and is capped too; plans 1 and 3
  // split the last 0.25 equally, exactly at the floor.
  s.auto_assignment.quality_weight = 50;
  set_contract(y[kG4 + 0], 1200, 1e5, 8e4, {40, -1, -1, -1, -1, -1, -1});
  set_contract(y[kG4 + 3], 1200, 1e5, 8e4, {70, -1, -1, -1, -1, -1, -1});
  PolicyState st2 = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, st2);
  EXPECT_EQ(st2.default_share[kG4 + 0], 0.125);
  EXPECT_EQ(st2.default_share[kG4 + 1], 0.375);
  EXPECT_EQ(st2.default_share[kG4 + 2], 0.125);
  EXPECT_EQ(st2.default_share[kG4 + 3], 0.375);

  // Scores 0, 0, 0, 7: plan 4 takes the cap; the three others split 0.625 equally (0.2083
  // each), above the floor.
  set_contract(y[kG4 + 1], 1200, 1e5, 8e4, {40, -1, -1, -1, -1, -1, -1});
  PolicyState st2b = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, st2b);
  EXPECT_EQ(st2b.default_share[kG4 + 3], 0.375);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(st2b.default_share[kG4 + i], 0.625 / 3.0);

  // Weight 0: equal shares whatever the scores.
  s.auto_assignment.quality_weight = 0;
  PolicyState st3 = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, st3);
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(st3.default_share[kG4 + i], 0.25);
}

/// Reference for bounded shares: s_i = clamp(λ raw_i, lo, hi), λ by bisection.
std::vector<double> reference_shares(const std::vector<double>& raw, double lo, double hi) {
  auto total = [&](double lambda) {
    double sum = 0.0;
    for (const double r : raw) sum += std::min(hi, std::max(lo, lambda * r));
    return sum;
  };
  double a = 0.0, b = 1.0;
  while (total(b) < 1.0) b *= 2.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (a + b);
    (total(mid) < 1.0 ? a : b) = mid;
  }
  std::vector<double> out;
  for (const double r : raw) out.push_back(std::min(hi, std::max(lo, b * r)));
  return out;
}

TEST(PolicyAssignment, BoundedSharesMatchTheClampedProportionalSolution) {
  // Random scores in the four-plan county; the shares must equal clamp(λ (score + 1)^w).
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.auto_assignment.measures = {"W", "C", "G", "P", "B", "S"};
  s.auto_assignment.share_floor = 0.3;  // [0.15, 0.45]
  s.auto_assignment.share_cap = 0.9;
  s.auto_assignment.quality_weight = 2.5;
  const PolicyTables t = make_policy_tables(s, d);
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 200; ++trial) {
    PolicyState st = initial_policy_state(t, d);
    auto y = empty_year(d);
    for (int i = 0; i < 4; ++i) {
      std::vector<int> rates(kMeasures, -1);
      for (int m = 0; m < 6; ++m) rates[m] = static_cast<int>(rng() % 101);
      set_contract(y[kG4 + i], 1200, 1e5, 8e4, rates);
    }
    const auto r = run_policy_year(s, t, d, y, st);
    std::vector<double> raw;
    for (int i = 0; i < 4; ++i) raw.push_back(std::pow(r[kG4 + i].quality_score + 1.0, 2.5));
    const auto expected = reference_shares(raw, 0.15, 0.45);
    double sum = 0.0;
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(st.default_share[kG4 + i], expected[i], 1e-12) << "trial " << trial;
      EXPECT_GE(st.default_share[kG4 + i], 0.15 - 1e-15);
      EXPECT_LE(st.default_share[kG4 + i], 0.45 + 1e-15);
      sum += st.default_share[kG4 + i];
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
}

// ---------------------------------------------------------------------------------------------
TEST(PolicyEffort, RisesWithTheWithholdAndIsZeroWhenDisabled) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.sanctions.enabled = false;
  s.auto_assignment.enabled = false;
  s.plan_response.adjustment = 1.0;  // new effort = target effort
  PolicyTables t = make_policy_tables(s, d);
  t.reference = nullptr;  // the response to the stakes themselves, not relative to 2024 rules
  auto y = empty_year(d);
  set_contract(y[kA], 12000, 4e6, 3e6, {55, 65, 35, 30, 50, 50, -1});
  auto target_for = [&](double withhold_fraction) {
    // S = withhold / (3 evaluated + 3 proxies) per member-year (1000 members), h = 6.
    const double stake = withhold_fraction * 4e6 / 6.0 / 1000.0;
    return 0.6 * stake / (stake + 6.0);
  };
  double effort_low = 0, effort_high = 0;
  for (const double wf : {0.005, 0.02}) {
    s.qwi.withhold_fraction = wf;
    PolicyState st = initial_policy_state(t, d);
    run_policy_year(s, t, d, y, st);
    const double w = st.effort_logit[kA * kMeasures + W];
    EXPECT_DOUBLE_EQ(w, target_for(wf));
    EXPECT_DOUBLE_EQ(st.effort_logit[kA * kMeasures + G], target_for(wf));
    EXPECT_EQ(st.effort_logit[kA * kMeasures + P], 0.0);  // not a QWI measure
    EXPECT_EQ(st.effort_logit[kCohs * kMeasures + W], 0.0);  // no members: no stake
    (wf == 0.005 ? effort_low : effort_high) = w;
  }
  // 0.005: S = 3.333, target 0.2143; 0.02: S = 13.33, target 0.4138.
  EXPECT_GT(effort_high, effort_low);
  EXPECT_NEAR(effort_low, 0.6 * (20.0 / 6.0) / (20.0 / 6.0 + 6.0), 1e-12);

  // Adjustment 0.5 closes half the gap per year.
  s.plan_response.adjustment = 0.5;
  PolicyState half = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, half);
  EXPECT_DOUBLE_EQ(half.effort_logit[kA * kMeasures + W], 0.5 * target_for(0.02));

  s.plan_response.enabled = false;
  PolicyState st = initial_policy_state(t, d);
  st.effort_logit[kA * kMeasures + W] = 0.3;
  const auto r = run_policy_year(s, t, d, y, st);
  EXPECT_EQ(r[kA].quality_effort_cost_usd, 0.0);
  for (const double e : st.effort_logit) EXPECT_EQ(e, 0.0);
}

TEST(PolicyEffort, SanctionStakeUsesTheLogisticProbabilityOfFallingBelow) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.qwi.enabled = false;
  s.auto_assignment.enabled = false;
  s.plan_response.adjustment = 1.0;
  PolicyTables t = make_policy_tables(s, d);
  t.reference = nullptr;  // the response to the stakes themselves, not relative to 2024 rules
  PolicyState st = initial_policy_state(t, d);
  auto y = empty_year(d);
  // W at the MPL (margin 0: p = 1/2, gap max(0, 1) = 1 point); C 6 points below
  // (p = 1 / (1 + e^-2)); G 3 points better than its inverse MPL (p = 1 / (1 + e)).
  set_contract(y[kA], 1200, 1e5, 8e4, {50, 54, 37, -1, -1, -1, -1});
  run_policy_year(s, t, d, y, st);
  auto effort = [](double stake_usd) {
    const double per_member = stake_usd / 100.0;  // 1200 member-months = 100 members
    return 0.6 * per_member / (per_member + 6.0);
  };
  EXPECT_DOUBLE_EQ(st.effort_logit[kA * kMeasures + W], effort(0.5 * (5000.0 + 20.0 * 1.0)));
  EXPECT_DOUBLE_EQ(st.effort_logit[kA * kMeasures + C],
                   effort(1.0 / (1.0 + std::exp(-2.0)) * (5000.0 + 20.0 * 6.0)));
  EXPECT_DOUBLE_EQ(st.effort_logit[kA * kMeasures + G],
                   effort(1.0 / (1.0 + std::exp(1.0)) * (5000.0 + 20.0 * 3.0)));
  EXPECT_EQ(st.effort_logit[kA * kMeasures + P], 0.0);  // no denominator: not evaluated
}

TEST(PolicyEffort, AssignmentStakeOnlyForPlansThatReceiveDefaults) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.qwi.enabled = false;
  s.sanctions.enabled = false;
  s.plan_response.adjustment = 1.0;
  PolicyTables t = make_policy_tables(s, d);
  t.reference = nullptr;  // the response to the stakes themselves, not relative to 2024 rules
  auto y = empty_year(d);
  // Equal scores (0) in the Two-Plan county: shares 1/2 each; one more point for A gives
  // 2 : 1, so the point is worth 2/3 - 1/2 = 1/6 of the county's default enrollees.
  set_contract(y[kA], 12000, 4e6, 3e6, {10, 10, 90, 10, -1, -1, -1});
  set_contract(y[kB], 6000, 2e6, 1.9e6, {10, 10, 90, 10, -1, -1, -1});
  set_contract(y[kKaiser], 2400, 1e6, 7e5, {10, 10, 90, 10, -1, -1, -1});
  set_contract(y[kCohs], 24000, 8e6, 6e6, {10, 10, 90, 10, -1, -1, -1});
  PolicyState st = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, st);
  // Default enrollees/year = (1000 + 500 + 200 member-years) × 0.12 × 0.3 (data default rate).
  const double defaults = (12000.0 / 12.0 * 0.12 * 0.3 + 6000.0 / 12.0 * 0.12 * 0.3) +
                          2400.0 / 12.0 * 0.12 * 0.3;
  const double margin_a = (4e6 - 3e6 - 0.051 * 4e6) / 12000.0;  // $66.33 PMPM
  const double value_a = (2.0 / 3.0 - 0.5) * defaults * margin_a * 24.0;
  const double stake_a = value_a / 1000.0;
  EXPECT_NEAR(st.effort_logit[kA * kMeasures + P], 0.6 * stake_a / (stake_a + 6.0), 1e-12);
  EXPECT_EQ(st.effort_logit[kA * kMeasures + B], 0.0);  // not an assignment measure
  // B's margin is negative (1.9M + 0.102M > 2M): no value in more members.
  EXPECT_EQ(st.effort_logit[kB * kMeasures + P], 0.0);
  EXPECT_EQ(st.effort_logit[kKaiser * kMeasures + P], 0.0);  // gets no defaults
  EXPECT_EQ(st.effort_logit[kCohs * kMeasures + P], 0.0);    // COHS: no quality assignment

  // default_rate 0 in the settings overrides the data: no stake.
  s.auto_assignment.default_rate = 0.0;
  PolicyState st2 = initial_policy_state(t, d);
  run_policy_year(s, t, d, y, st2);
  EXPECT_EQ(st2.effort_logit[kA * kMeasures + P], 0.0);
}

TEST(PolicyEffort, EffortCostIsChargedAndCountedAsPrimaryCare) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.plan_response.cost_pmpm_per_logit = 1.5;
  const PolicyTables t = make_policy_tables(s, d);
  PolicyState st = initial_policy_state(t, d);
  st.effort_logit[kA * kMeasures + W] = 0.1;
  st.effort_logit[kA * kMeasures + G] = 0.2;
  auto y = empty_year(d);
  set_contract(y[kA], 12000, 4e6, 3e6, {55, 65, 35, 30, 50, 50, -1});
  const auto r = run_policy_year(s, t, d, y, st);
  const double cost = 1.5 * (0.1 + 0.2) * 12000.0;  // effort in force this year
  EXPECT_EQ(r[kA].quality_effort_cost_usd, cost);
  EXPECT_NEAR(cost, 5400.0, 1e-9);
  EXPECT_EQ(r[kA].primary_care_usd, 0.07 * 3e6 + cost);
  EXPECT_EQ(r[kA].admin_cost_usd, 0.051 * 4e6);
}

// ---------------------------------------------------------------------------------------------
TEST(PolicyReinvestment, TiersAndNegativeIncome) {
  const ReferenceData d = tiny_data();
  PolicySettings s = tiny_settings();
  s.qwi.enabled = false;
  s.plan_response.enabled = false;
  const PolicyTables t = make_policy_tables(s, d);
  auto y = empty_year(d);
  auto run_with_medical = [&](double medical) {
    set_contract(y[kA], 12000, 1e6, medical, {-1, -1, -1, -1, -1, -1, -1});
    PolicyState st = initial_policy_state(t, d);
    return run_policy_year(s, t, d, y, st)[kA];
  };
  // NI = 1,000,000 - 800,000 - 51,000 (admin 5.1%) = 149,000; T = 2% of 1M = 20,000:
  // 5% of 20,000 + 7.5% of 129,000 = 1,000 + 9,675.
  ContractPolicyResult r = run_with_medical(8e5);
  const double ni = 1e6 - 0.0 + 0.0 + 0.0 - 0.0 - 8e5 - 0.051 * 1e6 - 0.0;
  EXPECT_EQ(r.net_income_usd, ni);
  EXPECT_EQ(r.reinvestment_usd, 0.05 * std::min(ni, 0.02 * 1e6) + 0.075 * (ni - 0.02 * 1e6));
  EXPECT_NEAR(r.reinvestment_usd, 10675.0, 1e-9);
  // NI = 9,000 < T: tier 1 only.
  r = run_with_medical(9.4e5);
  EXPECT_NEAR(r.net_income_usd, 9000.0, 1e-9);
  EXPECT_EQ(r.reinvestment_usd, 0.05 * r.net_income_usd);
  // NI = -11,000: nothing.
  r = run_with_medical(9.6e5);
  EXPECT_LT(r.net_income_usd, 0.0);
  EXPECT_EQ(r.reinvestment_usd, 0.0);
  // Disabled: nothing reinvested, admin cost still reported.
  s.reinvestment.enabled = false;
  r = run_with_medical(8e5);
  EXPECT_EQ(r.reinvestment_usd, 0.0);
  EXPECT_EQ(r.admin_cost_usd, 0.051 * 1e6);
  EXPECT_EQ(r.primary_care_usd, 0.07 * 8e5);
}

// ---------------------------------------------------------------------------------------------
TEST(PolicyAccounting, IdentityHoldsForEveryContractOverSeveralYears) {
  const ReferenceData d = tiny_data();
  std::mt19937 rng(20240101);
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng()) / 4294967296.0;
  };
  for (int variant = 0; variant < 4; ++variant) {
    PolicySettings s = tiny_settings();
    s.qwi.withhold_fraction = variant * 0.01 + 0.005;
    s.qwi.target = variant % 2 == 0 ? "mpl_or_improvement" : "mpl";
    s.qwi.incentive_min_share_met = 0.5;
    s.sanctions.max_usd = variant == 3 ? 10000.0 : 890000.0;
    const PolicyTables t = make_policy_tables(s, d);
    PolicyState st = initial_policy_state(t, d);
    for (int year = 0; year < 4; ++year) {
      auto y = empty_year(d);
      for (auto& c : y) {
        c.member_months = std::floor(uniform(0.0, 50000.0));
        c.capitation_usd = c.member_months * uniform(250.0, 450.0);
        c.medical_cost_usd = c.capitation_usd * uniform(0.8, 1.05);
        for (int m = 0; m < kMeasures; ++m) {
          c.denominator[m] = static_cast<std::int64_t>(rng() % 400);
          c.numerator[m] = c.denominator[m] == 0
                               ? 0
                               : static_cast<std::int64_t>(rng() % (c.denominator[m] + 1));
        }
      }
      const PolicyState before = st;
      PolicyState again = st;
      const auto r = run_policy_year(s, t, d, y, st);
      ASSERT_EQ(r.size(), d.contracts.size());
      for (const auto& c : r) {
        const double expected = c.capitation_usd - c.withhold_usd + c.withhold_returned_usd +
                                c.incentive_usd - c.sanction_usd - c.medical_cost_usd -
                                c.admin_cost_usd - c.quality_effort_cost_usd;
        EXPECT_NEAR(c.net_income_usd, expected, 1e-9 * std::max(1.0, std::fabs(c.capitation_usd)));
        EXPECT_GE(c.reinvestment_usd, 0.0);
        EXPECT_LE(c.sanction_usd, s.sanctions.max_usd);
        EXPECT_GE(c.quality_effort_cost_usd, 0.0);
      }
      for (int c = 0; c < 5; ++c) EXPECT_NEAR(county_share_sum(d, st, c), 1.0, 1e-12);
      // Deterministic: the same inputs and state give bit-identical results.
      const auto r2 = run_policy_year(s, t, d, y, again);
      for (std::size_t k = 0; k < r.size(); ++k) {
        EXPECT_EQ(r[k].net_income_usd, r2[k].net_income_usd);
        EXPECT_EQ(r[k].incentive_usd, r2[k].incentive_usd);
      }
      EXPECT_EQ(st.default_share, again.default_share);
      EXPECT_EQ(st.effort_logit, again.effort_logit);
      // Total QWI money: returned + incentive never exceeds the withhold.
      double withheld = 0, paid = 0;
      for (const auto& c : r) {
        withheld += c.withhold_usd;
        paid += c.withhold_returned_usd + c.incentive_usd;
      }
      EXPECT_LE(paid, withheld * (1 + 1e-12) + 1e-9);
      EXPECT_EQ(st.years_done, before.years_done + 1);
    }
  }
}


TEST(PolicyEffort, IsRelativeToTheReferenceRules) {
  // Effort answers the stakes of the scenario's rules minus those of the reference rules, whose
  // response is in the calibrated baseline: the reference rules themselves elicit no effort; a
  // larger withhold elicits effort on the QWI measures only.
  const ReferenceData d = tiny_data();
  PolicySettings base = tiny_settings();
  base.auto_assignment.enabled = false;
  base.sanctions.enabled = false;  // withhold stakes only, so the expectation is exact
  base.plan_response.adjustment = 1.0;
  PolicySettings strong = base;
  strong.qwi.withhold_fraction = 0.02;
  auto y = empty_year(d);
  set_contract(y[kA], 12000, 4e6, 3e6, {55, 65, 35, 30, 50, 50, -1});
  const auto reference = std::make_shared<const PolicyTables>(make_policy_tables(base, d));
  for (const PolicySettings* s : {&base, &strong}) {
    PolicyTables t = make_policy_tables(*s, d);
    t.reference = reference;
    PolicyState st = initial_policy_state(t, d);
    run_policy_year(*s, t, d, y, st);
    for (std::size_t m = 0; m < static_cast<std::size_t>(kMeasures); ++m) {
      const double e = st.effort_logit[kA * kMeasures + m];
      const bool qwi = m == static_cast<std::size_t>(W) || m == static_cast<std::size_t>(C) ||
                       m == static_cast<std::size_t>(G);
      if (s == &base || !qwi) {
        EXPECT_EQ(e, 0.0) << "measure " << m;
      } else {
        // S = withhold / 6 targets per member-year (1000 members); E(S) - E(S at 0.005).
        const auto response = [](double stake) { return 0.6 * stake / (stake + 6.0); };
        EXPECT_NEAR(e, response(0.02 * 4e6 / 6.0 / 1000.0) - response(0.005 * 4e6 / 6.0 / 1000.0), 1e-12)
            << "measure " << m;
      }
    }
  }
}

}  // namespace
}  // namespace phsim
