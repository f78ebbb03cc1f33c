#pragma once
/// @file The parameters of the monthly step as the device sees them: probabilities are integer
/// thresholds (x < t with a uniform 32-bit x has probability t / 2^32), money is whole dollars.
/// The host builds them (sim/step_tables.cpp) from reference data, calibration and policy, and
/// may rebuild them every month; the step never evaluates exp or log.
#include <cstdint>

#include "kernels/interventions.hpp"
#include "kernels/measure_spec.hpp"
#include "kernels/member.hpp"
#include "kernels/synthesis.hpp"

namespace phsim {

/// Number of practice quality tiers (the practice term of the service model).
inline constexpr int kPracticeTiers = 4;
/// Utilization risk classes: bit 0 mental illness, bit 1 substance use, bit 2 serious illness.
inline constexpr int kRiskClasses = 8;

/// Slot indices of the per-(replicate, contract) event counters that the step adds to with
/// atomics (rare events) and the year-end tally completes.
enum EventField : int {
  kEvMemberMonths = 0,
  kEvDeaths,
  kEvBirths,
  kEvEdVisits,
  kEvInpatientDays,
  kEvCostUsd,
  kEvDefaultAssigned,
  kEvChosePlan,
  kEvDisenrolled,
  kEvCapitationCents,
  kEvProgramCostCents,     ///< intervention cost per member-month reached
  kEvPalliativeEnrollees,  ///< members enrolled in palliative care during the year
  kEventFieldCount
};

struct StepTablesView {
  // --- vital events (monthly thresholds by age in years, 0..kMaxAgeYears)
  const std::uint64_t* death_thr;          ///< without serious illness
  const std::uint64_t* death_serious_thr;  ///< with serious illness
  const std::uint64_t* conception_thr;     ///< women only; 0 outside fertile ages
  std::uint64_t newborn_female_thr;

  // --- enrollment churn and plan choice
  std::uint64_t disenroll_thr;
  std::uint64_t reenroll_thr;
  const std::uint64_t* default_thr;      ///< [county] P(default assignment | new enrollee)
  const std::uint32_t* contract_first;   ///< [county] first contract of the county
  const std::uint32_t* contract_count;   ///< [county]
  const std::uint64_t* choice_cum;       ///< [contract] cumulative within county: members choosing
  const std::uint64_t* default_cum;      ///< [contract] cumulative within county: default assignment

  // --- conditions (monthly onset thresholds by condition and age in years; remission by
  //     condition)
  const std::uint64_t* incidence_thr;    ///< [kConditionCount][kMaxAgeYears + 1]
  std::uint64_t remission_thr[kConditionCount];
  /// [condition_change_index(age, conditions)]: the month's chance that a member of that age
  /// with those conditions gains or loses one, the sum of the stacked intervals (incidence of
  /// each absent condition, remission of each present one). A word below it changes exactly one
  /// condition; at or above it, none. Null: the intervals are walked for every member.
  const std::uint64_t* condition_change_thr;
  std::uint64_t serious_type_cum[kSeriousTypeCount];
  std::uint64_t bp_to_controlled_thr, bp_to_uncontrolled_thr;
  std::uint64_t a1c_to_poor_thr, a1c_to_ok_thr;
  std::uint64_t bp_controlled_thr, a1c_poor_thr;  ///< steady-state shares (states at onset)

  // --- utilization
  std::uint64_t ed_thr[kRiskClasses];
  std::uint64_t ed_mental_health_thr;   ///< among members with mental illness
  std::uint64_t ed_substance_use_thr;   ///< among members with substance use disorder
  std::uint64_t inpatient_thr[2];       ///< [serious illness]
  std::uint32_t inpatient_los_span;     ///< length of stay = 1 + (x mod span) days
  std::uint32_t delivery_los_days;

  // --- costs (whole dollars) and capitation (cents)
  std::uint32_t base_cost_usd[kAidCount];  ///< per enrolled month
  std::uint32_t capitation_cents[kAidCount];  ///< per enrolled month
  std::uint32_t ed_cost_usd, inpatient_day_cost_usd, delivery_cost_usd, serious_monthly_cost_usd;

  // --- measures
  const MeasureSpec* measures;  ///< [n_measures]
  std::uint32_t n_measures;
  std::uint32_t n_contracts;
  /// This replicate's number in the random-number counters: its index in the whole run, which
  /// differs from its segment when a process runs a slice of the replicates (set by the engine).
  std::uint32_t rng_replicate = 0;
  /// Monthly service thresholds [contract][race][practice tier][measure], 32 bits (see
  /// service_threshold): a member's measures share one or two cache lines.
  const std::uint32_t* service_thr;
  const std::uint8_t* practice_tier;  ///< [practice]
  std::uint64_t reliever_fill_thr;    ///< AMR: monthly reliever fill among asthma members
  /// Measures whose state can change this month, by age in years and sex
  /// ([age * 2 + female]) and by condition bits ([conditions & 63]); follow-up measures change
  /// only in months with a trigger event. A measure outside the masks keeps its state, so
  /// skipping it changes nothing (sim/step_tables.cpp builds them conservatively).
  const std::uint32_t* measure_age_mask;
  const std::uint32_t* measure_condition_mask;
  std::uint32_t followup_mask;
  /// Measures whose state cannot change while the member is not enrolled (every kind except
  /// lookback windows, which age, and milestone anchors, which are reached at an age); 0 skips
  /// nothing.
  std::uint32_t enrolled_only_mask;
  /// Ratio measures (they also read the reliever word of the Service stream).
  std::uint32_t ratio_mask;

  // --- interventions (kernels/interventions.hpp)
  InterventionTablesView iv;

  // --- aging into adult and senior aid categories (synthesis tables)
  const std::uint8_t* aid_group_of_age;
  const std::uint64_t* aid_cum;
};

/// Condition bits of a member (bit c - 1: Condition c) and their combinations.
inline constexpr std::uint32_t kConditionCombinations = 1u << kConditionCount;

/// Index of StepTablesView::condition_change_thr for whole years `age` and condition bits.
PHSIM_HD inline std::uint32_t condition_change_index(int age, std::uint8_t conditions) {
  return static_cast<std::uint32_t>(age) * kConditionCombinations + (conditions & (kConditionCombinations - 1u));
}

/// Index into StepTablesView::service_thr.
PHSIM_HD inline std::uint64_t service_index(std::uint32_t measure, std::uint32_t contract,
                                            std::uint32_t race, std::uint32_t tier,
                                            std::uint32_t n_measures) {
  return ((static_cast<std::uint64_t>(contract) * kRaceCount + race) * kPracticeTiers + tier) *
             n_measures +
         measure;
}

/// A service threshold stored in 32 bits: 0xffffffff stands for "always" (2^32); a logistic
/// probability never comes that close to 1 otherwise.
PHSIM_HD inline std::uint32_t pack_service_threshold(std::uint64_t threshold) {
  return threshold >= 0xffffffffull ? 0xffffffffu : static_cast<std::uint32_t>(threshold);
}
PHSIM_HD inline std::uint64_t service_threshold(std::uint32_t packed) {
  return packed == 0xffffffffu ? kThresholdOne : packed;
}

}  // namespace phsim
