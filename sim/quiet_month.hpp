#pragma once
/// @file Quiet months on the CPU: most members, most months, neither die, change enrollment,
/// plan, aid category, conditions or pregnancy, are not admitted, and have no event a follow-up
/// measure counts. For them StepMember::advance only adds the month's routine: the enrolled-month
/// bit, blood-pressure and HbA1c transitions, the pregnancy clock, an ED visit that starts no
/// follow-up, cost and capitation. quiet_months finds those members of a tile and does that routine for them, 16 at
/// a time with AVX-512 where the CPU has it; advance runs for the others. Same words, same
/// results as advance (tested member by member at every level); CPU backend only.
#include <cstdint>

#include "kernels/dynamics.hpp"
#include "sim/philox_batch.hpp"

namespace phsim {

/// A tile's slots whose month is quiet, and their measures to walk.
struct QuietLanes {
  static constexpr std::uint32_t kCapacity = 64;
  alignas(64) std::uint8_t quiet[kCapacity];       ///< 1: the month of slot begin + j was done here
  alignas(64) std::uint32_t relevant[kCapacity];  ///< relevant_measures() of a quiet slot
};

/// Does the month of every quiet slot among [begin, begin + n) (n <= QuietLanes::kCapacity), all
/// of one replicate with step tables `t`, and marks them in `q`; leaves every other slot's arrays
/// untouched. Slot begin + j reads Dynamics block b (0, 1, 2) at lane b * `block_lanes` + j of
/// `dynamics`. Not for January (the new year's reset is advance's) nor for tables without
/// condition_change_bound_thr: there, no slot is quiet. `level`: at most best_simd_level().
void quiet_months(const MemberView& m, const StepTablesView& t, std::int32_t month,
                  std::uint64_t begin, std::uint32_t n, const PhiloxBatch& dynamics,
                  std::uint32_t block_lanes, QuietLanes& q, SimdLevel level);

/// The measure context of a quiet slot after quiet_months (no event this month).
inline MeasureContext quiet_context(const MemberView& m, std::uint64_t i, std::int32_t month) {
  const int age_months = month - m.birth_month[i];
  return MeasureContext{age_months, month - month % 12 + 11 - m.birth_month[i],
                        (m.status[i] & kEnrolled) != 0, m.sex[i] == static_cast<std::uint8_t>(Sex::Female),
                        m.conditions[i], m.clinical[i], 0};
}

}  // namespace phsim
