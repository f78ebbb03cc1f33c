#pragma once
/// @file The monthly step on the CPU, a tile of slots at a time (ARCHITECTURE.md, "The CPU's
/// tiled step"): the Philox blocks the tile's members will read are computed together with
/// vector instructions (sim/philox_batch.hpp), the quiet members' months and measure walks are
/// done together (sim/quiet_month.hpp), and the others go through StepMember::advance. Same
/// words, same results as StepMember::operator() (tested); CPU backend only.
#include <algorithm>
#include <iterator>
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

/// Slots per tile: its Dynamics blocks and its Service blocks fit one PhiloxBatch each.
inline constexpr std::uint64_t kStepTileSlots = 256;
inline constexpr std::uint32_t kTileGroups = kStepTileSlots / kGroupSlots;
static_assert(kStepTileSlots == QuietLanes::kCapacity && kTileGroups == DynamicsLanes::kGroups, "lanes of a tile");
static_assert(kStepTileSlots * kTileDynamicsBlocks <= PhiloxBatch::kCapacity, "Dynamics blocks of a tile");
static_assert(kStepTileSlots * kServiceBlocks <= PhiloxBatch::kCapacity, "Service blocks of a tile");

/// Scratch of one thread's tiles.
struct StepTileScratch {
  PhiloxBatch dynamics, services;
  DynamicsLanes dynamics_lanes;  // where each block of each group is in the batches
  ServiceLanes service_lanes;
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

/// Queues block `block` of slots [first_slot, first_slot + slots) of the tile at the batch's
/// next lanes, with the counter words member_id and replicate of slot j in id[j], replicate[j];
/// returns the first lane.
inline std::uint16_t queue_tile_block(const StepTileScratch& s, std::uint32_t month, std::uint32_t block,
                                      std::uint32_t first_slot, std::uint32_t slots, PhiloxBatch& batch) {
  const std::size_t first = batch.n;
  std::memcpy(batch.ctr[0] + first, s.id + first_slot, slots * sizeof(std::uint32_t));
  std::fill_n(batch.ctr[1] + first, slots, month);
  std::memcpy(batch.ctr[2] + first, s.replicate + first_slot, slots * sizeof(std::uint32_t));
  std::fill_n(batch.ctr[3] + first, slots, block);
  batch.n += slots;
  return static_cast<std::uint16_t>(first);
}

/// Steps slots [begin, end) (at most kStepTileSlots):
///  1. the Dynamics blocks 0 and 1 of every slot, and 2 of every group of kGroupSlots slots
///     with an enrolled member with mental illness or substance use; the month of every quiet
///     member (quiet_months), together;
///  2. the dynamics of every other living member (StepMember::advance), in slot order;
///  3. for each group, the Service blocks its walks can read (service_blocks);
///  4. the measure walks: the quiet members' together (quiet_walks), the others one by one.
[[gnu::flatten]] inline void step_tile(const StepMember& f, std::uint64_t begin, std::uint64_t end,
                                       StepTileScratch& s) {
  const MemberView& m = f.m_m;
  const auto month = static_cast<std::uint32_t>(f.m_month);
  const auto n = static_cast<std::uint32_t>(end - begin);
  constexpr std::uint8_t kBlock2Conditions =
      condition_bit(Condition::MentalIllness) | condition_bit(Condition::SubstanceUse);
  // Without branches: as enrollment, deaths and conditions mix the groups over the months,
  // branches on them would be mispredicted more and more.
  std::uint32_t alive = 0, block2_groups = 0;
  for (std::uint32_t g = 0; g * kGroupSlots < n; ++g) {
    std::uint32_t block2 = 0;
    for (std::uint32_t j = g * kGroupSlots; j < std::min(n, (g + 1) * kGroupSlots); ++j) {
      const std::uint32_t status = m.status[begin + j];
      const std::uint32_t bit = status & kAlive;
      alive |= bit;
      s.id[j] = m.member_id[begin + j] & (0u - bit);  // (an empty slot's block is never read)
      block2 |= static_cast<std::uint32_t>((status & (kAlive | kEnrolled)) == (kAlive | kEnrolled)) &
                static_cast<std::uint32_t>((m.conditions[begin + j] & kBlock2Conditions) != 0);
    }
    block2_groups |= block2 << g;
  }
  if (!alive) return;
  for (std::uint32_t j = n; j < kStepTileSlots; ++j) s.id[j] = 0;
  const bool one_replicate = f.replicate_of(begin) == f.replicate_of(end - 1);
  std::fill_n(s.replicate, kStepTileSlots, f.tables(begin).rng_replicate);
  for (std::uint32_t j = 0; !one_replicate && j < n; ++j) s.replicate[j] = f.tables(begin + j).rng_replicate;
  s.dynamics.n = 0;
  for (std::uint32_t block = 0; block < 2; ++block) {
    const std::uint16_t first = queue_tile_block(s, month, block, 0, kStepTileSlots, s.dynamics);
    for (std::uint32_t g = 0; g < kTileGroups; ++g) s.dynamics_lanes.at[block][g] = static_cast<std::uint16_t>(first + g * kGroupSlots);
  }
  for (std::uint32_t g = 0; g < kTileGroups; ++g) {
    s.dynamics_lanes.at[2][g] = block2_groups & (1u << g) ? queue_tile_block(s, month, 2, g * kGroupSlots, kGroupSlots, s.dynamics)
                                                        : kNoLane;
  }
  compute_philox_batch(s.dynamics, f.m_seed, RngStream::Dynamics, s.level);
  if (one_replicate) {
    quiet_months(m, f.tables(begin), f.m_month, begin, n, s.dynamics, s.dynamics_lanes, s.quiet, s.level);
  } else {
    s.quiet.none(m.status + begin, n);
  }

  std::uint32_t walks = 0;
  std::uint32_t relevant[kTileGroups] = {};
  for (std::uint32_t g = 0; g * kGroupSlots < n; ++g) {
    relevant[g] = s.quiet.group_relevant[g];
    for (std::uint32_t bits = s.quiet.busy[g]; bits; bits &= bits - 1u) {
      const std::uint32_t j = g * kGroupSlots + lowest_set_bit(bits);
      const std::uint64_t i = begin + j;
      const StepTablesView& t = f.tables(i);
      DynamicsDraws d(f.m_seed, m.member_id[i], month, t.rng_replicate);
      for (std::uint32_t block = 0; block < kTileDynamicsBlocks; ++block) {
        if (s.dynamics_lanes.has(block, j)) d.provide(static_cast<int>(block), s.dynamics.result(s.dynamics_lanes.lane(block, j)));
      }
      StepTileScratch::Walk& walk = s.walks[walks];
      if (!f.advance(i, t, d, walk.work)) continue;
      walk.j = j;
      relevant[g] |= walk.work.relevant;
      ++walks;
    }
  }
  // The next tile's lines of the measures this one walks (its neighbours in the order walk
  // much the same ones).
  std::uint32_t tile_measures = 0;
  for (std::uint32_t g = 0; g < kTileGroups; ++g) tile_measures |= relevant[g];
  for (std::uint32_t j = 0; j < n; j += 64) prefetch_measure_states_of(m, begin + j, tile_measures);

  s.services.n = 0;
  bool any_walk = false;
  for (auto& block : s.service_lanes.at) std::fill(std::begin(block), std::end(block), kNoLane);
  for (std::uint32_t g = 0; g < kTileGroups; ++g) {
    // (service_blocks reads ratio_mask: the same in every replicate)
    const std::uint32_t blocks = service_blocks(f.tables(begin), relevant[g]);
    any_walk |= blocks != 0;
    for (std::uint32_t bits = blocks; bits; bits &= bits - 1u) {
      const std::uint32_t b = lowest_set_bit(bits);
      s.service_lanes.at[b][g] = queue_tile_block(s, month, b, g * kGroupSlots, kGroupSlots, s.services);
    }
  }
  if (!any_walk) return;
  compute_philox_batch(s.services, f.m_seed, RngStream::Service, s.level);

  const std::uint32_t walked =
      one_replicate ? quiet_walks(m, f.tables(begin), f.m_seed, f.m_month, begin, n, s.quiet, s.services,
                                  s.service_lanes, s.level)
                    : 0;
  for (std::uint32_t j = walked; j < n; ++j) {
    if (!s.quiet.relevant[j]) continue;
    StepTileScratch::Walk& walk = s.walks[walks++];
    walk.j = j;
    walk.work.ctx = quiet_context(m, begin + j, f.m_month);
    walk.work.relevant = s.quiet.relevant[j];
    walk.work.reach = 0;
  }
  for (std::uint32_t w = 0; w < walks; ++w) {
    const StepTileScratch::Walk& walk = s.walks[w];
    const std::uint64_t i = begin + walk.j;
    const StepTablesView& t = f.tables(i);
    TileServiceDraws services(s.services, s.service_lanes, walk.j, f.m_seed, m.member_id[i], month, t.rng_replicate);
    update_member_measures(m, t, i, walk.work, services);
  }
}

}  // namespace phsim

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
