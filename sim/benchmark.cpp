#include "sim/benchmark.hpp"

#include <chrono>
#include <cstdio>
#include <sstream>

#include "sim/errors.hpp"
#include "sim/host_parallel.hpp"
#include "sim/philox_batch.hpp"
#include "sim/policy.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"

namespace phsim {
namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void check_benchmark_memory(const BenchmarkOptions& o, const ReferenceData& data, std::uint64_t backend_bytes,
                            std::uint64_t host_bytes, bool backend_is_host) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  const int years = (o.months + 11) / 12;
  const double results = static_cast<double>(results_bytes_per_replicate(data, years, 0)) * o.replicates;
  const std::uint64_t per_replicate = member_state_bytes(data, o.members, years);
  const double need = static_cast<double>(per_replicate) * o.replicates + 2.0 * static_cast<double>(kBandwidthProbeBytes) +
                      (backend_is_host ? results : 0.0);
  char msg[400];
  if (backend_bytes != 0 && need > kUsableMemoryFraction * static_cast<double>(backend_bytes)) {
    std::snprintf(msg, sizeof msg,
                  "--members %llu x --replicates %d: the bench needs %.1f GiB at once (%llu slots x %u "
                  "bytes of member state per replicate, and %.1f GiB to measure the bandwidth%s) but %.1f "
                  "GiB of memory is available; reduce --members or --replicates",
                  static_cast<unsigned long long>(o.members), o.replicates, need / kGiB,
                  static_cast<unsigned long long>(per_replicate / kBytesPerMember), kBytesPerMember,
                  2.0 * static_cast<double>(kBandwidthProbeBytes) / kGiB,
                  backend_is_host ? ", and the results" : "", static_cast<double>(backend_bytes) / kGiB);
    throw UsageError(msg);
  }
  if (host_bytes != 0 && !backend_is_host && results > kUsableMemoryFraction * static_cast<double>(host_bytes)) {
    std::snprintf(msg, sizeof msg,
                  "--replicates %d x --months %d: the bench's results need %.1f GiB of host memory "
                  "(%.1f MiB per replicate) but %.1f GiB is available; reduce --replicates or --months",
                  o.replicates, o.months, results / kGiB, results / o.replicates / (1024.0 * 1024.0),
                  static_cast<double>(host_bytes) / kGiB);
    throw UsageError(msg);
  }
}

BenchmarkResult run_benchmark(const BenchmarkOptions& o, const ReferenceData& data, Engine& engine) {
  BenchmarkResult r;
  r.options = o;
  r.engine = engine.options();
  r.draws = engine.backend() == Backend::Cpu && r.engine.batched_draws
                ? std::string("batched (") + simd_level_name(simd_level_at_most(r.engine.max_simd)) + ")"
                : std::string("member");
  r.backend = to_string(engine.backend());
  r.device = engine.device_name();
  r.threads = engine.threads();
  auto t0 = std::chrono::steady_clock::now();
  const ModelParameters params = read_model_parameters(data);
  const std::uint64_t pool = pool_members(o.members, params);
  const PopulationLayout layout = population_layout(o.members, pool, (o.months + 11) / 12, params);
  const SynthesisTables tables = make_synthesis_tables(data, o.members, pool);
  const ServiceModel model = calibrate_service_model(data, tables, params);
  const StepTables step = make_step_tables(data, tables, params, model);
  const std::int32_t start = month_index(2024, 1);
  auto t1 = std::chrono::steady_clock::now();
  engine.synthesize(tables, layout, o.seed, static_cast<std::uint32_t>(o.replicates), start);
  r.seconds_synthesis = since(t1);
  t1 = std::chrono::steady_clock::now();
  engine.initialize_history({step}, make_history_tables(params));
  r.seconds_history = since(t1);
  RunSettings run;
  run.name = "bench";
  run.members = o.members;
  run.years = (o.months + 11) / 12;
  run.replicates = o.replicates;
  run.seed = o.seed;
  r.results = empty_results(run, data, params, static_cast<std::size_t>(o.replicates));
  store_enrollment_start(data, engine.count_enrolled(data.contracts.size()), r.results);
  r.seconds_setup = since(t0);
  r.slots = engine.size();
  r.bytes_per_member = kBytesPerMember;
  r.bytes_total = r.slots * kBytesPerMember;

  const PolicySettings policy;
  const PolicyTables policy_tables = make_policy_tables(policy, data);
  std::vector<PolicyState> states(static_cast<std::size_t>(o.replicates), initial_policy_state(policy_tables, data));
  const double births_before = engine.seconds_in_births();
  for (int m = 0; m < o.months; ++m) {
    t0 = std::chrono::steady_clock::now();
    engine.step_month(start + m);
    r.seconds_step += since(t0);
    if (m % 12 == 11 || m == o.months - 1) {
      t0 = std::chrono::steady_clock::now();
      const YearTallies tallies = engine.tally_year(start + m);
      const auto year = static_cast<std::size_t>(m / 12);
      store_year_tallies(data, tallies, year, r.results);
      r.seconds_tally += since(t0);
      // The policy engine and next year's tables, as the runner does them.
      t0 = std::chrono::steady_clock::now();
      parallel_for_host(states.size(), [&](std::size_t rep) {
        const PolicyState in_force = states[rep];
        const auto money = run_policy_year(policy, policy_tables, data, contract_years(data, tallies, rep), states[rep]);
        store_policy_year(data, money, in_force, rep, year, r.results);
      });
      std::vector<StepTables> next(states.size());
      parallel_for_host(states.size(), [&](std::size_t rep) {
        next[rep] = with_policy(step, data, params, model, step_inputs(policy, states[rep]));
      });
      engine.set_step_tables(next);
      r.seconds_policy += since(t0);
    }
  }
  r.seconds_births = engine.seconds_in_births() - births_before;
  // Member-months of the population asked for (enrolled members per replicate x months); the
  // pool and newborn room add work that this figure does not credit.
  r.member_months = static_cast<double>(o.members) * o.replicates * o.months;
  const double t = r.seconds_step + r.seconds_tally + r.seconds_policy;
  r.member_months_per_s = t > 0 ? r.member_months / t : 0;
  r.bytes_moved_per_member_month = 2.0 * static_cast<double>(r.bytes_total) /
                                   (static_cast<double>(o.members) * o.replicates);
  r.bandwidth_copy = engine.copy_bandwidth(kBandwidthProbeBytes);
  r.bandwidth_peak = engine.peak_bandwidth();
  const double roof = r.roofline_bandwidth();
  r.roofline_fraction = roof > 0 ? r.bytes_moved_per_member_month * r.member_months_per_s / roof : 0;
  return r;
}

std::string to_json(const BenchmarkResult& r) {
  std::ostringstream os;
  os.precision(6);
  os << "{\"member_months_per_s\": " << r.member_months_per_s
     << ", \"bytes_per_member\": " << r.bytes_per_member << ", \"backend\": \"" << r.backend
     << "\", \"device\": \"" << json_escape(r.device) << "\", \"threads\": " << r.threads
     << ", \"members\": " << r.options.members << ", \"months\": " << r.options.months
     << ", \"replicates\": " << r.options.replicates
     << ", \"member_order\": \"" << (r.engine.order_members ? "grouped" : "id") << "\""
     << ", \"draws\": \"" << r.draws << "\""
     << ", \"slots\": " << r.slots
     << ", \"bytes_total\": " << r.bytes_total << ", \"member_months\": " << r.member_months
     << ", \"seconds_setup\": " << r.seconds_setup << ", \"seconds_synthesis\": " << r.seconds_synthesis
     << ", \"seconds_history\": " << r.seconds_history << ", \"seconds_step\": " << r.seconds_step
     << ", \"seconds_births\": " << r.seconds_births
     << ", \"seconds_tally\": " << r.seconds_tally << ", \"seconds_policy\": " << r.seconds_policy
     << ", \"seconds_output\": " << r.seconds_output
     << ", \"bytes_moved_per_member_month\": " << r.bytes_moved_per_member_month
     << ", \"bandwidth_copy_gbs\": " << r.bandwidth_copy / 1e9
     << ", \"bandwidth_peak_gbs\": " << r.bandwidth_peak / 1e9
     << ", \"roofline_basis\": \"" << (r.bandwidth_peak > 0 ? "peak" : "copy") << "\""
     << ", \"roofline_fraction\": " << r.roofline_fraction << "}";
  return os.str();
}

std::string to_text(const BenchmarkResult& r) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "phsim bench: %llu members x %d replicate(s) x %d months on %s (%s, %d thread(s)), members in %s order, random blocks %s\n"
                "  member-months/s  %.4g\n"
                "  state            %llu bytes per member slot, %llu slots, %.1f MiB\n"
                "  time             setup %.3f s (synthesis %.3f s, history %.3f s) | step %.3f s (births %.3f s) |"
                " tally %.3f s | policy %.3f s | output %.3f s\n"
                "  memory traffic   %.0f bytes per member-month (model: state read and written monthly)\n"
                "  roofline         %.3g%% of %.4g GB/s (%s)\n",
                static_cast<unsigned long long>(r.options.members), r.options.replicates,
                r.options.months, r.backend.c_str(), r.device.c_str(), r.threads,
                r.engine.order_members ? "grouped" : "id", r.draws.c_str(), r.member_months_per_s, static_cast<unsigned long long>(r.bytes_per_member),
                static_cast<unsigned long long>(r.slots), static_cast<double>(r.bytes_total) / (1 << 20),
                r.seconds_setup, r.seconds_synthesis, r.seconds_history, r.seconds_step, r.seconds_births,
                r.seconds_tally, r.seconds_policy, r.seconds_output,
                r.bytes_moved_per_member_month, 100.0 * r.roofline_fraction,
                r.roofline_bandwidth() / 1e9,
                r.bandwidth_peak > 0 ? "device peak" : "measured copy bandwidth");
  return buf;
}

}  // namespace phsim
