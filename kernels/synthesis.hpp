#pragma once
/// @file Population synthesis rule: one member's attributes from the reference marginals.
///
/// Placement is stratified: member i of N goes to the contract whose integer range
/// [contract_begin[k], contract_begin[k+1]) holds i, where the host computed the ranges from
/// county enrollment and plan shares within county (largest-integer rounding), so county and
/// plan counts equal N × share to within one member in every replicate. Everything else is
/// drawn from the Synthesis stream, counter (member_id, 0, replicate, block):
///   block 0: age band, age within band, sex, race
///   block 1: language, aid category, practice, (unused)
/// Categorical draws compare a 32-bit word against cumulative thresholds (×2^32).
#include <cstdint>

#include "kernels/member.hpp"
#include "kernels/platform.hpp"
#include "kernels/rng.hpp"

namespace phsim {

/// Largest age (years) covered by age-indexed lookup tables.
inline constexpr int kMaxAgeYears = 120;

/// Device-side view of the synthesis tables (all pointers into device memory).
struct SynthesisTablesView {
  const std::uint64_t* contract_begin;  ///< [n_contracts + 1] member index ranges
  const std::uint8_t* contract_county;  ///< [n_contracts]
  std::uint32_t n_contracts;
  const std::uint64_t* age_cum;          ///< [n_age_bands] cumulative thresholds
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

/// Writes member `index` (= replicate * members + i) of the population.
struct SynthesizeMember {
  MemberView m_members;
  SynthesisTablesView m_t;
  std::uint32_t m_seed;
  std::uint64_t m_members_per_replicate;
  std::int32_t m_start_month;  ///< month index of the first simulated month

  PHSIM_HD void operator()(std::uint64_t index) const {
    const auto replicate = static_cast<std::uint32_t>(index / m_members_per_replicate);
    const auto id = static_cast<std::uint32_t>(index % m_members_per_replicate);

    // Stratified placement: binary search of id in contract_begin.
    std::uint32_t lo = 0, hi = m_t.n_contracts - 1;
    while (lo < hi) {
      const std::uint32_t mid = (lo + hi + 1) / 2;
      if (m_t.contract_begin[mid] <= id) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    const std::uint32_t contract = lo;
    const std::uint32_t county = m_t.contract_county[contract];

    const Philox rng(m_seed, RngStream::Synthesis, id, 0u, replicate);
    const RandomBlock b0 = rng.block(0);
    const RandomBlock b1 = rng.block(1);

    const std::uint32_t band = sample_cumulative(m_t.age_cum, m_t.n_age_bands, b0.v[0]);
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
    m_members.enrollment[index] = kEnrolled;
  }
};

}  // namespace phsim
