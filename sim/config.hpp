#pragma once
/// @file The validated configuration of a run, as the simulation sees it. Scenario files
/// (scenarios/) and command-line flags produce it; scenarios/README.md documents every key.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace phsim {

/// `[run]` section of a scenario.
struct RunSettings {
  std::string name = "baseline";  ///< scenario name (the `scenario` coordinate in outputs)
  int start_year = 2024;          ///< first measurement year (2000..2100)
  int years = 1;                  ///< measurement years to simulate (1..50)
  std::uint64_t members = 100000; ///< synthetic members per replicate (1..4294967295)
  bool members_full = false;      ///< `members = "full"`: the published enrollment
  int replicates = 1;             ///< Monte Carlo replicates (1..100000)
  std::uint32_t seed = 20240101;  ///< RNG seed (0..4294967295)
};

/// `[policy.capitation]`: capitation paid per enrolled member-month (DESIGN.md §7).
struct CapitationSettings {
  /// PMPM by aid category (child, adult_parent, adult_expansion, disabled, aged); a negative
  /// value means the data's `capitation.<aid>_pmpm_usd`.
  std::array<double, 5> pmpm_usd{-1.0, -1.0, -1.0, -1.0, -1.0};
  double scale = 1.0;  ///< multiplier on every rate (rate-change scenarios), 0..10
};

/// `[policy.qwi]`: Quality Withhold and Incentive.
struct QwiSettings {
  bool enabled = true;  ///< false: no withhold and no incentive (targets are still reported)
  double withhold_fraction = 0.005;  ///< of capitation, 0..0.2 (2024: 0.005)
  /// Measures with a performance target (ids in data/measures.csv).
  std::vector<std::string> measures = {"CBP", "GSD>9", "PPC-Pre", "PPC-Pst", "WCV", "W30-6", "W30-2"};
  /// "mpl": rate at or better than the MPL; "hpl": at or better than the HPL;
  /// "mpl_or_improvement": at the MPL or improved by `improvement_points` over the prior year.
  std::string target = "mpl_or_improvement";
  double improvement_points = 2.0;  ///< percentage points, 0..100
  /// Satisfaction and efficiency targets (CAHPS etc.) with no simulated counterpart: how many,
  /// and the share of them each plan meets (an assumption applied to every plan).
  int proxy_targets = 3;
  double proxy_met_share = 0.5;  ///< 0..1
  /// Unearned withhold funds incentives to plans meeting at least `incentive_min_share_met`
  /// of their targets, in proportion to their capitation; otherwise it stays with the state.
  bool redistribute_unearned = true;
  double incentive_min_share_met = 0.8;  ///< 0..1
  int min_denominator = 30;  ///< measures with a smaller denominator are not evaluated
};

/// `[policy.sanctions]`: MCAS sanctions for held measures below the MPL.
struct SanctionSettings {
  bool enabled = true;
  std::vector<std::string> measures;  ///< empty = every measure held to the MPL in the data
  /// Per measure below the MPL, >= 0. The two amounts are an assumption scaled so that the
  /// simulated 2024 statewide total is near the MY2024 total of about $1.5M (DHCS).
  double base_usd = 265;
  /// Per member the plan would have needed to add to the numerator to reach the MPL
  /// ((MPL - rate) x denominator): the "eligible population impacted, degree below MPL".
  double usd_per_missed_case = 1.15;
  /// Multipliers for the n-th measure below the MPL in one year: tier j applies from the
  /// tier_starts[j]-th measure on (1-based); measures before the first tier use 1.
  std::vector<int> tier_starts = {1, 3, 6};
  std::vector<double> tier_multipliers = {1.0, 1.5, 2.0};
  /// Cap per contract (one plan in one county, the reporting unit here) and year; the MY2022
  /// largest sanction on one plan was $890,000.
  double max_usd = 890000;
  int min_denominator = 30;
};

/// `[policy.auto_assignment]`: default enrollees in multi-plan counties by quality score.
struct AutoAssignmentSettings {
  bool enabled = true;  ///< false: default shares stay in proportion to enrollment
  double default_rate = -1.0;  ///< share of new enrollees who do not choose; <0 = data aaip.default_rate
  std::vector<std::string> measures = {"W30-6", "W30-2", "WCV", "CIS-10", "PPC-Pre", "PPC-Pst",
                                       "CBP", "GSD>9", "BCS-E", "CCS"};
  double points_mpl = 1.0;          ///< per designated measure at or better than the MPL
  double points_hpl = 1.0;          ///< additional, at or better than the HPL
  double points_improvement = 0.5;  ///< improved by at least improvement_points
  double improvement_points = 2.0;
  double quality_weight = 1.0;  ///< share ∝ (score + 1)^quality_weight; 0 = equal shares
  /// Bounds of a plan's share in a two-plan county, scaled by 2/n for n plans; the floor is at
  /// most 0.5 and the cap at least 0.5 so that shares can always sum to one.
  double share_floor = 0.25;
  double share_cap = 0.75;
  /// Plans that receive no default enrollees (Kaiser's direct contract takes members by
  /// choice and prior affiliation).
  std::vector<std::string> excluded_plans = {"Kaiser Permanente (Kaiser Foundation Health Plan)"};
  int min_denominator = 30;
};

/// `[policy.plan_response]`: plan quality effort as a function of dollars at stake.
struct PlanResponseSettings {
  bool enabled = true;  ///< false: effort stays zero
  /// effort (log-odds on the measure's service propensity) = max_effort_logit × S / (S + h),
  /// S = dollars at stake per member per year on the measure, h = half_saturation_usd.
  double max_effort_logit = 0.6;
  /// Replicate uncertainty of the response: max_effort_logit is drawn lognormally with this sd
  /// of its log (0 = fixed).
  double max_effort_logit_sd_log = 0.3;
  double half_saturation_usd = 6.0;
  double cost_pmpm_per_logit = 1.0;  ///< effort's cost, dollars per member-month per unit logit
  double adjustment = 0.5;           ///< share of the gap to the target effort closed per year
  double margin_horizon_months = 24; ///< months of a default enrollee's margin a plan counts
};

/// `[policy.reinvestment]`: community reinvestment from positive net income.
struct ReinvestmentSettings {
  bool enabled = true;
  double tier1_fraction = 0.05;   ///< of net income up to the threshold
  double tier2_fraction = 0.075;  ///< of net income above it
  double tier2_threshold_fraction_of_revenue = 0.02;  ///< threshold as a share of capitation
  double admin_fraction = 0.051;  ///< administrative cost as a share of capitation
  double primary_care_fraction = 0.07;  ///< primary-care share of medical cost before effort
};

/// An uncertain parameter's distribution; each replicate draws it once (sim/uncertainty.hpp).
/// Written in scenarios as `{ mean = m, sd = s }` (normal; for intervention effects this is the
/// log odds ratio) or with `dist = "lognormal" | "beta" | "uniform" | "fixed"`.
struct Distribution {
  /// fixed: value = mean. normal: mean, sd. lognormal: value = exp(N(mean, sd)) (mean and sd of
  /// the log). beta: mean in (0,1) and sd (method of moments). uniform: between low and high.
  std::string dist = "normal";
  double mean = 0.0;
  double sd = 0.0;
  double low = 0.0, high = 0.0;  ///< uniform only
};

/// One effect of an intervention.
struct InterventionEffect {
  /// What it acts on: a measure id (its service propensity), "domain:<domain>" (every measure
  /// of that domain in data/measures.csv), or a transition: "ed_visits",
  /// "inpatient_admissions" (log odds ratios on the monthly probabilities) or
  /// "palliative_enrollment" (the monthly probability that an eligible member enrolls, on the
  /// probability scale; palliative_care kind only).
  std::string target;
  Distribution effect;  ///< log odds ratio (or probability for palliative_enrollment)
};

/// `[[intervention]]`: a program that changes service propensities or transitions for the
/// members it reaches (DESIGN.md §8).
struct InterventionSettings {
  std::string name;  ///< unique within the scenario; the `intervention` coordinate
  /// practice_support: members of the targeted practices (coaching, transformation);
  /// member_outreach: members with an open care gap on a targeted measure (CHWs, reminders);
  /// palliative_care: members with a serious illness, who enroll month by month.
  std::string kind = "practice_support";
  std::vector<std::string> counties;    ///< empty = every county
  std::vector<std::string> plans;       ///< empty = every plan
  std::vector<std::string> conditions;  ///< empty = any member; else at least one of them
  /// Practices reached: "all" in the targeted counties, or "cohort": `practice_cohort_size`
  /// practices of the targeted counties, chosen deterministically in proportion to panel size.
  std::string practices = "all";
  int practice_cohort_size = 0;
  int start_year = 2024, start_month = 1;  ///< `start = "YYYY-MM"`
  int duration_months = 24;
  int ramp_months = 0;     ///< effects grow linearly to full over this many months
  double engagement = 1.0; ///< share of reached members engaged (fixed per member), 0..1
  std::vector<InterventionEffect> effects;
  double correlation = 0.0;  ///< correlation of the effects' replicate draws, -0.99..0.99
  double fixed_cost_usd = 0.0;             ///< whole program, spread evenly over its months
  double cost_per_practice_usd = 0.0;      ///< per practice reached, spread over its months
  double cost_per_member_month_usd = 0.0;  ///< per engaged (or palliative-enrolled) member-month
  /// Practice incentive payments (EPT): each practice reached earns between the minimum and the
  /// maximum over the program, by panel size, times the share of milestones achieved.
  double practice_payment_min_usd = 0.0, practice_payment_max_usd = 0.0;
  Distribution milestone_share{"fixed", 1.0, 0.0, 0.0, 0.0};
};

/// `[policy]`: the rules of the policy engine (sim/policy.hpp).
struct PolicySettings {
  CapitationSettings capitation;
  QwiSettings qwi;
  SanctionSettings sanctions;
  AutoAssignmentSettings auto_assignment;
  PlanResponseSettings plan_response;
  ReinvestmentSettings reinvestment;
};

/// Everything that configures one scenario's simulation.
struct ScenarioConfig {
  RunSettings run;
  PolicySettings policy;
  std::vector<InterventionSettings> interventions;
};

}  // namespace phsim
