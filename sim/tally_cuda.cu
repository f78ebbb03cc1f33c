// CUDA backend: year-end tallies with global atomics (integer, so order-independent), aggregated
// within each warp.
#include <cooperative_groups.h>
#include <cooperative_groups/reduce.h>

#include "sim/slot_kernel.cuh"
#include "sim/tally.hpp"

namespace phsim::cuda {
namespace {

namespace cg = cooperative_groups;

/// Atomic adds combined over the lanes of a warp that add to the same cell at the same time
/// (tally_member walks the union of the lanes' measure masks, `together`, so they do):
/// members lie in contract order, so most lanes of a warp share a contract and a county, and
/// one atomic per distinct cell replaces up to 32 on the same address. The lanes are grouped by
/// the cell's address (whatever subset of the warp arrives together: any grouping gives the
/// same integer sums), their values summed, and the group's first lane adds the sum.
struct WarpAggregatedTallySink {
  unsigned long long* arrays[3];
  __device__ void add(int array, std::uint64_t index, unsigned long long value) {
    unsigned long long* const cell = &arrays[array][index];
    const cg::coalesced_group same_cell = cg::labeled_partition(cg::coalesced_threads(), cell);
    const unsigned long long sum = cg::reduce(same_cell, value, cg::plus<unsigned long long>());
    if (same_cell.thread_rank() == 0) atomicAdd(cell, sum);
  }
  /// Only the lanes with a value take part (an atomic of 0 would cost a memory operation).
  __device__ void add_any(int array, std::uint64_t index, unsigned long long value) {
    if (value) add(array, index, value);
  }
  /// The union of the masks of the lanes that arrive together.
  __device__ std::uint32_t together(std::uint32_t mask) const {
    return cg::reduce(cg::coalesced_threads(), mask, cg::bit_or<std::uint32_t>());
  }
};

struct TallyMemberAggregated {
  MemberView m_m;
  TallyMeasures m_measures;
  TallyShape m_shape;
  WarpAggregatedTallySink m_sink;
  __device__ void operator()(std::uint64_t i) const {
    WarpAggregatedTallySink sink = m_sink;
    tally_member(m_m, m_measures, m_shape, i, sink);
  }
};

}  // namespace

void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures,
                         const TallyShape& shape, unsigned long long* measure_cells,
                         unsigned long long* group_cells, unsigned long long* event_cells) {
  const std::uint64_t n = static_cast<std::uint64_t>(shape.replicates) * shape.capacity;
  // One slot per thread, as the step (Thrust's for_each took two and held the functor four times).
  for_each_slot_on_device(TallyMemberAggregated{members, measures, shape,
                                                WarpAggregatedTallySink{{measure_cells, group_cells, event_cells}}},
                          n, "tally kernel");
}

}  // namespace phsim::cuda
