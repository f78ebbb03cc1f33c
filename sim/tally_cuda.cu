// CUDA backend: year-end tallies with global atomics (integer, so order-independent).
#include <thrust/execution_policy.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>

#include "sim/tally.hpp"

namespace phsim::cuda {

void reduce_year_tallies(const MemberView& members, const MeasureSpec* specs,
                         const TallyShape& shape, unsigned long long* measure_cells,
                         unsigned long long* group_cells, unsigned long long* event_cells) {
  const std::uint64_t n = static_cast<std::uint64_t>(shape.replicates) * shape.capacity;
  thrust::for_each(thrust::device, thrust::counting_iterator<std::uint64_t>(0),
                   thrust::counting_iterator<std::uint64_t>(n),
                   TallyMember{members, specs, shape,
                               AtomicTallySink{{measure_cells, group_cells, event_cells}}});
}

}  // namespace phsim::cuda
