#pragma once
/// @file What a quality measure is, as data (DESIGN.md §6): one MeasureSpec per row of
/// data/measures.csv, copied to the device. Four kinds cover the MCAS set:
///
///  - CountInWindow: at least `min_services` qualifying services in a window.
///      window Year          services in the measurement year (WCV, TFL-CH, CHL)
///      window AgeMonths     services while age in months is in [window_lo, window_hi)
///                           (W30-6 0-15, W30-2 15-30, CIS-10 0-24, LSC 0-24, IMA-2 108-156)
///      window SinceBirthday services since the last birthday, evaluated and reset at each
///                           milestone birthday (DEV: milestones 12, 24, 36 months)
///      window Lookback      a service within the last `lookback_months` at year end (CCS, BCS-E)
///    anchor YearEnd: eligible by age at Dec 31; anchor Milestone: eligible when a milestone age
///    (months) is reached during the measurement year, judged at that month.
///  - Followup: a trigger event (delivery, ED visit for mental illness or substance use, start
///    of prenatal care) followed by a service; the follow-up is decided at the trigger with the
///    service propensity (a month-granular model of "within d days"); the event counts in the
///    denominator at `counted_at` (PPC-Pre: decided at the start of prenatal care, counted at
///    delivery).
///  - Control: status at the last reading in the year of a condition's control state (CBP:
///    blood pressure controlled; GSD>9, inverse: HbA1c > 9 or no test).
///  - Ratio: controller fills / all asthma fills >= 0.5 among members with a fill (AMR).
///
/// Per-member state is one byte per measure (MemberView::measure_state), interpreted by kind
/// (see kernels/measures.hpp).
#include <cstdint>

namespace phsim {

/// Most measures one build supports (one state byte each per member).
inline constexpr int kMaxMeasures = 24;
/// Most milestone ages per measure.
inline constexpr int kMaxMilestones = 3;

enum class MeasureKind : std::uint8_t { CountInWindow = 0, Followup, Control, Ratio };
enum class Anchor : std::uint8_t { YearEnd = 0, Milestone };
enum class WindowKind : std::uint8_t { Year = 0, AgeMonths, SinceBirthday, Lookback, Event };
enum class SexFilter : std::uint8_t { Any = 0, Female, Male };
/// Conditions a measure's population can require (bit positions in MemberView::conditions).
enum class Condition : std::uint8_t {
  None = 0,
  Asthma,
  Diabetes,
  Hypertension,
  MentalIllness,   ///< depression or serious mental illness
  SubstanceUse,
  SeriousIllness,  ///< cancer, heart failure, COPD, liver disease (SB 1004)
};
inline constexpr int kConditionCount = 6;  ///< excluding None
/// Events a follow-up measure can start from or count at.
enum class Trigger : std::uint8_t {
  None = 0,
  Delivery,
  PrenatalStart,    ///< conception while enrolled, or enrollment while pregnant
  EdMentalHealth,   ///< ED visit with a mental-illness diagnosis
  EdSubstanceUse,   ///< ED visit with a substance-use diagnosis
};
enum class ControlState : std::uint8_t { None = 0, BloodPressure, HbA1c };
enum class EnrollmentRule : std::uint8_t {
  Year = 0,  ///< enrolled in December and at most one month missing in the year
  Event,     ///< enrolled in the trigger month and the counted month
};

/// One measure as the device sees it. Ages are in months.
struct MeasureSpec {
  MeasureKind kind = MeasureKind::CountInWindow;
  Anchor anchor = Anchor::YearEnd;
  WindowKind window = WindowKind::Year;
  SexFilter sex = SexFilter::Any;
  Condition condition = Condition::None;
  Trigger trigger = Trigger::None;
  Trigger counted_at = Trigger::None;
  ControlState control = ControlState::None;
  EnrollmentRule enrollment = EnrollmentRule::Year;
  bool inverse = false;
  std::uint8_t min_services = 1;
  std::uint8_t lookback_months = 0;
  std::uint8_t n_milestones = 0;
  std::int16_t milestones[kMaxMilestones] = {0, 0, 0};  ///< milestone ages (months)
  std::int16_t age_lo = 0;     ///< eligibility: age at Dec 31 >= age_lo (YearEnd anchor)
  std::int16_t age_hi = 0;     ///< ... and <= age_hi (months; inclusive)
  std::int16_t window_lo = 0;  ///< AgeMonths window [window_lo, window_hi)
  std::int16_t window_hi = 0;
};

}  // namespace phsim
