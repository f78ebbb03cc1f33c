#pragma once
/// @file The CPU's year-end tally of a range of slots into thread-private arrays: a vector of
/// slots at a time (16 with AVX-512, 8 with AVX2: the members' measures evaluated together,
/// measure by measure; sim/tally_lanes.inc), else member by member (tally_member). Same integer
/// sums either way (tested). CPU backend only.
#include <cstdint>

#include "kernels/tally.hpp"
#include "sim/philox_batch.hpp"

namespace phsim::cpu {

/// Adds the year-end contributions of slots [begin, end) to `sink`'s arrays; `level`: at most
/// best_simd_level().
void tally_slots(const MemberView& members, const TallyMeasures& measures, const TallyShape& shape,
                 std::uint64_t begin, std::uint64_t end, LocalTallySink& sink, SimdLevel level);

/// reduce_year_tallies (sim/tally.hpp) using vector instructions up to `level`.
void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures, const TallyShape& shape,
                         unsigned long long* measure_cells, unsigned long long* group_cells,
                         unsigned long long* event_cells, SimdLevel level);

}  // namespace phsim::cpu
