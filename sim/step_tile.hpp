#pragma once
/// @file The monthly step on the CPU, a tile of slots at a time: the Philox blocks the tile's
/// members will read are computed together with vector instructions (sim/philox_batch.hpp)
/// instead of one by one in the middle of each member's branches. Same words, same results as
/// StepMember::operator() (tested); CPU backend only.
#include <cstdint>

#include "kernels/dynamics.hpp"
#include "sim/philox_batch.hpp"
#include "sim/quiet_month.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// DynamicsDraws reads a block only after drawing or being given it (a bit of m_have); once the
// whole tile is inlined into one function, GCC 12 no longer sees that and warns.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace phsim {

/// Slots per tile: its blocks (at most 2 Dynamics and 1 + kMaxMeasures / 4 Service blocks a
/// member) fit one PhiloxBatch each.
inline constexpr std::uint64_t kStepTileSlots = 64;
inline constexpr std::uint32_t kServiceBlocks = kMaxMeasures / 4 + 1;
/// Dynamics blocks computed for every slot of a tile: 0 and 1, which every month reads, and 2,
/// which quiet_months needs for members with mental illness or substance use.
inline constexpr std::uint32_t kTileDynamicsBlocks = 3;
static_assert(kStepTileSlots * kTileDynamicsBlocks <= PhiloxBatch::kCapacity, "Dynamics blocks of a tile");
static_assert(kStepTileSlots == QuietLanes::kCapacity, "quiet lanes of a tile");
static_assert(kStepTileSlots * kServiceBlocks <= PhiloxBatch::kCapacity, "Service blocks of a tile");

/// Service words from a tile's batch: the blocks in `have` (bit b: block b) at lanes
/// `lane[b]`; any other block is computed here (same words as ServiceDraws).
class BatchedServiceDraws {
 public:
  BatchedServiceDraws(const PhiloxBatch& batch, const std::uint16_t* lane, std::uint32_t have,
                      const ServiceDraws& fallback)
      : m_batch(batch), m_lane(lane), m_have(have), m_fallback(fallback) {}
  std::uint32_t word(std::uint32_t measure) {
    const std::uint32_t block = measure / 4;
    if (m_have & (1u << block)) return m_batch.out[measure % 4][m_lane[block]];
    return fallback_word(measure);
  }
  std::uint32_t reliever_word() { return word(kMaxMeasures); }

 private:
  // Out of line, so that word() stays small enough to inline into the measure walk.
  [[gnu::noinline, gnu::cold]] std::uint32_t fallback_word(std::uint32_t measure) {
    return m_fallback.word(measure);
  }

  const PhiloxBatch& m_batch;
  const std::uint16_t* m_lane;
  std::uint32_t m_have;
  ServiceDraws m_fallback;
};

/// Scratch of one thread's tiles.
struct StepTileScratch {
  PhiloxBatch dynamics;  // block b (0, 1, 2) of slot begin + j at lane b * kStepTileSlots + j
  PhiloxBatch services;
  QuietLanes quiet;
  struct Walk {  // a member whose measures are walked after the tile's dynamics
    std::uint64_t slot;
    MeasureWork work;
    std::uint32_t have;                    // Service blocks in the batch
    std::uint16_t lane[kServiceBlocks];    // their lanes
  };
  Walk walks[kStepTileSlots];
  SimdLevel level = best_simd_level();
};

/// Steps slots [begin, end) (at most kStepTileSlots) in three passes: the Dynamics blocks 0, 1 and 2
/// of every slot, then the month of every quiet member together (quiet_months); the dynamics of
/// every other living member (StepMember::advance), then queuing the Service blocks each walk
/// can read (service_blocks); the measure walks.
[[gnu::flatten]] inline void step_tile(const StepMember& f, std::uint64_t begin, std::uint64_t end,
                                       StepTileScratch& s) {
  const MemberView& m = f.m_m;
  const auto month = static_cast<std::uint32_t>(f.m_month);
  const auto n = static_cast<std::uint32_t>(end - begin);
  bool any_alive = false;
  for (std::uint32_t j = 0; j < kStepTileSlots; ++j) {
    const std::uint64_t i = begin + j;
    const bool alive = j < n && (m.status[i] & kAlive);
    any_alive |= alive;
    // Empty slots compute a block from a zero counter that nobody reads.
    const std::uint32_t id = alive ? m.member_id[i] : 0u;
    const std::uint32_t replicate = alive ? f.tables(i).rng_replicate : 0u;
    for (std::uint32_t block = 0; block < kTileDynamicsBlocks; ++block) {
      const std::uint32_t lane = block * kStepTileSlots + j;
      s.dynamics.ctr[0][lane] = id;
      s.dynamics.ctr[1][lane] = alive ? month : 0u;
      s.dynamics.ctr[2][lane] = replicate;
      s.dynamics.ctr[3][lane] = alive ? block : 0u;
    }
  }
  if (!any_alive) return;
  s.dynamics.n = kTileDynamicsBlocks * kStepTileSlots;
  compute_philox_batch(s.dynamics, f.m_seed, RngStream::Dynamics, s.level);
  if (f.replicate_of(begin) == f.replicate_of(end - 1)) {
    quiet_months(m, f.tables(begin), f.m_month, begin, n, s.dynamics, kStepTileSlots, s.quiet, s.level);
  } else {
    for (std::uint32_t j = 0; j < n; ++j) s.quiet.quiet[j] = 0;
  }

  s.services.n = 0;
  std::uint32_t walks = 0;
  for (std::uint32_t j = 0; j < n; ++j) {
    const std::uint64_t i = begin + j;
    prefetch_measure_states(m, i, f.m_tables->n_measures);
    if (!(m.status[i] & kAlive)) continue;
    const StepTablesView& t = f.tables(i);
    StepTileScratch::Walk& walk = s.walks[walks];
    if (s.quiet.quiet[j]) {
      walk.work.relevant = s.quiet.relevant[j];
      if (!walk.work.relevant) continue;
      walk.work.ctx = quiet_context(m, i, f.m_month);
      walk.work.reach = 0;
    } else {
      DynamicsDraws d(f.m_seed, m.member_id[i], month, t.rng_replicate);
      d.provide(0, s.dynamics.result(j));
      d.provide(1, s.dynamics.result(kStepTileSlots + j));
      d.provide(2, s.dynamics.result(2 * kStepTileSlots + j));
      if (!f.advance(i, t, d, walk.work)) continue;
    }
    ++walks;
    walk.slot = i;
    walk.have = service_blocks(t, walk.work.relevant);
    for (std::uint32_t b = walk.have; b; b &= b - 1u) {
      const std::uint32_t block = lowest_set_bit(b);
      walk.lane[block] = static_cast<std::uint16_t>(s.services.add(m.member_id[i], month, t.rng_replicate, block));
    }
  }
  if (walks == 0) return;
  compute_philox_batch(s.services, f.m_seed, RngStream::Service, s.level);

  for (std::uint32_t j = 0; j < walks; ++j) {
    const StepTileScratch::Walk& walk = s.walks[j];
    const std::uint64_t i = walk.slot;
    const StepTablesView& t = f.tables(i);
    BatchedServiceDraws services(s.services, walk.lane, walk.have,
                                 ServiceDraws(f.m_seed, m.member_id[i], month, t.rng_replicate));
    update_member_measures(m, t, i, walk.work, services);
  }
}

}  // namespace phsim

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
