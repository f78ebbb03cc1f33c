#pragma once
/// @file The run loop: synthesize, draw the history, then month by month and year by year step
/// the members and collect integer tallies. Host code; member work happens in the Engine.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/engine.hpp"
#include "sim/reference_data.hpp"
#include "sim/step_tables.hpp"

namespace phsim {

/// Results of one scenario. Arrays are row-major with the dims named in their comments; county
/// and plan axes follow ReferenceData::counties / ::plans (cells of plans that do not serve a
/// county stay zero), measure follows ReferenceData::measures, group follows Race.
struct ScenarioResults {
  RunSettings run;
  std::uint64_t members = 0;  ///< members enrolled at the start, per replicate
  std::uint64_t pool = 0;     ///< further ever-enrolled members, not enrolled at the start
  std::vector<int> years;     ///< measurement years
  std::size_t counties = 0, plans = 0, measures = 0;
  /// [replicate][year][county][plan]
  std::vector<std::int64_t> enrollment_member_months, deaths, births, ed_visits, inpatient_days,
      default_assigned_members, chose_plan_members, disenrollments;
  std::vector<double> medical_cost_usd;
  /// [replicate][county][plan]: members enrolled at the start of the first month.
  std::vector<std::int64_t> enrollment_start;
  /// [replicate][year][county][plan][measure]
  std::vector<std::int64_t> measure_numerator, measure_denominator;
  /// [replicate][year][county][measure][group]
  std::vector<std::int64_t> measure_group_numerator, measure_group_denominator;
  /// Calibrated base log-odds and the expected baseline rate per measure.
  std::vector<double> calibrated_base_logit, calibrated_expected_rate;
  double seconds = 0.0;  ///< wall time of the simulation (synthesis to last tally)
};

/// Called after each simulated month with (months done, months total).
using ProgressFn = std::function<void(int, int)>;

/// Members per replicate the settings ask for (the published total for `members = "full"`).
std::uint64_t members_per_replicate(const RunSettings& run, const ReferenceData& data);

/// Not-enrolled members of the ever-enrolled pool that keep enrollment in equilibrium:
/// round(members × monthly disenrollment / monthly re-enrollment).
std::uint64_t pool_members(std::uint64_t members, const ModelParameters& params);

/// Slots per replicate: the pool plus room for the births of `years` years with a wide margin.
PopulationLayout population_layout(std::uint64_t members, std::uint64_t pool, int years,
                                   const ModelParameters& params);

/// Runs one scenario on `engine`. Throws UsageError if the run cannot be represented
/// (more than 2^32 - 1 slots per replicate).
ScenarioResults run_scenario(const RunSettings& run, const ReferenceData& data, Engine& engine,
                             const ProgressFn& progress = {});

}  // namespace phsim
