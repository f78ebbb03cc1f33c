// CPU backend: year-end tallies into thread-private arrays of one replicate's cells (no atomics),
// added into the output a replicate at a time. Integer sums, so the result does not depend on the
// thread count, the order of the chunks or the vector level.
#include "sim/tally_cpu.hpp"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "sim/tally.hpp"

#include "sim/simd_x86.hpp"

namespace phsim::cpu {
namespace {

/// One member's tally, its calls inlined (the member loop's body).
[[gnu::flatten]] void tally_slot(const MemberView& members, const TallyMeasures& measures,
                                 const TallyShape& shape, std::uint64_t i, LocalTallySink& sink) {
  prefetch_measure_states(members, i, shape.measures);
  tally_member(members, measures, shape, i, sink);
}

#if PHSIM_X86_SIMD
#define PHSIM_LANES_CODE "sim/tally_lanes.inc"
#include "sim/simd_levels.inc"
#undef PHSIM_LANES_CODE

/// tally_slot of slots [begin, end), `Lanes` at a time where they are of one replicate.
template <class Lanes, auto tally>
void tally_vectors(const MemberView& members, const TallyMeasures& measures, const TallyShape& shape,
                   std::uint64_t begin, std::uint64_t end, LocalTallySink& sink) {
  std::uint64_t i = begin;
  for (; i + Lanes::kLanes <= end; i += Lanes::kLanes) {
    const auto r = static_cast<std::uint32_t>(i / shape.capacity);
    if ((i + Lanes::kLanes - 1) / shape.capacity == r) {
      tally(members, measures, shape, i, r, sink);
    } else {  // (the vector spans two replicates)
      for (std::uint64_t j = i; j < i + Lanes::kLanes; ++j) tally_slot(members, measures, shape, j, sink);
    }
  }
  for (; i < end; ++i) tally_slot(members, measures, shape, i, sink);
}
#endif

/// The slots of `m` from `first` on, as a view whose slot 0 is `first`.
MemberView view_from(const MemberView& m, std::uint64_t first) {
  MemberView v = m;
#define PHSIM_OFFSET_FIELD(T, name, extent, doc) v.name += first;
  PHSIM_MEMBER_FIELDS(PHSIM_OFFSET_FIELD)
#undef PHSIM_OFFSET_FIELD
  return v;
}

}  // namespace

void tally_slots(const MemberView& members, const TallyMeasures& measures, const TallyShape& shape,
                 std::uint64_t begin, std::uint64_t end, LocalTallySink& sink, SimdLevel level) {
#if PHSIM_X86_SIMD
  switch (simd_level_at_most(level)) {
    case SimdLevel::Avx512:
      tally_vectors<Avx512Lanes, avx512::tally_vector>(members, measures, shape, begin, end, sink);
      return;
    case SimdLevel::Avx2:
      tally_vectors<Avx2Lanes, avx2::tally_vector>(members, measures, shape, begin, end, sink);
      return;
    case SimdLevel::Scalar:
      break;
  }
#endif
  (void)level;
  for (std::uint64_t i = begin; i < end; ++i) tally_slot(members, measures, shape, i, sink);
}

void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures,
                         const TallyShape& shape, unsigned long long* measure_cells,
                         unsigned long long* group_cells, unsigned long long* event_cells) {
  reduce_year_tallies(members, measures, shape, measure_cells, group_cells, event_cells, best_simd_level());
}

void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures, const TallyShape& shape,
                         unsigned long long* measure_cells, unsigned long long* group_cells,
                         unsigned long long* event_cells, SimdLevel level) {
  // Chunks of slots within one replicate, in any order on the threads. A thread adds into one
  // replicate's cells of its own (the chunk's slots seen as those of a one-replicate population);
  // when its next chunk is of another replicate it adds them into the output (one thread at a
  // time) and starts again from zero.
  const std::size_t per_replicate[3] = {shape.measure_cells() / shape.replicates,
                                        shape.group_cells() / shape.replicates,
                                        shape.event_cells() / shape.replicates};
  unsigned long long* out[3] = {measure_cells, group_cells, event_cells};
  constexpr std::uint64_t kChunk = 4096;  // slots cost unequal work (see for_each_slot)
  const std::uint64_t chunks_per_replicate = (shape.capacity + kChunk - 1) / kChunk;
  const auto chunks = static_cast<std::int64_t>(shape.replicates * chunks_per_replicate);
#pragma omp parallel
  {
    std::vector<unsigned long long> local[3];
    for (int a = 0; a < 3; ++a) local[a].assign(per_replicate[a], 0ull);
    LocalTallySink sink{{local[0].data(), local[1].data(), local[2].data()}};
    std::uint64_t held = shape.replicates;  // the replicate whose cells `local` holds; none yet
    TallyShape one = shape;
    one.replicates = 1;
    MemberView replicate_members = members;
    const auto merge = [&] {
      if (held == shape.replicates) return;
#pragma omp critical(phsim_tally_merge)
      for (int a = 0; a < 3; ++a) {
        unsigned long long* to = out[a] + held * per_replicate[a];
        for (std::size_t j = 0; j < per_replicate[a]; ++j) to[j] += local[a][j];
      }
      for (int a = 0; a < 3; ++a) std::fill(local[a].begin(), local[a].end(), 0ull);
    };
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c = 0; c < chunks; ++c) {
      const std::uint64_t r = static_cast<std::uint64_t>(c) / chunks_per_replicate;
      if (r != held) {
        merge();
        held = r;
        replicate_members = view_from(members, r * shape.capacity);
      }
      const std::uint64_t begin = static_cast<std::uint64_t>(c) % chunks_per_replicate * kChunk;
      tally_slots(replicate_members, measures, one, begin, std::min(shape.capacity, begin + kChunk), sink, level);
    }
    merge();
  }
}

}  // namespace phsim::cpu
