#pragma once
/// @file Newborns of enrolled mothers: enrolled from birth in the mother's plan, county, practice,
/// race and language. Sex from stream Birth, counter (newborn id, month, replicate, 0), word 0.
/// The birth month is the newborn's first month: its services (age 0) are drawn here, as the
/// step would for any other member.
#include <cstdint>

#include "kernels/dynamics.hpp"
#include "kernels/measures.hpp"
#include "kernels/member.hpp"
#include "kernels/rng.hpp"
#include "kernels/step_tables.hpp"

namespace phsim {

/// Creates newborn k of this month from mother mothers[k] into slot slots[k] with id ids[k].
struct InitNewborn {
  MemberView m_m;
  const StepTablesView* m_tables;  ///< [replicate]
  const std::uint64_t* m_mothers;
  const std::uint64_t* m_slots;
  const std::uint32_t* m_ids;
  std::uint32_t m_seed;
  std::uint64_t m_capacity;
  std::int32_t m_month;

  PHSIM_HD void operator()(std::uint64_t k) const {
    const MemberView& m = m_m;
    const std::uint64_t mother = m_mothers[k], i = m_slots[k];
    const auto replicate = static_cast<std::uint32_t>(i / m_capacity);
    const StepTablesView& t = m_tables[replicate];
    const std::uint32_t id = m_ids[k];
    const Philox rng(m_seed, RngStream::Birth, id, static_cast<std::uint32_t>(m_month), t.rng_replicate);
    const bool female = below(rng.block(0).v[0], t.newborn_female_thr);
    m.member_id[i] = id;
    m.contract[i] = m.contract[mother];
    m.county[i] = m.county[mother];
    m.practice[i] = m.practice[mother];
    m.birth_month[i] = static_cast<std::int16_t>(m_month);
    m.sex[i] = static_cast<std::uint8_t>(female ? Sex::Female : Sex::Male);
    m.race[i] = m.race[mother];
    m.language[i] = m.language[mother];
    m.aid[i] = static_cast<std::uint8_t>(AidCategory::Child);
    m.status[i] = static_cast<std::uint8_t>(kAlive | kEnrolled |
                                            (m.status[mother] & kDefaultAssigned));
    clear_year_accumulators(m, i);
    m.enrolled_months[i] = static_cast<std::uint16_t>(1u << (m_month % 12));
    m.conditions[i] = 0;
    m.clinical[i] = 0;
    m.pregnancy[i] = 0;
    // The birth month is an enrolled month: its base cost and capitation are due.
    m.year_cost_usd[i] = t.base_cost_usd[static_cast<int>(AidCategory::Child)];
    m.year_capitation_cents[i] = t.capitation_cents[static_cast<int>(AidCategory::Child)];
    clear_measure_states(m, t, i);
    const int moy = m_month % 12;
    const MeasureContext ctx{0, 11 - moy, true, female, 0, 0, 0};
    update_member_measures(m, t, i, ctx, m_seed, m_month, t.rng_replicate);
  }
};

}  // namespace phsim
