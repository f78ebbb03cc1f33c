#include "sim/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <type_traits>

#include "sim/errors.hpp"
#include "sim/host_parallel.hpp"
#include "sim/interventions.hpp"
#include "sim/population.hpp"
#include "sim/uncertainty.hpp"

namespace phsim {

std::uint64_t members_per_replicate(const RunSettings& run, const ReferenceData& data) {
  return run.members_full ? static_cast<std::uint64_t>(data.total_enrollment()) : run.members;
}

std::uint64_t pool_members(std::uint64_t members, const ModelParameters& params) {
  const double out = monthly_from_annual(params.disenroll_annual);
  if (params.reenroll_monthly <= 0) return 0;
  return static_cast<std::uint64_t>(std::llround(static_cast<double>(members) * out / params.reenroll_monthly));
}

PopulationLayout population_layout(std::uint64_t members, std::uint64_t pool, int years,
                                   const ModelParameters& params) {
  PopulationLayout layout;
  layout.enrolled = members;
  layout.pool = pool;
  const double births = static_cast<double>(members + pool) *
                        params.births_per_1000_member_years / 1000.0 * years;
  layout.capacity = members + pool + static_cast<std::uint64_t>(std::ceil(2.0 * births)) + 64;
  return layout;
}

namespace {

/// Index helpers for [replicate][year][county][plan] arrays.
struct Cells {
  std::size_t years, counties, plans, measures;
  explicit Cells(const ScenarioResults& res)
      : years(res.years.size()), counties(res.counties), plans(res.plans), measures(res.measures) {}
  std::size_t rycp(std::size_t r, std::size_t y, std::size_t c, std::size_t p) const {
    return ((r * years + y) * counties + c) * plans + p;
  }
};

}  // namespace

ScenarioResults empty_results(const RunSettings& run, const ReferenceData& data,
                              const ModelParameters& params, std::size_t replicates) {
  ScenarioResults res;
  res.run = run;
  res.run.replicates = static_cast<int>(replicates);  // the replicates these results hold
  res.members = members_per_replicate(run, data);
  res.pool = pool_members(res.members, params);
  res.counties = data.counties.size();
  res.plans = data.plans.size();
  res.measures = data.measures.size();
  const auto years = static_cast<std::size_t>(run.years);
  const std::size_t rycp = replicates * years * res.counties * res.plans;
  for (int y = 0; y < run.years; ++y) res.years.push_back(run.start_year + y);
  for (auto* v : {&res.enrollment_member_months, &res.deaths, &res.births, &res.ed_visits,
                  &res.inpatient_days, &res.default_assigned_members, &res.chose_plan_members,
                  &res.disenrollments}) {
    v->assign(rycp, 0);
  }
  res.medical_cost_usd.assign(rycp, 0.0);
  for (auto* v : {&res.capitation_usd, &res.withhold_usd, &res.withhold_returned_usd,
                  &res.incentive_usd, &res.sanction_usd, &res.admin_cost_usd,
                  &res.quality_effort_cost_usd, &res.net_income_usd, &res.reinvestment_usd,
                  &res.primary_care_usd, &res.plan_quality_score, &res.qwi_targets_met_share,
                  &res.default_assignment_share}) {
    v->assign(rycp, 0.0);
  }
  for (auto* v : {&res.measures_below_mpl, &res.measures_at_hpl, &res.corrective_action}) v->assign(rycp, 0);
  res.quality_effort_logit.assign(rycp * res.measures, 0.0);
  res.intervention_cost_usd.assign(rycp, 0.0);
  res.practice_incentive_usd.assign(rycp, 0.0);
  res.palliative_enrollees.assign(rycp, 0);
  res.enrollment_start.assign(replicates * res.counties * res.plans, 0);
  res.measure_numerator.assign(rycp * res.measures, 0);
  res.measure_denominator.assign(rycp * res.measures, 0);
  res.measure_group_numerator.assign(replicates * years * res.counties * res.measures * kRaceCount, 0);
  res.measure_group_denominator.assign(res.measure_group_numerator.size(), 0);
  return res;
}

void store_enrollment_start(const ReferenceData& data, const std::vector<std::int64_t>& enrolled,
                            ScenarioResults& res) {
  const auto replicates = static_cast<std::size_t>(res.run.replicates);
  for (std::size_t r = 0; r < replicates; ++r) {
    for (std::size_t k = 0; k < data.contracts.size(); ++k) {
      const auto& c = data.contracts[k];
      res.enrollment_start[(r * res.counties + static_cast<std::size_t>(c.county)) * res.plans +
                           static_cast<std::size_t>(c.plan)] += enrolled[r * data.contracts.size() + k];
    }
  }
}

void store_year_tallies(const ReferenceData& data, const YearTallies& t, std::size_t y, ScenarioResults& res) {
  const Cells cells(res);
  const auto replicates = static_cast<std::size_t>(res.run.replicates);
  const std::size_t K = cells.measures, N = data.contracts.size();
  for (std::size_t r = 0; r < replicates; ++r) {
    for (std::size_t k = 0; k < N; ++k) {
      const auto c = static_cast<std::size_t>(data.contracts[k].county);
      const auto p = static_cast<std::size_t>(data.contracts[k].plan);
      const std::size_t at = cells.rycp(r, y, c, p);
      const std::int64_t* ev = &t.events[(r * N + k) * kEventFieldCount];
      res.enrollment_member_months[at] += ev[kEvMemberMonths];
      res.deaths[at] += ev[kEvDeaths];
      res.births[at] += ev[kEvBirths];
      res.ed_visits[at] += ev[kEvEdVisits];
      res.inpatient_days[at] += ev[kEvInpatientDays];
      res.medical_cost_usd[at] += static_cast<double>(ev[kEvCostUsd]);
      res.default_assigned_members[at] += ev[kEvDefaultAssigned];
      res.chose_plan_members[at] += ev[kEvChosePlan];
      res.disenrollments[at] += ev[kEvDisenrolled];
      for (std::size_t m = 0; m < K; ++m) {
        const std::int64_t* cell = &t.measure[((r * N + k) * K + m) * 2];
        res.measure_denominator[at * K + m] += cell[0];
        res.measure_numerator[at * K + m] += cell[1];
      }
    }
    const std::size_t group_block = cells.counties * K * kRaceCount;
    for (std::size_t j = 0; j < group_block; ++j) {
      const std::size_t out = (r * cells.years + y) * group_block + j;
      res.measure_group_denominator[out] += t.group[(r * group_block + j) * 2];
      res.measure_group_numerator[out] += t.group[(r * group_block + j) * 2 + 1];
    }
  }
}

void store_policy_year(const ReferenceData& data, const std::vector<ContractPolicyResult>& money,
                       const PolicyState& in_force, std::size_t r, std::size_t y, ScenarioResults& res) {
  const Cells cells(res);
  const std::size_t K = cells.measures;
  for (std::size_t k = 0; k < data.contracts.size(); ++k) {
    const auto& c = data.contracts[k];
    const std::size_t at = cells.rycp(r, y, static_cast<std::size_t>(c.county), static_cast<std::size_t>(c.plan));
    const ContractPolicyResult& m = money[k];
    res.capitation_usd[at] += m.capitation_usd;
    res.withhold_usd[at] += m.withhold_usd;
    res.withhold_returned_usd[at] += m.withhold_returned_usd;
    res.incentive_usd[at] += m.incentive_usd;
    res.sanction_usd[at] += m.sanction_usd;
    res.admin_cost_usd[at] += m.admin_cost_usd;
    res.quality_effort_cost_usd[at] += m.quality_effort_cost_usd;
    res.net_income_usd[at] += m.net_income_usd;
    res.reinvestment_usd[at] += m.reinvestment_usd;
    res.primary_care_usd[at] += m.primary_care_usd;
    res.plan_quality_score[at] = m.quality_score;
    res.qwi_targets_met_share[at] = m.targets_met_share;
    res.default_assignment_share[at] = in_force.default_share[k];
    res.measures_below_mpl[at] = m.measures_below_mpl;
    res.measures_at_hpl[at] = m.measures_at_hpl;
    res.corrective_action[at] = m.corrective_action ? 1 : 0;
    for (std::size_t j = 0; j < K; ++j) {
      res.quality_effort_logit[at * K + j] = in_force.effort_logit.empty() ? 0.0 : in_force.effort_logit[k * K + j];
    }
  }
}

bool is_per_run_array(std::string_view name) {
  return name == "years" || name == "parameter_names" || name == "intervention_names" ||
         name == "calibrated_base_logit" || name == "calibrated_expected_rate";
}

void append_replicates(ScenarioResults& into, const ScenarioResults& more) {
  for_each_array_pair(into, more, [](const char* name, auto& a, const auto& b) {
    if (!is_per_run_array(name)) a.insert(a.end(), b.begin(), b.end());
  });
  into.run.replicates += more.run.replicates;
  into.seconds += more.seconds;
}

std::uint64_t results_bytes_per_replicate(const ReferenceData& data, int years, std::size_t interventions) {
  const std::uint64_t cells = data.counties.size() * data.plans.size() * static_cast<std::uint64_t>(years);
  const std::uint64_t k = data.measures.size();
  // 35 county x plan arrays, plan effort and the two measure tallies per measure, group tallies.
  return 8 * (cells * (35 + 3 * k) + 2 * data.counties.size() * k * kRaceCount * static_cast<std::uint64_t>(years) +
              2 * interventions * static_cast<std::uint64_t>(years) + 64);
}

std::uint64_t member_state_bytes(const ReferenceData& data, std::uint64_t members, int years) {
  const ModelParameters params = read_model_parameters(data);
  return population_layout(members, pool_members(members, params), years, params).capacity * kBytesPerMember;
}

std::uint32_t plan_batch(const ReferenceData& data, const RunSettings& run, std::uint64_t members,
                         std::uint32_t replicates, std::size_t scenarios, Backend backend,
                         bool holds_all_results, const MemoryBudget& memory) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  const double state = static_cast<double>(member_state_bytes(data, members, run.years));  // per replicate
  const double results = static_cast<double>(results_bytes_per_replicate(data, run.years, 8)) *
                         (holds_all_results ? run.replicates : replicates) * static_cast<double>(scenarios);
  const double host = static_cast<double>(memory.host);
  char msg[320];
  if (host > 0 && results > 0.5 * host) {
    std::snprintf(msg, sizeof msg,
                  "the results of %d replicate(s) x %zu scenario(s) need %.1f GiB of memory but %.1f GiB "
                  "is available; reduce --replicates or --years",
                  run.replicates, scenarios, results / kGiB, host / kGiB);
    throw UsageError(msg);
  }
  if (memory.backend == 0) return std::max(replicates, 1u);  // unknown: no batching
  const double have = static_cast<double>(memory.backend) - (backend == Backend::Cpu ? results : 0.0);
  const double fit = std::floor(kUsableMemoryFraction * have / state);
  if (fit < 1) {
    std::snprintf(msg, sizeof msg,
                  "one replicate needs %.1f GiB of member state (%llu slots x %u bytes) but %.1f GiB of "
                  "memory is available; reduce --members, or split the members over MPI ranks "
                  "(--shard members)",
                  state / kGiB, static_cast<unsigned long long>(state / kBytesPerMember), kBytesPerMember,
                  std::max(have, 0.0) / kGiB);
    throw UsageError(msg);
  }
  return static_cast<std::uint32_t>(std::min<double>(fit, std::max(replicates, 1u)));
}

std::pair<std::size_t, std::size_t> shard_counties(const ReferenceData& data, int shard, int shards) {
  const std::size_t counties = data.counties.size();
  PHSIM_EXPECTS(shards >= 1 && static_cast<std::size_t>(shards) <= counties && shard >= 0 && shard < shards,
                "member sharding: " + std::to_string(shards) + " shards for " + std::to_string(counties) +
                    " counties; use at most one process per county",
                UsageError);
  // Cumulative managed-care enrollment at each county's start.
  std::vector<double> cum(counties + 1, 0.0);
  for (const auto& k : data.contracts) cum[static_cast<std::size_t>(k.county) + 1] += static_cast<double>(k.enrollment);
  for (std::size_t c = 0; c < counties; ++c) cum[c + 1] += cum[c];
  const auto boundary = [&](int s) -> std::size_t {
    if (s <= 0) return 0;
    if (s >= shards) return counties;
    const double target = cum[counties] * s / shards;
    std::size_t c = 0;
    while (c < counties && cum[c] < target) ++c;
    return c;
  };
  // Strictly increasing boundaries, leaving a county for every later shard.
  std::size_t lo = 0, hi = 0;
  for (int s = 0; s <= shard; ++s) {
    lo = s == 0 ? 0 : hi;
    hi = std::max(lo + 1, std::min(boundary(s + 1), counties - static_cast<std::size_t>(shards - s - 1)));
    if (s == shards - 1) hi = counties;
  }
  return {lo, hi};
}

ScenarioResults run_scenario(const RunSettings& run, const ReferenceData& data, Engine& engine,
                             const ProgressFn& progress) {
  return run_scenario(run, PolicySettings{}, data, engine, progress);
}

std::vector<ContractYear> contract_years(const ReferenceData& data, const YearTallies& t,
                                         std::size_t r) {
  const std::size_t N = data.contracts.size(), K = data.measures.size();
  std::vector<ContractYear> out(N);
  for (std::size_t k = 0; k < N; ++k) {
    const std::int64_t* ev = &t.events[(r * N + k) * kEventFieldCount];
    ContractYear& c = out[k];
    c.member_months = static_cast<double>(ev[kEvMemberMonths]);
    c.capitation_usd = static_cast<double>(ev[kEvCapitationCents]) / 100.0;
    c.medical_cost_usd = static_cast<double>(ev[kEvCostUsd]);
    c.numerator.resize(K);
    c.denominator.resize(K);
    for (std::size_t m = 0; m < K; ++m) {
      c.denominator[m] = t.measure[((r * N + k) * K + m) * 2];
      c.numerator[m] = t.measure[((r * N + k) * K + m) * 2 + 1];
    }
  }
  return out;
}

StepPolicyInputs step_inputs(const PolicySettings& policy, const PolicyState& state) {
  StepPolicyInputs in;
  in.effort_logit = state.effort_logit;
  in.default_share = state.default_share;
  in.capitation_pmpm_usd = policy.capitation.pmpm_usd;
  in.capitation_scale = policy.capitation.scale;
  in.default_rate = policy.auto_assignment.default_rate;
  return in;
}

ScenarioResults run_scenario(const RunSettings& run, const PolicySettings& policy,
                             const ReferenceData& data, Engine& engine,
                             const ProgressFn& progress) {
  return run_scenario(ScenarioConfig{run, policy, {}}, data, engine, progress);
}

ScenarioResults run_scenario(const ScenarioConfig& config, const ReferenceData& data,
                             Engine& engine, const ProgressFn& progress) {
  RunControl control;
  control.progress = progress;
  return run_scenario(config, data, engine, control);
}

ScenarioResults run_scenario(const ScenarioConfig& config, const ReferenceData& data,
                             Engine& engine, const RunControl& control) {
  const RunSettings& run = config.run;
  const auto t0 = std::chrono::steady_clock::now();
  const ModelParameters params = read_model_parameters(data);
  // This process's slice of the run's replicates (all of them unless control says otherwise).
  const std::uint32_t first_replicate = control.first_replicate;
  const auto replicates = static_cast<std::size_t>(
      control.replicate_count ? control.replicate_count
                              : static_cast<std::uint32_t>(std::max(run.replicates - static_cast<int>(first_replicate), 0)));
  PHSIM_EXPECTS(replicates >= 1 && first_replicate + replicates <= static_cast<std::size_t>(run.replicates),
                "replicates " + std::to_string(first_replicate) + ".." +
                    std::to_string(first_replicate + replicates) + " are not all in the run's " +
                    std::to_string(run.replicates),
                UsageError);
  ScenarioResults res = empty_results(run, data, params, replicates);
  PopulationLayout layout = population_layout(res.members, res.pool, run.years, params);
  PHSIM_EXPECTS(res.members >= 1 && layout.capacity <= std::numeric_limits<std::uint32_t>::max(),
                "run.members: " + std::to_string(res.members) +
                    " members per replicate need " + std::to_string(layout.capacity) +
                    " slots; at most 4294967295 slots per replicate are supported",
                UsageError);
  const auto years = static_cast<std::size_t>(run.years);
  const Cells cells(res);

  // Children are enrolled from birth, so the not-enrolled pool holds fewer of the youngest:
  // relative to the stationary share, a child of m months is in the pool with 1 - lambda^m.
  const double churn_lambda = 1.0 - monthly_from_annual(params.disenroll_annual) - params.reenroll_monthly;
  const auto pool_age_factor = [churn_lambda](int lo_months, int hi_months) {
    double acc = 0;
    for (int m = lo_months; m < hi_months; ++m) acc += 1.0 - std::pow(churn_lambda, m + 0.5);
    return hi_months > lo_months ? acc / (hi_months - lo_months) : 1.0;
  };
  const SynthesisTables tables = make_synthesis_tables(data, res.members, res.pool, pool_age_factor);
  if (control.shards > 1) {  // this process's county shard of every replicate
    PHSIM_EXPECTS(control.exchange, "member sharding needs an exchange", UsageError);
    const auto [c0, c1] = shard_counties(data, control.shard, control.shards);
    std::size_t k0 = 0, k1 = 0;
    while (k0 < data.contracts.size() && static_cast<std::size_t>(data.contracts[k0].county) < c0) ++k0;
    for (k1 = k0; k1 < data.contracts.size() && static_cast<std::size_t>(data.contracts[k1].county) < c1;) ++k1;
    const std::uint64_t enrolled = tables.contract_begin[k1] - tables.contract_begin[k0];
    const std::uint64_t pool = tables.pool_contract_begin[k1] - tables.pool_contract_begin[k0];
    layout = population_layout(enrolled, pool, run.years, params);
    layout.enrolled_first = tables.contract_begin[k0];
    layout.pool_first = tables.pool_contract_begin[k0];
    layout.enrolled_total = res.members;
    layout.pool_total = res.pool;
  }
  engine.set_exchange(control.shards > 1 ? control.exchange : nullptr);
  const auto sum_over_shards = [&](std::vector<std::int64_t>& v) {
    if (control.shards > 1) control.exchange->sum(v);
  };
  const ServiceModel model = calibrate_service_model(data, tables, params);
  for (const auto& c : model.calibration) {
    res.calibrated_base_logit.push_back(c.base_logit);
    res.calibrated_expected_rate.push_back(c.achieved_rate);
  }
  // Uncertain parameters, drawn once per replicate: the plan response first (so scenarios
  // with and without interventions share its draws), then the interventions'.
  const InterventionPlan plan = make_intervention_plan(config.interventions, data, tables);
  std::vector<UncertainParameter> uncertain;
  Distribution response;
  response.dist = config.policy.plan_response.max_effort_logit_sd_log > 0 ? "lognormal" : "fixed";
  response.mean = response.dist == "lognormal" ? std::log(std::max(config.policy.plan_response.max_effort_logit, 1e-300))
                                               : config.policy.plan_response.max_effort_logit;
  response.sd = config.policy.plan_response.max_effort_logit_sd_log;
  uncertain.push_back({"policy.plan_response.max_effort_logit", response, ""});
  uncertain.insert(uncertain.end(), plan.parameters.begin(), plan.parameters.end());
  auto draws = draw_parameters(uncertain, plan.groups, run.seed, run.replicates);
  draws = std::vector<std::vector<double>>(draws.begin() + first_replicate,
                                           draws.begin() + static_cast<std::ptrdiff_t>(first_replicate + replicates));
  for (const auto& u : uncertain) res.parameter_names.push_back(u.name);
  for (const auto& row : draws) res.parameter_draws.insert(res.parameter_draws.end(), row.begin(), row.end());
  for (const auto& iv : config.interventions) res.intervention_names.push_back(iv.name);
  const std::size_t n_iv = config.interventions.size();
  res.intervention_program_usd.assign(replicates * years * n_iv, 0.0);
  res.intervention_payments_usd.assign(replicates * years * n_iv, 0.0);
  const auto values_of = [&](std::size_t r) {  // the interventions' values, in plan order
    return std::vector<double>(draws[r].begin() + 1, draws[r].end());
  };
  std::vector<PolicySettings> policies(replicates, config.policy);
  for (std::size_t r = 0; r < replicates; ++r) policies[r].plan_response.max_effort_logit = draws[r][0];

  const PolicyTables policy_tables = make_policy_tables(config.policy, data);
  std::vector<PolicyState> states(replicates, initial_policy_state(policy_tables, data));
  const StepTables no_policy = make_step_tables(data, tables, params, model);
  const auto tables_for = [&](std::size_t r) {
    StepTables st = with_policy(no_policy, data, params, model, step_inputs(config.policy, states[r]));
    apply_interventions(st, plan, values_of(r));
    return st;
  };
  // Without interventions replicates share the first year's tables; the policy feedback then
  // differs by replicate.
  std::vector<StepTables> first;
  for (std::size_t r = 0; r < (n_iv ? replicates : 1); ++r) first.push_back(tables_for(r));
  const std::int32_t start_month = month_index(run.start_year, 1);
  const int months_total = run.years * 12;
  int months_done = 0;
  double seconds_before = 0;  // simulation time spent before a resumed checkpoint
  if (const ScenarioCheckpoint* ck = control.resume) {
    // Everything above is drawn again from the scenario; the rest comes from the checkpoint.
    bool fits = ck->months_done > 0 && ck->months_done < months_total &&
                ck->policy.size() == replicates && ck->engine.replicates == replicates &&
                ck->engine.first_replicate == first_replicate &&
                ck->engine.layout.enrolled == layout.enrolled && ck->engine.layout.pool == layout.pool &&
                ck->engine.layout.enrolled_first == layout.enrolled_first &&
                ck->engine.layout.pool_first == layout.pool_first &&
                ck->results.members == res.members && ck->results.pool == res.pool &&
                ck->results.years == res.years;
    ScenarioResults restored = ck->results;
    std::vector<std::size_t> sizes, restored_sizes;
    for_each_array(res, [&](const char*, const auto& a) { sizes.push_back(a.size()); });
    for_each_array(restored, [&](const char*, const auto& a) { restored_sizes.push_back(a.size()); });
    fits = fits && sizes == restored_sizes && restored.parameter_draws == res.parameter_draws;
    PHSIM_EXPECTS(fits, "checkpoint of scenario '" + run.name + "' does not fit this scenario (other members, "
                  "years, replicates, data or parameter draws)", UsageError);
    restored.run = res.run;
    seconds_before = restored.seconds;
    res = std::move(restored);
    states = ck->policy;
    months_done = ck->months_done;
    std::vector<StepTables> step;
    if (months_done < 12) {
      step = first;
    } else {
      for (std::size_t r = 0; r < replicates; ++r) step.push_back(tables_for(r));
    }
    engine.restore(ck->engine, step);
  } else {
    engine.synthesize(tables, layout, run.seed, static_cast<std::uint32_t>(replicates), start_month,
                      first_replicate);
    engine.initialize_history(first, make_history_tables(params));
    auto start = engine.count_enrolled(data.contracts.size());
    sum_over_shards(start);
    store_enrollment_start(data, start, res);
  }

  const auto year_end = [&](int y) {
    YearTallies tallies = engine.tally_year(month_index(run.start_year + y, 12));
    for (auto* v : {&tallies.measure, &tallies.group, &tallies.events}) sum_over_shards(*v);
    store_year_tallies(data, tallies, static_cast<std::size_t>(y), res);
    // The policy years: independent by replicate (each its own state and its own cells of the
    // results), so on the host's threads.
    parallel_for_host(replicates, [&](std::size_t r) {
      const PolicyState before = states[r];
      const auto money = run_policy_year(policies[r], policy_tables, data, contract_years(data, tallies, r), states[r]);
      store_policy_year(data, money, before, r, static_cast<std::size_t>(y), res);
      const InterventionYearCosts costs =
          intervention_year_costs(plan, tables, values_of(r), run.start_year + y,
                                  static_cast<double>(res.members) / static_cast<double>(data.total_enrollment()));
      for (std::size_t k = 0; k < data.contracts.size(); ++k) {
        const auto& c = data.contracts[k];
        const std::size_t at = cells.rycp(r, static_cast<std::size_t>(y), static_cast<std::size_t>(c.county),
                                          static_cast<std::size_t>(c.plan));
        const std::int64_t* ev = &tallies.events[(r * data.contracts.size() + k) * kEventFieldCount];
        res.intervention_cost_usd[at] += costs.program_by_contract[k] + static_cast<double>(ev[kEvProgramCostCents]) / 100.0;
        res.practice_incentive_usd[at] += costs.payments_by_contract[k];
        res.palliative_enrollees[at] += ev[kEvPalliativeEnrollees];
      }
      for (std::size_t i = 0; i < n_iv; ++i) {
        res.intervention_program_usd[(r * years + static_cast<std::size_t>(y)) * n_iv + i] = costs.program_usd[i];
        res.intervention_payments_usd[(r * years + static_cast<std::size_t>(y)) * n_iv + i] = costs.practice_payment_usd[i];
      }
    });
    // Next year's tables: independent by replicate (each from its own policy state), so built on
    // the host's threads (most of the year-end host time with many replicates; bench/RESULTS.md).
    if (y + 1 < run.years) {
      std::vector<StepTables> next(replicates);
      parallel_for_host(replicates, [&](std::size_t r) { next[r] = tables_for(r); });
      engine.set_step_tables(next);
    }
  };
  const auto elapsed = [&] {
    return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const auto checkpoint = [&] {
    ScenarioCheckpoint ck;
    ck.months_done = months_done;
    ck.results = res;
    ck.results.seconds = elapsed();
    ck.policy = states;
    ck.engine = engine.snapshot();
    control.write_checkpoint(ck);
  };

  for (; months_done < months_total; ) {
    const int y = months_done / 12, m = months_done % 12;
    const std::int32_t month = month_index(run.start_year + y, m + 1);
    if (n_iv) {
      const auto strength = intervention_strengths(plan, month);
      engine.set_intervention_strengths(std::vector<double>(strength.begin(), strength.end()));
    }
    engine.step_month(month);
    if (m == 11) year_end(y);
    ++months_done;
    if (control.progress) control.progress(months_done, months_total);
    if (months_done == months_total) break;
    const bool stop = control.stop_requested && control.stop_requested();
    if (control.write_checkpoint &&
        (stop || (control.want_checkpoint && control.want_checkpoint(months_done, months_total)))) {
      checkpoint();
    }
    if (stop) {
      throw Interrupted("scenario '" + run.name + "' stopped after month " + std::to_string(months_done) +
                            " of " + std::to_string(months_total),
                        months_done);
    }
  }
  res.seconds = elapsed();
  return res;
}

}  // namespace phsim
