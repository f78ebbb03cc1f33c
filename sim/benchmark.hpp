#pragma once
/// @file `phsim bench`: times the real monthly step (not a mock) on a synthesized population.
#include <cstdint>
#include <string>

#include "sim/engine.hpp"
#include "sim/reference_data.hpp"
#include "sim/runner.hpp"

namespace phsim {

struct BenchmarkOptions {
  std::uint64_t members = 1000000;  ///< enrolled members per replicate
  int months = 12;
  int replicates = 1;
  std::uint32_t seed = 1;
};

struct BenchmarkResult {
  BenchmarkOptions options;
  EngineOptions engine;  ///< the options the engine was made with
  std::string backend, device;
  /// How the step's random blocks were computed: "batched (avx512)" (a tile of members at a
  /// time, with the vector instructions named) or "member" (one member at a time).
  std::string draws;
  int threads = 1;
  std::uint64_t slots = 0;            ///< member slots held (pool and newborn room included)
  double member_months = 0;           ///< enrolled-or-not live member-months stepped
  double seconds_setup = 0;           ///< tables, calibration, synthesis, history
  double seconds_synthesis = 0;       ///< of which: allocating and synthesizing the members
  double seconds_history = 0;         ///< of which: conditions and service history at the start
  double seconds_step = 0;            ///< monthly steps (births included)
  double seconds_births = 0;          ///< of which: creating the newborns after each month's pass
  double seconds_tally = 0;           ///< year-end tallies
  double seconds_policy = 0;          ///< host policy engine and next year's tables
  /// Writing `results` as `phsim run` writes a results file (HDF5, compressed); timed by the
  /// caller that writes it (phsim bench), not part of member_months_per_s.
  double seconds_output = 0;
  double member_months_per_s = 0;     ///< member-months / (step + tally + policy time)
  std::uint64_t bytes_per_member = 0; ///< device state per member slot
  std::uint64_t bytes_total = 0;      ///< device state of all slots
  /// Model of the step's memory traffic: every state byte of every slot read and written once a
  /// month, per member-month credited (an upper bound of what the step must move).
  double bytes_moved_per_member_month = 0;
  double bandwidth_copy = 0;          ///< bytes/s of a device-memory copy (read + write), measured
  double bandwidth_peak = 0;          ///< theoretical peak bytes/s of the device; 0 when unknown
  /// bytes_moved_per_member_month × member_months_per_s over bandwidth_peak (bandwidth_copy
  /// when the peak is unknown, as on the CPU): the fraction of the memory roofline reached.
  double roofline_fraction = 0;
  /// The results of the benchmarked months, stored as run_scenario stores them (scenario
  /// "bench", ceil(months / 12) years from 2024; a last partial year holds its months).
  ScenarioResults results;

  /// The bandwidth the roofline is taken against: the peak when known, else the measured copy.
  double roofline_bandwidth() const { return bandwidth_peak > 0 ? bandwidth_peak : bandwidth_copy; }
};

/// Bytes of the device-memory copy that measures the bandwidth.
inline constexpr std::uint64_t kBandwidthProbeBytes = 256ull << 20;

/// Throws UsageError, naming the figures, when the member state of every replicate (the bench
/// holds them all at once) and the bandwidth probe need more than 90% of `backend_bytes`, the
/// backend's free memory, or the results of the benchmarked months need more than 90% of
/// `host_bytes`, the host's (`backend_is_host`: one memory holds all three). 0 = unknown: no
/// check.
void check_benchmark_memory(const BenchmarkOptions& options, const ReferenceData& data,
                            std::uint64_t backend_bytes, std::uint64_t host_bytes = 0,
                            bool backend_is_host = false);

/// Runs `months` monthly steps (a tally after each December and at the end) and times them.
BenchmarkResult run_benchmark(const BenchmarkOptions& options, const ReferenceData& data,
                              Engine& engine);

/// One JSON object with every field of the result.
std::string to_json(const BenchmarkResult& r);
/// A readable summary.
std::string to_text(const BenchmarkResult& r);

}  // namespace phsim
