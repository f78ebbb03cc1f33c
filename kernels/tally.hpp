#pragma once
/// @file Year-end tally of one member: measure denominators and numerators by (contract,
/// measure) and (county, measure, race group), and the member's remaining year accumulators
/// (member-months, ED visits, inpatient days, cost) by contract. The reduction over members is
/// backend-specific (sim/tally_cpu.cpp, sim/tally_cuda.cu); this is the science they share.
#include <cstdint>
#include <limits>

#include "kernels/dynamics.hpp"
#include "kernels/measures.hpp"
#include "kernels/member.hpp"
#include "kernels/step_tables.hpp"
#include "kernels/synthesis.hpp"

namespace phsim {

/// Shapes of the tally arrays (all row-major):
///   measure cells [replicate][contract][measure][2]        (0 = denominator, 1 = numerator)
///   group cells   [replicate][county][measure][race][2]
///   event cells   [replicate][contract][kEventFieldCount]
struct TallyShape {
  std::uint32_t replicates, contracts, counties, measures;
  std::uint64_t capacity;  ///< slots per replicate
  std::int32_t december;   ///< month index of December of the measurement year

  PHSIM_HD std::uint64_t measure_cell(std::uint32_t r, std::uint32_t contract, std::uint32_t k) const {
    return ((static_cast<std::uint64_t>(r) * contracts + contract) * measures + k) * 2;
  }
  PHSIM_HD std::uint64_t group_cell(std::uint32_t r, std::uint32_t county, std::uint32_t k,
                                    std::uint32_t race) const {
    return (((static_cast<std::uint64_t>(r) * counties + county) * measures + k) * kRaceCount + race) * 2;
  }
  PHSIM_HD std::uint64_t event_cell(std::uint32_t r, std::uint32_t contract) const {
    return (static_cast<std::uint64_t>(r) * contracts + contract) * kEventFieldCount;
  }
  std::uint64_t measure_cells() const { return static_cast<std::uint64_t>(replicates) * contracts * measures * 2; }
  std::uint64_t group_cells() const {
    return static_cast<std::uint64_t>(replicates) * counties * measures * kRaceCount * 2;
  }
  std::uint64_t event_cells() const { return static_cast<std::uint64_t>(replicates) * contracts * kEventFieldCount; }
};

/// For each member, the measures the member can count in at year end, so the tally reads no
/// other state byte (the skipped ones would evaluate to nothing):
///  - follow-up measures count the events of the year, whatever the member is at its end;
///  - every other kind needs continuous enrollment;
///  - milestone measures count a milestone reached during the year, so the age at Dec 31 is
///    within 11 months after a milestone age;
///  - the rest count the population by age at Dec 31, sex and conditions (in_population).
/// Built on the host (make_tally_masks) and copied whole to the backend's memory.
struct TallyMasks {
  std::uint32_t any_enrollment = 0;  ///< measures counted without continuous enrollment
  /// Measures counted for continuously enrolled members, by age at Dec 31 in whole years
  /// (capped at kMaxAgeYears) and sex: [years * 2 + female] ...
  std::uint32_t by_age_sex[(kMaxAgeYears + 1) * 2] = {};
  std::uint32_t by_conditions[64] = {};  ///< ... and by condition bits

  PHSIM_HD std::uint32_t countable(int age_dec_months, bool female, std::uint8_t conditions,
                                   bool continuously_enrolled_year) const {
    if (!continuously_enrolled_year) return any_enrollment;
    int years = age_dec_months < 0 ? 0 : age_dec_months / 12;
    if (years > kMaxAgeYears) years = kMaxAgeYears;
    return any_enrollment | (by_age_sex[years * 2 + (female ? 1 : 0)] & by_conditions[conditions & 63u]);
  }
};

/// The masks of the `n` measures `specs`.
inline TallyMasks make_tally_masks(const MeasureSpec* specs, std::uint32_t n) {
  TallyMasks t;
  for (std::uint32_t k = 0; k < n; ++k) {
    const MeasureSpec& s = specs[k];
    const std::uint32_t bit = 1u << k;
    if (s.kind == MeasureKind::Followup) {
      t.any_enrollment |= bit;
      continue;
    }
    const bool milestone = s.kind == MeasureKind::CountInWindow && s.anchor == Anchor::Milestone;
    // Does any age at Dec 31 in [lo, hi] months count?
    const auto counts_between = [&](int lo, int hi) {
      if (!milestone) return lo <= s.age_hi && hi >= s.age_lo;
      for (int j = 0; j < s.n_milestones; ++j) {
        if (lo <= s.milestones[j] + 11 && hi >= s.milestones[j]) return true;
      }
      return false;
    };
    for (int years = 0; years <= kMaxAgeYears; ++years) {
      const int hi = years == kMaxAgeYears ? std::numeric_limits<int>::max() : years * 12 + 11;
      if (!counts_between(years * 12, hi)) continue;
      for (int female = 0; female < 2; ++female) {
        if (!milestone && s.sex == SexFilter::Female && !female) continue;
        if (!milestone && s.sex == SexFilter::Male && female) continue;
        t.by_age_sex[years * 2 + female] |= bit;
      }
    }
    for (std::uint32_t c = 0; c < 64; ++c) {
      if (milestone || s.condition == Condition::None || (c & condition_bit(s.condition))) {
        t.by_conditions[c] |= bit;
      }
    }
  }
  return t;
}

/// What the tally kernel reads about the measures, in the backend's memory (two pointers, so
/// the functor stays small: a GPU thread would copy a by-value table to its stack).
struct TallyMeasures {
  const MeasureSpec* specs;  ///< [TallyShape::measures]
  const TallyMasks* masks;
};

/// Adds a living member's year accumulators (not yet credited) to the event cells of its
/// contract in `sink` (see tally_member).
template <class Sink>
PHSIM_HD void tally_member_events(const MemberView& m, const TallyShape& shape, std::uint64_t i,
                                  std::uint32_t r, Sink& sink) {
  const std::uint64_t ev = shape.event_cell(r, m.contract[i]);
  const int months = months_enrolled(m.enrolled_months[i]) - m.months_flushed[i];
  sink.add_any(2, ev + kEvMemberMonths, months > 0 ? static_cast<unsigned long long>(months) : 0ull);
  sink.add_any(2, ev + kEvEdVisits, m.year_ed_visits[i]);
  sink.add_any(2, ev + kEvInpatientDays, m.year_inpatient_days[i]);
  sink.add_any(2, ev + kEvCostUsd, m.year_cost_usd[i]);
  sink.add_any(2, ev + kEvCapitationCents, m.year_capitation_cents[i]);
  sink.add_any(2, ev + kEvProgramCostCents, m.year_program_cost_cents[i]);
  sink.add_any(2, ev + kEvPalliativeEnrollees, (m.clinical[i] & kPalliative) ? 1ull : 0ull);
}

/// Adds one member's year-end contributions into `sink`, which provides
/// `add(array, index, value)` for array 0 = measure cells, 1 = group cells, 2 = event cells;
/// `add_any(array, index, value)`, the same for a value that is often 0 (skipped, or added
/// where a branch would cost more than the add); and `together(mask)`: the union of the masks
/// of the members reduced at the same time (a GPU warp's lanes; on the CPU the member's own).
/// The members walk that union in step, each evaluating only its own measures, so their adds
/// to one cell arrive together and combine.
template <class Sink>
PHSIM_HD void tally_member(const MemberView& m, const TallyMeasures& measures,
                           const TallyShape& shape, std::uint64_t i, Sink& sink) {
  if (!(m.status[i] & kAlive)) return;  // empty slots and members who died (already flushed)
  const auto r = static_cast<std::uint32_t>(i / shape.capacity);
  const std::uint32_t contract = m.contract[i];
  tally_member_events(m, shape, i, r, sink);

  const bool ce = continuously_enrolled(m.enrolled_months[i]);
  const int age_dec = shape.december - m.birth_month[i];
  const bool female = m.sex[i] == static_cast<std::uint8_t>(Sex::Female);
  const std::uint8_t conditions = m.conditions[i];
  const std::uint32_t countable = measures.masks->countable(age_dec, female, conditions, ce);
  if (!countable) return;
  std::uint32_t walk = sink.together(countable);
  // The member's cells of measure 0; measure k's are 2 k and 2 k kRaceCount further.
  const std::uint64_t c0 = shape.measure_cell(r, contract, 0);
  const std::uint64_t g0 = shape.group_cell(r, m.county[i], 0, m.race[i]);
  do {
    const std::uint32_t k = lowest_set_bit(walk);
    walk &= walk - 1u;
    if (!(countable & (1u << k))) continue;
    const MeasureOutcome o = evaluate_measure(measures.specs[k], m.measure_state[k * m.stride + i],
                                              age_dec, female, conditions, ce);
    if (o.den == 0) continue;
    const std::uint64_t c = c0 + 2ull * k;
    const std::uint64_t g = g0 + 2ull * kRaceCount * k;
    sink.add(0, c, o.den);
    sink.add(1, g, o.den);
    sink.add_any(0, c + 1, o.num);
    sink.add_any(1, g + 1, o.num);
  } while (walk);
}

/// A sink over thread-private arrays (plain adds).
struct LocalTallySink {
  unsigned long long* arrays[3];
  void add(int array, std::uint64_t index, unsigned long long value) { arrays[array][index] += value; }
  void add_any(int array, std::uint64_t index, unsigned long long value) { add(array, index, value); }
  std::uint32_t together(std::uint32_t mask) const { return mask; }
};

}  // namespace phsim
