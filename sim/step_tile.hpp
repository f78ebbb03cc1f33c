#pragma once
/// @file The monthly step on the CPU, a tile of slots at a time: the Philox blocks the tile's
/// members will read are computed together with vector instructions (sim/philox_batch.hpp)
/// instead of one by one in the middle of each member's branches. Same words, same results as
/// StepMember::operator() (tested); CPU backend only.
#include <algorithm>
#include <cstdint>
#include <cstring>

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

/// Slots per tile: its Dynamics blocks (kTileDynamicsBlocks) and its Service blocks (at most
/// kServiceBlocks) fit one PhiloxBatch each.
inline constexpr std::uint64_t kStepTileSlots = 256;
/// Dynamics blocks computed for every slot of a tile: 0 and 1, which every month reads, and 2,
/// which quiet_months needs for members with mental illness or substance use.
inline constexpr std::uint32_t kTileDynamicsBlocks = 3;
static_assert(kStepTileSlots * kTileDynamicsBlocks <= PhiloxBatch::kCapacity, "Dynamics blocks of a tile");
static_assert(kStepTileSlots == QuietLanes::kCapacity, "quiet lanes of a tile");
static_assert(kStepTileSlots * kServiceBlocks <= PhiloxBatch::kCapacity, "Service blocks of a tile");

/// Scratch of one thread's tiles.
struct StepTileScratch {
  PhiloxBatch dynamics;  // block b (0, 1, 2) of slot begin + j at lane b * kStepTileSlots + j
  PhiloxBatch services;  // block b of slot begin + j at lane service_lane[b] + j
  std::uint16_t service_lane[kServiceBlocks];
  QuietLanes quiet;
  struct Walk {  // a member whose measures are walked one by one
    std::uint32_t j;  // slot begin + j
    MeasureWork work;
  };
  Walk walks[kStepTileSlots];
  alignas(64) std::uint32_t id[kStepTileSlots];         // counter words of the tile's slots
  alignas(64) std::uint32_t replicate[kStepTileSlots];  // (empty slots: zero and any replicate)
  SimdLevel level = best_simd_level();
};

/// Queues block `block` of every slot of the tile at lanes first + j of `batch`, with the
/// counter words member_id and replicate of slot j in id[j], replicate[j].
inline void queue_tile_blocks(const std::uint32_t* id, const std::uint32_t* replicate, std::uint32_t month,
                              std::uint32_t block, std::uint32_t first, PhiloxBatch& batch) {
  std::memcpy(batch.ctr[0] + first, id, kStepTileSlots * sizeof(std::uint32_t));
  std::fill_n(batch.ctr[1] + first, kStepTileSlots, month);
  std::memcpy(batch.ctr[2] + first, replicate, kStepTileSlots * sizeof(std::uint32_t));
  std::fill_n(batch.ctr[3] + first, kStepTileSlots, block);
}

/// Steps slots [begin, end) (at most kStepTileSlots):
///  1. the Dynamics blocks 0, 1 and 2 of every slot; the month of every quiet member
///     (quiet_months), together;
///  2. the dynamics of every other living member (StepMember::advance);
///  3. the Service blocks any walk of the tile can read (service_blocks), for every slot;
///  4. the measure walks: the quiet members' together (quiet_walks), the others one by one.
[[gnu::flatten]] inline void step_tile(const StepMember& f, std::uint64_t begin, std::uint64_t end,
                                       StepTileScratch& s) {
  const MemberView& m = f.m_m;
  const auto month = static_cast<std::uint32_t>(f.m_month);
  const auto n = static_cast<std::uint32_t>(end - begin);
  std::uint32_t alive = 0;
  for (std::uint32_t j = 0; j < n; ++j) {
    const std::uint32_t bit = m.status[begin + j] & kAlive;
    alive |= bit;
    s.id[j] = bit ? m.member_id[begin + j] : 0u;  // (an empty slot's block is never read)
  }
  if (!alive) return;
  for (std::uint32_t j = n; j < kStepTileSlots; ++j) s.id[j] = 0;
  const bool one_replicate = f.replicate_of(begin) == f.replicate_of(end - 1);
  std::fill_n(s.replicate, kStepTileSlots, f.tables(begin).rng_replicate);
  for (std::uint32_t j = 0; !one_replicate && j < n; ++j) s.replicate[j] = f.tables(begin + j).rng_replicate;
  for (std::uint32_t block = 0; block < kTileDynamicsBlocks; ++block) {
    queue_tile_blocks(s.id, s.replicate, month, block, block * kStepTileSlots, s.dynamics);
  }
  s.dynamics.n = kTileDynamicsBlocks * kStepTileSlots;
  compute_philox_batch(s.dynamics, f.m_seed, RngStream::Dynamics, s.level);
  if (one_replicate) {
    quiet_months(m, f.tables(begin), f.m_month, begin, n, s.dynamics, kStepTileSlots, s.quiet, s.level);
  } else {
    s.quiet.none(n);
  }

  std::uint32_t walks = 0, relevant = 0;
  for (std::uint32_t j = 0; j < n; ++j) {
    const std::uint64_t i = begin + j;
    prefetch_measure_states(m, i, f.m_tables->n_measures);
    if (s.quiet.quiet[j]) {
      relevant |= s.quiet.relevant[j];
      continue;
    }
    if (!(m.status[i] & kAlive)) continue;
    const StepTablesView& t = f.tables(i);
    DynamicsDraws d(f.m_seed, m.member_id[i], month, t.rng_replicate);
    for (std::uint32_t block = 0; block < kTileDynamicsBlocks; ++block) {
      d.provide(static_cast<int>(block), s.dynamics.result(block * kStepTileSlots + j));
    }
    StepTileScratch::Walk& walk = s.walks[walks];
    if (!f.advance(i, t, d, walk.work)) continue;
    walk.j = j;
    relevant |= walk.work.relevant;
    ++walks;
  }
  if (!relevant) return;

  s.services.n = 0;
  const std::uint32_t blocks = service_blocks(f.tables(begin), relevant);  // (ratio_mask: the same in every replicate)
  for (std::uint32_t b = 0; b < kServiceBlocks; ++b) {
    s.service_lane[b] = kNoLane;
    if (!(blocks & (1u << b))) continue;
    s.service_lane[b] = static_cast<std::uint16_t>(s.services.n);
    queue_tile_blocks(s.id, s.replicate, month, b, static_cast<std::uint32_t>(s.services.n), s.services);
    s.services.n += kStepTileSlots;
  }
  compute_philox_batch(s.services, f.m_seed, RngStream::Service, s.level);

  if (!(one_replicate && quiet_walks(m, f.tables(begin), f.m_seed, f.m_month, begin, n, s.quiet, s.services,
                                     s.service_lane, s.level))) {
    for (std::uint32_t j = 0; j < n; ++j) {
      if (!s.quiet.relevant[j]) continue;
      StepTileScratch::Walk& walk = s.walks[walks++];
      walk.j = j;
      walk.work.ctx = quiet_context(m, begin + j, f.m_month);
      walk.work.relevant = s.quiet.relevant[j];
      walk.work.reach = 0;
    }
  }
  for (std::uint32_t w = 0; w < walks; ++w) {
    const StepTileScratch::Walk& walk = s.walks[w];
    const std::uint64_t i = begin + walk.j;
    const StepTablesView& t = f.tables(i);
    TileServiceDraws services(s.services, s.service_lane, walk.j, f.m_seed, m.member_id[i], month, t.rng_replicate);
    update_member_measures(m, t, i, walk.work, services);
  }
}

}  // namespace phsim

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
