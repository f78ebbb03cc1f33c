#pragma once
/// @file The fused monthly step: everything that happens to one member in one month, in one
/// functor (DESIGN.md §3-§6). The loop over members lives in sim/engine.cu.
///
/// Random words: stream Dynamics, counter (member_id, month, replicate, block), blocks drawn
/// only when needed, each decision on a fixed word:
///   block 0: w0 death, w1 disenrollment / re-enrollment, w2 condition onset or remission,
///            w3 ED visit
///   block 1: w0 inpatient admission, w1 conception, w2 blood-pressure transition,
///            w3 HbA1c transition
///   block 2: w0 mental-health ED visit, w1 substance-use ED visit, w2 length of stay,
///            w3 serious-illness type
///   block 3: w0 default assignment vs choice, w1 plan, w2 aid category at 19 and 65,
///            w3 control state of a new hypertension or diabetes
/// Services use stream Service (kernels/measures.hpp).
///
/// Order within a month: (January: start a new measurement year) → death → enrollment churn and
/// plan choice → aging → enrolled-month bit → condition onset/remission, control transitions →
/// pregnancy and delivery → utilization and cost → measures.
#include <cstdint>

#include "kernels/atomic.hpp"
#include "kernels/interventions.hpp"
#include "kernels/measures.hpp"
#include "kernels/member.hpp"
#include "kernels/platform.hpp"
#include "kernels/rng.hpp"
#include "kernels/step_tables.hpp"

namespace phsim {

/// Number of set bits among the 12 month bits.
PHSIM_HD inline int months_enrolled(std::uint16_t mask) { return count_set_bits(mask & 0x0fffu); }

/// Lazily drawn blocks of the Dynamics stream.
class DynamicsDraws {
 public:
  PHSIM_HD DynamicsDraws(std::uint32_t seed, std::uint32_t member_id, std::uint32_t month,
                         std::uint32_t replicate)
      : m_rng(seed, RngStream::Dynamics, member_id, month, replicate) {}
  PHSIM_HD std::uint32_t word(int block, int w) {
    if (!(m_have & (1u << block))) {
      m_buf[block] = m_rng.block(static_cast<std::uint32_t>(block));
      m_have |= 1u << block;
    }
    return m_buf[block].v[w];
  }
  /// Supplies block `block`, computed elsewhere (the CPU computes a tile's blocks together).
  PHSIM_HD void provide(int block, const RandomBlock& b) {
    m_buf[block] = b;
    m_have |= 1u << block;
  }

 private:
  Philox m_rng;
  RandomBlock m_buf[4];  // block b is valid when bit b of m_have is set
  std::uint32_t m_have = 0;
};

PHSIM_HD inline bool below(std::uint32_t x, std::uint64_t threshold) {
  return static_cast<std::uint64_t>(x) < threshold;
}

/// Credits a member's year accumulators (not yet credited) to event counters of `contract` and
/// clears them; used before a plan change, at death and by the year-end tally.
PHSIM_HD inline void flush_year_accumulators(const MemberView& m, std::uint64_t i,
                                             unsigned long long* contract_events) {
  const int months = months_enrolled(m.enrolled_months[i]) - m.months_flushed[i];
  if (months > 0) atomic_add(&contract_events[kEvMemberMonths], static_cast<unsigned long long>(months));
  if (m.year_ed_visits[i]) atomic_add(&contract_events[kEvEdVisits], m.year_ed_visits[i]);
  if (m.year_inpatient_days[i]) atomic_add(&contract_events[kEvInpatientDays], m.year_inpatient_days[i]);
  if (m.year_cost_usd[i]) atomic_add(&contract_events[kEvCostUsd], m.year_cost_usd[i]);
  if (m.year_capitation_cents[i]) atomic_add(&contract_events[kEvCapitationCents], m.year_capitation_cents[i]);
  if (m.year_program_cost_cents[i]) atomic_add(&contract_events[kEvProgramCostCents], m.year_program_cost_cents[i]);
  m.months_flushed[i] = static_cast<std::uint8_t>(months_enrolled(m.enrolled_months[i]));
  m.year_ed_visits[i] = 0;
  m.year_inpatient_days[i] = 0;
  m.year_cost_usd[i] = 0;
  m.year_capitation_cents[i] = 0;
}

/// Zeroes a member's year accumulators (enrolled months and the counters the tally credits).
PHSIM_HD inline void clear_year_accumulators(const MemberView& m, std::uint64_t i) {
  m.enrolled_months[i] = 0;
  m.months_flushed[i] = 0;
  m.year_ed_visits[i] = 0;
  m.year_inpatient_days[i] = 0;
  m.year_cost_usd[i] = 0;
  m.year_capitation_cents[i] = 0;
  m.year_program_cost_cents[i] = 0;
}

/// A new measurement year for member i (January, before the month; the previous year was
/// tallied after December): year accumulators cleared, measure states carried over.
PHSIM_HD inline void start_measurement_year(const MemberView& m, const StepTablesView& t, std::uint64_t i) {
  clear_year_accumulators(m, i);
  for (std::uint32_t k = 0; k < t.n_measures; ++k) {
    m.measure_state[k * m.stride + i] = new_year_state(t.measures[k], m.measure_state[k * m.stride + i]);
  }
}

/// State of measure k (of the n in `specs`) of a member with no history: 0, or "none" for a
/// lookback measure.
PHSIM_HD inline std::uint8_t empty_measure_state(const MeasureSpec* specs, std::uint32_t n, std::uint32_t k) {
  return k < n && specs[k].window == WindowKind::Lookback ? kLookbackNone : 0;
}

/// Every measure state of a member with no history (empty_measure_state).
PHSIM_HD inline void clear_measure_states(const MemberView& m, const StepTablesView& t,
                                          std::uint64_t i) {
  for (std::uint32_t k = 0; k < kMaxMeasures; ++k) {
    m.measure_state[k * m.stride + i] = empty_measure_state(t.measures, t.n_measures, k);
  }
}

/// a + b, saturating at 2^32 - 1.
PHSIM_HD inline std::uint32_t saturating_add(std::uint32_t a, std::uint32_t b) {
  return a > 0xffffffffu - b ? 0xffffffffu : a + b;
}

PHSIM_HD inline void add_cost(const MemberView& m, std::uint64_t i, std::uint32_t usd) {
  m.year_cost_usd[i] = saturating_add(m.year_cost_usd[i], usd);
}

/// The measures whose state can change this month for a member in context `ctx`, as bits:
/// those of its age, sex and conditions; follow-ups only in a month with an event; those that
/// count enrolled months only while enrolled.
PHSIM_HD inline std::uint32_t relevant_measures(const StepTablesView& t, const MeasureContext& ctx) {
  int age = ctx.age_months / 12;
  if (age > kMaxAgeYears) age = kMaxAgeYears;
  std::uint32_t relevant = t.measure_age_mask[age * 2 + (ctx.female ? 1 : 0)] &
                           t.measure_condition_mask[ctx.conditions & 63u] &
                           ((1u << t.n_measures) - 1u);
  if (!ctx.events) relevant &= ~t.followup_mask;
  if (!ctx.enrolled) relevant &= ~t.enrolled_only_mask;
  return relevant;
}

/// What the measure walk of a member needs once the month's dynamics are done.
struct MeasureWork {
  MeasureContext ctx;
  std::uint32_t relevant = 0;  ///< relevant_measures(); 0: no walk this month
  std::uint8_t reach = 0;      ///< interventions reaching the member
};

/// One month of the measures in `w.relevant` of member i, in measure order (StepTablesView
/// masks), with service words from `services` (ServiceDraws or one with the same words);
/// `w.reach` holds the interventions reaching the member, whose effects shift the propensities.
template <class Services>
PHSIM_HD inline void update_member_measures(const MemberView& m, const StepTablesView& t,
                                            std::uint64_t i, const MeasureWork& w,
                                            Services& services) {
  std::uint32_t relevant = w.relevant;
  if (!relevant) return;
  const MeasureContext& ctx = w.ctx;
  const std::uint8_t reach = w.reach;
  // The member's row of service thresholds: [contract][race][tier][measure].
  const std::uint64_t row =
      service_index(0, m.contract[i], m.race[i], t.practice_tier[m.practice[i]], t.n_measures);
  std::uint8_t* const states = m.measure_state + i;
  do {
    const std::uint32_t k = lowest_set_bit(relevant);
    relevant &= relevant - 1u;
    std::uint8_t& state = states[k * m.stride];
    const std::uint8_t before = state;
    const std::uint32_t* const packed = t.service_thr + row + k;
    if (reach) {
      const auto threshold = [&]() {
        const double delta = measure_delta(t.iv, reach, k, t.measures[k], before);
        return delta != 0.0 ? shifted_threshold(t.iv.service_logit[row + k], delta)
                            : service_threshold(*packed);
      };
      state = update_measure(t.measures[k], before, ctx, threshold, k, services, t.reliever_fill_thr);
    } else {
      const auto threshold = [packed]() { return service_threshold(*packed); };
      state = update_measure(t.measures[k], before, ctx, threshold, k, services, t.reliever_fill_thr);
    }
  } while (relevant);
}

/// One month of every measure of member i that can change in context `ctx` (services drawn
/// from the Service stream).
PHSIM_HD inline void update_member_measures(const MemberView& m, const StepTablesView& t,
                                            std::uint64_t i, const MeasureContext& ctx,
                                            std::uint32_t seed, std::int32_t month,
                                            std::uint32_t replicate, std::uint8_t reach = 0) {
  const MeasureWork w{ctx, relevant_measures(t, ctx), reach};
  if (!w.relevant) return;
  ServiceDraws services(seed, m.member_id[i], static_cast<std::uint32_t>(month), replicate);
  update_member_measures(m, t, i, w, services);
}

/// Blocks of the Service stream (bit b: block b) that a walk over the measures in `relevant`
/// can read: block k / 4 of each measure k, and the reliever block when a Ratio measure is
/// among them (ServiceDraws). A superset: a measure draws only in some months.
PHSIM_HD inline std::uint32_t service_blocks(const StepTablesView& t, std::uint32_t relevant) {
  static_assert(kMaxMeasures % 4 == 0 && kMaxMeasures <= 28, "measure blocks and the reliever's fit 8 bits");
  std::uint32_t blocks = (relevant & t.ratio_mask) ? 1u << (kMaxMeasures / 4) : 0u;
  for (std::uint32_t b = 0; b < kMaxMeasures / 4; ++b) blocks |= ((relevant >> (4 * b)) & 15u) ? 1u << b : 0u;
  return blocks;
}

/// Advances every live member of every replicate by one month.
struct StepMember {
  MemberView m_m;
  const StepTablesView* m_tables;  ///< [replicate]
  unsigned long long* m_events;  ///< [replicate][contract][kEventFieldCount]
  std::uint32_t m_seed;
  std::uint64_t m_capacity;      ///< slots per replicate
  std::int32_t m_month;          ///< month index (months since 1900-01)
  int m_moy = m_month % 12;      ///< month of the year, 0 = January (derived; leave default)

  PHSIM_HD void operator()(std::uint64_t i) const {
    const MemberView& m = m_m;
    prefetch_measure_states(m, i, m_tables->n_measures);
    if (!(m.status[i] & kAlive)) return;
    const StepTablesView& t = tables(i);
    DynamicsDraws d(m_seed, m.member_id[i], static_cast<std::uint32_t>(m_month), t.rng_replicate);
    MeasureWork w;
    if (!advance(i, t, d, w)) return;
    ServiceDraws services(m_seed, m.member_id[i], static_cast<std::uint32_t>(m_month), t.rng_replicate);
    update_member_measures(m, t, i, w, services);
  }

  /// The replicate of slot i (no division in the first one).
  PHSIM_HD std::uint32_t replicate_of(std::uint64_t i) const {
    return i < m_capacity ? 0u : static_cast<std::uint32_t>(i / m_capacity);
  }
  /// The step tables of slot i's replicate.
  PHSIM_HD const StepTablesView& tables(std::uint64_t i) const { return m_tables[replicate_of(i)]; }

  /// The month of living member i up to its measures (death, churn, aging, conditions,
  /// pregnancy, utilization; member arrays updated), with words from `d`; sets `w` to what the
  /// measure walk needs and returns whether there is one (none after a death).
  PHSIM_HD bool advance(std::uint64_t i, const StepTablesView& t, DynamicsDraws& d, MeasureWork& w) const {
    const MemberView& m = m_m;
    std::uint8_t status = static_cast<std::uint8_t>(m.status[i] & ~kDeliveredThisMonth);
    const std::uint32_t replicate = replicate_of(i);
    const int moy = m_moy;
    const int age_months = m_month - m.birth_month[i];
    int age = age_months / 12;
    if (age > kMaxAgeYears) age = kMaxAgeYears;
    const bool female = m.sex[i] == static_cast<std::uint8_t>(Sex::Female);
    unsigned long long* events =
        m_events + (static_cast<std::uint64_t>(replicate) * t.n_contracts + m.contract[i]) * kEventFieldCount;

    if (moy == 0) start_measurement_year(m, t, i);

    std::uint8_t conditions = m.conditions[i];
    std::uint8_t clinical = m.clinical[i];
    const bool serious = conditions & condition_bit(Condition::SeriousIllness);

    // Death.
    if (below(d.word(0, 0), serious ? t.death_serious_thr[age] : t.death_thr[age])) {
      // Credit the year so far (also for a member who left earlier this year); count the
      // death only for members enrolled when they die.
      flush_year_accumulators(m, i, events);
      if (status & kEnrolled) atomic_add(&events[kEvDeaths], 1ull);
      if (m.clinical[i] & kPalliative) atomic_add(&events[kEvPalliativeEnrollees], 1ull);
      m.status[i] = 0;
      return false;
    }

    // Enrollment churn; re-enrollment is a new enrollment with a plan choice or a default
    // assignment (the policy engine sets the default shares).
    bool enrolled = status & kEnrolled;
    bool new_enrollment = false;
    if (enrolled) {
      if (below(d.word(0, 1), t.disenroll_thr)) {
        enrolled = false;
        status = static_cast<std::uint8_t>(status & ~(kEnrolled | kDefaultAssigned));
        atomic_add(&events[kEvDisenrolled], 1ull);
      }
    } else if (below(d.word(0, 1), t.reenroll_thr)) {
      const std::uint32_t county = m.county[i];
      const bool by_default = below(d.word(3, 0), t.default_thr[county]);
      const std::uint32_t first = t.contract_first[county];
      const std::uint32_t contract =
          first + sample_cumulative((by_default ? t.default_cum : t.choice_cum) + first,
                                    t.contract_count[county], d.word(3, 1));
      if (contract != m.contract[i]) {
        flush_year_accumulators(m, i, events);
        m.contract[i] = static_cast<std::uint16_t>(contract);
        events = m_events + (static_cast<std::uint64_t>(replicate) * t.n_contracts + contract) * kEventFieldCount;
      }
      enrolled = true;
      new_enrollment = true;
      status = static_cast<std::uint8_t>((status | kEnrolled) & ~kDefaultAssigned);
      if (by_default) status |= kDefaultAssigned;
      atomic_add(&events[by_default ? kEvDefaultAssigned : kEvChosePlan], 1ull);
    }

    // Aging into the adult (19) and senior (65) aid categories.
    if (age_months == 19 * 12 || age_months == 65 * 12) {
      m.aid[i] = static_cast<std::uint8_t>(
          sample_cumulative(t.aid_cum + t.aid_group_of_age[age] * kAidCount, kAidCount, d.word(3, 2)));
    }

    if (enrolled) m.enrolled_months[i] = static_cast<std::uint16_t>(m.enrolled_months[i] | (1u << moy));

    // Condition onset and remission: at most one change a month; the word falls in stacked
    // intervals, the onset hazard for each absent condition and the remission hazard for each
    // present one. A word at or above their sum (condition_change_thr) falls in none of them.
    const std::uint64_t x = d.word(0, 2);
    if (!t.condition_change_thr || x < t.condition_change_thr[condition_change_index(age, conditions)]) {
      std::uint64_t acc = 0;
      for (int c = 1; c <= kConditionCount; ++c) {
        const std::uint8_t bit = condition_bit(static_cast<Condition>(c));
        const bool has = conditions & bit;
        acc += has ? t.remission_thr[c - 1] : t.incidence_thr[(c - 1) * (kMaxAgeYears + 1) + age];
        if (x >= acc) continue;
        conditions ^= bit;
        // A new hypertension or diabetes starts in the chain's steady state.
        if (!has && c == static_cast<int>(Condition::Hypertension)) {
          clinical = static_cast<std::uint8_t>(below(d.word(3, 3), t.bp_controlled_thr)
                                                   ? (clinical | kBpControlled) : (clinical & ~kBpControlled));
        }
        if (!has && c == static_cast<int>(Condition::Diabetes)) {
          clinical = static_cast<std::uint8_t>(below(d.word(3, 3), t.a1c_poor_thr)
                                                   ? (clinical | kA1cPoor) : (clinical & ~kA1cPoor));
        }
        if (!has && c == static_cast<int>(Condition::SeriousIllness)) {
          const std::uint32_t type = sample_cumulative(t.serious_type_cum, kSeriousTypeCount, d.word(2, 3));
          clinical = static_cast<std::uint8_t>((clinical & ~kSeriousTypeMask) | (type << kSeriousTypeShift));
        }
        break;
      }
    }
    if (conditions & condition_bit(Condition::Hypertension)) {
      const bool controlled = clinical & kBpControlled;
      if (below(d.word(1, 2), controlled ? t.bp_to_uncontrolled_thr : t.bp_to_controlled_thr)) {
        clinical ^= kBpControlled;
      }
    }
    if (conditions & condition_bit(Condition::Diabetes)) {
      const bool poor = clinical & kA1cPoor;
      if (below(d.word(1, 3), poor ? t.a1c_to_ok_thr : t.a1c_to_poor_thr)) clinical ^= kA1cPoor;
    }

    // Pregnancy: gestation months 1..9, delivery at the end of month 9, postpartum 10..12.
    std::uint8_t events_this_month = 0;
    std::uint8_t preg = m.pregnancy[i] & kPregnancyStateMask;
    if (preg == kGestationMonths) {
      preg = kGestationMonths + 1;
      events_this_month |= trigger_bit(Trigger::Delivery);
      if (enrolled) {
        status |= kDeliveredThisMonth;
        atomic_add(&events[kEvBirths], 1ull);
        const std::uint32_t days = m.year_inpatient_days[i] + t.delivery_los_days;
        m.year_inpatient_days[i] = static_cast<std::uint16_t>(days > 0xffffu ? 0xffffu : days);
        add_cost(m, i, t.delivery_cost_usd + t.delivery_los_days * t.inpatient_day_cost_usd);
      }
    } else if (preg >= 1 && preg < kGestationMonths) {
      ++preg;
    } else if (preg > kGestationMonths) {
      preg = preg >= kPostpartumLast ? 0 : static_cast<std::uint8_t>(preg + 1);
    } else if (female && t.conception_thr[age] != 0 && below(d.word(1, 1), t.conception_thr[age])) {
      preg = 1;
      if (enrolled) events_this_month |= trigger_bit(Trigger::PrenatalStart);
    }
    if (new_enrollment && preg >= 1 && preg <= kGestationMonths) {
      events_this_month |= trigger_bit(Trigger::PrenatalStart);
    }
    m.pregnancy[i] = static_cast<std::uint8_t>((m.pregnancy[i] & ~kPregnancyStateMask) | preg);

    // Interventions reaching the member (enrolled members only).
    std::uint8_t reach = 0;
    if (enrolled && t.iv.n) {
      reach = reached_interventions(t.iv, m.contract[i], m.practice[i], conditions, m_seed,
                                    m.member_id[i], t.rng_replicate);
    }
    std::uint32_t program_cents = 0;
    double ed_delta = 0.0, ip_delta = 0.0;
    for (std::uint32_t k = 0; reach && k < t.iv.n; ++k) {
      if (!(reach & (1u << k))) continue;
      if (static_cast<InterventionKind>(t.iv.kind[k]) == InterventionKind::PalliativeCare) {
        // Seriously ill members enroll month by month and stay enrolled.
        if (!(clinical & kPalliative) && (conditions & condition_bit(Condition::SeriousIllness))) {
          const Philox rng(m_seed, RngStream::Intervention, m.member_id[i],
                           static_cast<std::uint32_t>(m_month), t.rng_replicate);
          if (below(rng.block(2).v[0], probability_threshold(t.iv.palliative_enrollment[k] * t.iv.scale[k]))) {
            clinical |= kPalliative;
          }
        }
        if (!(clinical & kPalliative)) continue;
      }
      ed_delta += t.iv.ed_log_or[k] * t.iv.scale[k];
      ip_delta += t.iv.inpatient_log_or[k] * t.iv.scale[k];
      program_cents += t.iv.cost_per_member_month_cents[k];
    }
    if (program_cents) m.year_program_cost_cents[i] = saturating_add(m.year_program_cost_cents[i], program_cents);

    // Utilization and cost while enrolled.
    if (enrolled) {
      std::uint32_t ed = 0;
      const int risk = ((conditions & condition_bit(Condition::MentalIllness)) ? 1 : 0) |
                       ((conditions & condition_bit(Condition::SubstanceUse)) ? 2 : 0) |
                       ((conditions & condition_bit(Condition::SeriousIllness)) ? 4 : 0);
      const std::uint64_t ed_thr = ed_delta != 0.0 ? shifted_threshold(t.iv.ed_logit[risk], ed_delta) : t.ed_thr[risk];
      if (below(d.word(0, 3), ed_thr)) ++ed;
      if ((risk & 1) && below(d.word(2, 0), t.ed_mental_health_thr)) {
        ++ed;
        events_this_month |= trigger_bit(Trigger::EdMentalHealth);
      }
      if ((risk & 2) && below(d.word(2, 1), t.ed_substance_use_thr)) {
        ++ed;
        events_this_month |= trigger_bit(Trigger::EdSubstanceUse);
      }
      std::uint32_t cost = t.base_cost_usd[m.aid[i]] + ed * t.ed_cost_usd;
      if (serious) cost += t.serious_monthly_cost_usd;
      const std::uint64_t ip_thr = ip_delta != 0.0 ? shifted_threshold(t.iv.inpatient_logit[serious ? 1 : 0], ip_delta)
                                                   : t.inpatient_thr[serious ? 1 : 0];
      if (below(d.word(1, 0), ip_thr)) {
        const std::uint32_t days = 1 + d.word(2, 2) % t.inpatient_los_span;
        const std::uint32_t total = m.year_inpatient_days[i] + days;
        m.year_inpatient_days[i] = static_cast<std::uint16_t>(total > 0xffffu ? 0xffffu : total);
        cost += days * t.inpatient_day_cost_usd;
      }
      const std::uint32_t visits = m.year_ed_visits[i] + ed;
      m.year_ed_visits[i] = static_cast<std::uint8_t>(visits > 255u ? 255u : visits);
      add_cost(m, i, cost);
      m.year_capitation_cents[i] = saturating_add(m.year_capitation_cents[i], t.capitation_cents[m.aid[i]]);
    }

    m.conditions[i] = conditions;
    m.clinical[i] = clinical;
    m.status[i] = status;

    // What the measures need.
    w.ctx = MeasureContext{age_months, m_month - moy + 11 - m.birth_month[i], enrolled, female,
                           conditions, clinical, events_this_month};
    w.relevant = relevant_measures(t, w.ctx);
    w.reach = reach;
    return w.relevant != 0;
  }
};

}  // namespace phsim
