#pragma once
/// @file The run loop: synthesize, then month by month and year by year, collect tallies.
/// Host code; member work happens in the Engine.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/engine.hpp"
#include "sim/reference_data.hpp"

namespace phsim {

/// Results of one scenario. Arrays are row-major with the dims named in their comments; county
/// and plan axes follow ReferenceData::counties / ::plans (cells of plans that do not serve a
/// county stay zero).
struct ScenarioResults {
  RunSettings run;
  std::uint64_t members = 0;  ///< members per replicate
  std::vector<int> years;     ///< measurement years
  std::size_t counties = 0, plans = 0;
  /// [replicate][year][county][plan]: enrolled member-months.
  std::vector<std::int64_t> enrollment_member_months;
  /// [replicate][county][plan]: members enrolled at the start of the first month.
  std::vector<std::int64_t> enrollment_start;
  double seconds = 0.0;  ///< wall time of the simulation (synthesis to last tally)
};

/// Called after each simulated month with (months done, months total).
using ProgressFn = std::function<void(int, int)>;

/// Members per replicate the settings ask for (the published total for `members = "full"`).
std::uint64_t members_per_replicate(const RunSettings& run, const ReferenceData& data);

/// Runs one scenario on `engine`. Throws UsageError if the run cannot be represented
/// (more than 2^32 - 1 members per replicate).
ScenarioResults run_scenario(const RunSettings& run, const ReferenceData& data, Engine& engine,
                             const ProgressFn& progress = {});

}  // namespace phsim
