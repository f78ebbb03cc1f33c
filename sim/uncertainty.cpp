/// @file Monte Carlo parameter draws (sim/uncertainty.hpp; the draw layout is documented there).
#include "sim/uncertainty.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numbers>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/rng.hpp"
#include "kernels/rng_streams.hpp"
#include "sim/errors.hpp"

namespace phsim {
namespace {

/// FNV-1a 32-bit hash of a group name: the fourth counter word of its parameters' draws.
std::uint32_t group_key(const std::string& name) {
  std::uint32_t h = 2166136261u;
  for (const char c : name) {
    h ^= static_cast<std::uint32_t>(static_cast<unsigned char>(c));
    h *= 16777619u;
  }
  return h;
}

/// The independent standard normal of one (parameter slot, replicate): words 0 and 1 of the
/// block, Box-Muller, cosine branch.
double independent_normal(std::uint32_t seed, std::uint32_t index, std::uint32_t key,
                          std::uint32_t replicate) {
  const Philox rng(seed, RngStream::Parameter, index, kParameterDrawMonth, replicate);
  const RandomBlock b = rng.block(key);
  const double u1 = Philox::to_uniform(b.v[0]);
  const double u2 = Philox::to_uniform(b.v[1]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::string format_double(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

/// Numerical Recipes `betacf`: continued fraction of the incomplete beta, modified Lentz.
double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 100000;
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  constexpr double kTiny = 1e-300;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double md = static_cast<double>(m);
    const double m2 = 2.0 * md;
    double aa = md * (b - md) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + md) * (qab + md) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) <= kEps) break;
  }
  return h;
}

/// Bisection for the x in [0, 1] with I_x(a, b) = p, until the bracket cannot be halved.
double bisect_incomplete_beta(double p, double a, double b) {
  double lo = 0.0, hi = 1.0;
  for (int it = 0; it < 2000; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (!(mid > lo && mid < hi)) break;
    if (regularized_incomplete_beta(mid, a, b) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

/// Beta quantile given p and q = 1 - p separately (q accurate when p is near 1).
double beta_quantile_pq(double p, double q, double a, double b) {
  if (!(p > 0.0)) return 0.0;
  if (!(q > 0.0)) return 1.0;
  if (p <= 0.5) return bisect_incomplete_beta(p, a, b);
  return 1.0 - bisect_incomplete_beta(q, b, a);
}

/// Percentile of already sorted values (see percentile_linear).
double percentile_sorted(const std::vector<double>& x, double q) {
  PHSIM_EXPECTS(q >= 0.0 && q <= 1.0, "percentile: q must be in [0, 1], got " + format_double(q),
                UsageError);
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double h = static_cast<double>(x.size() - 1) * q;
  const double fl = std::floor(h);
  const auto i = static_cast<std::size_t>(fl);
  if (i + 1 >= x.size()) return x.back();
  return x[i] + (h - fl) * (x[i + 1] - x[i]);
}

/// Where each parameter's normal comes from and how the groups are mixed.
struct GroupPlan {
  std::string name;
  std::uint32_t key = 0;
  bool independent = false;
  std::vector<std::size_t> members;  ///< parameter indices, in list order
  Eigen::MatrixXd lower;             ///< Cholesky factor L (correlated groups only)
};

std::vector<GroupPlan> plan_groups(const std::vector<UncertainParameter>& params,
                                   const std::vector<CorrelationGroup>& groups) {
  // Parameters: unique names, valid distributions.
  std::set<std::string> names;
  for (const UncertainParameter& p : params) {
    PHSIM_EXPECTS(!p.name.empty(), "uncertain parameter with an empty name", ScenarioError);
    PHSIM_EXPECTS(names.insert(p.name).second,
                  "uncertain parameter '" + p.name + "' is listed twice", ScenarioError);
    validate_distribution(p.dist, p.name);
  }
  // Groups: unique, non-empty names, rho a correlation.
  std::map<std::string, double> rho_of;
  for (const CorrelationGroup& g : groups) {
    PHSIM_EXPECTS(!g.name.empty(),
                  "correlation group with an empty name (\"\" means independent)", ScenarioError);
    PHSIM_EXPECTS(rho_of.emplace(g.name, g.rho).second,
                  "correlation group '" + g.name + "' is listed twice", ScenarioError);
    PHSIM_EXPECTS(std::isfinite(g.rho) && g.rho > -1.0 && g.rho < 1.0,
                  "correlation group '" + g.name + "': rho = " + format_double(g.rho) +
                      " must be in (-1, 1)",
                  ScenarioError);
  }
  // Groups in order of first use; "" is the independent pseudo-group.
  std::vector<GroupPlan> plans;
  std::map<std::string, std::size_t> plan_of;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string& g = params[i].group;
    auto it = plan_of.find(g);
    if (it == plan_of.end()) {
      PHSIM_EXPECTS(g.empty() || rho_of.count(g) != 0,
                    "uncertain parameter '" + params[i].name + "' names correlation group '" +
                        g + "', which is not defined",
                    ScenarioError);
      GroupPlan plan;
      plan.name = g;
      plan.key = group_key(g);
      plan.independent = g.empty();
      it = plan_of.emplace(g, plans.size()).first;
      plans.push_back(std::move(plan));
    }
    plans[it->second].members.push_back(i);
  }
  // Distinct groups must have distinct counter keys.
  std::map<std::uint32_t, std::string> by_key;
  for (const GroupPlan& plan : plans) {
    const auto [it, inserted] = by_key.emplace(plan.key, plan.name);
    PHSIM_EXPECTS(inserted,
                  "correlation groups '" + it->second + "' and '" + plan.name +
                      "' have the same random-number key; rename one of them",
                  ScenarioError);
  }
  // Equicorrelation and its Cholesky factor.
  for (GroupPlan& plan : plans) {
    if (plan.independent) continue;
    const double rho = rho_of.at(plan.name);
    const auto n = static_cast<Eigen::Index>(plan.members.size());
    if (n >= 2) {
      const double lower_bound = -1.0 / static_cast<double>(n - 1);
      PHSIM_EXPECTS(rho > lower_bound,
                    "correlation group '" + plan.name + "': rho = " + format_double(rho) +
                        " must be in (-1/(n-1), 1) = (" + format_double(lower_bound) +
                        ", 1) for its n = " + std::to_string(n) + " parameters",
                    ScenarioError);
    }
    Eigen::MatrixXd c = Eigen::MatrixXd::Constant(n, n, rho);
    c.diagonal().setOnes();
    const Eigen::LLT<Eigen::MatrixXd> llt(c);
    PHSIM_EXPECTS(llt.info() == Eigen::Success,
                  "correlation group '" + plan.name + "': the correlation matrix with rho = " +
                      format_double(rho) + " is not positive definite",
                  ScenarioError);
    plan.lower = llt.matrixL();
  }
  return plans;
}

}  // namespace

void validate_distribution(const Distribution& dist, const std::string& name) {
  const std::string where = "uncertain parameter '" + name + "' (" + dist.dist + "): ";
  const std::string& k = dist.dist;
  PHSIM_EXPECTS(k == "fixed" || k == "normal" || k == "lognormal" || k == "beta" ||
                    k == "uniform",
                "uncertain parameter '" + name + "': unknown distribution '" + k +
                    "' (expected fixed, normal, lognormal, beta or uniform)",
                ScenarioError);
  if (k == "uniform") {
    PHSIM_EXPECTS(std::isfinite(dist.low) && std::isfinite(dist.high) && dist.low <= dist.high,
                  where + "needs finite low <= high, got low = " + format_double(dist.low) +
                      ", high = " + format_double(dist.high),
                  ScenarioError);
    return;
  }
  PHSIM_EXPECTS(std::isfinite(dist.mean), where + "mean must be finite", ScenarioError);
  if (k == "fixed") return;
  PHSIM_EXPECTS(std::isfinite(dist.sd) && dist.sd >= 0.0,
                where + "sd must be finite and >= 0, got " + format_double(dist.sd),
                ScenarioError);
  if (k == "beta") {
    if (dist.sd == 0.0) {
      PHSIM_EXPECTS(dist.mean >= 0.0 && dist.mean <= 1.0,
                    where + "mean must be in [0, 1], got " + format_double(dist.mean),
                    ScenarioError);
      return;
    }
    PHSIM_EXPECTS(dist.mean > 0.0 && dist.mean < 1.0,
                  where + "mean must be in (0, 1), got " + format_double(dist.mean),
                  ScenarioError);
    PHSIM_EXPECTS(dist.sd * dist.sd < dist.mean * (1.0 - dist.mean),
                  where + "sd = " + format_double(dist.sd) +
                      " is too large for a beta with mean " + format_double(dist.mean) +
                      " (needs sd^2 < mean (1 - mean))",
                  ScenarioError);
  }
}

double standard_normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

BetaShape beta_parameters(double mean, double sd) {
  const double k = mean * (1.0 - mean) / (sd * sd) - 1.0;
  return BetaShape{mean * k, (1.0 - mean) * k};
}

double transform_standard_normal(const Distribution& dist, double z) {
  const std::string& k = dist.dist;
  if (k == "normal") return dist.mean + dist.sd * z;
  if (k == "lognormal") return std::exp(dist.mean + dist.sd * z);
  if (k == "uniform") return dist.low + (dist.high - dist.low) * standard_normal_cdf(z);
  if (k == "beta") {
    if (dist.sd == 0.0) return dist.mean;
    const BetaShape s = beta_parameters(dist.mean, dist.sd);
    const double p = standard_normal_cdf(z);
    const double q = 0.5 * std::erfc(z / std::numbers::sqrt2);  // 1 - p, accurate for large z
    return beta_quantile_pq(p, q, s.a, s.b);
  }
  return dist.mean;  // fixed
}

double regularized_incomplete_beta(double x, double a, double b) {
  if (!(x > 0.0)) return 0.0;
  if (!(x < 1.0)) return 1.0;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                           a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

double beta_quantile(double p, double a, double b) { return beta_quantile_pq(p, 1.0 - p, a, b); }

std::vector<std::vector<double>> draw_standard_normals(
    const std::vector<UncertainParameter>& params, const std::vector<CorrelationGroup>& groups,
    std::uint32_t seed, int replicates) {
  PHSIM_EXPECTS(replicates >= 0,
                "draw_parameters: replicates must be >= 0, got " + std::to_string(replicates),
                UsageError);
  const std::vector<GroupPlan> plans = plan_groups(params, groups);
  std::vector<std::vector<double>> z(static_cast<std::size_t>(replicates),
                                     std::vector<double>(params.size(), 0.0));
  for (int r = 0; r < replicates; ++r) {
    const auto rep = static_cast<std::uint32_t>(r);
    std::vector<double>& row = z[static_cast<std::size_t>(r)];
    for (const GroupPlan& plan : plans) {
      const auto n = static_cast<Eigen::Index>(plan.members.size());
      Eigen::VectorXd zi(n);
      for (Eigen::Index j = 0; j < n; ++j) {
        zi(j) = independent_normal(seed, static_cast<std::uint32_t>(j), plan.key, rep);
      }
      if (!plan.independent) zi = plan.lower * zi;
      for (Eigen::Index j = 0; j < n; ++j) {
        row[plan.members[static_cast<std::size_t>(j)]] = zi(j);
      }
    }
  }
  return z;
}

std::vector<std::vector<double>> draw_parameters(const std::vector<UncertainParameter>& params,
                                                 const std::vector<CorrelationGroup>& groups,
                                                 std::uint32_t seed, int replicates) {
  std::vector<std::vector<double>> values = draw_standard_normals(params, groups, seed, replicates);
  for (std::vector<double>& row : values) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      row[i] = transform_standard_normal(params[i].dist, row[i]);
    }
  }
  return values;
}

std::vector<std::string> parameter_names(const std::vector<UncertainParameter>& params) {
  std::vector<std::string> names;
  names.reserve(params.size());
  for (const UncertainParameter& p : params) names.push_back(p.name);
  return names;
}

std::vector<double> parameter_column(const std::vector<std::vector<double>>& values,
                                     std::size_t parameter) {
  std::vector<double> column;
  column.reserve(values.size());
  for (const std::vector<double>& row : values) {
    PHSIM_EXPECTS(parameter < row.size(),
                  "parameter_column: index " + std::to_string(parameter) + " out of range",
                  UsageError);
    column.push_back(row[parameter]);
  }
  return column;
}

double percentile_linear(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return percentile_sorted(values, q);
}

UncertaintySummary summarize(const std::vector<double>& values) {
  if (values.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return UncertaintySummary{nan, nan, nan};
  }
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0.0;
  for (const double v : values) sum += v;
  return UncertaintySummary{sum / static_cast<double>(values.size()),
                            percentile_sorted(sorted, 0.025), percentile_sorted(sorted, 0.975)};
}

}  // namespace phsim
