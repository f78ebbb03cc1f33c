#pragma once
/// @file Calibration by construction (DESIGN.md §6): the base log-odds of each measure's monthly
/// service propensity is solved on the host so that the expected statewide baseline rate equals
/// the measure's reference rate. The expectation is analytic: for a monthly service probability
/// p, each kind's rate follows from binomial arithmetic over the months a member is exposed
/// (rate_for_monthly_probability), averaged over the population's mix of county, plan, race and
/// practice-tier offsets.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/measure_spec.hpp"

namespace phsim {

/// What the rate of a kind depends on besides p.
struct RateContext {
  double controlled_share = 0.7;  ///< Control, blood pressure: steady-state share in control
  double poor_share = 0.3;        ///< Control, HbA1c: steady-state share above 9%
  double reliever_monthly = 0.15; ///< Ratio: monthly reliever-fill probability
  /// Lookback measures: weight of each age in whole years (index) among the eligible
  /// population; used to count members too young to have had the full lookback.
  std::vector<double> age_weights;
  /// Enrollment churn as a monthly two-state chain: stationary enrolled share and the chain's
  /// autocorrelation (1 - disenroll - re-enroll). A member enrolled in January was enrolled k
  /// months earlier with probability enrolled_share + (1 - enrolled_share) * lambda^k.
  double enrolled_share = 1.0;
  double churn_lambda = 0.0;
};

/// Probability that a member continuously enrolled in the measurement year was enrolled in a
/// month `months_before_january` months before its January (0 or less: inside the year, 1).
double enrolled_probability(const RateContext& ctx, int months_before_january);

/// P(enrolled t months after an enrolled month) = pi + (1 - pi) lambda^t.
double enrolled_after(const RateContext& ctx, int months);

/// The same for a child enrolled at birth: P(enrolled at age `age` | enrolled at birth and at
/// age `age_in_january`), for age < age_in_january (months).
double child_enrolled_probability(const RateContext& ctx, int age, int age_in_january);

/// The months in which services count toward a count measure, as equally weighted profiles:
/// each profile lists, per month of the window, the probability the member was enrolled then.
/// Milestone measures average over the 12 months of the year in which the milestone falls;
/// lookback measures over ages (weighted by ctx.age_weights).
struct ExposureProfile {
  double weight = 1.0;
  std::vector<double> enrolled;  ///< one entry per month of the window
};
std::vector<ExposureProfile> exposure_profiles(const MeasureSpec& spec, const RateContext& ctx);

/// P(X >= k) for X ~ Binomial(n, p).
double binomial_at_least(int n, double p, int k);

/// P(X >= k) for X the number of successes of independent trials with probabilities q.
double poisson_binomial_at_least(const std::vector<double>& q, int k);

/// Expected rate (0..1) of a measure for members whose monthly service probability is p.
double rate_for_monthly_probability(const MeasureSpec& spec, double p, const RateContext& ctx);
/// The same with the measure's exposure profiles computed once (count measures).
double rate_for_monthly_probability(const MeasureSpec& spec, double p, const RateContext& ctx,
                                    const std::vector<ExposureProfile>& profiles);

/// A group of members sharing one log-odds offset, with its population weight.
struct OffsetWeight {
  double offset_logit;
  double weight;
};

/// Result of solving one measure.
struct CalibrationResult {
  double base_logit = 0.0;
  double achieved_rate = 0.0;  ///< expected rate at base_logit (differs from the target only
  bool reachable = true;       ///< when the target is outside what the kind can produce)
};

/// Solves b so that sum_w weight_w * rate(logistic(b + offset_w)) = target (0..1), by bisection
/// on b in [-20, 10] over the rate tabulated on a fine grid of log-odds; weights need not be
/// normalized. When the target is out of reach, returns
/// the closest end and reachable = false.
CalibrationResult solve_base_logit(const MeasureSpec& spec, double target,
                                   const std::vector<OffsetWeight>& groups,
                                   const RateContext& ctx);

double logistic(double x);

}  // namespace phsim
