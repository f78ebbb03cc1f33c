// CUDA backend: year-end tallies with global atomics (integer, so order-independent), aggregated
// within each warp.
#include <cooperative_groups.h>
#include <cooperative_groups/reduce.h>
#include <thrust/execution_policy.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>

#include <string>

#include "sim/errors.hpp"
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

/// One slot per thread (Thrust's for_each takes two and holds the functor four times).
__global__ void __launch_bounds__(256) tally_kernel(TallyMemberAggregated f, std::uint64_t n) {
  const std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * 256 + threadIdx.x;
  if (i < n) f(i);
}

}  // namespace

void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures,
                         const TallyShape& shape, unsigned long long* measure_cells,
                         unsigned long long* group_cells, unsigned long long* event_cells) {
  const std::uint64_t n = static_cast<std::uint64_t>(shape.replicates) * shape.capacity;
  if (n == 0) return;
  tally_kernel<<<static_cast<unsigned>((n + 255) / 256), 256>>>(
      TallyMemberAggregated{members, measures, shape,
                            WarpAggregatedTallySink{{measure_cells, group_cells, event_cells}}},
      n);
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) err = cudaDeviceSynchronize();
  if (err != cudaSuccess) throw CudaError(std::string("tally kernel: ") + cudaGetErrorString(err));
}

}  // namespace phsim::cuda
