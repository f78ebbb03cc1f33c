#pragma once
/// @file Quiet months on the CPU: most members, most months, neither die, change enrollment,
/// plan, aid category, conditions or pregnancy, are not admitted, and have no event a follow-up
/// measure counts. For them StepMember::advance only adds the month's routine: the enrolled-month
/// bit, blood-pressure and HbA1c transitions, the pregnancy clock, an ED visit that starts no
/// follow-up, cost and capitation. quiet_months finds those members of a tile and does that
/// routine for them, 16 at a time with AVX-512 or 8 with AVX2 where the CPU has them
/// (sim/quiet_lanes.inc); advance runs for the others. Same words, same results as advance
/// (tested member by member at every level); CPU backend only.
#include <cstdint>

#include "kernels/dynamics.hpp"
#include "sim/philox_batch.hpp"

namespace phsim {

/// Lane of a tile's block that was not computed.
inline constexpr std::uint16_t kNoLane = 0xffff;
/// Slots of a tile's group: the lanes of one vector, which a block is computed for or not.
inline constexpr std::uint32_t kGroupSlots = 16;
/// Dynamics blocks a tile computes: 0 and 1 for every slot; 2 for the groups with an enrolled
/// member with mental illness or substance use (quiet_months reads their ED words).
inline constexpr std::uint32_t kTileDynamicsBlocks = 3;
/// Blocks of the Service stream a member's measure walk can read: one per 4 measures and the
/// reliever's (ServiceDraws).
inline constexpr std::uint32_t kServiceBlocks = kMaxMeasures / 4 + 1;

/// A tile's slots whose month is quiet, and their measures to walk.
struct QuietLanes {
  static constexpr std::uint32_t kCapacity = 256;
  static constexpr std::uint32_t kGroups = kCapacity / kGroupSlots;
  alignas(64) std::uint8_t quiet[kCapacity];       ///< 1: the month of slot begin + j was done here
  alignas(64) std::uint32_t relevant[kCapacity];  ///< relevant_measures() of a quiet slot, else 0
  std::uint32_t group_relevant[kGroups];  ///< by group of kGroupSlots slots: the union of relevant
  std::uint16_t busy[kGroups];  ///< by group, bit l: slot g kGroupSlots + l is living and not quiet
  /// No slot of [0, n) quiet (`status`: the slots' status bytes).
  void none(const std::uint8_t* status, std::uint32_t n) {
    for (std::uint32_t g = 0; g < kGroups; ++g) group_relevant[g] = 0, busy[g] = 0;
    for (std::uint32_t j = 0; j < n; ++j) {
      quiet[j] = 0, relevant[j] = 0;
      if (status[j] & kAlive) busy[j / kGroupSlots] = static_cast<std::uint16_t>(busy[j / kGroupSlots] | 1u << (j % kGroupSlots));
    }
  }
};

/// Where a tile's blocks are in a PhiloxBatch: block b of slot j (of the tile) at lane
/// at[b][j / kGroupSlots] + j % kGroupSlots; kNoLane: not computed for that group.
template <std::uint32_t Blocks>
struct TileLanes {
  static constexpr std::uint32_t kGroups = QuietLanes::kCapacity / kGroupSlots;
  std::uint16_t at[Blocks][kGroups];
  bool has(std::uint32_t block, std::uint32_t j) const { return at[block][j / kGroupSlots] != kNoLane; }
  std::uint32_t lane(std::uint32_t block, std::uint32_t j) const {
    return at[block][j / kGroupSlots] + j % kGroupSlots;
  }
};
using DynamicsLanes = TileLanes<kTileDynamicsBlocks>;
using ServiceLanes = TileLanes<kServiceBlocks>;

/// Does the month of every quiet slot among [begin, begin + n) (n <= QuietLanes::kCapacity), all
/// of one replicate with step tables `t`, and marks them in `q`; leaves every other slot's arrays
/// untouched, and marks the living ones in `q.busy`. Slot begin + j reads Dynamics block b at
/// lane lanes.lane(b, j) of `dynamics`: blocks 0 and 1 must be there for every group; a member
/// who would read block 2 where it was not computed is not quiet. In January a quiet slot starts its measurement year too
/// (start_measurement_year). Without condition_change_thr no slot is quiet. `level`: at
/// most best_simd_level().
void quiet_months(const MemberView& m, const StepTablesView& t, std::int32_t month,
                  std::uint64_t begin, std::uint32_t n, const PhiloxBatch& dynamics,
                  const DynamicsLanes& lanes, QuietLanes& q, SimdLevel level);

/// Service words of slot j of a tile whose Service blocks were computed at `lanes` of `batch`
/// (a block not computed for the slot's group is drawn here instead). Same words as
/// ServiceDraws.
class TileServiceDraws {
 public:
  TileServiceDraws(const PhiloxBatch& batch, const ServiceLanes& lanes, std::uint32_t j, std::uint32_t seed,
                   std::uint32_t member_id, std::uint32_t month, std::uint32_t replicate)
      : m_batch(batch), m_lanes(lanes), m_j(j), m_seed(seed), m_member_id(member_id), m_month(month),
        m_replicate(replicate) {}
  std::uint32_t word(std::uint32_t measure) const {
    const std::uint32_t block = measure / 4;
    if (m_lanes.has(block, m_j)) return m_batch.out[measure % 4][m_lanes.lane(block, m_j)];
    return drawn_word(measure);
  }
  std::uint32_t reliever_word() const { return word(kMaxMeasures); }

 private:
  // Out of line, so that word() stays small enough to inline into the measure walk.
  [[gnu::noinline, gnu::cold]] std::uint32_t drawn_word(std::uint32_t measure) const {
    return ServiceDraws(m_seed, m_member_id, m_month, m_replicate).word(measure);
  }

  const PhiloxBatch& m_batch;
  const ServiceLanes& m_lanes;
  std::uint32_t m_j, m_seed, m_member_id, m_month, m_replicate;
};

/// The measure walks of a tile's quiet slots (q.relevant[j] != 0; q.group_relevant as
/// quiet_months sets it), 16 slots at a time with AVX-512 or 8 with AVX2, measure by measure:
/// the states update_member_measures would give them.
/// Service block b of slot begin + j is at lane lanes.lane(b, j) of `services` (all slots of
/// replicate t.rng_replicate under `seed`). Returns w: it walked the quiet slots of [0, w), the
/// whole vectors of the n slots; the caller walks the rest one by one. w is 0, nothing done,
/// without AVX2 (CPU or `level`) or when a block their measures read was not computed.
std::uint32_t quiet_walks(const MemberView& m, const StepTablesView& t, std::uint32_t seed, std::int32_t month,
                          std::uint64_t begin, std::uint32_t n, const QuietLanes& q, const PhiloxBatch& services,
                          const ServiceLanes& lanes, SimdLevel level);

/// The measure context of a quiet slot after quiet_months (no event this month).
inline MeasureContext quiet_context(const MemberView& m, std::uint64_t i, std::int32_t month) {
  const int age_months = month - m.birth_month[i];
  return MeasureContext{age_months, month - month % 12 + 11 - m.birth_month[i],
                        (m.status[i] & kEnrolled) != 0, m.sex[i] == static_cast<std::uint8_t>(Sex::Female),
                        m.conditions[i], m.clinical[i], 0};
}

}  // namespace phsim
