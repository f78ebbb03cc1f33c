// The Thrust engine, compiled once per backend (namespace phsim::cpu or phsim::cuda).
#include <thrust/binary_search.h>
#include <thrust/copy.h>
#include <thrust/count.h>
#include <thrust/execution_policy.h>
#include <thrust/fill.h>
#include <thrust/for_each.h>
#include <thrust/gather.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>
#include <thrust/transform.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/atomic.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/history.hpp"
#include "kernels/member_order.hpp"
#include "kernels/newborn.hpp"
#include "kernels/synthesis.hpp"
#include "kernels/tally.hpp"
#include "sim/backend_factory.hpp"
#include "sim/device_state.hpp"
#include "sim/engine.hpp"
#include "sim/errors.hpp"
#include "sim/nvtx.hpp"
#include "sim/population.hpp"
#include "sim/step_tables.hpp"
#include "sim/tally.hpp"
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
#include "sim/slot_kernel.cuh"
#else
#include "sim/setup_tile.hpp"
#include "sim/host_parallel.hpp"
#include "sim/step_tile.hpp"
#include "sim/tally_cpu.hpp"
#endif

#ifndef PHSIM_BACKEND_NS
#error "PHSIM_BACKEND_NS must be defined (cpu or cuda)"
#endif

namespace phsim {
namespace PHSIM_BACKEND_NS {
namespace {


/// Synthesis tables in device memory; view() gives the POD the functor reads.
struct DeviceSynthesisTables {
  thrust::device_vector<std::uint64_t> contract_begin, pool_contract_begin;
  thrust::device_vector<std::uint8_t> contract_county;
  thrust::device_vector<std::uint64_t> age_cum, pool_age_cum;
  thrust::device_vector<std::int32_t> age_lo_months, age_span_months;
  thrust::device_vector<std::uint8_t> sex_group_of_age;
  thrust::device_vector<std::uint64_t> female_threshold, race_cum, language_cum;
  thrust::device_vector<std::uint8_t> aid_group_of_age;
  thrust::device_vector<std::uint64_t> aid_cum;
  thrust::device_vector<std::uint32_t> practice_begin, practice_count;
  thrust::device_vector<std::uint64_t> practice_cum;

  explicit DeviceSynthesisTables(const SynthesisTables& t)
      : contract_begin(to_device(t.contract_begin)),
        pool_contract_begin(to_device(t.pool_contract_begin)),
        contract_county(to_device(t.contract_county)),
        age_cum(to_device(t.age_cum)),
        pool_age_cum(to_device(t.pool_age_cum)),
        age_lo_months(to_device(t.age_lo_months)),
        age_span_months(to_device(t.age_span_months)),
        sex_group_of_age(to_device(t.sex_group_of_age)),
        female_threshold(to_device(t.female_threshold)),
        race_cum(to_device(t.race_cum)),
        language_cum(to_device(t.language_cum)),
        aid_group_of_age(to_device(t.aid_group_of_age)),
        aid_cum(to_device(t.aid_cum)),
        practice_begin(to_device(t.practice_begin)),
        practice_count(to_device(t.practice_count)),
        practice_cum(to_device(t.practice_cum)) {}

  SynthesisTablesView view() const {
    return SynthesisTablesView{raw(contract_begin),
                               raw(pool_contract_begin),
                               raw(contract_county),
                               static_cast<std::uint32_t>(contract_county.size()),
                               raw(age_cum),
                               raw(pool_age_cum),
                               raw(age_lo_months),
                               raw(age_span_months),
                               static_cast<std::uint32_t>(age_cum.size()),
                               raw(sex_group_of_age),
                               raw(female_threshold),
                               raw(race_cum),
                               raw(language_cum),
                               raw(aid_group_of_age),
                               raw(aid_cum),
                               raw(practice_begin),
                               raw(practice_count),
                               raw(practice_cum)};
  }
};

/// The step's table sets (one, or one per replicate) in device memory: every array of every set
/// in one allocation, each at a multiple of 8 bytes, written on the host and uploaded in one copy
/// (on the CPU written in place). The allocation is kept while the total size stays (next year's
/// tables are the same size), so a new year's tables cost one copy, not an allocation, a copy and
/// a free per array and replicate. An empty array's pointer is null.
class DeviceStepTableSets {
 public:
  void assign(const std::vector<StepTables>& sets) {
    const auto words_of = [](const auto& a) { return (a.size() * sizeof(a[0]) + 7) / 8; };
    std::size_t words = 0;
    for (const StepTables& t : sets) {
      StepTablesView unused{};
      for_each_step_array(t, unused, [&](const auto& a, auto&) { words += words_of(a); });
    }
    if (m_arena.size() != words) {
      m_arena.clear();
      m_arena.shrink_to_fit();
      m_arena.resize(words);
    }
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    m_staging.resize(words);  // the host's side of the one copy, kept like the arena
    std::uint64_t* to = m_staging.data();
#else
    std::uint64_t* to = raw(m_arena);  // the device's memory is the host's
#endif
    // Each array written at `at` (in 8-byte words) and its view pointed at the arena's `at`.
    const std::uint64_t* base = raw(m_arena);
    std::vector<StepTablesView> views;
    std::size_t at = 0;
    for (const StepTables& t : sets) {
      views.push_back(t.scalars);
      for_each_step_array(t, views.back(), [&](const auto& a, auto& pointer) {
        using T = std::remove_const_t<std::remove_pointer_t<std::remove_reference_t<decltype(pointer)>>>;
        static_assert(alignof(T) <= 8, "arrays start at multiples of 8 bytes");
        const std::size_t bytes = a.size() * sizeof(a[0]);
        if (bytes % 8) to[at + bytes / 8] = 0;  // the padding after the array
        if (bytes) std::memcpy(to + at, a.data(), bytes);
        pointer = a.empty() ? nullptr : reinterpret_cast<const T*>(base + at);
        at += words_of(a);
      });
    }
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    thrust::copy(m_staging.begin(), m_staging.end(), m_arena.begin());
#endif
    m_views = std::move(views);
    m_counties = sets.front().contract_first.size();
  }

  bool empty() const { return m_views.empty(); }
  std::size_t size() const { return m_views.size(); }
  /// Set i with device pointers.
  const StepTablesView& view(std::size_t i) const { return m_views[i]; }
  std::size_t counties() const { return m_counties; }

 private:
  thrust::device_vector<std::uint64_t> m_arena;
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
  std::vector<std::uint64_t> m_staging;
#endif
  std::vector<StepTablesView> m_views;
  std::size_t m_counties = 0;
};

/// Adds one to the (replicate, contract) cell of each enrolled member.
struct CountEnrolled {
  MemberView m_members;
  unsigned long long* m_counts;
  std::uint64_t m_capacity;
  std::uint32_t m_contracts;

  PHSIM_HD void operator()(std::uint64_t index) const {
    const std::uint8_t s = m_members.status[index];
    if (!(s & kAlive) || !(s & kEnrolled)) return;
    const auto replicate = index / m_capacity;
    atomic_add(&m_counts[replicate * m_contracts + m_members.contract[index]], 1ull);
  }
};

struct IsDelivered {
  PHSIM_HD bool operator()(std::uint8_t status) const { return (status & kDeliveredThisMonth) != 0; }
};

/// A mother's key for ordering her replicate's mothers by member id: (replicate, member id).
struct MotherKey {
  const std::uint32_t* member_id;
  std::uint64_t capacity;
  PHSIM_HD std::uint64_t operator()(std::uint64_t slot) const { return (slot / capacity) << 32 | member_id[slot]; }
};

/// The newborn of the mother at position p of the keys sorted by (replicate, mother id) (order[p]:
/// her index among the month's mothers) takes her replicate's next member id in that order;
/// first[r]: the position of replicate r's first mother (each replicate's mothers are as many in
/// the sorted keys as in the slot order, and the replicate is the major key).
struct NewbornIdByRank {
  const std::uint64_t* keys;
  const std::uint64_t* order;
  const std::uint64_t* first;
  const std::uint32_t* next_id;  ///< [replicate]
  std::uint32_t* ids;
  PHSIM_HD void operator()(std::uint64_t p) const {
    const std::uint64_t r = keys[p] >> 32;
    ids[order[p]] = next_id[r] + static_cast<std::uint32_t>(p - first[r]);
  }
};

/// Newborn j's slot: the next free slot of the mother's replicate, the replicate's mothers taking
/// them in slot order (mothers ascending; first[r]: the index of replicate r's first mother).
struct NewbornSlot {
  const std::uint64_t* mothers;
  const std::uint64_t* first;
  const std::uint64_t* next_free;  ///< [replicate]: the first free slot
  std::uint64_t capacity;
  PHSIM_HD std::uint64_t operator()(std::uint64_t j) const {
    const std::uint64_t r = mothers[j] / capacity;
    return next_free[r] + (j - first[r]);
  }
};

/// A slot's index after every replicate's segment grew from `old_capacity` to `capacity` slots.
struct GrownSlot {
  std::uint64_t old_capacity, capacity;
  PHSIM_HD std::uint64_t operator()(std::uint64_t i) const {
    return (i / old_capacity) * capacity + i % old_capacity;
  }
};

class ThrustEngine final : public Engine {
 public:
  ThrustEngine(const EngineOptions& options, int threads) : m_options(options), m_threads(threads) {}

  Backend backend() const override { return m_options.backend; }
  const EngineOptions& options() const override { return m_options; }

  std::string device_name() const override {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    return cuda::device_name(m_options.device);
#else
    return cpu_name();
#endif
  }

  int threads() const override { return m_threads; }

  double copy_bandwidth(std::uint64_t bytes) override {
    const thrust::device_vector<std::uint64_t> from(bytes / 8, 1ull);
    thrust::device_vector<std::uint64_t> to(from.size());
    double best = 0;
    for (int trial = 0; trial < 3; ++trial) {
      synchronize();
      const auto t0 = std::chrono::steady_clock::now();
      thrust::copy(thrust::device, from.begin(), from.end(), to.begin());
      synchronize();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (s > 0) best = std::max(best, 2.0 * static_cast<double>(from.size() * 8) / s);
    }
    return best;
  }

  double peak_bandwidth() const override {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    return cuda::peak_bandwidth(m_options.device);
#else
    return 0;
#endif
  }

  void synthesize(const SynthesisTables& tables, const PopulationLayout& layout,
                  std::uint32_t seed, std::uint32_t replicates, std::int32_t start_month,
                  std::uint32_t first_replicate) override {
    const NvtxRange range("phsim synthesize");
    PHSIM_EXPECTS(layout.capacity >= layout.enrolled + layout.pool && layout.capacity > 0,
                  "population layout: capacity below the population", UsageError);
    m_layout = layout;
    m_seed = seed;
    m_replicates = replicates;
    m_start_month = start_month;
    m_first_replicate = first_replicate;
    m_state.resize(layout.capacity * replicates);
    m_live.assign(replicates, layout.enrolled + layout.pool);
    const bool whole = layout.enrolled_total == 0 && layout.pool_total == 0;
    const std::uint64_t enrolled_total = whole ? layout.enrolled : layout.enrolled_total;
    const std::uint64_t pool_total = whole ? layout.pool : layout.pool_total;
    m_next_id.assign(replicates, static_cast<std::uint32_t>(enrolled_total + pool_total));
    const DeviceSynthesisTables device_tables(tables);
    const SynthesizeMember synthesize{m_state.view(), device_tables.view(), seed, layout.enrolled,
                                      layout.pool, layout.capacity, start_month, first_replicate,
                                      layout.enrolled_first, enrolled_total, layout.pool_first};
#if THRUST_DEVICE_SYSTEM != THRUST_DEVICE_SYSTEM_CUDA
    if (m_options.batched_draws) {
      for_each_tile<TwoBlockTileScratch>(m_state.size(), kTwoBlockTileSlots,
                                         [synthesize](std::uint64_t begin, std::uint64_t end, TwoBlockTileScratch& s) {
                                           two_block_tile(synthesize, begin, end, s);
                                         });
    } else
#endif
    {
      for_each_slot(synthesize);
    }
    m_just_synthesized = true;
  }

  void initialize_history(const std::vector<StepTables>& step,
                          const HistoryTables& history) override {
    const NvtxRange range("phsim history");
    set_step_tables(step);
    const thrust::device_vector<std::uint64_t> prevalence = to_device(history.prevalence_thr);
    const thrust::device_vector<std::uint64_t> bridge_in = to_device(history.bridge_in_thr);
    const thrust::device_vector<std::uint64_t> bridge_out = to_device(history.bridge_out_thr);
    const std::vector<MeasureSpec>& specs = step.front().measures;  // the same in every set
    const HistoryTablesView h{raw(prevalence), raw(bridge_in), raw(bridge_out),
                              history.bp_controlled_thr, history.a1c_poor_thr,
                              history_measure_mask(specs.data(), static_cast<std::uint32_t>(specs.size()))};
    // Sorted once, before the history, with the conditions it will draw in the key: after
    // synthesis only the synthesized fields hold data, so few arrays move.
    order_members(m_just_synthesized, h.prevalence_thr);
    m_just_synthesized = false;
    const std::uint64_t n = m_state.size();
    for (std::uint32_t k = 0; k < kMaxMeasures; ++k) {
      const auto first = m_state.measure_state.begin() + static_cast<std::ptrdiff_t>(k * n);
      thrust::fill(thrust::device, first, first + static_cast<std::ptrdiff_t>(n),
                   empty_measure_state(specs.data(), static_cast<std::uint32_t>(specs.size()), k));
    }
    const InitializeHistory init{m_state.view(), raw(m_views), h, m_seed, m_layout.capacity, m_start_month};
#if THRUST_DEVICE_SYSTEM != THRUST_DEVICE_SYSTEM_CUDA
    if (m_options.batched_draws) {
      for_each_tile<HistoryTileScratch>(m_state.size(), kHistoryTileSlots,
                                        [init](std::uint64_t begin, std::uint64_t end, HistoryTileScratch& s) {
                                          history_tile(init, begin, end, s);
                                        });
      return;
    }
#endif
    for_each_slot(init);
  }

  void set_step_tables(const std::vector<StepTables>& step) override {
    PHSIM_EXPECTS(step.size() == 1 || step.size() == m_replicates,
                  "set_step_tables: expected 1 or " + std::to_string(m_replicates) + " table sets, got " +
                      std::to_string(step.size()),
                  UsageError);
    m_steps.assign(step);
    std::vector<StepTablesView> views;
    for (std::uint32_t r = 0; r < m_replicates; ++r) {
      views.push_back(m_steps.view(m_steps.size() == 1 ? 0 : r));
      views.back().rng_replicate = m_first_replicate + r;
    }
    m_views = to_device(views);
    m_contracts = step.front().scalars.n_contracts;
    const std::vector<MeasureSpec>& specs = step.front().measures;  // the same in every set
    m_tally_masks.assign(1, make_tally_masks(specs.data(), static_cast<std::uint32_t>(specs.size())));
    const std::size_t cells = static_cast<std::size_t>(m_replicates) * m_contracts * kEventFieldCount;
    if (m_events.size() != cells) m_events.assign(cells, 0ull);  // keep counts within a year
  }

  void set_exchange(MemberExchange* exchange) override { m_exchange = exchange; }

  void set_intervention_strengths(const std::vector<double>& strengths) override {
    std::vector<StepTablesView> views = to_host(m_views);
    for (auto& v : views) {
      for (std::uint32_t i = 0; i < v.iv.n && i < strengths.size(); ++i) v.iv.scale[i] = strengths[i];
    }
    m_views = to_device(views);
  }

  void step_month(std::int32_t month) override {
    const NvtxRange range("phsim step_month");
    PHSIM_EXPECTS(!m_steps.empty(), "step_month before set_step_tables", UsageError);
    const StepMember step{m_state.view(), raw(m_views), raw(m_events), m_seed, m_layout.capacity, month};
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    for_each_slot(step);
#else
    if (m_options.batched_draws) {
      for_each_tile<StepTileScratch>(m_state.size(), kStepTileSlots,
                                     [step](std::uint64_t begin, std::uint64_t end, StepTileScratch& s) {
                                       step_tile(step, begin, end, s);
                                     });
    } else {
      for_each_slot(step);
    }
#endif
    const auto t0 = std::chrono::steady_clock::now();
    create_newborns(month);
    m_seconds_births += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  double seconds_in_births() const override { return m_seconds_births; }

  YearTallies tally_year(std::int32_t december) override {
    const NvtxRange range("phsim tally_year");
    const TallyShape shape{m_replicates, m_contracts, static_cast<std::uint32_t>(county_count()),
                           m_steps.view(0).n_measures, m_layout.capacity, december};
    // The year's cells, kept from year to year (allocated once, zeroed each year).
    thrust::device_vector<unsigned long long>& measure = m_year_measure_cells;
    thrust::device_vector<unsigned long long>& group = m_year_group_cells;
    measure.resize(shape.measure_cells());
    group.resize(shape.group_cells());
    thrust::fill(measure.begin(), measure.end(), 0ull);
    thrust::fill(group.begin(), group.end(), 0ull);
    const TallyMeasures measures{m_steps.view(0).measures, raw(m_tally_masks)};
#if THRUST_DEVICE_SYSTEM != THRUST_DEVICE_SYSTEM_CUDA
    reduce_year_tallies(m_state.view(), measures, shape, raw(measure), raw(group), raw(m_events),
                        m_options.batched_draws ? m_options.max_simd : SimdLevel::Scalar);
#else
    reduce_year_tallies(m_state.view(), measures, shape, raw(measure), raw(group), raw(m_events));
#endif
    YearTallies out;
    out.measure = to_host_as<std::int64_t>(measure);
    out.group = to_host_as<std::int64_t>(group);
    out.events = to_host_as<std::int64_t>(m_events);
    thrust::fill(m_events.begin(), m_events.end(), 0ull);
    return out;
  }

  std::vector<std::int64_t> count_enrolled(std::size_t contracts) override {
    thrust::device_vector<unsigned long long> counts(m_replicates * contracts, 0ull);
    for_each_slot(CountEnrolled{m_state.view(), raw(counts), m_layout.capacity,
                                static_cast<std::uint32_t>(contracts)});
    const auto host = to_host(counts);
    return std::vector<std::int64_t>(host.begin(), host.end());
  }

  std::uint64_t size() const override { return m_state.size(); }
  std::uint32_t replicates() const override { return m_replicates; }

  HostMembers download() const override {
    HostMembers h;
#define PHSIM_DOWNLOAD_FIELD(T, name, extent, doc) h.name = to_host(m_state.name);
    PHSIM_MEMBER_FIELDS(PHSIM_DOWNLOAD_FIELD)
#undef PHSIM_DOWNLOAD_FIELD
    return h;
  }

  EngineSnapshot snapshot() const override {
    const NvtxRange range("phsim snapshot");
    EngineSnapshot s;
    s.layout = m_layout;
    s.seed = m_seed;
    s.replicates = m_replicates;
    s.start_month = m_start_month;
    s.first_replicate = m_first_replicate;
    s.members = download();
    const auto events = to_host(m_events);
    s.events.assign(events.begin(), events.end());
    s.live = m_live;
    s.next_id = m_next_id;
    return s;
  }

  void restore(const EngineSnapshot& s, const std::vector<StepTables>& step) override {
    const std::uint64_t slots = s.layout.capacity * s.replicates;
    bool consistent = s.replicates > 0 && s.live.size() == s.replicates &&
                      s.next_id.size() == s.replicates && s.members.size() == slots;
#define PHSIM_CHECK_FIELD(T, name, extent, doc) consistent = consistent && s.members.name.size() == slots * (extent);
    PHSIM_MEMBER_FIELDS(PHSIM_CHECK_FIELD)
#undef PHSIM_CHECK_FIELD
    PHSIM_EXPECTS(consistent, "engine snapshot: member arrays do not match the layout", UsageError);
    m_layout = s.layout;
    m_seed = s.seed;
    m_replicates = s.replicates;
    m_start_month = s.start_month;
    m_first_replicate = s.first_replicate;
    m_state.slots = slots;
#define PHSIM_UPLOAD_FIELD(T, name, extent, doc) m_state.name = to_device(s.members.name);
    PHSIM_MEMBER_FIELDS(PHSIM_UPLOAD_FIELD)
#undef PHSIM_UPLOAD_FIELD
    m_live = s.live;
    m_just_synthesized = false;
    m_next_id = s.next_id;
    set_step_tables(step);
    PHSIM_EXPECTS(s.events.size() == m_events.size(),
                  "engine snapshot: " + std::to_string(s.events.size()) + " event counters, expected " +
                      std::to_string(m_events.size()),
                  UsageError);
    m_events = thrust::device_vector<unsigned long long>(s.events.begin(), s.events.end());
  }

 private:
  static void synchronize() {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    cuda::synchronize();
#endif
  }

  template <class F>
  void for_each_slot(F f) {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    for_each_slot_on_device(f, m_state.size(), "per-slot kernel");
#elif THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_OMP
    // Thrust's OMP for_each splits the slots into one static range per thread, but a
    // segment's slots cost unequal work (enrolled members first, then the pool, then free
    // slots), so the last thread would finish early; chunks taken in turn balance them. Slots
    // are independent, so the schedule cannot change results.
    const auto n = static_cast<std::int64_t>(m_state.size());
#pragma omp parallel for schedule(dynamic, 4096)
    for (std::int64_t i = 0; i < n; ++i) f(static_cast<std::uint64_t>(i));
#else
    thrust::for_each(thrust::device, thrust::counting_iterator<std::uint64_t>(0),
                     thrust::counting_iterator<std::uint64_t>(m_state.size()), f);
#endif
  }

#if THRUST_DEVICE_SYSTEM != THRUST_DEVICE_SYSTEM_CUDA
  /// tile(begin, end, scratch) for [0, n) (slots, or positions in a chunk of them) in tiles of
  /// `tile_slots`, taken in turn by the threads like for_each_slot's chunks, each thread with
  /// its own Scratch (whose `level` is the vector instructions allowed).
  template <class Scratch, class Tile>
  void for_each_tile(std::uint64_t n, std::uint64_t tile_slots, Tile tile) {
    const auto tiles = static_cast<std::int64_t>((n + tile_slots - 1) / tile_slots);
    const SimdLevel level = simd_level_at_most(m_options.max_simd);
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_OMP
    const auto chunk = static_cast<int>(std::max<std::uint64_t>(1, 4096 / tile_slots));
#pragma omp parallel
    {
      const auto scratch = std::make_unique<Scratch>();
      scratch->level = level;
#pragma omp for schedule(dynamic, chunk)
      for (std::int64_t k = 0; k < tiles; ++k) {
        const std::uint64_t begin = static_cast<std::uint64_t>(k) * tile_slots;
        tile(begin, std::min(n, begin + tile_slots), *scratch);
      }
    }
#else
    thrust::for_each(thrust::device, thrust::counting_iterator<std::int64_t>(0),
                     thrust::counting_iterator<std::int64_t>(tiles), [tile, n, tile_slots, level](std::int64_t k) {
                       thread_local Scratch scratch;
                       scratch.level = level;
                       const std::uint64_t begin = static_cast<std::uint64_t>(k) * tile_slots;
                       tile(begin, std::min(n, begin + tile_slots), scratch);
                     });
#endif
  }
#endif

  /// Sorts each replicate's slots by member_order_key at the start month, moving every member array
  /// with them (only the synthesized ones when `synthesized_only`: the others are still zero);
  /// with `prevalence_thr` (before the history), the key's conditions are those the history
  /// will draw (MemberOrderKeys);
  /// free slots stay at the segment's tail. Done at the start, not again: the groups
  /// age together, so the order holds up (re-sorting every January cost more time on the CPU
  /// than it saved; bench/RESULTS.md). Replicates are sorted in chunks of at most
  /// EngineOptions::order_chunk_slots slots (one replicate when a segment is larger), which
  /// bounds the scratch memory to 16 bytes per slot of a chunk (24 on the CPU, whose radix sort
  /// needs a second copy of the keys).
  void order_members(bool synthesized_only, const std::uint64_t* prevalence_thr) {
    if (!m_options.order_members) return;
    const NvtxRange range("phsim order members");
    const std::uint64_t capacity = m_layout.capacity, n = m_state.size();
    PHSIM_EXPECTS(capacity <= 0xffffffffull, "order_members: segment over 2^32 slots", UsageError);
    const std::uint64_t per_chunk = std::min<std::uint64_t>(
        std::max<std::uint64_t>(1, m_options.order_chunk_slots / capacity), 1ull << kOrderReplicateBits);
    const std::uint64_t chunk_slots = std::min<std::uint64_t>(per_chunk, m_replicates) * capacity;
    thrust::device_vector<std::uint64_t> keys(chunk_slots);
    thrust::device_vector<std::uint32_t> position(chunk_slots), buffer(chunk_slots);  // fields are <= 4 bytes
    thrust::device_vector<std::uint64_t> key_scratch;
    for (std::uint64_t r = 0; r < m_replicates; r += per_chunk) {
      const std::uint64_t first = r * capacity;
      const auto len = static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(per_chunk, m_replicates - r) * capacity);
      const MemberOrderKeys order_keys{m_state.view(), first, capacity, m_start_month, raw(keys), raw(position),
                                       prevalence_thr, raw(m_views), m_seed};
#if THRUST_DEVICE_SYSTEM != THRUST_DEVICE_SYSTEM_CUDA
      if (m_options.batched_draws && prevalence_thr) {
        for_each_tile<TwoBlockTileScratch>(static_cast<std::uint64_t>(len), kTwoBlockTileSlots,
                                           [order_keys](std::uint64_t begin, std::uint64_t end, TwoBlockTileScratch& s) {
                                             two_block_tile(order_keys, begin, end, s);
                                           });
      } else
#endif
      {
        thrust::for_each_n(thrust::device, thrust::counting_iterator<std::uint64_t>(0), len, order_keys);
      }
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
      thrust::stable_sort_by_key(thrust::device, keys.begin(), keys.begin() + len, position.begin());
#else
      // (Thrust's OpenMP system sorts on one thread.) `buffer` is free until the gathers.
      key_scratch.resize(chunk_slots);
      parallel_radix_sort_by_key(raw(keys), raw(position), static_cast<std::size_t>(len), raw(key_scratch), raw(buffer));
#endif
#define PHSIM_ORDER_FIELD(T, name, extent, doc)                                                    \
      static_assert(sizeof(T) <= sizeof(std::uint32_t), "order_members: buffer too small");       \
      for (std::uint64_t e = 0; e < (synthesized_only && !is_synthesized_field(#name) ? 0 : (extent)); ++e) { \
        const auto array = m_state.name.begin() + static_cast<std::ptrdiff_t>(e * n + first);      \
        const auto tmp = thrust::device_pointer_cast(reinterpret_cast<T*>(raw(buffer)));           \
        thrust::gather(thrust::device, position.begin(), position.begin() + len, array, tmp);      \
        thrust::copy(thrust::device, tmp, tmp + len, array);                                       \
      }
      PHSIM_MEMBER_FIELDS(PHSIM_ORDER_FIELD)
#undef PHSIM_ORDER_FIELD
    }
  }

  std::size_t county_count() const {
    return m_steps.empty() ? 0 : m_steps.counties();
  }

  /// Gives each mother who delivered this month a newborn in the next free slot of her
  /// replicate, with the replicate's next member id, in slot order (deterministic). Grows every
  /// replicate's segment when one runs out of free slots. Only per-replicate counts cross to the
  /// host (member sharding also exchanges the mothers' keys).
  void create_newborns(std::int32_t month) {
    const NvtxRange range("phsim births");
    thrust::device_vector<std::uint64_t> mothers = delivered_slots();
    const std::size_t k = mothers.size();
    if (k == 0 && !m_exchange) return;
    const std::vector<std::uint64_t> first = mothers_by_replicate(mothers);
    const thrust::device_vector<std::uint64_t> d_first = to_device(first);
    const thrust::device_vector<std::uint32_t> ids = newborn_ids(mothers, first, d_first);
    if (k == 0) return;
    std::uint64_t capacity = m_layout.capacity;
    for (std::size_t r = 0; r < m_replicates; ++r) {
      while (m_live[r] + (first[r + 1] - first[r]) > capacity) capacity += capacity / 4 + 64;
    }
    if (capacity != m_layout.capacity) {
      const std::uint64_t old = m_layout.capacity;
      grow(capacity);
      thrust::transform(thrust::device, mothers.begin(), mothers.end(), mothers.begin(), GrownSlot{old, capacity});
    }
    std::vector<std::uint64_t> next_free(m_replicates);
    for (std::size_t r = 0; r < m_replicates; ++r) {
      next_free[r] = r * m_layout.capacity + m_live[r];
      m_live[r] += first[r + 1] - first[r];
    }
    const thrust::device_vector<std::uint64_t> d_next_free = to_device(next_free);
    thrust::device_vector<std::uint64_t> slots(k);
    thrust::transform(thrust::device, thrust::counting_iterator<std::uint64_t>(0),
                      thrust::counting_iterator<std::uint64_t>(k), slots.begin(),
                      NewbornSlot{raw(mothers), raw(d_first), raw(d_next_free), m_layout.capacity});
    thrust::for_each(thrust::device, thrust::counting_iterator<std::uint64_t>(0),
                     thrust::counting_iterator<std::uint64_t>(k),
                     InitNewborn{m_state.view(), raw(m_views), raw(mothers), raw(slots), raw(ids), m_seed,
                                 m_layout.capacity, month});
  }

  /// Slots of the members who gave birth this month (kDeliveredThisMonth), ascending.
  thrust::device_vector<std::uint64_t> delivered_slots() const {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    const auto k = static_cast<std::size_t>(
        thrust::count_if(thrust::device, m_state.status.begin(), m_state.status.end(), IsDelivered()));
    thrust::device_vector<std::uint64_t> mothers(k);
    if (k == 0) return mothers;
    thrust::copy_if(thrust::device, thrust::counting_iterator<std::uint64_t>(0),
                    thrust::counting_iterator<std::uint64_t>(m_state.size()), m_state.status.begin(),
                    mothers.begin(), IsDelivered());
    return mothers;
#else
    // Thrust's CPU copy_if allocates and fills an index buffer as long as the slots on every
    // call (6% of a run's time, mostly page faults); the status bytes are in host memory, and
    // a scan 8 bytes at a time passes over the month's few mothers' neighbours.
    const std::uint8_t* const status = raw(m_state.status);
    const std::uint64_t n = m_state.size();
    constexpr std::uint64_t kAnyDelivered = 0x0101010101010101ull * kDeliveredThisMonth;
    std::vector<std::uint64_t> out;
    for (std::uint64_t i = 0; i < n; i += 8) {
      if (i + 8 <= n) {
        std::uint64_t bytes;
        std::memcpy(&bytes, status + i, sizeof bytes);
        if (!(bytes & kAnyDelivered)) continue;
      }
      for (std::uint64_t j = i; j < std::min(n, i + 8); ++j) {
        if (IsDelivered()(status[j])) out.push_back(j);
      }
    }
    return to_device(out);
#endif
  }

  /// Where each replicate's mothers begin in `mothers` (slots ascending): replicate r's are
  /// [first[r], first[r + 1]); replicates + 1 entries.
  std::vector<std::uint64_t> mothers_by_replicate(const thrust::device_vector<std::uint64_t>& mothers) const {
    std::vector<std::uint64_t> segment_starts(m_replicates + 1);
    for (std::size_t r = 0; r <= m_replicates; ++r) segment_starts[r] = r * m_layout.capacity;
    const thrust::device_vector<std::uint64_t> starts = to_device(segment_starts);
    thrust::device_vector<std::uint64_t> first(starts.size());
    thrust::lower_bound(thrust::device, mothers.begin(), mothers.end(), starts.begin(), starts.end(),
                        first.begin());
    return to_host(first);
  }

  /// Member ids of the newborns of `mothers` (slots, ascending; `first` as mothers_by_replicate
  /// gives, `d_first` its copy on the backend): each replicate's next ids in the order of the
  /// mothers' ids (not their slots, which order_members rearranges), ranked on the backend. In a
  /// member-sharded run the order is over every process's mothers (their keys exchanged), so the
  /// ids are those of a whole run.
  thrust::device_vector<std::uint32_t> newborn_ids(const thrust::device_vector<std::uint64_t>& mothers,
                                                   const std::vector<std::uint64_t>& first,
                                                   const thrust::device_vector<std::uint64_t>& d_first) {
    const std::size_t k = mothers.size();
    thrust::device_vector<std::uint64_t> keys(k);  // (replicate, mother id)
    thrust::transform(thrust::device, mothers.begin(), mothers.end(), keys.begin(),
                      MotherKey{raw(m_state.member_id), m_layout.capacity});
    if (m_exchange) return newborn_ids_exchanged(to_host(keys));
    thrust::device_vector<std::uint64_t> order(k);
    thrust::sequence(thrust::device, order.begin(), order.end());
    thrust::sort_by_key(thrust::device, keys.begin(), keys.end(), order.begin());
    const thrust::device_vector<std::uint32_t> next_id = to_device(m_next_id);
    thrust::device_vector<std::uint32_t> ids(k);
    thrust::for_each_n(thrust::device, thrust::counting_iterator<std::uint64_t>(0), k,
                       NewbornIdByRank{raw(keys), raw(order), raw(d_first), raw(next_id), raw(ids)});
    for (std::size_t r = 0; r < m_replicates; ++r) m_next_id[r] += static_cast<std::uint32_t>(first[r + 1] - first[r]);
    return ids;
  }

  /// newborn_ids of a member-sharded run: the keys of every process's mothers, sorted on the
  /// host, rank this process's.
  thrust::device_vector<std::uint32_t> newborn_ids_exchanged(const std::vector<std::uint64_t>& keys) {
    std::vector<std::uint64_t> all = m_exchange->gather_all(keys);
    std::sort(all.begin(), all.end());
    std::vector<std::uint32_t> ids(keys.size());
    for (std::size_t j = 0; j < keys.size(); ++j) {
      const std::uint64_t r = keys[j] >> 32;
      const auto first_of_replicate = std::lower_bound(all.begin(), all.end(), r << 32);
      const auto at = std::lower_bound(all.begin(), all.end(), keys[j]);
      ids[j] = m_next_id[r] + static_cast<std::uint32_t>(at - first_of_replicate);
    }
    for (std::uint64_t r = 0; r < m_replicates; ++r) {
      const auto from = std::lower_bound(all.begin(), all.end(), r << 32);
      const auto to = std::lower_bound(all.begin(), all.end(), (r + 1) << 32);
      m_next_id[r] += static_cast<std::uint32_t>(to - from);
    }
    return to_device(ids);
  }

  /// Re-lays the member arrays with `capacity` slots per replicate (new slots empty).
  void grow(std::uint64_t capacity) {
    const std::uint64_t old = m_layout.capacity;
    DeviceMembers next;
    next.resize(capacity * m_replicates);  // value-initialized: status 0 = empty
    thrust::fill(next.member_id.begin(), next.member_id.end(), 0xffffffffu);  // as synthesis marks them
    const std::uint64_t old_slots = m_state.size(), new_slots = next.size();
#define PHSIM_GROW_FIELD(T, name, extent, doc)                                             \
    for (std::uint64_t e = 0; e < (extent); ++e) {                                         \
      for (std::uint64_t r = 0; r < m_replicates; ++r) {                                   \
        const auto from = m_state.name.begin() + static_cast<std::ptrdiff_t>(e * old_slots + r * old); \
        thrust::copy(thrust::device, from, from + static_cast<std::ptrdiff_t>(old),         \
                     next.name.begin() + static_cast<std::ptrdiff_t>(e * new_slots + r * capacity)); \
      }                                                                                    \
    }
    PHSIM_MEMBER_FIELDS(PHSIM_GROW_FIELD)
#undef PHSIM_GROW_FIELD
    m_state = std::move(next);
    m_layout.capacity = capacity;
  }

  EngineOptions m_options;
  int m_threads;
  DeviceMembers m_state;
  PopulationLayout m_layout;
  std::uint32_t m_seed = 0;
  std::uint32_t m_replicates = 0;
  std::int32_t m_start_month = 0;
  std::uint32_t m_first_replicate = 0;
  std::uint32_t m_contracts = 0;
  DeviceStepTableSets m_steps;  ///< one, or one per replicate
  thrust::device_vector<StepTablesView> m_views;             ///< [replicate]
  thrust::device_vector<unsigned long long> m_events;
  thrust::device_vector<unsigned long long> m_year_measure_cells, m_year_group_cells;  ///< tally_year's
  thrust::device_vector<TallyMasks> m_tally_masks;  ///< one element (kernels/tally.hpp)
  std::vector<std::uint64_t> m_live;
  std::vector<std::uint32_t> m_next_id;
  MemberExchange* m_exchange = nullptr;  ///< member sharding (not owned)
  double m_seconds_births = 0;  ///< step_month's time in create_newborns
  bool m_just_synthesized = false;  ///< only the synthesized fields hold data (kernels/synthesis.hpp)
};

}  // namespace

std::unique_ptr<Engine> make_thrust_engine(const EngineOptions& options) {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
  return std::make_unique<ThrustEngine>(options, 1);
#else
  return std::make_unique<ThrustEngine>(options, cpu::set_threads(options.threads));
#endif
}

}  // namespace PHSIM_BACKEND_NS
}  // namespace phsim
