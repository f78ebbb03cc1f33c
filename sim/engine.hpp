#pragma once
/// @file The device engine: owns the member state on one backend and runs the per-member
/// passes. Host code (runner, tests, bench) talks to it only through this interface; the
/// implementation (sim/engine.cu) is compiled once per backend, so no Thrust type appears here.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/member.hpp"
#include "sim/philox_batch.hpp"

namespace phsim {

struct SynthesisTables;
struct StepTables;
struct HistoryTables;

enum class Backend { Cpu, Cuda };

/// "cpu" / "cuda".
const char* to_string(Backend b);

struct EngineOptions {
  Backend backend = Backend::Cpu;
  int threads = 0;  ///< CPU threads (0 = all available); ignored by CUDA
  int device = 0;   ///< CUDA device ordinal
  /// Group member slots by the path they take through the step (kernels/member_order.hpp),
  /// at the start (before and after the history). Results do not depend on it; speed does.
  bool order_members = true;
  /// Slots order_members sorts at once (16 bytes of scratch each, 24 on the CPU); a larger
  /// segment is sorted on its own. Tests set it small to sort replicate by replicate.
  std::uint64_t order_chunk_slots = 1ull << 24;
  /// CPU: step a tile of slots at a time (sim/step_tile.hpp): random blocks computed together,
  /// quiet months and their measure walks done together, with vector instructions; rather than
  /// member by member. The setup's synthesis, order keys and history likewise
  /// (sim/setup_tile.hpp). The results are the same; speed differs.
  bool batched_draws = true;
  /// CPU, batched: the highest vector instruction level the tiled step and the year-end tally may
  /// use (at most what the CPU runs). Same results at every level; tests and benchmarks lower it.
  SimdLevel max_simd = SimdLevel::Avx512;
};

/// Host copy of the member arrays (one std::vector per field; fields with extent E hold E
/// arrays of size() elements each, array k at [k * size(), (k + 1) * size())).
struct HostMembers {
#define PHSIM_HOST_FIELD(T, name, extent, doc) std::vector<T> name;
  PHSIM_MEMBER_FIELDS(PHSIM_HOST_FIELD)
#undef PHSIM_HOST_FIELD
  std::size_t size() const { return member_id.size(); }

  /// Raw pointers into these vectors, for running kernels/ functions on the host.
  MemberView view() {
    MemberView v{};
#define PHSIM_HOST_VIEW(T, name, extent, doc) v.name = name.data();
    PHSIM_MEMBER_FIELDS(PHSIM_HOST_VIEW)
#undef PHSIM_HOST_VIEW
    v.stride = size();
    return v;
  }
};

/// Slots of one replicate's segment: [0, enrolled) enrolled at the start, [enrolled,
/// enrolled + pool) alive but not enrolled, the rest free for newborns.
struct PopulationLayout {
  std::uint64_t enrolled = 0;
  std::uint64_t pool = 0;
  std::uint64_t capacity = 0;
  /// A county shard of a member-sharded run: the segment holds enrolled members
  /// [enrolled_first, enrolled_first + enrolled) and pool members [pool_first, pool_first +
  /// pool) of a population of enrolled_total + pool_total. Zero totals: the whole population.
  std::uint64_t enrolled_first = 0, pool_first = 0;
  std::uint64_t enrolled_total = 0, pool_total = 0;
};

/// Collectives among the processes of a member-sharded run, each holding a county shard of
/// every replicate (implemented over MPI by sim/cluster.cpp). Every process calls each
/// operation the same number of times, in the same order.
class MemberExchange {
 public:
  virtual ~MemberExchange() = default;
  /// Element-wise sum over the processes, in place.
  virtual void sum(std::vector<std::int64_t>& values) = 0;
  /// Every process's values, concatenated in process order.
  virtual std::vector<std::uint64_t> gather_all(const std::vector<std::uint64_t>& values) = 0;
  /// True on every process if `flag` is true on any.
  virtual bool any(bool flag) = 0;
};

/// The complete state of an engine between two months: with the step tables in force (which
/// the runner derives again from its own state), restore() continues bit-identically.
struct EngineSnapshot {
  PopulationLayout layout;
  std::uint32_t seed = 0;
  std::uint32_t replicates = 0;
  std::int32_t start_month = 0;
  std::uint32_t first_replicate = 0;
  HostMembers members;
  std::vector<std::uint64_t> events;   ///< this year's event counters so far
  std::vector<std::uint64_t> live;     ///< [replicate] slots in use
  std::vector<std::uint32_t> next_id;  ///< [replicate] next newborn member id
};

/// Integer tallies of one measurement year (layout: kernels/tally.hpp, TallyShape).
struct YearTallies {
  std::vector<std::int64_t> measure;  ///< [replicate][contract][measure][den, num]
  std::vector<std::int64_t> group;    ///< [replicate][county][measure][race][den, num]
  std::vector<std::int64_t> events;   ///< [replicate][contract][EventField]
};

/// Owns the member arrays of `replicates` × `members` members on one backend.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual Backend backend() const = 0;
  /// The options it was made with.
  virtual const EngineOptions& options() const = 0;
  /// CPU model name or GPU name.
  virtual std::string device_name() const = 0;
  /// CPU threads in use (1 for CUDA: the host side is single-threaded).
  virtual int threads() const = 0;
  /// Memory bandwidth of the backend's memory measured by copying a buffer of `bytes` bytes
  /// there (best of three copies; bytes read plus bytes written per second).
  virtual double copy_bandwidth(std::uint64_t bytes) = 0;
  /// Theoretical peak memory bandwidth in bytes/s; 0 when unknown (CPU).
  virtual double peak_bandwidth() const = 0;

  /// Replaces the state with a new population for each of `replicates` replicates laid out as
  /// `layout`, drawn from `tables` with `seed`, ages as of month index `start_month`. The
  /// segments hold replicates first_replicate, first_replicate + 1, ... of the run (their
  /// numbers in the random-number counters), so a slice of a run's replicates computed alone
  /// equals the same replicates computed together.
  virtual void synthesize(const SynthesisTables& tables, const PopulationLayout& layout,
                          std::uint32_t seed, std::uint32_t replicates, std::int32_t start_month,
                          std::uint32_t first_replicate = 0) = 0;

  /// Draws the state before the first month (kernels/history.hpp) with the step tables (one
  /// set for every replicate, or one per replicate).
  virtual void initialize_history(const std::vector<StepTables>& step,
                                  const HistoryTables& history) = 0;

  /// Replaces the step tables (probabilities, costs, measure specs) used by step_month: one
  /// set shared by every replicate, or one per replicate (policy feedback differs by replicate).
  virtual void set_step_tables(const std::vector<StepTables>& step) = 0;

  /// Member sharding: newborn ids are agreed through `exchange` (null: a whole population).
  virtual void set_exchange(MemberExchange* exchange) = 0;

  /// Sets this month's strength of each intervention (in every replicate's tables).
  virtual void set_intervention_strengths(const std::vector<double>& strengths) = 0;

  /// Advances every member by one month (month index, months since 1900-01), then creates
  /// the month's newborns (growing every replicate's segment when one is full).
  virtual void step_month(std::int32_t month) = 0;
  /// Seconds step_month has spent creating newborns since the engine was made (host clock, the
  /// device's work included): the part of a month's step that is not the per-slot pass.
  virtual double seconds_in_births() const = 0;

  /// Year-end tally (after December's step) and the year's event counters; clears the
  /// counters for the next year.
  virtual YearTallies tally_year(std::int32_t december) = 0;

  /// Enrolled members per (replicate, contract), row-major [replicate][contract].
  virtual std::vector<std::int64_t> count_enrolled(std::size_t contracts) = 0;

  /// Member slots held (all replicates).
  virtual std::uint64_t size() const = 0;
  virtual std::uint32_t replicates() const = 0;
  /// Copies the member arrays to the host.
  virtual HostMembers download() const = 0;

  /// Everything needed to continue from the current month (member arrays, event counters,
  /// slot bookkeeping), copied to the host.
  virtual EngineSnapshot snapshot() const = 0;
  /// Replaces the state with `snapshot` and installs `step` (as set_step_tables). Throws
  /// UsageError if the snapshot is inconsistent.
  virtual void restore(const EngineSnapshot& snapshot, const std::vector<StepTables>& step) = 0;
};

/// Creates an engine. Throws CudaError if the CUDA backend was requested but is not built or no
/// device is usable (the message says which).
std::unique_ptr<Engine> make_engine(const EngineOptions& options);

/// True when the CUDA backend is built and a device is usable; otherwise false and `reason`
/// says why ("built without CUDA", "no CUDA device: <driver message>").
bool cuda_available(std::string* reason = nullptr);

/// Bytes of memory the backend can still allocate: MemAvailable for the CPU, free device memory
/// for CUDA; 0 when unknown.
std::uint64_t memory_available(const EngineOptions& options);
/// MemAvailable of the host (0 when unknown).
std::uint64_t host_memory_available();

/// Name of the host CPU (from /proc/cpuinfo), for logs and benchmarks.
std::string cpu_name();

}  // namespace phsim
