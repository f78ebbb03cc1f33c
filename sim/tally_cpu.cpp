// CPU backend: year-end tallies with thread-private arrays (no atomics), merged in a fixed
// order. Integer sums, so the result does not depend on the thread count.
#include <omp.h>

#include <vector>

#include "sim/tally.hpp"

namespace phsim::cpu {
namespace {

/// One member's tally, its calls inlined (the member loop's body).
[[gnu::flatten]] void tally_slot(const MemberView& members, const TallyMeasures& measures,
                                 const TallyShape& shape, std::uint64_t i, LocalTallySink& sink) {
  prefetch_measure_states(members, i, shape.measures);
  tally_member(members, measures, shape, i, sink);
}

}  // namespace

void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures,
                         const TallyShape& shape, unsigned long long* measure_cells,
                         unsigned long long* group_cells, unsigned long long* event_cells) {
  const std::uint64_t n = static_cast<std::uint64_t>(shape.replicates) * shape.capacity;
  const std::size_t sizes[3] = {shape.measure_cells(), shape.group_cells(), shape.event_cells()};
  unsigned long long* out[3] = {measure_cells, group_cells, event_cells};
#pragma omp parallel
  {
    std::vector<unsigned long long> local[3];
    for (int a = 0; a < 3; ++a) local[a].assign(sizes[a], 0ull);
    LocalTallySink sink{{local[0].data(), local[1].data(), local[2].data()}};
#pragma omp for schedule(dynamic, 4096)  // slots cost unequal work (see for_each_slot)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
      tally_slot(members, measures, shape, static_cast<std::uint64_t>(i), sink);
    }
#pragma omp critical(phsim_tally_merge)
    for (int a = 0; a < 3; ++a) {
      for (std::size_t j = 0; j < sizes[a]; ++j) out[a][j] += local[a][j];
    }
  }
}

}  // namespace phsim::cpu
