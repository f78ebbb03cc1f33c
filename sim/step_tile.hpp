#pragma once
/// @file The monthly step on the CPU, a tile of slots at a time: the Philox blocks the tile's
/// members will read are computed together with vector instructions (sim/philox_batch.hpp)
/// instead of one by one in the middle of each member's branches. Same words, same results as
/// StepMember::operator() (tested); CPU backend only.
#include <cstdint>

#include "kernels/dynamics.hpp"
#include "sim/philox_batch.hpp"

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
static_assert(kStepTileSlots * 2 <= PhiloxBatch::kCapacity, "Dynamics blocks of a tile");
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
  PhiloxBatch dynamics, services;
  struct Walk {  // a member whose measures are walked after the tile's dynamics
    std::uint64_t slot;
    MeasureWork work;
    std::uint32_t have;                    // Service blocks in the batch
    std::uint16_t lane[kServiceBlocks];    // their lanes
  };
  Walk walks[kStepTileSlots];
  std::uint16_t dynamics_lane[kStepTileSlots];  // lane of block 0 (block 1 follows); 0xffff: dead
  SimdLevel level = best_simd_level();
};

/// Steps slots [begin, end) (at most kStepTileSlots) in three passes: the Dynamics blocks 0 and 1
/// of every living member; each member's dynamics (StepMember::advance), queuing the Service
/// blocks its measure walk can read (service_blocks); the measure walks.
[[gnu::flatten]] inline void step_tile(const StepMember& f, std::uint64_t begin, std::uint64_t end,
                      StepTileScratch& s) {
  const MemberView& m = f.m_m;
  const auto month = static_cast<std::uint32_t>(f.m_month);
  s.dynamics.n = 0;
  for (std::uint64_t i = begin; i < end; ++i) {
    s.dynamics_lane[i - begin] = 0xffff;
    if (!(m.status[i] & kAlive)) continue;
    const std::uint32_t replicate = f.tables(i).rng_replicate;
    s.dynamics_lane[i - begin] = static_cast<std::uint16_t>(s.dynamics.add(m.member_id[i], month, replicate, 0));
    s.dynamics.add(m.member_id[i], month, replicate, 1);
  }
  if (s.dynamics.n == 0) return;
  compute_philox_batch(s.dynamics, f.m_seed, RngStream::Dynamics, s.level);

  s.services.n = 0;
  std::uint32_t walks = 0;
  for (std::uint64_t i = begin; i < end; ++i) {
    prefetch_measure_states(m, i, f.m_tables->n_measures);
    const std::uint16_t lane = s.dynamics_lane[i - begin];
    if (lane == 0xffff) continue;
    const StepTablesView& t = f.tables(i);
    DynamicsDraws d(f.m_seed, m.member_id[i], month, t.rng_replicate);
    d.provide(0, s.dynamics.result(lane));
    d.provide(1, s.dynamics.result(lane + 1u));
    StepTileScratch::Walk& walk = s.walks[walks];
    if (!f.advance(i, t, d, walk.work)) continue;
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
