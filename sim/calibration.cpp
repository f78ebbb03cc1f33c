#include "sim/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace phsim {

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double binomial_at_least(int n, double p, int k) {
  if (k <= 0) return 1.0;
  if (k > n) return 0.0;
  // 1 - P(X <= k - 1), summing the pmf by recurrence (n is at most a few dozen).
  double pmf = std::pow(1.0 - p, n), below = 0.0;
  if (p >= 1.0) return 1.0;
  for (int x = 0; x < k; ++x) {
    below += pmf;
    pmf *= static_cast<double>(n - x) / (x + 1) * p / (1.0 - p);
  }
  return std::clamp(1.0 - below, 0.0, 1.0);
}

namespace {

/// P(X >= k) for X the number of successes of trials with probabilities scale × q[i]
/// (scale 1: q itself). dist[x] = P(x successes so far), x capped at k (k or more); on the
/// stack for the counts measures ask for (the calibration calls this millions of times).
double poisson_binomial_at_least(const std::vector<double>& q, double scale, int k) {
  if (k <= 0) return 1.0;
  constexpr int kOnStack = 32;
  double stack[kOnStack + 1];
  std::vector<double> heap;
  double* dist = stack;
  if (k > kOnStack) {
    heap.assign(static_cast<std::size_t>(k) + 1, 0.0);
    dist = heap.data();
  }
  std::fill(dist, dist + k + 1, 0.0);
  dist[0] = 1.0;
  for (const double x : q) {
    const double qi = x * scale;
    for (int i = k; i >= 0; --i) {
      const double stay = i == k ? dist[i] : dist[i] * (1.0 - qi);
      const double from_below = i > 0 ? dist[i - 1] * qi : 0.0;
      dist[i] = stay + from_below;
    }
  }
  return std::clamp(dist[k], 0.0, 1.0);
}

}  // namespace

double poisson_binomial_at_least(const std::vector<double>& q, int k) {
  return poisson_binomial_at_least(q, 1.0, k);
}

double enrolled_after(const RateContext& ctx, int months) {
  return ctx.enrolled_share + (1.0 - ctx.enrolled_share) * std::pow(ctx.churn_lambda, months);
}

double enrolled_probability(const RateContext& ctx, int months_before_january) {
  if (months_before_january <= 0) return 1.0;
  return enrolled_after(ctx, months_before_january);
}

double child_enrolled_probability(const RateContext& ctx, int age, int age_in_january) {
  if (age >= age_in_january) return 1.0;
  return enrolled_after(ctx, age) * enrolled_after(ctx, age_in_january - age) /
         enrolled_after(ctx, age_in_january);
}

std::vector<ExposureProfile> exposure_profiles(const MeasureSpec& s, const RateContext& ctx) {
  std::vector<ExposureProfile> out;
  if (s.window == WindowKind::Year || s.window == WindowKind::Event) {
    out.push_back({1.0, std::vector<double>(12, 1.0)});
    return out;
  }
  if (s.window == WindowKind::Lookback) {
    // A member aged a at Dec 31 counts services in the L months up to December, but only in
    // years in which she was in the population (age at that Dec 31 >= age_lo).
    const int lo_years = s.age_lo / 12, hi_years = s.age_hi / 12;
    for (int a = lo_years; a <= hi_years; ++a) {
      const double w = a < static_cast<int>(ctx.age_weights.size()) ? ctx.age_weights[static_cast<std::size_t>(a)] : 0.0;
      if (w <= 0) continue;
      ExposureProfile p{w, {}};
      for (int j = 0; j < s.lookback_months; ++j) {  // j months before December
        if (a - j / 12 < lo_years) break;
        p.enrolled.push_back(enrolled_probability(ctx, j - 11));
      }
      out.push_back(std::move(p));
    }
    if (out.empty()) out.push_back({1.0, std::vector<double>(s.lookback_months, 1.0)});
    return out;
  }
  // Milestone windows: ages [lo, hi) before milestone m reached in month M (0 = January) of
  // the measurement year; age a falls in calendar month M - (m - a).
  std::vector<std::pair<int, int>> windows;  // (lo, milestone)
  if (s.window == WindowKind::AgeMonths) {
    windows.push_back({s.window_lo, s.n_milestones ? s.milestones[0] : s.window_hi});
  } else {
    for (int j = 0; j < s.n_milestones; ++j) windows.push_back({std::max(0, s.milestones[j] - 12), s.milestones[j]});
  }
  const int hi_cut = s.window == WindowKind::AgeMonths ? s.window_hi : 1 << 30;
  for (const auto& [lo, milestone] : windows) {
    for (int month = 0; month < 12; ++month) {
      ExposureProfile p{1.0, {}};
      // Children are enrolled from birth (newborns of members): the chain bridged from
      // birth to January of the measurement year, at age milestone - month.
      for (int a = lo; a < milestone && a < hi_cut; ++a) {
        p.enrolled.push_back(child_enrolled_probability(ctx, a, milestone - month));
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

namespace {

/// Binomial(n, p) pmf as a vector.
std::vector<double> binomial_pmf(int n, double p) {
  std::vector<double> pmf(static_cast<std::size_t>(n) + 1, 0.0);
  for (int x = 0; x <= n; ++x) {
    pmf[static_cast<std::size_t>(x)] = std::exp(std::lgamma(n + 1.0) - std::lgamma(x + 1.0) -
                                                std::lgamma(n - x + 1.0)) *
                                       std::pow(p, x) * std::pow(1.0 - p, n - x);
  }
  return pmf;
}

}  // namespace

double rate_for_monthly_probability(const MeasureSpec& s, double p, const RateContext& ctx) {
  return rate_for_monthly_probability(
      s, p, ctx, s.kind == MeasureKind::CountInWindow ? exposure_profiles(s, ctx) : std::vector<ExposureProfile>{});
}

double rate_for_monthly_probability(const MeasureSpec& s, double p, const RateContext& ctx,
                                    const std::vector<ExposureProfile>& profiles) {
  p = std::clamp(p, 0.0, 1.0);
  switch (s.kind) {
    case MeasureKind::CountInWindow: {
      double num = 0, den = 0;
      for (const auto& profile : profiles) {
        // (trial i: enrolled[i] × p)
        num += profile.weight * poisson_binomial_at_least(profile.enrolled, p, s.min_services);
        den += profile.weight;
      }
      return den > 0 ? num / den : 0.0;
    }
    case MeasureKind::Followup:
      return p;
    case MeasureKind::Control: {
      const double read = 1.0 - std::pow(1.0 - p, 12);
      if (s.control == ControlState::BloodPressure) {
        return s.inverse ? 1.0 - read * ctx.controlled_share : read * ctx.controlled_share;
      }
      const double poor_or_missing = (1.0 - read) + read * ctx.poor_share;
      return s.inverse ? poor_or_missing : 1.0 - poor_or_missing;
    }
    case MeasureKind::Ratio: {
      // P(C >= R | C + R >= 1), C ~ Bin(12, p) controller, R ~ Bin(12, r) reliever fills.
      const auto c = binomial_pmf(12, p), r = binomial_pmf(12, ctx.reliever_monthly);
      double met = 0.0;
      for (int x = 0; x <= 12; ++x) {
        for (int y = 0; y <= x; ++y) {
          if (x + y > 0) met += c[static_cast<std::size_t>(x)] * r[static_cast<std::size_t>(y)];
        }
      }
      const double any = 1.0 - c[0] * r[0];
      return any > 0 ? met / any : 0.0;
    }
  }
  return 0.0;
}

CalibrationResult solve_base_logit(const MeasureSpec& spec, double target,
                                   const std::vector<OffsetWeight>& groups,
                                   const RateContext& ctx) {
  // Rate as a function of log-odds on a fine grid; groups interpolate linearly in it. A grid
  // point is computed when first read (the solve reads a part of the grid): the same values as
  // tabulating it all.
  constexpr double kLo = -30.0, kHi = 20.0;
  constexpr int kGrid = 4001;
  constexpr double kStep = (kHi - kLo) / (kGrid - 1);
  std::vector<double> curve(kGrid, std::numeric_limits<double>::quiet_NaN());
  const std::vector<ExposureProfile> profiles =
      spec.kind == MeasureKind::CountInWindow ? exposure_profiles(spec, ctx) : std::vector<ExposureProfile>{};
  const auto point = [&](std::size_t g) {
    if (std::isnan(curve[g])) {
      curve[g] = rate_for_monthly_probability(spec, logistic(kLo + static_cast<int>(g) * kStep), ctx, profiles);
    }
    return curve[g];
  };
  const auto rate_of_logit = [&](double x) {
    const double pos = std::clamp((x - kLo) / kStep, 0.0, kGrid - 1.000001);
    const auto g = static_cast<std::size_t>(pos);
    const double f = pos - static_cast<double>(g);
    return point(g) * (1 - f) + point(g + 1) * f;
  };
  double total = 0.0;
  for (const auto& g : groups) total += g.weight;
  const auto rate_at = [&](double b) {
    double acc = 0.0;
    for (const auto& g : groups) acc += g.weight * rate_of_logit(b + g.offset_logit);
    return total > 0 ? acc / total : 0.0;
  };
  double lo = -20.0, hi = 10.0;
  const double r_lo = rate_at(lo), r_hi = rate_at(hi);
  const bool increasing = r_hi >= r_lo;
  CalibrationResult res;
  const double reach_min = std::min(r_lo, r_hi), reach_max = std::max(r_lo, r_hi);
  if (target <= reach_min || target >= reach_max) {
    res.reachable = target >= reach_min && target <= reach_max;
    res.base_logit = (target <= reach_min) == increasing ? lo : hi;
    res.achieved_rate = rate_at(res.base_logit);
    return res;
  }
  for (int it = 0; it < 80; ++it) {
    const double mid = 0.5 * (lo + hi);
    if ((rate_at(mid) < target) == increasing) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  res.base_logit = 0.5 * (lo + hi);
  res.achieved_rate = rate_at(res.base_logit);
  return res;
}

}  // namespace phsim
