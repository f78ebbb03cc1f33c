#pragma once
/// @file The setup on the CPU, a tile of slots at a time: the Philox blocks the tile's members
/// will read are computed together with vector instructions (sim/philox_batch.hpp), then each
/// member goes through the same code as on the GPU, reading its blocks from the batches:
///  - synthesis (SynthesizeMember, two Synthesis blocks a member) and the order keys before
///    the history (MemberOrderKeys, whose conditions come from History blocks 0-1), through
///    two_block_tile;
///  - the history (start_member and write_history_states, as InitializeHistory).
/// Same words, same results (tests/sim/test_history.cpp compares the tiles with member by
/// member); CPU backend only.
#include <algorithm>
#include <cstdint>

#include "kernels/history.hpp"
#include "kernels/member_order.hpp"
#include "kernels/synthesis.hpp"
#include "sim/philox_batch.hpp"

namespace phsim {

/// Slots per tile: three start blocks of each fit one PhiloxBatch.
inline constexpr std::uint64_t kHistoryTileSlots = 256;
static_assert(3 * kHistoryTileSlots <= PhiloxBatch::kCapacity, "start blocks of a tile");

/// History blocks of the enrollment chain (words 12 .. 12 + kHistoryMonths - 1) and of a
/// measure (a word per month back), at most.
inline constexpr std::uint32_t kHistoryChainBlocks = kHistoryMonths / 4;
inline constexpr std::uint32_t kHistoryMeasureBlocks = kHistoryMonths / 4;
static_assert(3 + kHistoryChainBlocks <= 16 && kHistoryMeasureBlocks <= 16, "History block layout");

/// The History blocks of one member, as write_history_states asks for them: the enrollment
/// chain's and each measure's range at lanes of a batch. A block outside them (none, when the
/// ranges come from history_range as write_history_states' do) is computed on its own.
class HistoryTileBlocks {
 public:
  /// Plans the blocks of a member starting as `st` with the history measures `measures` of
  /// `specs`; returns how many (queue them with queue()).
  std::uint32_t plan(const MeasureSpec* specs, std::uint32_t measures, const HistoryStart& st) {
    std::uint32_t chain_months = 0, blocks = 0;
    m_measures = 0;
    for (std::uint32_t left = measures; left; left &= left - 1u) {
      const std::uint32_t k = lowest_set_bit(left);
      const HistoryRange r = history_range(specs[k], st);
      if (r.empty()) continue;
      if (r.enrolled_only) chain_months = std::max(chain_months, r.last);
      m_range[k] = r;
      m_measures |= 1u << k;
      blocks += r.blocks();
    }
    m_chain_blocks = static_cast<std::uint8_t>((chain_months_drawn(chain_months, st.age_months) + 3) / 4);
    return blocks + m_chain_blocks;
  }

  /// Queues the planned blocks of member `member_id` of replicate counter `replicate` under
  /// `seed` in `batch`.
  void queue(PhiloxBatch& batch, std::uint32_t seed, std::uint32_t member_id, std::uint32_t replicate) {
    m_seed = seed;
    m_member_id = member_id;
    m_replicate = replicate;
    m_batch = &batch;
    m_chain_lane = static_cast<std::uint16_t>(batch.n);
    for (std::uint32_t b = 0; b < m_chain_blocks; ++b) batch.add(member_id, 0, replicate, 3 + b);
    for (std::uint32_t left = m_measures; left; left &= left - 1u) {
      const std::uint32_t k = lowest_set_bit(left);
      m_lane[k] = static_cast<std::uint16_t>(batch.n);
      for (std::uint32_t b = 0; b < m_range[k].blocks(); ++b) {
        batch.add(member_id, 0, replicate, history_measure_block(k) + m_range[k].first_block() + b);
      }
    }
  }

  /// The history_range of measure k that plan() computed (as write_history_states' `ranges`).
  HistoryRange operator()(std::uint32_t k, const MeasureSpec&, const HistoryStart&) const {
    return (m_measures >> k & 1u) ? m_range[k] : HistoryRange{};
  }

  /// Block `b` of the member's History counter (after the batch is computed).
  RandomBlock block(std::uint32_t b) const {
    if (b >= 3 && b - 3 < m_chain_blocks) return m_batch->result(m_chain_lane + (b - 3));
    if (b >= history_measure_block(0)) {
      const std::uint32_t k = (b - history_measure_block(0)) / 16;
      const std::uint32_t offset = (b - history_measure_block(0)) % 16;
      if (k < kMaxMeasures && (m_measures >> k & 1u) && offset - m_range[k].first_block() < m_range[k].blocks()) {
        return m_batch->result(m_lane[k] + (offset - m_range[k].first_block()));
      }
    }
    return Philox(m_seed, RngStream::History, m_member_id, 0u, m_replicate).block(b);
  }

 private:
  const PhiloxBatch* m_batch = nullptr;
  std::uint32_t m_seed = 0, m_member_id = 0, m_replicate = 0;
  std::uint32_t m_measures = 0;  ///< bit k: measure k has blocks
  std::uint16_t m_chain_lane = 0;
  std::uint8_t m_chain_blocks = 0;
  std::uint16_t m_lane[kMaxMeasures] = {};
  HistoryRange m_range[kMaxMeasures];  ///< measure k's history_range (when it has blocks)
};

/// Scratch of one thread's tiles.
struct HistoryTileScratch {
  PhiloxBatch start, rest;
  struct Member {
    std::uint64_t i;
    HistoryStart st;
    HistoryTileBlocks blocks;
  };
  Member members[kHistoryTileSlots];
  std::uint32_t alive[kHistoryTileSlots];
  SimdLevel level = best_simd_level();
};

/// InitializeHistory of slots [begin, end) (at most kHistoryTileSlots):
///  1. every slot's fields cleared; History blocks 0-2 of every living member, together;
///  2. each living member's conditions, clinical states and pregnancy (start_member), and the
///     blocks of its enrollment chain and measures that its history can read (the months of
///     each measure's history_range, enrolled or not);
///  3. those blocks, together (in turns when a turn's would not fit the batch), and then each
///     member's measure states (write_history_states).
inline void history_tile(const InitializeHistory& f, std::uint64_t begin, std::uint64_t end,
                         HistoryTileScratch& s) {
  const MemberView& m = f.m_m;
  std::uint32_t alive = 0;
  s.start.n = 0;
  for (std::uint64_t i = begin; i < end; ++i) {
    InitializeHistory::clear_history_fields(m, i);
    if (!(m.status[i] & kAlive)) continue;
    s.alive[alive++] = static_cast<std::uint32_t>(i - begin);
    const std::uint32_t replicate = f.m_tables[i / f.m_capacity].rng_replicate;
    for (std::uint32_t b = 0; b < 3; ++b) s.start.add(m.member_id[i], 0, replicate, b);
  }
  if (!alive) return;
  compute_philox_batch(s.start, f.m_seed, RngStream::History, s.level);

  std::uint32_t pending = 0;
  s.rest.n = 0;
  const auto finish = [&] {
    if (!pending) return;
    compute_philox_batch(s.rest, f.m_seed, RngStream::History, s.level);
    for (std::uint32_t p = 0; p < pending; ++p) {
      const HistoryTileScratch::Member& member = s.members[p];
      write_history_states(m, member.i, f.m_tables[member.i / f.m_capacity], f.m_h, member.st, member.blocks,
                           member.blocks);
    }
    pending = 0;
    s.rest.n = 0;
  };
  for (std::uint32_t a = 0; a < alive; ++a) {
    const std::uint64_t i = begin + s.alive[a];
    const StepTablesView& t = f.m_tables[i / f.m_capacity];
    HistoryTileScratch::Member& member = s.members[pending];
    member.i = i;
    member.st = start_member(m, i, t, f.m_h, f.m_start_month, s.start.result(3 * a),
                             s.start.result(3 * a + 1),
                             s.start.result(3 * a + 2));
    const std::uint32_t blocks = member.blocks.plan(t.measures, f.m_h.history_measures, member.st);
    if (s.rest.full(blocks)) {
      HistoryTileBlocks planned = member.blocks;  // the turn's last member moves to the next turn
      const HistoryStart st = member.st;
      finish();
      s.members[0] = {i, st, planned};
    }
    HistoryTileScratch::Member& queued = s.members[pending++];
    queued.blocks.queue(s.rest, f.m_seed, m.member_id[i], t.rng_replicate);
  }
  finish();
}

/// Slots per tile of two_block_tile: two blocks of each fit one PhiloxBatch.
inline constexpr std::uint64_t kTwoBlockTileSlots = PhiloxBatch::kCapacity / 2;

/// Scratch of one thread's two_block_tile.
struct TwoBlockTileScratch {
  PhiloxBatch blocks;
  SimdLevel level = best_simd_level();
};

/// f(j) for j in [begin, end) (at most kTwoBlockTileSlots), for a functor that draws two
/// blocks of F::stream() where f.draws(j) (SynthesizeMember, MemberOrderKeys): those blocks,
/// counters (f.member_id(j), 0, f.rng_replicate(j), 0 and 1), computed together, then
/// f.write(j, block 0, block 1) with them, and f(j) where it draws none.
template <class F>
inline void two_block_tile(const F& f, std::uint64_t begin, std::uint64_t end, TwoBlockTileScratch& s) {
  s.blocks.n = 0;
  for (std::uint64_t j = begin; j < end; ++j) {
    if (!f.draws(j)) continue;
    for (std::uint32_t b = 0; b < 2; ++b) s.blocks.add(f.member_id(j), 0, f.rng_replicate(j), b);
  }
  if (s.blocks.n) compute_philox_batch(s.blocks, f.m_seed, F::stream(), s.level);
  std::size_t lane = 0;
  for (std::uint64_t j = begin; j < end; ++j) {
    if (f.draws(j)) {
      f.write(j, s.blocks.result(lane), s.blocks.result(lane + 1));
      lane += 2;
    } else {
      f(j);
    }
  }
}

}  // namespace phsim
