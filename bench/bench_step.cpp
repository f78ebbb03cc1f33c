// Google Benchmark suite: the monthly step, the year-end tally, population synthesis and the
// history before the start, at 10^4 to 10^7 members, on the CPU backend (and CUDA when built
// and a device is present); and writing a results file of 16 to 256 replicates x 5 years.
// Counters: member_months/s (items) and bytes of state per member slot; for the results file,
// replicate-years/s (items) and its arrays' bytes/s before compression.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <unistd.h>

#include "io/reference_data_io.hpp"
#include "io/results_output.hpp"
#include "sim/engine.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"

namespace phsim {
namespace {

const ReferenceData& data() {
  static const ReferenceData d = load_embedded_reference_data();
  return d;
}

/// A synthesized population ready to step.
struct Fixture {
  std::unique_ptr<Engine> engine;
  StepTables step;
  SynthesisTables tables;
  PopulationLayout layout;

  Fixture(Backend backend, std::uint64_t members) {
    const ModelParameters params = read_model_parameters(data());
    const std::uint64_t pool = pool_members(members, params);
    layout = population_layout(members, pool, 2, params);
    tables = make_synthesis_tables(data(), members, pool);
    step = make_step_tables(data(), tables, params, calibrate_service_model(data(), tables, params));
    engine = make_engine(EngineOptions{backend, 0, 0});
    engine->synthesize(tables, layout, 7, 1, month_index(2024, 1));
    engine->initialize_history({step}, make_history_tables(params));
  }
};

bool skip_without(Backend backend, benchmark::State& state) {
  std::string reason;
  if (backend == Backend::Cuda && !cuda_available(&reason)) {
    state.SkipWithError(reason.c_str());
    return true;
  }
  return false;
}

void BM_Step(benchmark::State& state, Backend backend) {
  if (skip_without(backend, state)) return;
  const auto members = static_cast<std::uint64_t>(state.range(0));
  Fixture f(backend, members);
  std::int32_t month = month_index(2024, 1);
  for (auto _ : state) {
    f.engine->step_month(month++);
    if (month % 12 == 0) {
      state.PauseTiming();
      f.engine->tally_year(month - 1);  // keep the year counters from saturating
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(members));
  state.counters["bytes_per_member"] = kBytesPerMember;
  state.counters["slots_per_member"] = static_cast<double>(f.layout.capacity) / static_cast<double>(members);
}

void BM_Tally(benchmark::State& state, Backend backend) {
  if (skip_without(backend, state)) return;
  const auto members = static_cast<std::uint64_t>(state.range(0));
  Fixture f(backend, members);
  for (int m = 0; m < 12; ++m) f.engine->step_month(month_index(2024, m + 1));
  for (auto _ : state) benchmark::DoNotOptimize(f.engine->tally_year(month_index(2024, 12)));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(members));
}

void BM_Synthesis(benchmark::State& state, Backend backend) {
  if (skip_without(backend, state)) return;
  const auto members = static_cast<std::uint64_t>(state.range(0));
  const ModelParameters params = read_model_parameters(data());
  const std::uint64_t pool = pool_members(members, params);
  const PopulationLayout layout = population_layout(members, pool, 1, params);
  const SynthesisTables tables = make_synthesis_tables(data(), members, pool);
  auto engine = make_engine(EngineOptions{backend, 0, 0});
  for (auto _ : state) engine->synthesize(tables, layout, 7, 1, month_index(2024, 1));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(members));
}

void BM_History(benchmark::State& state, Backend backend) {
  if (skip_without(backend, state)) return;
  const auto members = static_cast<std::uint64_t>(state.range(0));
  Fixture f(backend, members);
  const HistoryTables history = make_history_tables(read_model_parameters(data()));
  // Each pass redraws the same history from the synthesized members.
  for (auto _ : state) f.engine->initialize_history({f.step}, history);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(members));
}

/// Next year's step tables of one replicate: range(0) = 0 without plan effort (as in a baseline
/// scenario), 1 with effort on every contract and measure; range(1) = 1 from the tables without
/// policy, as the runner builds them at every year end (with_policy), 0 built whole.
void BM_StepTables(benchmark::State& state) {
  const ModelParameters params = read_model_parameters(data());
  const std::uint64_t members = 100000;
  const SynthesisTables tables = make_synthesis_tables(data(), members, pool_members(members, params));
  const ServiceModel model = calibrate_service_model(data(), tables, params);
  const StepTables no_policy = make_step_tables(data(), tables, params, model);
  StepPolicyInputs policy;
  if (state.range(0)) policy.effort_logit.assign(data().contracts.size() * data().measures.size(), 0.125);
  for (auto _ : state) {
    benchmark::DoNotOptimize(state.range(1) ? with_policy(no_policy, data(), params, model, policy)
                                            : make_step_tables(data(), tables, params, model, policy));
  }
  state.SetItemsProcessed(state.iterations());
}

/// Writing the results file of one scenario of 1,000 members x 5 years x range(0) replicates
/// (the run itself is not timed).
void BM_WriteResults(benchmark::State& state) {
  RunSettings run;
  run.members = 1000;
  run.years = 5;
  run.replicates = static_cast<int>(state.range(0));
  auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  const std::vector<ScenarioResults> results{run_scenario(run, data(), *engine)};
  RunMetadata meta;
  meta.scenario_names = {run.name};
  meta.scenario_tomls = {""};
  meta.scenario_hashes = {""};
  double bytes = 0;
  for_each_array(results.front(), [&](const char*, const auto& a) {
    bytes += static_cast<double>(a.size() * sizeof(a[0]));
  });
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("phsim_bench_results_" + std::to_string(::getpid()) + ".h5")).string();
  for (auto _ : state) write_results(path, data(), results, meta);
  std::filesystem::remove(path);
  state.SetItemsProcessed(state.iterations() * run.replicates * run.years);
  state.SetBytesProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) * bytes));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (long n : {10000L, 100000L, 1000000L, 10000000L}) b->Arg(n);
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_CAPTURE(BM_Step, cpu, Backend::Cpu)->Apply(sizes);
BENCHMARK_CAPTURE(BM_Tally, cpu, Backend::Cpu)->Apply(sizes);
BENCHMARK_CAPTURE(BM_Synthesis, cpu, Backend::Cpu)->Apply(sizes);
BENCHMARK_CAPTURE(BM_History, cpu, Backend::Cpu)->Apply(sizes);
BENCHMARK(BM_StepTables)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WriteResults)->Arg(16)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
#if defined(PHSIM_HAVE_CUDA)
BENCHMARK_CAPTURE(BM_Step, cuda, Backend::Cuda)->Apply(sizes);
BENCHMARK_CAPTURE(BM_Tally, cuda, Backend::Cuda)->Apply(sizes);
BENCHMARK_CAPTURE(BM_Synthesis, cuda, Backend::Cuda)->Apply(sizes);
BENCHMARK_CAPTURE(BM_History, cuda, Backend::Cuda)->Apply(sizes);
#endif

}  // namespace
}  // namespace phsim

BENCHMARK_MAIN();
