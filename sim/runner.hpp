#pragma once
/// @file The run loop: synthesize, draw the history, then month by month and year by year step
/// the members and collect integer tallies. Host code; member work happens in the Engine.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/config.hpp"
#include "sim/engine.hpp"
#include "sim/policy.hpp"
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
  /// Money from the policy engine, [replicate][year][county][plan], nominal dollars.
  std::vector<double> capitation_usd, withhold_usd, withhold_returned_usd, incentive_usd,
      sanction_usd, admin_cost_usd, quality_effort_cost_usd, net_income_usd, reinvestment_usd,
      primary_care_usd;
  /// Quality results, [replicate][year][county][plan].
  std::vector<double> plan_quality_score, qwi_targets_met_share, default_assignment_share;
  std::vector<std::int64_t> measures_below_mpl, measures_at_hpl, corrective_action;
  /// Plan effort in force during the year, [replicate][year][county][plan][measure], log-odds.
  std::vector<double> quality_effort_logit;
  /// Interventions, [replicate][year][county][plan]: program cost (fixed, per practice and per
  /// member-month reached) and practice incentive payments, USD; palliative-care enrollees.
  std::vector<double> intervention_cost_usd, practice_incentive_usd;
  std::vector<std::int64_t> palliative_enrollees;
  /// Per intervention, [replicate][year][intervention]: fixed and per-practice cost, and
  /// practice payments, USD (member-month costs are only known per contract).
  std::vector<std::string> intervention_names;
  std::vector<double> intervention_program_usd, intervention_payments_usd;
  /// The replicate draws of every uncertain parameter, [replicate][parameter].
  std::vector<std::string> parameter_names;
  std::vector<double> parameter_draws;
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

/// Calls `f(name, array of r...)` for every array of ScenarioResults (each a std::vector), in a
/// fixed order; the checkpoint format relies on it naming every array.
template <class F, class... Results>
void for_each_array_of(F&& f, Results&... r) {
  f("enrollment_member_months", r.enrollment_member_months...);
  f("deaths", r.deaths...);
  f("births", r.births...);
  f("ed_visits", r.ed_visits...);
  f("inpatient_days", r.inpatient_days...);
  f("default_assigned_members", r.default_assigned_members...);
  f("chose_plan_members", r.chose_plan_members...);
  f("disenrollments", r.disenrollments...);
  f("medical_cost_usd", r.medical_cost_usd...);
  f("capitation_usd", r.capitation_usd...);
  f("withhold_usd", r.withhold_usd...);
  f("withhold_returned_usd", r.withhold_returned_usd...);
  f("incentive_usd", r.incentive_usd...);
  f("sanction_usd", r.sanction_usd...);
  f("admin_cost_usd", r.admin_cost_usd...);
  f("quality_effort_cost_usd", r.quality_effort_cost_usd...);
  f("net_income_usd", r.net_income_usd...);
  f("reinvestment_usd", r.reinvestment_usd...);
  f("primary_care_usd", r.primary_care_usd...);
  f("plan_quality_score", r.plan_quality_score...);
  f("qwi_targets_met_share", r.qwi_targets_met_share...);
  f("default_assignment_share", r.default_assignment_share...);
  f("measures_below_mpl", r.measures_below_mpl...);
  f("measures_at_hpl", r.measures_at_hpl...);
  f("corrective_action", r.corrective_action...);
  f("quality_effort_logit", r.quality_effort_logit...);
  f("intervention_cost_usd", r.intervention_cost_usd...);
  f("practice_incentive_usd", r.practice_incentive_usd...);
  f("palliative_enrollees", r.palliative_enrollees...);
  f("intervention_names", r.intervention_names...);
  f("intervention_program_usd", r.intervention_program_usd...);
  f("intervention_payments_usd", r.intervention_payments_usd...);
  f("parameter_names", r.parameter_names...);
  f("parameter_draws", r.parameter_draws...);
  f("enrollment_start", r.enrollment_start...);
  f("measure_numerator", r.measure_numerator...);
  f("measure_denominator", r.measure_denominator...);
  f("measure_group_numerator", r.measure_group_numerator...);
  f("measure_group_denominator", r.measure_group_denominator...);
  f("calibrated_base_logit", r.calibrated_base_logit...);
  f("calibrated_expected_rate", r.calibrated_expected_rate...);
  f("years", r.years...);
}

/// `f(name, array)` for every array of `r`.
template <class Results, class F>
void for_each_array(Results& r, F&& f) {
  for_each_array_of(f, r);
}

/// `f(name, array of a, the same array of b)` for every array.
template <class A, class B, class F>
void for_each_array_pair(A& a, B& b, F&& f) {
  for_each_array_of(f, a, b);
}

/// True for the arrays of ScenarioResults that describe the whole run (the same for every
/// slice of its replicates); every other array has a leading replicate axis.
bool is_per_run_array(std::string_view name);

/// Appends the replicates of `more` (the next slice of the same scenario) to `into`.
void append_replicates(ScenarioResults& into, const ScenarioResults& more);

/// Bytes of ScenarioResults per replicate (host memory that batching does not reduce).
std::uint64_t results_bytes_per_replicate(const ReferenceData& data, int years, std::size_t interventions);

/// Share of the backend's free memory that member state may take (the rest: tables, temporaries).
inline constexpr double kUsableMemoryFraction = 0.9;

/// Bytes of member state of one replicate of `members` enrolled members over `years` (the
/// layout's slots, pool and newborn room included, × kBytesPerMember).
std::uint64_t member_state_bytes(const ReferenceData& data, std::uint64_t members, int years);

/// Memory a run may use, in bytes; 0 = unknown.
struct MemoryBudget {
  std::uint64_t host = 0;     ///< host memory available (results are held there)
  std::uint64_t backend = 0;  ///< free memory of the backend (the host for the CPU, else the GPU)
};

/// Replicates per batch: as many of `replicates` as fit 90% of the backend's free memory,
/// after the results of the whole run (held on the host, by rank 0 for all replicates:
/// `holds_all_results`). Throws UsageError, naming the figures, for a run whose results need
/// more than half the host memory or whose single replicate does not fit. An unknown backend
/// memory runs every replicate at once.
std::uint32_t plan_batch(const ReferenceData& data, const RunSettings& run, std::uint64_t members,
                         std::uint32_t replicates, std::size_t scenarios, Backend backend,
                         bool holds_all_results, const MemoryBudget& memory);

/// A scenario stopped between two months: with the scenario itself, all a run needs to
/// continue bit-identically.
struct ScenarioCheckpoint {
  int months_done = 0;              ///< months simulated (year-end work of a finished year done)
  ScenarioResults results;          ///< years before months_done / 12 complete; `run` not used
  std::vector<PolicyState> policy;  ///< [replicate]
  EngineSnapshot engine;
};

/// Hooks of a long run. All optional.
struct RunControl {
  ProgressFn progress;
  /// Asked after each month (after the year-end work in December): write a checkpoint now?
  std::function<bool(int months_done, int months_total)> want_checkpoint;
  /// Receives a checkpoint (when want_checkpoint said so, and before an interruption).
  std::function<void(const ScenarioCheckpoint&)> write_checkpoint;
  /// Polled after each month; when it returns true the run writes a checkpoint and throws
  /// Interrupted (unless the scenario has just finished).
  std::function<bool()> stop_requested;
  /// Continue from this checkpoint of the same scenario instead of starting (not owned).
  const ScenarioCheckpoint* resume = nullptr;
  /// Run only replicates [first_replicate, first_replicate + replicate_count) of the scenario
  /// (0 = to the last): the results then hold that slice, identical to the same replicates of
  /// the whole run. Processes of a distributed run each take a slice.
  std::uint32_t first_replicate = 0;
  std::uint32_t replicate_count = 0;
  /// Member sharding: this process holds county shard `shard` of `shards` (contiguous county
  /// ranges balanced by enrollment) of every replicate, and agrees on newborn ids and year-end
  /// tallies with the others through `exchange`; the results are those of the whole run.
  MemberExchange* exchange = nullptr;
  int shard = 0, shards = 1;
};

/// The counties [first, last) of shard `shard` of `shards`: contiguous ranges with about equal
/// enrollment, each holding at least one county. Throws UsageError if shards > counties.
std::pair<std::size_t, std::size_t> shard_counties(const ReferenceData& data, int shard, int shards);

/// Members per replicate the settings ask for (the published total for `members = "full"`).
std::uint64_t members_per_replicate(const RunSettings& run, const ReferenceData& data);

/// Not-enrolled members of the ever-enrolled pool that keep enrollment in equilibrium:
/// round(members × monthly disenrollment / monthly re-enrollment).
std::uint64_t pool_members(std::uint64_t members, const ModelParameters& params);

/// Slots per replicate: the pool plus room for the births of `years` years with a wide margin.
PopulationLayout population_layout(std::uint64_t members, std::uint64_t pool, int years,
                                   const ModelParameters& params);

/// The results arrays of `replicates` replicates of `run` (run.years years from
/// run.start_year), zeroed, with the run's members and pool per replicate: what run_scenario
/// fills.
ScenarioResults empty_results(const RunSettings& run, const ReferenceData& data,
                              const ModelParameters& params, std::size_t replicates);

/// Adds the members enrolled at the start, [replicate][contract] (Engine::count_enrolled), into
/// `res` by county and plan.
void store_enrollment_start(const ReferenceData& data, const std::vector<std::int64_t>& enrolled,
                            ScenarioResults& res);

/// Adds year y's tallies of every replicate of `res` into it: the event counts and measure
/// tallies by county and plan, and the measure tallies by county and group.
void store_year_tallies(const ReferenceData& data, const YearTallies& tallies, std::size_t y,
                        ScenarioResults& res);

/// Stores replicate r's policy year y into `res`: each contract's money and quality results,
/// and the default shares and plan effort in force (`in_force`, the policy state before the year).
void store_policy_year(const ReferenceData& data, const std::vector<ContractPolicyResult>& money,
                       const PolicyState& in_force, std::size_t r, std::size_t y, ScenarioResults& res);

/// What a replicate's policy feeds into next year's step tables: its plan effort and default
/// shares (`state`) and the scenario's capitation and default rate (`policy`).
StepPolicyInputs step_inputs(const PolicySettings& policy, const PolicyState& state);

/// The policy engine's view of replicate r's year: per contract member-months, capitation,
/// medical cost and measure tallies.
std::vector<ContractYear> contract_years(const ReferenceData& data, const YearTallies& tallies,
                                         std::size_t r);

/// Runs one scenario on `engine`: each replicate draws its uncertain parameters (intervention
/// effects, plan response) and has its own policy feedback (effort, default shares).
ScenarioResults run_scenario(const ScenarioConfig& config, const ReferenceData& data,
                             Engine& engine, const ProgressFn& progress = {});

/// The same with checkpoints, interruption and resume (RunControl). Throws Interrupted when
/// control.stop_requested() asked to stop, and UsageError if control.resume does not fit the
/// scenario (other members, replicates, years or measures).
ScenarioResults run_scenario(const ScenarioConfig& config, const ReferenceData& data,
                             Engine& engine, const RunControl& control);

/// The same without interventions. Throws UsageError if the run cannot be represented (more than 2^32 - 1 slots per
/// replicate) and ScenarioError for policy settings that name unknown measures or plans.
ScenarioResults run_scenario(const RunSettings& run, const PolicySettings& policy,
                             const ReferenceData& data, Engine& engine,
                             const ProgressFn& progress = {});

/// The same with the default (2024) policy rules.
ScenarioResults run_scenario(const RunSettings& run, const ReferenceData& data, Engine& engine,
                             const ProgressFn& progress = {});

}  // namespace phsim
