#pragma once
/// @file State before the first simulated month: conditions at their prevalence, control states
/// and pregnancies at their steady state, and the service history that measures with windows
/// reaching back before the start need (age windows, lookbacks, pending prenatal follow-up).
/// Without it the first simulated years would under-count every multi-year measure.
///
/// Random words: stream History, counter (member_id, 0, replicate, block):
///   block 0: w0..w3 prevalence of conditions 1..4
///   block 1: w0, w1 prevalence of conditions 5, 6; w2 serious-illness type; w3 pregnancy
///   block 2: w0 blood-pressure state, w1 HbA1c state
///   blocks 3..14: enrollment in the 48 months before the start (most recent first): the
///            two-state churn chain run backwards from the member's status. Adults: the chain
///            is reversible, so backward steps use the forward probabilities. Children: newborns
///            of members are enrolled at birth, so the backward steps are those of the chain
///            bridged to "enrolled at birth" (tables from the host).
///   blocks 16 + 16k .. 31 + 16k: measure k, one word per month of history (most recent first)
#include <cstdint>

#include "kernels/dynamics.hpp"
#include "kernels/measures.hpp"
#include "kernels/member.hpp"
#include "kernels/step_tables.hpp"

namespace phsim {

/// Months of enrollment and service history drawn before the start (longest window: 48).
inline constexpr std::uint32_t kHistoryMonths = 48;

struct HistoryTablesView {
  const std::uint64_t* prevalence_thr;  ///< [kConditionCount][kMaxAgeYears + 1]
  /// P(enrolled at age t - 1 months | state at age t, enrolled at birth), index t - 1 in
  /// [0, kHistoryMonths): given enrolled at t, and given not enrolled at t.
  const std::uint64_t* bridge_in_thr;
  const std::uint64_t* bridge_out_thr;
  std::uint64_t bp_controlled_thr;      ///< steady-state share with controlled blood pressure
  std::uint64_t a1c_poor_thr;           ///< steady-state share with HbA1c > 9
  std::uint32_t history_measures;       ///< history_measure_mask() of the measures
};

/// Bit k set for each measure k whose state before the start can depend on the service
/// history: lookback screenings, counts in age windows and since a birthday, and prenatal
/// follow-up pending at the start. The others start from empty_measure_state().
PHSIM_HD inline std::uint32_t history_measure_mask(const MeasureSpec* specs, std::uint32_t n) {
  std::uint32_t mask = 0;
  for (std::uint32_t k = 0; k < n; ++k) {
    const MeasureSpec& s = specs[k];
    const bool counts = s.kind == MeasureKind::CountInWindow &&
                        (s.window == WindowKind::Lookback || s.window == WindowKind::AgeMonths ||
                         s.window == WindowKind::SinceBirthday);
    const bool prenatal = s.kind == MeasureKind::Followup && s.trigger == Trigger::PrenatalStart;
    if (counts || prenatal) mask |= 1u << k;
  }
  return mask;
}

/// Enrollment in the months before the start: the two-state churn chain run backwards from the
/// member's status, month j back from month j - 1 on word 12 + (j - 1). Months are drawn on
/// first use, each once, so a member whose service history looks back k months draws k months
/// of the chain (many draw few or none), and the bits are those of the whole chain.
class EnrollmentHistory {
 public:
  PHSIM_HD EnrollmentHistory(const Philox& rng, const HistoryTablesView& h, const StepTablesView& t,
                             bool enrolled_now, int age_months)
      : m_words(rng),
        m_bridge_in_thr(h.bridge_in_thr),
        m_bridge_out_thr(h.bridge_out_thr),
        m_disenroll_thr(t.disenroll_thr),
        m_reenroll_thr(t.reenroll_thr),
        m_in(enrolled_now),
        m_age_months(age_months) {}

  /// Enrolled j months before the start, 1 <= j <= kHistoryMonths (never before birth).
  PHSIM_HD bool enrolled(std::uint32_t j) {
    while (m_drawn < j) draw_next();
    return (m_bits >> (j - 1)) & 1u;
  }

 private:
  PHSIM_HD void draw_next() {
    const std::uint32_t j = ++m_drawn;
    const int age_then = m_age_months - static_cast<int>(j);  // age in the month j back
    if (age_then < 0) {  // before birth: this month and every earlier one unenrolled
      m_drawn = kHistoryMonths;
      return;
    }
    const std::uint32_t x = m_words.word(12 + (j - 1));
    if (age_then + 1 <= static_cast<int>(kHistoryMonths)) {
      m_in = below(x, (m_in ? m_bridge_in_thr : m_bridge_out_thr)[age_then]);
    } else {
      m_in = m_in ? !below(x, m_disenroll_thr) : below(x, m_reenroll_thr);
    }
    if (m_in) m_bits |= 1ull << (j - 1);
  }

  // Copies, not references: a reference to the functor's own tables would make the device
  // copy the whole functor out of its parameter space.
  BlockWords m_words;
  const std::uint64_t* m_bridge_in_thr;
  const std::uint64_t* m_bridge_out_thr;
  std::uint64_t m_disenroll_thr;
  std::uint64_t m_reenroll_thr;
  bool m_in;                  ///< enrolled in the month m_drawn back (m_drawn = 0: now)
  int m_age_months;           ///< age at the start, months
  std::uint32_t m_drawn = 0;  ///< months back drawn so far
  std::uint64_t m_bits = 0;   ///< bit j - 1: enrolled j months back
};

/// Conditions of a living member at the start: each at its prevalence by age, on words 0-3 of
/// the member's History block 0 and words 0-1 of block 1.
PHSIM_HD inline std::uint8_t start_conditions(const RandomBlock& b0, const RandomBlock& b1,
                                              const std::uint64_t* prevalence_thr, int age) {
  const std::uint32_t words[kConditionCount] = {b0.v[0], b0.v[1], b0.v[2], b0.v[3], b1.v[0], b1.v[1]};
  std::uint8_t conditions = 0;
  for (int c = 1; c <= kConditionCount; ++c) {
    if (below(words[c - 1], prevalence_thr[(c - 1) * (kMaxAgeYears + 1) + age])) {
      conditions |= condition_bit(static_cast<Condition>(c));
    }
  }
  return conditions;
}

/// Whole years of a member's age at the start month, as the history indexes its tables.
PHSIM_HD inline int start_age_years(const MemberView& m, std::uint64_t i, std::int32_t start_month) {
  const int age = (start_month - m.birth_month[i]) / 12;
  return age > kMaxAgeYears ? kMaxAgeYears : age;
}

/// Initializes the dynamic fields of every slot (empty slots get zeros), the measure states
/// excepted: the caller first fills each measure's array with its empty_measure_state (one
/// fill streams through an array; writing every array slot by slot did not), and this writes
/// the states that the service history changes.
struct InitializeHistory {
  MemberView m_m;
  const StepTablesView* m_tables;  ///< [replicate]
  HistoryTablesView m_h;
  std::uint32_t m_seed;
  std::uint64_t m_capacity;
  std::int32_t m_start_month;  ///< month index of the first simulated month (a January)

  PHSIM_HD void operator()(std::uint64_t i) const {
    const MemberView& m = m_m;
    const auto replicate = static_cast<std::uint32_t>(i / m_capacity);
    const StepTablesView& t = m_tables[replicate];
    clear_year_accumulators(m, i);
    m.conditions[i] = 0;
    m.clinical[i] = 0;
    m.pregnancy[i] = 0;
    if (!(m.status[i] & kAlive)) return;

    const Philox rng(m_seed, RngStream::History, m.member_id[i], 0u, t.rng_replicate);
    const RandomBlock b0 = rng.block(0), b1 = rng.block(1), b2 = rng.block(2);
    const int age_months = m_start_month - m.birth_month[i];
    const int age = start_age_years(m, i, m_start_month);
    const bool female = m.sex[i] == static_cast<std::uint8_t>(Sex::Female);

    const std::uint8_t conditions = start_conditions(b0, b1, m_h.prevalence_thr, age);
    std::uint8_t clinical = 0;
    if (conditions & condition_bit(Condition::SeriousIllness)) {
      clinical |= static_cast<std::uint8_t>(
          sample_cumulative(t.serious_type_cum, kSeriousTypeCount, b1.v[2]) << kSeriousTypeShift);
    }
    if (below(b2.v[0], m_h.bp_controlled_thr)) clinical |= kBpControlled;
    if (below(b2.v[1], m_h.a1c_poor_thr)) clinical |= kA1cPoor;
    m.conditions[i] = conditions;
    m.clinical[i] = clinical;

    // Each of the 12 pregnancy and postpartum months is occupied with probability ~ the monthly
    // conception hazard h: state = 1 + floor(x / h) when x < 12 h.
    std::uint8_t preg = 0;
    const std::uint64_t h = female ? t.conception_thr[age] : 0;
    if (h > 0 && static_cast<std::uint64_t>(b1.v[3]) < 12 * h) {
      preg = static_cast<std::uint8_t>(1 + static_cast<std::uint64_t>(b1.v[3]) / h);
    }
    m.pregnancy[i] = preg;

    // Enrollment history, drawn only as far back as the service history asks.
    EnrollmentHistory history(rng, m_h, t, (m.status[i] & kEnrolled) != 0, age_months);

    // Service history in the months the member was enrolled, for the measures that have one
    // (the others keep their empty_measure_state, which the caller filled in).
    const std::uint64_t row =
        service_index(0, m.contract[i], m.race[i], t.practice_tier[m.practice[i]], t.n_measures);
    const int age_dec_prev = age_months - 1;  // age at Dec 31 of the year before the start
    for (std::uint32_t left = m_h.history_measures; left; left &= left - 1u) {
      const std::uint32_t k = lowest_set_bit(left);
      const MeasureSpec& s = t.measures[k];
      const std::uint64_t thr = service_threshold(t.service_thr[row + k]);
      const std::uint32_t base_word = 4 * (16 + 16 * k);
      BlockWords words(rng);
      auto served = [&](std::uint32_t j) {  // j = 1: the month before the start
        return j <= kHistoryMonths && history.enrolled(j) && below(words.word(base_word + (j - 1)), thr);
      };
      std::uint8_t& state = m.measure_state[k * m.stride + i];
      if (s.kind == MeasureKind::Followup) {
        if (preg >= 1 && preg <= kGestationMonths && in_population(s, age_months, female, conditions)) {
          state = below(words.word(base_word), thr) ? kFollowupPending : 0;
        }
      } else if (s.window == WindowKind::Lookback) {
        if (in_population(s, age_dec_prev, female, conditions)) {
          for (std::uint32_t j = 1; j <= s.lookback_months && j <= kHistoryMonths; ++j) {
            if (served(j)) {
              state = static_cast<std::uint8_t>(j - 1);
              break;
            }
          }
        }
      } else {
        int lo = s.window_lo, hi = s.window_hi;
        if (s.window == WindowKind::SinceBirthday) {
          // Services since the last birthday before this month (a birthday this month is
          // judged by the first step on the months before it).
          lo = age_months - 1 - (age_months - 1 + 12) % 12;
          hi = s.n_milestones ? s.milestones[s.n_milestones - 1] : 0;
        }
        std::uint8_t count = 0;
        // Months of age a in [lo, min(age_months, hi)) lie j = age_months - a months back; only
        // the last kHistoryMonths of them have a history.
        const int oldest = age_months - static_cast<int>(kHistoryMonths);
        for (int a = lo > oldest ? lo : oldest; a < age_months && a < hi; ++a) {
          const auto j = static_cast<std::uint32_t>(age_months - a);
          if (served(j) && count < kCountMask) ++count;
        }
        state = count;
      }
    }
  }
};

}  // namespace phsim
