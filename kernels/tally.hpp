#pragma once
/// @file Year-end tally of one member: measure denominators and numerators by (contract,
/// measure) and (county, measure, race group), and the member's remaining year accumulators
/// (member-months, ED visits, inpatient days, cost) by contract. The reduction over members is
/// backend-specific (sim/tally_cpu.cpp, sim/tally_cuda.cu); this is the science they share.
#include <cstdint>

#include "kernels/dynamics.hpp"
#include "kernels/measures.hpp"
#include "kernels/member.hpp"
#include "kernels/step_tables.hpp"

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

/// Adds one member's year-end contributions into `sink`, which provides
/// `add(array, index, value)` for array 0 = measure cells, 1 = group cells, 2 = event cells.
template <class Sink>
PHSIM_HD void tally_member(const MemberView& m, const MeasureSpec* specs, const TallyShape& shape,
                           std::uint64_t i, Sink& sink) {
  if (!(m.status[i] & kAlive)) return;  // empty slots and members who died (already flushed)
  const auto r = static_cast<std::uint32_t>(i / shape.capacity);
  const std::uint32_t contract = m.contract[i];
  const std::uint64_t ev = shape.event_cell(r, contract);
  const int months = months_enrolled(m.enrolled_months[i]) - m.months_flushed[i];
  if (months > 0) sink.add(2, ev + kEvMemberMonths, static_cast<unsigned long long>(months));
  if (m.year_ed_visits[i]) sink.add(2, ev + kEvEdVisits, m.year_ed_visits[i]);
  if (m.year_inpatient_days[i]) sink.add(2, ev + kEvInpatientDays, m.year_inpatient_days[i]);
  if (m.year_cost_usd[i]) sink.add(2, ev + kEvCostUsd, m.year_cost_usd[i]);
  if (m.year_capitation_cents[i]) sink.add(2, ev + kEvCapitationCents, m.year_capitation_cents[i]);
  if (m.year_program_cost_cents[i]) sink.add(2, ev + kEvProgramCostCents, m.year_program_cost_cents[i]);
  if (m.clinical[i] & kPalliative) sink.add(2, ev + kEvPalliativeEnrollees, 1ull);

  const bool ce = continuously_enrolled(m.enrolled_months[i]);
  const int age_dec = shape.december - m.birth_month[i];
  const bool female = m.sex[i] == static_cast<std::uint8_t>(Sex::Female);
  const std::uint8_t conditions = m.conditions[i];
  const std::uint32_t county = m.county[i], race = m.race[i];
  for (std::uint32_t k = 0; k < shape.measures; ++k) {
    const MeasureOutcome o =
        evaluate_measure(specs[k], m.measure_state[k * m.stride + i], age_dec, female, conditions, ce);
    if (o.den == 0) continue;
    const std::uint64_t c = shape.measure_cell(r, contract, k);
    const std::uint64_t g = shape.group_cell(r, county, k, race);
    sink.add(0, c, o.den);
    sink.add(1, g, o.den);
    if (o.num) {
      sink.add(0, c + 1, o.num);
      sink.add(1, g + 1, o.num);
    }
  }
}

/// A sink over thread-private arrays (plain adds).
struct LocalTallySink {
  unsigned long long* arrays[3];
  void add(int array, std::uint64_t index, unsigned long long value) { arrays[array][index] += value; }
};

}  // namespace phsim
