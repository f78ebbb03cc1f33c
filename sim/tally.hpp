#pragma once
/// @file Year-end reduction of member state into integer tallies. The per-member science is
/// kernels/tally.hpp; the reduction is backend-specific: thread-private arrays merged at the end
/// on the CPU (sim/tally_cpu.cpp), warp-aggregated atomics on the GPU (sim/tally_cuda.cu). Included only by
/// translation units of one backend (PHSIM_BACKEND_NS is cpu or cuda).
#include "kernels/tally.hpp"

namespace phsim {
namespace PHSIM_BACKEND_NS {

/// Adds every member's year-end contributions to the three device arrays (sizes from `shape`).
void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures,
                         const TallyShape& shape, unsigned long long* measure_cells,
                         unsigned long long* group_cells, unsigned long long* event_cells);

}  // namespace PHSIM_BACKEND_NS
}  // namespace phsim
