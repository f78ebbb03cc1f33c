#pragma once
/// @file Per-member bookkeeping of quality measures: the monthly update of each measure's state
/// byte and its year-end evaluation. Specs are data (kernels/measure_spec.hpp).
///
/// State byte per (member, measure), by kind:
///   CountInWindow, window Year / AgeMonths / SinceBirthday:
///       bits 0-5 qualifying services counted (saturating at 63)
///       bit 6    milestone met (count >= min_services when the milestone age was reached)
///       bit 7    milestone reached in this measurement year
///   CountInWindow, window Lookback: months since the last service (0 = this month; 255 = none)
///   Followup: bits 0-3 denominator events this year, bits 4-6 numerator events this year,
///             bit 7 follow-up pending (decided at the trigger, counted at `counted_at`)
///   Control:  bit 0 a reading this year, bit 1 the last reading was in control
///   Ratio:    bits 0-3 controller fills this year, bits 4-7 reliever fills this year
#include <cstdint>

#include "kernels/measure_spec.hpp"
#include "kernels/member.hpp"
#include "kernels/platform.hpp"
#include "kernels/rng.hpp"

namespace phsim {

inline constexpr std::uint8_t kCountMask = 0x3f;
inline constexpr std::uint8_t kMilestoneMet = 0x40;
inline constexpr std::uint8_t kMilestoneReached = 0x80;
inline constexpr std::uint8_t kLookbackNone = 255;
inline constexpr std::uint8_t kFollowupPending = 0x80;

/// Bit of a trigger in a month's event mask.
PHSIM_HD inline std::uint8_t trigger_bit(Trigger t) {
  return t == Trigger::None ? 0 : static_cast<std::uint8_t>(1u << static_cast<int>(t));
}

/// Index of the lowest set bit of a nonzero mask.
PHSIM_HD inline std::uint32_t lowest_set_bit(std::uint32_t mask) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint32_t>(__ffs(static_cast<int>(mask)) - 1);
#else
  return static_cast<std::uint32_t>(__builtin_ctz(mask));
#endif
}

/// Number of set bits of a mask.
PHSIM_HD inline int count_set_bits(std::uint32_t mask) {
#if defined(__CUDA_ARCH__)
  return __popc(mask);
#elif defined(__POPCNT__) || !defined(__x86_64__)
  return __builtin_popcount(mask);
#else
  // Baseline x86-64 has no POPCNT instruction and GCC would call a library routine.
  mask = mask - ((mask >> 1) & 0x55555555u);
  mask = (mask & 0x33333333u) + ((mask >> 2) & 0x33333333u);
  return static_cast<int>((((mask + (mask >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24);
#endif
}

/// Index of the lowest set bit of a nonzero 64-bit mask.
PHSIM_HD inline std::uint32_t lowest_set_bit64(std::uint64_t mask) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint32_t>(__ffsll(static_cast<long long>(mask)) - 1);
#else
  return static_cast<std::uint32_t>(__builtin_ctzll(mask));
#endif
}

/// Number of set bits of a 64-bit mask.
PHSIM_HD inline int count_set_bits64(std::uint64_t mask) {
  return count_set_bits(static_cast<std::uint32_t>(mask)) + count_set_bits(static_cast<std::uint32_t>(mask >> 32));
}

/// Slots ahead of the current one whose measure-state lines prefetch_measure_states asks for.
inline constexpr std::uint64_t kPrefetchSlots = 4 * 64;

/// On the CPU, once per 64 slots (one line of each measure's array), asks for the lines of the
/// measure arrays in `measures` (bit k: measure k) kPrefetchSlots slots ahead. The states are
/// one array per measure, read sparsely (only the measures a member can change or count in),
/// which the hardware prefetcher does not follow. Changes no value; nothing on a GPU, where a
/// warp's lanes read consecutive bytes of one array.
PHSIM_HD inline void prefetch_measure_states_of(const MemberView& m, std::uint64_t i, std::uint32_t measures) {
#if !defined(__CUDA_ARCH__)
  if ((i & 63u) != 0 || i + kPrefetchSlots >= m.stride) return;
  for (; measures; measures &= measures - 1u) {
    __builtin_prefetch(m.measure_state + lowest_set_bit(measures) * m.stride + i + kPrefetchSlots);
  }
#else
  (void)m, (void)i, (void)measures;
#endif
}

/// prefetch_measure_states_of the first `n` measures, by a plain count (the tally's loops ran
/// 10% slower walking the bits of a full mask).
PHSIM_HD inline void prefetch_measure_states(const MemberView& m, std::uint64_t i, std::uint32_t n) {
#if !defined(__CUDA_ARCH__)
  if ((i & 63u) != 0 || i + kPrefetchSlots >= m.stride) return;
  for (std::uint32_t k = 0; k < n; ++k) __builtin_prefetch(m.measure_state + k * m.stride + i + kPrefetchSlots);
#else
  (void)m, (void)i, (void)n;
#endif
}

/// What the measures need to know about a member in one month.
struct MeasureContext {
  int age_months;      ///< age now, months
  int age_dec_months;  ///< age at Dec 31 of this measurement year, months
  bool enrolled;
  bool female;
  std::uint8_t conditions;  ///< condition bits
  std::uint8_t clinical;    ///< ClinicalFlags
  std::uint8_t events;      ///< trigger bits of events this month
};

/// Sex, age and condition filters of a measure's population.
PHSIM_HD inline bool in_population(const MeasureSpec& s, int age_months, bool female,
                                   std::uint8_t conditions) {
  if (s.sex == SexFilter::Female && !female) return false;
  if (s.sex == SexFilter::Male && female) return false;
  if (s.condition != Condition::None && !(conditions & condition_bit(s.condition))) return false;
  return age_months >= s.age_lo && age_months <= s.age_hi;
}

/// State carried into a new measurement year (called in January before the month's update).
PHSIM_HD inline std::uint8_t new_year_state(const MeasureSpec& s, std::uint8_t state) {
  switch (s.kind) {
    case MeasureKind::CountInWindow:
      if (s.window == WindowKind::Lookback) return state;
      if (s.window == WindowKind::Year) return 0;
      return static_cast<std::uint8_t>(state & kCountMask);  // windows spanning years keep counts
    case MeasureKind::Followup:
      return static_cast<std::uint8_t>(state & kFollowupPending);
    case MeasureKind::Control:
    case MeasureKind::Ratio:
      return 0;
  }
  return 0;
}

/// Service events whose probability is the measure's threshold, lazily drawn: word m % 4 of
/// block m / 4 of the Service stream (fixed per measure, so scenarios share random numbers).
class ServiceDraws {
 public:
  PHSIM_HD ServiceDraws(std::uint32_t seed, std::uint32_t member_id, std::uint32_t month,
                        std::uint32_t replicate)
      : m_rng(seed, RngStream::Service, member_id, month, replicate) {}
  PHSIM_HD std::uint32_t word(std::uint32_t measure) {
    const std::uint32_t block = measure / 4;
    if (block != m_block) {
      m_buf = m_rng.block(block);
      m_block = block;
    }
    return m_buf.v[measure % 4];
  }
  /// Word used for AMR reliever fills (after the measures' blocks).
  PHSIM_HD std::uint32_t reliever_word() { return word(kMaxMeasures); }

 private:
  Philox m_rng;
  RandomBlock m_buf{{0, 0, 0, 0}};
  std::uint32_t m_block = 0xffffffffu;
};

/// One month of one measure for one member. `threshold()` gives the member's monthly service
/// threshold for this measure; it is called only when a service can happen (most months of most
/// measures need neither the table lookup nor the draw). `reliever_thr` is used by Ratio
/// measures. `draws` gives the service words: a ServiceDraws, or one giving the same words.
template <class Threshold, class Draws>
PHSIM_HD inline std::uint8_t update_measure(const MeasureSpec& s, std::uint8_t state,
                                            const MeasureContext& c, const Threshold& threshold,
                                            std::uint32_t measure, Draws& draws,
                                            std::uint64_t reliever_thr) {
  const auto hit = [&]() { return static_cast<std::uint64_t>(draws.word(measure)) < threshold(); };
  switch (s.kind) {
    case MeasureKind::CountInWindow: {
      if (s.window == WindowKind::Lookback) {
        // Screening is offered to members of the measure's population (age at Dec 31).
        const bool offered =
            c.enrolled && in_population(s, c.age_dec_months, c.female, c.conditions);
        if (offered && hit()) return 0;
        return state == kLookbackNone ? kLookbackNone : static_cast<std::uint8_t>(state + 1);
      }
      std::uint8_t count = state & kCountMask;
      std::uint8_t flags = state & static_cast<std::uint8_t>(kMilestoneMet | kMilestoneReached);
      if (s.anchor == Anchor::Milestone) {
        // A milestone reached this month is judged on the services before it.
        for (int j = 0; j < s.n_milestones; ++j) {
          if (c.age_months == s.milestones[j]) {
            flags = static_cast<std::uint8_t>(kMilestoneReached |
                                              (count >= s.min_services ? kMilestoneMet : 0));
            if (s.window == WindowKind::SinceBirthday) count = 0;
          }
        }
      }
      bool in_window = false;
      switch (s.window) {
        case WindowKind::Year:
          in_window = in_population(s, c.age_dec_months, c.female, c.conditions);
          break;
        case WindowKind::AgeMonths:
          in_window = c.age_months >= s.window_lo && c.age_months < s.window_hi;
          break;
        case WindowKind::SinceBirthday:
          in_window = s.n_milestones > 0 && c.age_months < s.milestones[s.n_milestones - 1];
          break;
        default:
          break;
      }
      if (in_window && c.enrolled && count < kCountMask && hit()) ++count;
      return static_cast<std::uint8_t>(flags | count);
    }
    case MeasureKind::Followup: {
      if (!c.enrolled || !in_population(s, c.age_months, c.female, c.conditions)) return state;
      std::uint8_t den = state & 0x0f, num = (state >> 4) & 0x07;
      bool pending = state & kFollowupPending;
      if (c.events & trigger_bit(s.trigger)) {
        const bool success = hit();
        if (s.trigger == s.counted_at) {
          if (den < 15) ++den;
          if (success && num < 7) ++num;
        } else {
          pending = success;
        }
      }
      if (s.trigger != s.counted_at && (c.events & trigger_bit(s.counted_at))) {
        if (den < 15) ++den;
        if (pending && num < 7) ++num;
        pending = false;
      }
      return static_cast<std::uint8_t>((pending ? kFollowupPending : 0) | (num << 4) | den);
    }
    case MeasureKind::Control: {
      if (!c.enrolled || !in_population(s, c.age_dec_months, c.female, c.conditions)) return state;
      if (!hit()) return state;
      const bool good = s.control == ControlState::BloodPressure ? (c.clinical & kBpControlled) != 0
                                                                  : (c.clinical & kA1cPoor) == 0;
      return static_cast<std::uint8_t>(1u | (good ? 2u : 0u));
    }
    case MeasureKind::Ratio: {
      if (!c.enrolled || !in_population(s, c.age_dec_months, c.female, c.conditions)) return state;
      std::uint8_t controller = state & 0x0f, reliever = state >> 4;
      if (controller < 15 && hit()) ++controller;
      if (reliever < 15 && static_cast<std::uint64_t>(draws.reliever_word()) < reliever_thr) ++reliever;
      return static_cast<std::uint8_t>((reliever << 4) | controller);
    }
  }
  return state;
}

/// The same with a known threshold.
PHSIM_HD inline std::uint8_t update_measure(const MeasureSpec& s, std::uint8_t state,
                                            const MeasureContext& c, std::uint64_t threshold,
                                            std::uint32_t measure, ServiceDraws& draws,
                                            std::uint64_t reliever_thr) {
  return update_measure(s, state, c, [threshold]() { return threshold; }, measure, draws, reliever_thr);
}

/// Continuous enrollment over a measurement year: enrolled in December (the anchor) and at most
/// one month missing (one gap of at most 45 days, at monthly resolution).
PHSIM_HD inline bool continuously_enrolled(std::uint16_t enrolled_months) {
  if (!(enrolled_months & (1u << 11))) return false;
  return count_set_bits(enrolled_months & 0x0fffu) >= 11;
}

/// Year-end contribution of one member to one measure: denominator and numerator counts (events
/// for Followup, 0/1 otherwise). Members who died during the year are excluded by the caller.
struct MeasureOutcome {
  std::uint32_t den = 0, num = 0;
};

PHSIM_HD inline MeasureOutcome evaluate_measure(const MeasureSpec& s, std::uint8_t state,
                                                int age_dec_months, bool female,
                                                std::uint8_t conditions,
                                                bool continuously_enrolled_year) {
  MeasureOutcome o;
  switch (s.kind) {
    case MeasureKind::CountInWindow:
      if (!continuously_enrolled_year) return o;
      if (s.anchor == Anchor::Milestone) {
        o.den = (state & kMilestoneReached) ? 1 : 0;
        o.num = o.den && (state & kMilestoneMet) ? 1 : 0;
        return o;
      }
      if (!in_population(s, age_dec_months, female, conditions)) return o;
      o.den = 1;
      o.num = s.window == WindowKind::Lookback ? (state < s.lookback_months ? 1 : 0)
                                                : ((state & kCountMask) >= s.min_services ? 1 : 0);
      return o;
    case MeasureKind::Followup:
      o.den = state & 0x0f;
      o.num = (state >> 4) & 0x07;
      return o;
    case MeasureKind::Control: {
      if (!continuously_enrolled_year || !in_population(s, age_dec_months, female, conditions)) return o;
      o.den = 1;
      const bool read = state & 1u, good = state & 2u;
      o.num = s.inverse ? (!read || !good ? 1 : 0) : (read && good ? 1 : 0);
      return o;
    }
    case MeasureKind::Ratio: {
      if (!continuously_enrolled_year || !in_population(s, age_dec_months, female, conditions)) return o;
      const std::uint32_t controller = state & 0x0f, reliever = state >> 4;
      if (controller + reliever == 0) return o;
      o.den = 1;
      o.num = controller >= reliever ? 1 : 0;
      return o;
    }
  }
  return o;
}

}  // namespace phsim
