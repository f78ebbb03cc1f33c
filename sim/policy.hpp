#pragma once
/// @file The policy engine (DESIGN.md §7): host C++ over small tables, once per measurement year
/// and replicate. Input: the year's integer tallies and money per contract (county × plan).
/// Output: the year's payments per contract and, in PolicyState, what the next year's step
/// needs (plan effort per contract and measure, default-assignment shares).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/reference_data.hpp"

namespace phsim {

/// One contract's measurement year, from the tallies.
struct ContractYear {
  double member_months = 0;
  double capitation_usd = 0;    ///< paid for the year's enrolled member-months
  double medical_cost_usd = 0;
  std::vector<std::int64_t> numerator, denominator;  ///< [measure]
};

/// What the policy engine carries from one year to the next (one per replicate).
struct PolicyState {
  int years_done = 0;
  std::vector<double> previous_rate;  ///< [contract * measures + k], percent; NaN = none
  std::vector<double> effort_logit;   ///< [contract * measures + k], in force this year
  std::vector<double> default_share;  ///< [contract], share of its county's defaults
};

/// One contract's year of money (nominal dollars) and quality results.
struct ContractPolicyResult {
  double capitation_usd = 0, withhold_usd = 0, withhold_returned_usd = 0, incentive_usd = 0;
  double sanction_usd = 0, medical_cost_usd = 0, admin_cost_usd = 0, quality_effort_cost_usd = 0;
  double net_income_usd = 0, reinvestment_usd = 0, primary_care_usd = 0;
  double quality_score = 0;     ///< auto-assignment points
  double targets_met_share = 0; ///< QWI share of targets met (proxies included)
  int measures_below_mpl = 0;   ///< held measures evaluated and below the MPL
  int measures_at_hpl = 0;      ///< held measures evaluated and at or better than the HPL
  bool corrective_action = false;  ///< any held measure below the MPL
};

/// Measure indices and plan eligibility resolved once from settings and data.
struct PolicyTables {
  std::vector<int> qwi_measures, sanction_measures, assignment_measures;
  std::vector<bool> contract_gets_defaults;  ///< [contract] plan not excluded from defaults
  std::vector<bool> county_quality_assignment;  ///< [county] two or more eligible plans, not COHS/Single
  /// The settings these tables were made for.
  PolicySettings settings;
  /// The reference (2024) rules: plan effort answers the stakes of `settings` relative to the
  /// stakes of these rules, whose response is already in the calibrated baseline. Null for the
  /// reference tables themselves.
  std::shared_ptr<const PolicyTables> reference;
};

/// Resolves measure ids and plan names (for `settings` and for the reference rules, the default
/// PolicySettings); throws ScenarioError naming the unknown id or name.
PolicyTables make_policy_tables(const PolicySettings& settings, const ReferenceData& data);

/// The state before the first year: no prior rates, zero effort, default shares in proportion
/// to enrollment among the plans that receive defaults.
PolicyState initial_policy_state(const PolicyTables& tables, const ReferenceData& data);

/// Rate in percent (NaN when the denominator is below `min_denominator`).
double measure_rate_percent(std::int64_t numerator, std::int64_t denominator, int min_denominator);

/// True if `rate` (percent) meets `benchmark` given the measure's direction (inverse: lower is
/// better).
bool at_or_better(double rate, double benchmark, bool inverse);

/// Runs one year of the policy rules for every contract and advances `state` (next year's
/// effort and default shares, this year's rates as the prior).
/// Accounting identity, per contract:
///   net_income = capitation - withhold + withhold_returned + incentive - sanction
///                - medical_cost - admin_cost - quality_effort_cost
std::vector<ContractPolicyResult> run_policy_year(const PolicySettings& settings,
                                                  const PolicyTables& tables,
                                                  const ReferenceData& data,
                                                  const std::vector<ContractYear>& year,
                                                  PolicyState& state);

}  // namespace phsim
