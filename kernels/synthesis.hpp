#pragma once
/// @file Population synthesis rule: one member's attributes from the reference marginals.
///
/// Each replicate owns a segment of `capacity` slots: slots [0, enrolled) hold the members
/// enrolled at the start, slots [enrolled, enrolled + pool) the rest of the ever-enrolled pool
/// (alive, not enrolled; they re-enroll through churn), and the remaining slots stay empty for
/// newborns. A process of a member-sharded run holds a county shard: its enrolled slots are
/// members [enrolled_first, enrolled_first + enrolled) of the whole population and its pool
/// slots pool members [pool_first, pool_first + pool), with the ids and draws they have in the
/// whole population. Placement is stratified: member i of a group goes to the contract whose integer
/// range [begin[k], begin[k+1]) holds i, computed on the host from county enrollment and plan
/// shares within county, so county and plan counts equal N × share to within one member in
/// every replicate. Everything else is
/// drawn from the Synthesis stream, counter (member_id, 0, replicate, block):
///   block 0: age band, age within band, sex, race
///   block 1: language, aid category, practice, (unused)
/// Categorical draws compare a 32-bit word against cumulative thresholds (×2^32).
#include <cstdint>
#include <string_view>

#include "kernels/member.hpp"
#include "kernels/platform.hpp"
#include "kernels/rng.hpp"

namespace phsim {

/// Largest age (years) covered by age-indexed lookup tables.
inline constexpr int kMaxAgeYears = 120;

/// Device-side view of the synthesis tables (all pointers into device memory).
struct SynthesisTablesView {
  const std::uint64_t* contract_begin;  ///< [n_contracts + 1] ranges of the enrolled members
  const std::uint64_t* pool_contract_begin;  ///< [n_contracts + 1] ranges of the pool
  const std::uint8_t* contract_county;  ///< [n_contracts]
  std::uint32_t n_contracts;
  const std::uint64_t* age_cum;          ///< [n_age_bands] cumulative thresholds
  const std::uint64_t* pool_age_cum;     ///< [n_age_bands] the same for pool members
  const std::int32_t* age_lo_months;     ///< [n_age_bands] youngest age in the band, months
  const std::int32_t* age_span_months;   ///< [n_age_bands] width of the band, months
  std::uint32_t n_age_bands;
  const std::uint8_t* sex_group_of_age;  ///< [kMaxAgeYears + 1]
  const std::uint64_t* female_threshold; ///< [n_sex_groups]
  const std::uint64_t* race_cum;         ///< [kRaceCount]
  const std::uint64_t* language_cum;     ///< [n_counties * kLanguageCount]
  const std::uint8_t* aid_group_of_age;  ///< [kMaxAgeYears + 1]
  const std::uint64_t* aid_cum;          ///< [n_aid_groups * kAidCount]
  const std::uint32_t* practice_begin;   ///< [n_counties] first practice of the county
  const std::uint32_t* practice_count;   ///< [n_counties]
  const std::uint64_t* practice_cum;     ///< [n_practices] cumulative within county
};

/// Index k with begin[k] <= i < begin[k + 1] (the last such k when ranges are empty; 0 when
/// none): the first k whose next range starts past i.
PHSIM_HD inline std::uint32_t stratum_of(const std::uint64_t* begin, std::uint32_t n,
                                         std::uint64_t i) {
  return first_above(begin + 1, n, i);
}

/// The member fields SynthesizeMember writes; every other field is still zero after synthesis
/// (the arrays are value-initialized), so reordering slots then need not move them.
inline constexpr std::string_view kSynthesizedFields[] = {
    "member_id", "contract", "county", "practice", "birth_month",
    "sex",       "race",     "language", "aid",    "status"};

constexpr bool is_synthesized_field(std::string_view name) {
  for (const std::string_view f : kSynthesizedFields) {
    if (f == name) return true;
  }
  return false;
}

/// Writes slot `index` (= replicate * capacity + slot) of the population.
struct SynthesizeMember {
  MemberView m_members;
  SynthesisTablesView m_t;
  std::uint32_t m_seed;
  std::uint64_t m_enrolled;  ///< members enrolled at the start, per replicate (this shard)
  std::uint64_t m_pool;      ///< members in the pool but not enrolled, per replicate (this shard)
  std::uint64_t m_capacity;  ///< slots per replicate
  std::int32_t m_start_month;  ///< month index of the first simulated month
  std::uint32_t m_first_replicate;  ///< replicate number of the first segment (RNG counter)
  std::uint64_t m_enrolled_first;   ///< shard: first enrolled member (0 without sharding)
  std::uint64_t m_enrolled_total;   ///< members enrolled in the whole population
  std::uint64_t m_pool_first;       ///< shard: first pool member, counted within the pool

  PHSIM_HD void operator()(std::uint64_t index) const {
    if (!draws(index)) {
      m_members.status[index] = 0;  // empty slot, filled by a birth later
      m_members.member_id[index] = 0xffffffffu;
      return;
    }
    const Philox rng(m_seed, stream(), member_id(index), 0u, rng_replicate(index));
    write(index, rng.block(0), rng.block(1));
  }

  // A slot's member from two random blocks, as sim/setup_tile.hpp's two_block_tile computes
  // them many at a time: whether it draws, the counter, and the member from the blocks.
  static constexpr RngStream stream() { return RngStream::Synthesis; }
  /// Whether slot `index` holds a member at the start (the others are empty).
  PHSIM_HD bool draws(std::uint64_t index) const { return index % m_capacity < m_enrolled + m_pool; }
  /// The id of the member of slot `index` (draws): its position in the whole population
  /// (= its slot without sharding), enrolled members first.
  PHSIM_HD std::uint64_t whole_position(std::uint64_t index) const {
    const std::uint64_t slot = index % m_capacity;
    return slot < m_enrolled ? m_enrolled_first + slot
                             : m_enrolled_total + m_pool_first + (slot - m_enrolled);
  }
  PHSIM_HD std::uint32_t member_id(std::uint64_t index) const {
    return static_cast<std::uint32_t>(whole_position(index));
  }
  PHSIM_HD std::uint32_t rng_replicate(std::uint64_t index) const {
    return m_first_replicate + static_cast<std::uint32_t>(index / m_capacity);
  }

  /// Writes the member of slot `index` (draws) from its Synthesis blocks 0 and 1.
  PHSIM_HD void write(std::uint64_t index, const RandomBlock& b0, const RandomBlock& b1) const {
    const bool enrolled = index % m_capacity < m_enrolled;
    const std::uint64_t whole = whole_position(index);
    const auto id = static_cast<std::uint32_t>(whole);
    const std::uint32_t contract =
        enrolled ? stratum_of(m_t.contract_begin, m_t.n_contracts, whole)
                 : stratum_of(m_t.pool_contract_begin, m_t.n_contracts, whole - m_enrolled_total);
    const std::uint32_t county = m_t.contract_county[contract];

    const std::uint32_t band =
        sample_cumulative(enrolled ? m_t.age_cum : m_t.pool_age_cum, m_t.n_age_bands, b0.v[0]);
    const auto offset = static_cast<std::int32_t>(
        (static_cast<std::uint64_t>(b0.v[1]) * static_cast<std::uint64_t>(m_t.age_span_months[band])) >> 32);
    const std::int32_t age_months = m_t.age_lo_months[band] + offset;
    int age = age_months / 12;
    if (age > kMaxAgeYears) age = kMaxAgeYears;

    const bool female = static_cast<std::uint64_t>(b0.v[2]) < m_t.female_threshold[m_t.sex_group_of_age[age]];
    const std::uint32_t race = sample_cumulative(m_t.race_cum, kRaceCount, b0.v[3]);
    const std::uint32_t language =
        sample_cumulative(m_t.language_cum + county * kLanguageCount, kLanguageCount, b1.v[0]);
    const std::uint32_t aid =
        sample_cumulative(m_t.aid_cum + m_t.aid_group_of_age[age] * kAidCount, kAidCount, b1.v[1]);
    const std::uint32_t first_practice = m_t.practice_begin[county];
    const std::uint32_t practice =
        first_practice + sample_cumulative(m_t.practice_cum + first_practice,
                                           m_t.practice_count[county], b1.v[2]);

    m_members.member_id[index] = id;
    m_members.contract[index] = static_cast<std::uint16_t>(contract);
    m_members.county[index] = static_cast<std::uint8_t>(county);
    m_members.practice[index] = static_cast<std::uint16_t>(practice);
    m_members.birth_month[index] = static_cast<std::int16_t>(m_start_month - age_months);
    m_members.sex[index] = static_cast<std::uint8_t>(female ? Sex::Female : Sex::Male);
    m_members.race[index] = static_cast<std::uint8_t>(race);
    m_members.language[index] = static_cast<std::uint8_t>(language);
    m_members.aid[index] = static_cast<std::uint8_t>(aid);
    m_members.status[index] = static_cast<std::uint8_t>(kAlive | (enrolled ? kEnrolled : 0));
  }
};

}  // namespace phsim
