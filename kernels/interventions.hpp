#pragma once
/// @file Interventions on the device (DESIGN.md §8): which members an intervention reaches this
/// month, and its effects. One family of rules covers every kind; the kinds differ only in whom
/// they reach and what their effects act on:
///   practice_support  members of the reached practices (and counties, plans, conditions):
///                     log odds ratios on the service propensities of the targeted measures
///   member_outreach   the same members, but only while a targeted measure's care gap is open
///   palliative_care   members with a serious illness enroll month by month; enrolled members'
///                     ED and inpatient probabilities change by their log odds ratios
/// Effects are scaled by the month's strength (the ramp; 0 outside the program's months) and
/// applied on the log-odds scale with deterministic arithmetic (kernels/detmath.hpp).
///
/// Random words: stream Intervention, counter (member_id, 0, replicate, block): blocks 0-1, word
/// i % 4 of block i / 4: engagement in intervention i (fixed for the member); counter
/// (member_id, month, replicate, 2) word 0: palliative enrollment this month.
#include <cstdint>

#include "kernels/detmath.hpp"
#include "kernels/measure_spec.hpp"
#include "kernels/measures.hpp"
#include "kernels/member.hpp"
#include "kernels/rng.hpp"

namespace phsim {

inline constexpr int kMaxInterventions = 8;

enum class InterventionKind : std::uint8_t { PracticeSupport = 0, MemberOutreach, PalliativeCare };

/// Intervention tables of one replicate (part of StepTablesView).
struct InterventionTablesView {
  std::uint32_t n;  ///< interventions (0 = none)
  std::uint8_t kind[kMaxInterventions];
  double scale[kMaxInterventions];  ///< this month's strength: 0 inactive ... 1 full
  std::uint8_t condition_bits[kMaxInterventions];  ///< any of these conditions; 0 = anyone
  std::uint64_t engagement_thr[kMaxInterventions];
  double palliative_enrollment[kMaxInterventions];  ///< monthly probability at full strength
  double ed_log_or[kMaxInterventions];
  double inpatient_log_or[kMaxInterventions];
  std::uint32_t cost_per_member_month_cents[kMaxInterventions];
  const std::uint8_t* contract_mask;  ///< [contract] bit i: reached by intervention i
  const std::uint8_t* practice_mask;  ///< [practice] bit i
  const double* measure_log_or;       ///< [intervention * kMaxMeasures + measure]
  const double* service_logit;        ///< base log-odds, indexed like StepTablesView::service_thr
  double ed_logit[8];                 ///< base log-odds of an ED visit by risk class
  double inpatient_logit[2];
};

/// Bits of the interventions that reach member i this month.
PHSIM_HD inline std::uint8_t reached_interventions(const InterventionTablesView& v,
                                                   std::uint32_t contract, std::uint32_t practice,
                                                   std::uint8_t conditions, std::uint32_t seed,
                                                   std::uint32_t member_id,
                                                   std::uint32_t replicate) {
  if (v.n == 0) return 0;
  std::uint8_t mask = static_cast<std::uint8_t>(v.contract_mask[contract] & v.practice_mask[practice]);
  if (!mask) return 0;
  const Philox rng(seed, RngStream::Intervention, member_id, 0u, replicate);
  RandomBlock engagement{{0, 0, 0, 0}};
  std::uint32_t have = 0xffffffffu;
  for (std::uint32_t i = 0; i < v.n; ++i) {
    const std::uint8_t bit = static_cast<std::uint8_t>(1u << i);
    if (!(mask & bit)) continue;
    bool keep = v.scale[i] > 0.0 && (v.condition_bits[i] == 0 || (conditions & v.condition_bits[i]));
    if (keep && v.engagement_thr[i] < kThresholdOne) {
      if (have != i / 4) {
        engagement = rng.block(i / 4);
        have = i / 4;
      }
      keep = static_cast<std::uint64_t>(engagement.v[i % 4]) < v.engagement_thr[i];
    }
    if (!keep) mask = static_cast<std::uint8_t>(mask & ~bit);
  }
  return mask;
}

/// Whether a measure's care gap is open: the member is not (yet) in its numerator.
PHSIM_HD inline bool care_gap_open(const MeasureSpec& s, std::uint8_t state) {
  switch (s.kind) {
    case MeasureKind::CountInWindow:
      return s.window == WindowKind::Lookback ? state >= s.lookback_months
                                              : (state & kCountMask) < s.min_services;
    case MeasureKind::Followup: return true;
    case MeasureKind::Control: return (state & 1u) == 0;  // no reading yet this year
    case MeasureKind::Ratio: return (state & 0x0f) < (state >> 4) || state == 0;
  }
  return true;
}

/// Sum of the reached interventions' log odds ratios on measure k this month.
PHSIM_HD inline double measure_delta(const InterventionTablesView& v, std::uint8_t reach,
                                     std::uint32_t k, const MeasureSpec& s, std::uint8_t state) {
  double delta = 0.0;
  for (std::uint32_t i = 0; i < v.n; ++i) {
    if (!(reach & (1u << i))) continue;
    const auto kind = static_cast<InterventionKind>(v.kind[i]);
    if (kind == InterventionKind::PalliativeCare) continue;
    if (kind == InterventionKind::MemberOutreach && !care_gap_open(s, state)) continue;
    delta += v.measure_log_or[i * kMaxMeasures + k] * v.scale[i];
  }
  return delta;
}

/// Threshold for base log-odds plus delta.
PHSIM_HD inline std::uint64_t shifted_threshold(double base_logit, double delta) {
  return probability_threshold(det_logistic(base_logit + delta));
}

}  // namespace phsim
