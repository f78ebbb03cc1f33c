#pragma once
/// @file Host side of the monthly step: model parameters read from the reference data, the
/// calibrated service model, and the integer tables the device reads (kernels/step_tables.hpp).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/member.hpp"
#include "kernels/step_tables.hpp"
#include "sim/calibration.hpp"
#include "sim/population.hpp"
#include "sim/reference_data.hpp"

namespace phsim {

/// A value that varies by age band (years, inclusive).
struct AgeBandValue {
  int lo = 0, hi = 0;
  double value = 0.0;
};

/// Every scalar of the member dynamics, read from parameters.csv by key (see data/README.md for
/// sources and ranges). Rates are per year unless the name says monthly.
struct ModelParameters {
  double disenroll_annual = 0, reenroll_monthly = 0, default_rate = 0;
  double births_per_1000_member_years = 0, deaths_per_1000_member_years = 0;
  std::array<double, 6> fertility_relative{};  ///< 15-19, 20-24, ..., 40-44
  double gompertz_log_hazard_at_0 = 0, gompertz_slope_per_year = 0, infant_annual = 0;
  double serious_excess_annual = 0, mortality_scale = 1;
  std::array<std::vector<AgeBandValue>, kConditionCount> prevalence, incidence;
  std::array<double, kConditionCount> remission_annual{};
  std::array<double, kSeriousTypeCount> serious_type_share{};
  double bp_controlled_share = 0, bp_sojourn_months = 0, a1c_poor_share = 0, a1c_sojourn_months = 0;
  double ed_per_member_year = 0, ed_mult_mental = 0, ed_mult_substance = 0, ed_mult_serious = 0;
  double ed_mental_health_per_affected_year = 0, ed_substance_use_per_affected_year = 0;
  double inpatient_per_1000 = 0, inpatient_mult_serious = 0, inpatient_mean_los = 0;
  double delivery_los_days = 0;
  double cost_ed_usd = 0, cost_inpatient_day_usd = 0, cost_delivery_usd = 0;
  double cost_serious_monthly_usd = 0, base_medical_fraction = 0;
  std::array<double, kAidCount> capitation_pmpm_usd{};
  double reliever_fills_per_month = 0;
  double county_sd_logit = 0, plan_sd_logit = 0, tier_spread_logit = 0;
  std::array<double, kRaceCount> race_logit{};
};

/// Reads ModelParameters; throws DataError naming the missing or invalid key.
ModelParameters read_model_parameters(const ReferenceData& data);

/// Log-odds terms of the monthly service propensity (DESIGN.md §6):
/// logit p = base[k] + county[c][k] + plan[pl][k] + race[r] + tier[t] + effort[contract][k].
struct ServiceModel {
  std::vector<double> base_logit;    ///< [measure], calibrated
  std::vector<double> county_logit;  ///< [county * measures + k]
  std::vector<double> plan_logit;    ///< [plan * measures + k]
  std::array<double, kRaceCount> race_logit{};
  std::array<double, kPracticeTiers> tier_logit{};
  std::vector<CalibrationResult> calibration;  ///< [measure]
  RateContext rate_context;
};

/// Practice quality tier (0 = lowest) of each practice: its index within the county mod 4.
std::vector<std::uint8_t> practice_tiers(const SynthesisTables& tables);

/// Builds the structural offsets (deterministic normal draws with the variation.* standard
/// deviations, the same in every run) and solves each measure's base log-odds so the expected
/// statewide rate equals its reference rate.
ServiceModel calibrate_service_model(const ReferenceData& data, const SynthesisTables& tables,
                                     const ModelParameters& params);

/// Annual death probability by age in years [0..kMaxAgeYears] without serious illness: the
/// Gompertz/infant age shape scaled so that expected deaths per 1000 member-years (serious
/// illness excess at its prevalence included) equal the reference, times mortality.scale.
std::vector<double> annual_death_probability(const ModelParameters& params,
                                             const SynthesisTables& tables);

/// Monthly conception hazard per woman by age in years [0..kMaxAgeYears], scaled so that births
/// per 1000 member-years match the reference (steady state: a conception blocks 12 months).
std::vector<double> monthly_conception_hazard(const ModelParameters& params,
                                              const SynthesisTables& tables);

/// Host copies of every table the step reads.
struct StepTables {
  StepTablesView scalars{};  ///< scalar fields (pointers are filled by the engine)
  std::vector<std::uint64_t> death_thr, death_serious_thr, conception_thr;
  std::vector<std::uint64_t> default_thr;
  std::vector<std::uint32_t> contract_first, contract_count;
  std::vector<std::uint64_t> choice_cum, default_cum;
  std::vector<std::uint64_t> incidence_thr;
  std::vector<std::uint64_t> remission_thr;
  std::vector<std::uint64_t> condition_change_thr;
  std::vector<MeasureSpec> measures;
  std::vector<std::uint32_t> service_thr;
  std::vector<std::uint8_t> practice_tier;
  std::vector<std::uint8_t> aid_group_of_age;
  std::vector<std::uint64_t> aid_cum;
  std::vector<std::uint32_t> measure_age_mask, measure_condition_mask;
  // Interventions (sim/interventions.cpp fills them; empty without interventions).
  std::vector<std::uint8_t> iv_contract_mask, iv_practice_mask;
  std::vector<double> iv_measure_log_or, iv_service_logit;
};

/// Calls f(host array, view pointer) for every array of a table set the step reads.
template <class F>
void for_each_step_array(const StepTables& t, StepTablesView& v, F&& f) {
  f(t.death_thr, v.death_thr);
  f(t.death_serious_thr, v.death_serious_thr);
  f(t.conception_thr, v.conception_thr);
  f(t.default_thr, v.default_thr);
  f(t.contract_first, v.contract_first);
  f(t.contract_count, v.contract_count);
  f(t.choice_cum, v.choice_cum);
  f(t.default_cum, v.default_cum);
  f(t.incidence_thr, v.incidence_thr);
  f(t.condition_change_thr, v.condition_change_thr);
  f(t.measures, v.measures);
  f(t.service_thr, v.service_thr);
  f(t.practice_tier, v.practice_tier);
  f(t.aid_group_of_age, v.aid_group_of_age);
  f(t.aid_cum, v.aid_cum);
  f(t.iv_contract_mask, v.iv.contract_mask);
  f(t.iv_practice_mask, v.iv.practice_mask);
  f(t.iv_measure_log_or, v.iv.measure_log_or);
  f(t.iv_service_logit, v.iv.service_logit);
  f(t.measure_age_mask, v.measure_age_mask);
  f(t.measure_condition_mask, v.measure_condition_mask);
}

/// What the policy engine feeds into the step (one set per replicate).
struct StepPolicyInputs {
  std::vector<double> effort_logit;   ///< [contract * measures + k]; empty = zero
  std::vector<double> default_share;  ///< [contract] within county; empty = by enrollment
  /// Capitation PMPM by aid category; negative = the data's capitation.<aid>_pmpm_usd.
  std::array<double, kAidCount> capitation_pmpm_usd{-1.0, -1.0, -1.0, -1.0, -1.0};
  double capitation_scale = 1.0;
  double default_rate = -1.0;  ///< negative = the data's aaip.default_rate
};

/// Builds the step tables for one replicate.
StepTables make_step_tables(const ReferenceData& data, const SynthesisTables& tables,
                            const ModelParameters& params, const ServiceModel& model,
                            const StepPolicyInputs& policy = {});

/// The tables of `policy` from `no_policy`, the tables made without one (make_step_tables with
/// the default StepPolicyInputs): only what a policy sets is computed again (default
/// assignment, capitation, and the service thresholds of the contract-measure cells with plan
/// effort), so the replicates' policy years share the rest. Equal, bit for bit, to
/// make_step_tables(data, tables, params, model, policy).
StepTables with_policy(const StepTables& no_policy, const ReferenceData& data,
                       const ModelParameters& params, const ServiceModel& model,
                       const StepPolicyInputs& policy);

/// Capitation PMPM by aid category in effect for `policy` (data values where unset, scaled).
std::array<double, kAidCount> capitation_pmpm(const ModelParameters& params,
                                              const StepPolicyInputs& policy);

/// Host copies of the history tables (kernels/history.hpp).
struct HistoryTables {
  std::vector<std::uint64_t> prevalence_thr;
  std::vector<std::uint64_t> bridge_in_thr, bridge_out_thr;
  std::uint64_t bp_controlled_thr = 0, a1c_poor_thr = 0;
};
HistoryTables make_history_tables(const ModelParameters& params);

/// Monthly probability from an annual one: 1 - (1 - q)^(1/12).
double monthly_from_annual(double annual);

}  // namespace phsim
