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

/// Months of the enrollment chain drawn to know the first `months` months back of a member of
/// `age_months` at the start: none before birth (they are unenrolled).
PHSIM_HD inline std::uint32_t chain_months_drawn(std::uint32_t months, int age_months) {
  const std::uint32_t lived = age_months > 0 ? static_cast<std::uint32_t>(age_months) : 0u;
  return months < lived ? months : lived;
}

/// Enrollment in the months before the start: the two-state churn chain run backwards from the
/// member's status, month j back from month j - 1 on word 12 + (j - 1). Months are drawn on
/// first use, each once, so a member whose service history looks back k months draws k months
/// of the chain (many draw few or none), and the bits are those of the whole chain.
template <class Source = Philox>
class EnrollmentHistory {
 public:
  PHSIM_HD EnrollmentHistory(const Source& source, const HistoryTablesView& h, const StepTablesView& t,
                             bool enrolled_now, int age_months)
      : m_source(source),
        m_bridge_in_thr(h.bridge_in_thr),
        m_bridge_out_thr(h.bridge_out_thr),
        m_disenroll_thr(t.disenroll_thr),
        m_reenroll_thr(t.reenroll_thr),
        m_in(enrolled_now),
        m_age_months(age_months) {}

  /// Bit j - 1 set: enrolled j months before the start, for 1 <= j <= `months` (<=
  /// kHistoryMonths; never before birth); the bits of later months are those drawn so far.
  PHSIM_HD std::uint64_t through(std::uint32_t months) {
    if (m_drawn >= months) return m_bits;
    const std::uint32_t end = chain_months_drawn(months, m_age_months);
    // In locals, a block (4 months) at a time: the chain is serial, and members of the object
    // would go through memory between months.
    bool in = m_in;
    std::uint64_t bits = m_bits;
    for (std::uint32_t j = m_drawn; j < end;) {  // j: months drawn; month j + 1 on word 12 + j
      const RandomBlock b = m_source.block(3 + j / 4);
      for (std::uint32_t w = j % 4; w < 4 && j < end; ++w, ++j) {
        // Both next states first, then the member's: only a select waits on the month
        // before (no branch on a coin that is mispredicted often, no load that waits on it). A
        // child steps by the bridge's thresholds; an adult enrolled stays so unless below the
        // disenrollment threshold, one not enrolled joins if below reenrollment's.
        const int age_then = m_age_months - static_cast<int>(j + 1);
        const bool child = age_then + 1 <= static_cast<int>(kHistoryMonths);
        const int t = child ? age_then : 0;
        const bool if_in = child ? below(b.v[w], m_bridge_in_thr[t]) : !below(b.v[w], m_disenroll_thr);
        const bool if_out = below(b.v[w], child ? m_bridge_out_thr[t] : m_reenroll_thr);
        in = in ? if_in : if_out;
        bits |= static_cast<std::uint64_t>(in) << j;
      }
    }
    m_in = in;
    m_bits = bits;
    m_drawn = end < months ? kHistoryMonths : months;
    return bits;
  }

 private:
  const Source& m_source;
  // Copies, not references: a reference to the functor's own tables would make the device
  // copy the whole functor out of its parameter space.
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

/// What the service history of a living member depends on, drawn from History blocks 0-2.
struct HistoryStart {
  int age_months;  ///< age at the start month
  bool female;
  bool enrolled;   ///< enrolled in the start month (the chain runs back from it)
  std::uint8_t conditions;
  std::uint8_t pregnancy;
};

/// Draws the conditions, clinical states and pregnancy of living member i at the start from its
/// History blocks 0-2 and writes them; returns what its service history depends on.
PHSIM_HD inline HistoryStart start_member(const MemberView& m, std::uint64_t i, const StepTablesView& t,
                                          const HistoryTablesView& h, std::int32_t start_month,
                                          const RandomBlock& b0, const RandomBlock& b1,
                                          const RandomBlock& b2) {
  HistoryStart st;
  st.age_months = start_month - m.birth_month[i];
  st.female = m.sex[i] == static_cast<std::uint8_t>(Sex::Female);
  st.enrolled = (m.status[i] & kEnrolled) != 0;
  const int age = start_age_years(m, i, start_month);
  st.conditions = start_conditions(b0, b1, h.prevalence_thr, age);
  std::uint8_t clinical = 0;
  if (st.conditions & condition_bit(Condition::SeriousIllness)) {
    clinical |= static_cast<std::uint8_t>(
        sample_cumulative(t.serious_type_cum, kSeriousTypeCount, b1.v[2]) << kSeriousTypeShift);
  }
  if (below(b2.v[0], h.bp_controlled_thr)) clinical |= kBpControlled;
  if (below(b2.v[1], h.a1c_poor_thr)) clinical |= kA1cPoor;
  m.conditions[i] = st.conditions;
  m.clinical[i] = clinical;

  // Each of the 12 pregnancy and postpartum months is occupied with probability ~ the monthly
  // conception hazard h: state = 1 + floor(x / h) when x < 12 h.
  st.pregnancy = 0;
  const std::uint64_t hz = st.female ? t.conception_thr[age] : 0;
  if (hz > 0 && static_cast<std::uint64_t>(b1.v[3]) < 12 * hz) {
    st.pregnancy = static_cast<std::uint8_t>(1 + static_cast<std::uint64_t>(b1.v[3]) / hz);
  }
  m.pregnancy[i] = st.pregnancy;
  return st;
}

/// The months before the start that a measure's state at the start depends on: j months back
/// for first <= j <= last (none when last < first), and whether only the enrolled ones count.
struct HistoryRange {
  std::uint32_t first = 1, last = 0;
  bool enrolled_only = true;
  PHSIM_HD bool empty() const { return last < first; }
  /// The blocks of the months' words, counted from the measure's first (4 months a block).
  PHSIM_HD std::uint32_t first_block() const { return (first - 1) / 4; }
  PHSIM_HD std::uint32_t blocks() const { return empty() ? 0 : (last - 1) / 4 - first_block() + 1; }
  /// Bits j - 1 of the months in the range.
  PHSIM_HD std::uint64_t mask() const {
    return empty() ? 0ull : (~0ull >> (64 - (last - first + 1))) << (first - 1);
  }
};

/// The range of months back that measure `s` (a bit of history_measure_mask) looks at for a
/// member starting as `st`: a lookback the months of its lookback, an age window the months
/// the member's age was in it, a since-birthday count those since the last birthday, a
/// prenatal follow-up the month before the start (pending at the start); only the last
/// kHistoryMonths months have a history.
PHSIM_HD inline HistoryRange history_range(const MeasureSpec& s, const HistoryStart& st) {
  HistoryRange r;
  const int age_months = st.age_months;
  if (s.kind == MeasureKind::Followup) {
    if (st.pregnancy >= 1 && st.pregnancy <= kGestationMonths &&
        in_population(s, age_months, st.female, st.conditions)) {
      r.last = 1;
      r.enrolled_only = false;
    }
  } else if (s.window == WindowKind::Lookback) {
    // The population at Dec 31 of the year before the start.
    if (in_population(s, age_months - 1, st.female, st.conditions)) {
      r.last = s.lookback_months < kHistoryMonths ? s.lookback_months : kHistoryMonths;
    }
  } else {
    int lo = s.window_lo, hi = s.window_hi;
    if (s.window == WindowKind::SinceBirthday) {
      // Services since the last birthday before this month (a birthday this month is judged
      // by the first step on the months before it).
      lo = age_months - 1 - (age_months - 1 + 12) % 12;
      hi = s.n_milestones ? s.milestones[s.n_milestones - 1] : 0;
    }
    // Months of age a in [lo, min(age_months, hi)) lie j = age_months - a months back; only
    // the last kHistoryMonths of them have a history.
    const int oldest = age_months - static_cast<int>(kHistoryMonths);
    const int a_first = lo > oldest ? lo : oldest;
    const int a_end = hi < age_months ? hi : age_months;
    if (a_first < a_end) {
      r.first = static_cast<std::uint32_t>(age_months - a_end + 1);
      r.last = static_cast<std::uint32_t>(age_months - a_first);
    }
  }
  return r;
}

/// First History block of measure k's service words (one word per month back, most recent first).
PHSIM_HD inline std::uint32_t history_measure_block(std::uint32_t k) { return 16 + 16 * k; }

/// Bit j - 1 set for each month j back among `months` in which the member was served (word
/// j - 1 of measure k's blocks below `thr`), block by block from the most recent; with
/// `first_only`, stops at the first block with one.
template <class Source>
PHSIM_HD std::uint64_t served_months(const Source& source, std::uint32_t k, std::uint64_t thr,
                                     std::uint64_t months, bool first_only) {
  std::uint64_t served = 0;
  for (std::uint64_t left = months; left;) {
    const std::uint32_t bit0 = lowest_set_bit64(left) & ~3u;  // first month of its block
    const RandomBlock b = source.block(history_measure_block(k) + bit0 / 4);
    std::uint64_t got = 0;
    for (std::uint32_t w = 0; w < 4; ++w) got |= static_cast<std::uint64_t>(below(b.v[w], thr)) << (bit0 + w);
    served |= got & months;
    if (first_only && served) break;
    left &= ~(0xfull << bit0);
  }
  return served;
}

/// history_range of each measure, computed where asked.
struct HistoryRanges {
  PHSIM_HD HistoryRange operator()(std::uint32_t, const MeasureSpec& s, const HistoryStart& st) const {
    return history_range(s, st);
  }
};

/// Writes the states before the start of living member i's measures that have a history
/// (HistoryTablesView::history_measures), from the member's History blocks in `source` (the
/// others keep the empty_measure_state the caller filled in); `ranges(k, spec, st)` gives
/// measure k's history_range (HistoryRanges, or ranges computed before).
template <class Source, class Ranges = HistoryRanges>
PHSIM_HD void write_history_states(const MemberView& m, std::uint64_t i, const StepTablesView& t,
                                   const HistoryTablesView& h, const HistoryStart& st,
                                   const Source& source, const Ranges& ranges = Ranges()) {
  // Enrollment history, drawn only as far back as the service history asks.
  EnrollmentHistory<Source> enrollment(source, h, t, st.enrolled, st.age_months);
  const std::uint64_t row =
      service_index(0, m.contract[i], m.race[i], t.practice_tier[m.practice[i]], t.n_measures);
  for (std::uint32_t left = h.history_measures; left; left &= left - 1u) {
    const std::uint32_t k = lowest_set_bit(left);
    const MeasureSpec& s = t.measures[k];
    const HistoryRange r = ranges(k, s, st);
    if (r.empty()) continue;  // the empty state
    std::uint8_t& state = m.measure_state[k * m.stride + i];
    const bool counts = s.kind == MeasureKind::CountInWindow && s.window != WindowKind::Lookback;
    const std::uint64_t thr = service_threshold(t.service_thr[row + k]);
    const std::uint64_t months = r.enrolled_only ? enrollment.through(r.last) & r.mask() : r.mask();
    const std::uint64_t served = served_months(source, k, thr, months, !counts);
    if (s.kind == MeasureKind::Followup) {
      state = served ? kFollowupPending : 0;
    } else if (!counts) {  // lookback: months since the most recent service
      if (served) state = static_cast<std::uint8_t>(lowest_set_bit64(served));
    } else {
      const int count = count_set_bits64(served);
      state = static_cast<std::uint8_t>(count < kCountMask ? count : kCountMask);
    }
  }
}

/// Initializes the dynamic fields of every slot (empty slots get zeros), the measure states
/// excepted: the caller first fills each measure's array with its empty_measure_state (one
/// fill streams through an array; writing every array slot by slot did not), and this writes
/// the states that the service history changes. (The CPU's batched path, sim/setup_tile.hpp,
/// does the same with the blocks computed many at a time.)
struct InitializeHistory {
  MemberView m_m;
  const StepTablesView* m_tables;  ///< [replicate]
  HistoryTablesView m_h;
  std::uint32_t m_seed;
  std::uint64_t m_capacity;
  std::int32_t m_start_month;  ///< month index of the first simulated month (a January)

  PHSIM_HD void operator()(std::uint64_t i) const {
    const MemberView& m = m_m;
    clear_history_fields(m, i);
    if (!(m.status[i] & kAlive)) return;
    const StepTablesView& t = m_tables[i / m_capacity];
    const Philox rng(m_seed, RngStream::History, m.member_id[i], 0u, t.rng_replicate);
    const HistoryStart st =
        start_member(m, i, t, m_h, m_start_month, rng.block(0), rng.block(1), rng.block(2));
    write_history_states(m, i, t, m_h, st, rng);
  }

  /// The fields every slot starts with before its history is drawn.
  PHSIM_HD static void clear_history_fields(const MemberView& m, std::uint64_t i) {
    clear_year_accumulators(m, i);
    m.conditions[i] = 0;
    m.clinical[i] = 0;
    m.pregnancy[i] = 0;
  }
};

}  // namespace phsim
