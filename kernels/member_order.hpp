#pragma once
/// @file The order of member slots within a replicate's segment.
///
/// Nothing a member draws or counts depends on its slot: random numbers are keyed by member id
/// (kernels/rng.hpp), tallies are integer sums, and newborn ids follow the mothers' ids. So the
/// engine may lay members out in any order, and it groups members who take the same path
/// through the monthly step: the same enrollment, sex, age in years and conditions visit the
/// same measures (StepTablesView masks) and most of the same branches. Neighbouring slots are
/// the lanes of one warp on a GPU and consecutive iterations on a CPU, where the branch
/// predictor sees the same path again. Within a group members lie by contract, which keeps the
/// warp-aggregated tally atomics on one cell.
#include <cstdint>

#include "kernels/history.hpp"
#include "kernels/member.hpp"
#include "kernels/platform.hpp"
#include "kernels/synthesis.hpp"

namespace phsim {

/// Bits of a replicate's number (within the chunk of replicates ordered at once) in the key.
inline constexpr int kOrderReplicateBits = 20;

/// Sort key of slot `index` at month index `month`, in the chunk of replicates that starts at
/// `first_replicate`; ascending keys are the grouped order:
///   bits 44-63  replicate within the chunk (so each replicate's slots stay in its segment)
///   bits 42-43  0 living, 1 dead (status 0, id kept), 2 empty (no member: the segment's tail)
///   bit  41     not enrolled
///   bit  40     male
///   bits 33-39  age in whole years (capped at kMaxAgeYears)
///   bits 27-32  condition bits
///   bits 11-26  contract
///   bits  7-10  months past the last birthday
/// Equal keys keep their previous order (a stable sort), so the order is a function of the
/// state and the order before it: the same on every backend and thread count.
PHSIM_HD inline std::uint64_t member_order_key(const MemberView& m, std::uint64_t index,
                                               std::uint64_t capacity, std::uint64_t first_replicate,
                                               std::int32_t month, std::uint8_t conditions) {
  const std::uint64_t replicate = index / capacity - first_replicate;
  const std::uint8_t status = m.status[index];
  if (!(status & kAlive)) {
    return replicate << 44 | (m.member_id[index] == 0xffffffffu ? 2ull : 1ull) << 42;
  }
  int age_months = month - m.birth_month[index];
  if (age_months < 0) age_months = 0;
  const int age = age_months / 12 > kMaxAgeYears ? kMaxAgeYears : age_months / 12;
  return replicate << 44 | static_cast<std::uint64_t>((status & kEnrolled) ? 0 : 1) << 41 |
         static_cast<std::uint64_t>(m.sex[index] == static_cast<std::uint8_t>(Sex::Male) ? 1 : 0) << 40 |
         static_cast<std::uint64_t>(age) << 33 | static_cast<std::uint64_t>(conditions & 0x3fu) << 27 |
         static_cast<std::uint64_t>(m.contract[index]) << 11 | static_cast<std::uint64_t>(age_months % 12) << 7;
}

/// The key with the slot's own conditions.
PHSIM_HD inline std::uint64_t member_order_key(const MemberView& m, std::uint64_t index,
                                               std::uint64_t capacity, std::uint64_t first_replicate,
                                               std::int32_t month) {
  return member_order_key(m, index, capacity, first_replicate, month, m.conditions[index]);
}

/// Writes the order keys of the slots [first, first + n), which begin replicate
/// first / capacity, and their positions j (the values the sort carries).
struct MemberOrderKeys {
  MemberView m_members;
  std::uint64_t m_first;
  std::uint64_t m_capacity;
  std::int32_t m_month;
  std::uint64_t* m_keys;      ///< [n]
  std::uint32_t* m_position;  ///< [n] slot - first
  /// Before the history (m_month its start): the key holds the conditions InitializeHistory
  /// will draw for each living member (start_conditions), so that one sort lays out the slots
  /// as sorting again after the history would. Null: the slots' own conditions.
  const std::uint64_t* m_prevalence_thr = nullptr;
  const StepTablesView* m_tables = nullptr;  ///< [replicate]: their rng_replicate
  std::uint32_t m_seed = 0;

  PHSIM_HD void operator()(std::uint64_t j) const {
    if (draws(j)) {
      const Philox rng(m_seed, stream(), member_id(j), 0u, rng_replicate(j));
      write(j, rng.block(0), rng.block(1));
    } else {
      write_key(j, m_members.conditions[m_first + j]);
    }
  }

  // The key of position j from two random blocks, as sim/setup_tile.hpp's two_block_tile
  // computes them many at a time: whether it draws, the counter, and the key from the blocks.
  static constexpr RngStream stream() { return RngStream::History; }
  /// Whether the key of position j holds the conditions History blocks 0 and 1 draw.
  PHSIM_HD bool draws(std::uint64_t j) const {
    return m_prevalence_thr && (m_members.status[m_first + j] & kAlive);
  }
  PHSIM_HD std::uint32_t member_id(std::uint64_t j) const { return m_members.member_id[m_first + j]; }
  PHSIM_HD std::uint32_t rng_replicate(std::uint64_t j) const {
    return m_tables[(m_first + j) / m_capacity].rng_replicate;
  }
  PHSIM_HD void write(std::uint64_t j, const RandomBlock& b0, const RandomBlock& b1) const {
    write_key(j, start_conditions(b0, b1, m_prevalence_thr, start_age_years(m_members, m_first + j, m_month)));
  }

  /// Writes the key of slot m_first + j with `conditions`, and its position.
  PHSIM_HD void write_key(std::uint64_t j, std::uint8_t conditions) const {
    m_keys[j] =
        member_order_key(m_members, m_first + j, m_capacity, m_first / m_capacity, m_month, conditions);
    m_position[j] = static_cast<std::uint32_t>(j);
  }
};

}  // namespace phsim
