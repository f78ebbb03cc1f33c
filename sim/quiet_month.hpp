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
  static constexpr std::uint32_t kCapacity = 256;
  alignas(64) std::uint8_t quiet[kCapacity];       ///< 1: the month of slot begin + j was done here
  alignas(64) std::uint32_t relevant[kCapacity];  ///< relevant_measures() of a quiet slot, else 0
  /// No slot of [0, n) quiet.
  void none(std::uint32_t n) {
    for (std::uint32_t j = 0; j < n; ++j) quiet[j] = 0, relevant[j] = 0;
  }
};

/// Does the month of every quiet slot among [begin, begin + n) (n <= QuietLanes::kCapacity), all
/// of one replicate with step tables `t`, and marks them in `q`; leaves every other slot's arrays
/// untouched. Slot begin + j reads Dynamics block b (0, 1, 2) at lane b * `block_lanes` + j of
/// `dynamics`. In January a quiet slot starts its measurement year too (start_measurement_year).
/// Without condition_change_bound_thr no slot is quiet. `level`: at most best_simd_level().
void quiet_months(const MemberView& m, const StepTablesView& t, std::int32_t month,
                  std::uint64_t begin, std::uint32_t n, const PhiloxBatch& dynamics,
                  std::uint32_t block_lanes, QuietLanes& q, SimdLevel level);

/// Blocks of the Service stream a member's measure walk can read: one per 4 measures and the
/// reliever's (ServiceDraws).
inline constexpr std::uint32_t kServiceBlocks = kMaxMeasures / 4 + 1;

/// Lane of a tile's Service block that was not computed.
inline constexpr std::uint16_t kNoLane = 0xffff;

/// Service words of the slot at lane j of a tile whose Service block b was computed at lanes
/// service_lane[b] + j of `batch` (kNoLane: not computed, drawn here instead). Same words as
/// ServiceDraws.
class TileServiceDraws {
 public:
  TileServiceDraws(const PhiloxBatch& batch, const std::uint16_t* service_lane, std::uint32_t j,
                   std::uint32_t seed, std::uint32_t member_id, std::uint32_t month, std::uint32_t replicate)
      : m_batch(batch), m_service_lane(service_lane), m_j(j), m_seed(seed), m_member_id(member_id),
        m_month(month), m_replicate(replicate) {}
  std::uint32_t word(std::uint32_t measure) const {
    const std::uint16_t lane = m_service_lane[measure / 4];
    if (lane != kNoLane) return m_batch.out[measure % 4][lane + m_j];
    return drawn_word(measure);
  }
  std::uint32_t reliever_word() const { return word(kMaxMeasures); }

 private:
  // Out of line, so that word() stays small enough to inline into the measure walk.
  [[gnu::noinline, gnu::cold]] std::uint32_t drawn_word(std::uint32_t measure) const {
    return ServiceDraws(m_seed, m_member_id, m_month, m_replicate).word(measure);
  }

  const PhiloxBatch& m_batch;
  const std::uint16_t* m_service_lane;
  std::uint32_t m_j, m_seed, m_member_id, m_month, m_replicate;
};

/// The measure walks of a tile's quiet slots (q.quiet[j] with q.relevant[j] != 0), 16 slots at a
/// time with AVX-512, measure by measure: the states update_member_measures would give them.
/// Service block b of slot begin + j is at lane service_lane[b] + j of `services` (all slots of
/// replicate t.rng_replicate under `seed`). Returns false, doing nothing, without AVX-512 (CPU or
/// `level`) or when a block their measures read was not computed: the caller then walks them
/// one by one.
bool quiet_walks(const MemberView& m, const StepTablesView& t, std::uint32_t seed, std::int32_t month,
                 std::uint64_t begin, std::uint32_t n, const QuietLanes& q, const PhiloxBatch& services,
                 const std::uint16_t* service_lane, SimdLevel level);

/// The measure context of a quiet slot after quiet_months (no event this month).
inline MeasureContext quiet_context(const MemberView& m, std::uint64_t i, std::int32_t month) {
  const int age_months = month - m.birth_month[i];
  return MeasureContext{age_months, month - month % 12 + 11 - m.birth_month[i],
                        (m.status[i] & kEnrolled) != 0, m.sex[i] == static_cast<std::uint8_t>(Sex::Female),
                        m.conditions[i], m.clinical[i], 0};
}

}  // namespace phsim
