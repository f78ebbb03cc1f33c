// Tests of sim/uncertainty.* (Monte Carlo parameter draws, DESIGN.md §9).
//
// Statistical tolerances are derived from the number of replicates N (4 standard errors):
//   sample mean:   sd / sqrt(N)
//   sample sd:     sd * sqrt(excess_kurtosis + 2) / (2 sqrt(N))   (= sd / sqrt(2N) for a normal)
//   sample median of a normal: sqrt(pi/2) sd / sqrt(N)
//   sample correlation: (1 - rho^2) / sqrt(N) <= 1 / sqrt(N)
// The draws are deterministic (fixed seed), so each check either always passes or always fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "kernels/rng.hpp"
#include "sim/config.hpp"
#include "sim/errors.hpp"
#include "sim/uncertainty.hpp"

namespace phsim {
namespace {

constexpr int kN = 20000;
constexpr std::uint32_t kSeed = 20240917u;

Distribution normal(double mean, double sd) { return Distribution{"normal", mean, sd, 0.0, 0.0}; }
Distribution lognormal(double mean, double sd) {
  return Distribution{"lognormal", mean, sd, 0.0, 0.0};
}
Distribution beta(double mean, double sd) { return Distribution{"beta", mean, sd, 0.0, 0.0}; }
Distribution uniform(double low, double high) {
  return Distribution{"uniform", 0.0, 0.0, low, high};
}
Distribution fixed(double value) { return Distribution{"fixed", value, 0.0, 0.0, 0.0}; }

double mean_of(const std::vector<double>& x) {
  double s = 0.0;
  for (const double v : x) s += v;
  return s / static_cast<double>(x.size());
}

double sd_of(const std::vector<double>& x) {
  const double m = mean_of(x);
  double s = 0.0;
  for (const double v : x) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(x.size() - 1));
}

double corr_of(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = mean_of(x), my = mean_of(y);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

/// 4 standard errors of the sample sd for a distribution with this sd and excess kurtosis.
double sd_tolerance(double sd, double excess_kurtosis, int n) {
  return 4.0 * sd * std::sqrt(excess_kurtosis + 2.0) / (2.0 * std::sqrt(static_cast<double>(n)));
}

double beta_excess_kurtosis(double a, double b) {
  return 6.0 * ((a - b) * (a - b) * (a + b + 1.0) - a * b * (a + b + 2.0)) /
         (a * b * (a + b + 2.0) * (a + b + 3.0));
}

std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (const char c : s) {
    h ^= static_cast<std::uint32_t>(static_cast<unsigned char>(c));
    h *= 16777619u;
  }
  return h;
}

// ---- marginals ------------------------------------------------------------------------------

enum Marginal { kNormal, kLognormal, kBeta, kBetaSkewed, kUniform, kFixed, kMarginals };

const std::vector<UncertainParameter>& marginal_params() {
  static const std::vector<UncertainParameter> params = {
      {"normal", normal(1.5, 0.4), ""},
      {"lognormal", lognormal(-0.7, 0.5), ""},
      {"beta", beta(0.3, 0.1), ""},           // a = 6, b = 14
      {"beta_skewed", beta(0.05, 0.04), ""},  // a ~ 1.43, b ~ 27.3
      {"uniform", uniform(2.0, 5.0), ""},
      {"fixed", fixed(0.125), ""},
  };
  return params;
}

const std::vector<std::vector<double>>& marginal_draws() {
  static const std::vector<std::vector<double>> draws =
      draw_parameters(marginal_params(), {}, kSeed, kN);
  return draws;
}

std::vector<double> marginal(Marginal m) {
  return parameter_column(marginal_draws(), static_cast<std::size_t>(m));
}

TEST(UncertaintyMarginals, ShapeAndNames) {
  ASSERT_EQ(marginal_draws().size(), static_cast<std::size_t>(kN));
  for (const auto& row : marginal_draws()) ASSERT_EQ(row.size(), std::size_t{kMarginals});
  const std::vector<std::string> names = parameter_names(marginal_params());
  ASSERT_EQ(names.size(), std::size_t{kMarginals});
  EXPECT_EQ(names[kNormal], "normal");
  EXPECT_EQ(names[kFixed], "fixed");
}

TEST(UncertaintyMarginals, NormalMeanAndSd) {
  const std::vector<double> x = marginal(kNormal);
  const double sd = 0.4, root_n = std::sqrt(double{kN});
  EXPECT_NEAR(mean_of(x), 1.5, 4.0 * sd / root_n);
  // sd of the sample sd of a normal ~ sd / sqrt(2N): 4 of them = 2% of sd at N = 20,000.
  EXPECT_NEAR(sd_of(x), sd, 4.0 * sd / std::sqrt(2.0 * kN));
  EXPECT_NEAR(sd_of(x), sd, sd_tolerance(sd, 0.0, kN));
}

TEST(UncertaintyMarginals, LognormalMedianIsExpOfMean) {
  const std::vector<double> x = marginal(kLognormal);
  for (const double v : x) ASSERT_GT(v, 0.0);
  const double median = percentile_linear(x, 0.5);
  // log of the median = median of the normal: se sqrt(pi/2) sd / sqrt(N).
  const double tol = 4.0 * std::sqrt(std::numbers::pi / 2.0) * 0.5 / std::sqrt(double{kN});
  EXPECT_NEAR(std::log(median), -0.7, tol);
  EXPECT_NEAR(median, std::exp(-0.7), std::exp(-0.7) * (std::exp(tol) - 1.0) * 1.01);
  std::vector<double> logs;
  for (const double v : x) logs.push_back(std::log(v));
  EXPECT_NEAR(mean_of(logs), -0.7, 4.0 * 0.5 / std::sqrt(double{kN}));
  EXPECT_NEAR(sd_of(logs), 0.5, sd_tolerance(0.5, 0.0, kN));
}

void check_beta(Marginal m, double mean, double sd) {
  const std::vector<double> x = marginal(m);
  for (const double v : x) {
    ASSERT_GT(v, 0.0);
    ASSERT_LT(v, 1.0);
  }
  const BetaShape s = beta_parameters(mean, sd);
  EXPECT_NEAR(mean_of(x), mean, 4.0 * sd / std::sqrt(double{kN}));
  EXPECT_NEAR(sd_of(x), sd, sd_tolerance(sd, beta_excess_kurtosis(s.a, s.b), kN));
}

TEST(UncertaintyMarginals, BetaMeanAndSd) {
  const BetaShape s = beta_parameters(0.3, 0.1);
  EXPECT_NEAR(s.a, 6.0, 1e-12);
  EXPECT_NEAR(s.b, 14.0, 1e-12);
  check_beta(kBeta, 0.3, 0.1);
  check_beta(kBetaSkewed, 0.05, 0.04);
}

TEST(UncertaintyMarginals, UniformBoundsAndMean) {
  const std::vector<double> x = marginal(kUniform);
  const double low = 2.0, high = 5.0, sd = (high - low) / std::sqrt(12.0);
  for (const double v : x) {
    ASSERT_GE(v, low);
    ASSERT_LE(v, high);
  }
  EXPECT_NEAR(mean_of(x), 3.5, 4.0 * sd / std::sqrt(double{kN}));
  EXPECT_NEAR(sd_of(x), sd, sd_tolerance(sd, -1.2, kN));
  // P(min > low + 0.001 (high - low)) = 0.999^N ~ 2e-9: the draws reach both ends.
  EXPECT_LT(*std::min_element(x.begin(), x.end()), low + 0.001 * (high - low));
  EXPECT_GT(*std::max_element(x.begin(), x.end()), high - 0.001 * (high - low));
}

TEST(UncertaintyMarginals, FixedReturnsTheValue) {
  for (const double v : marginal(kFixed)) ASSERT_EQ(v, 0.125);
  // Also inside a correlated group, and degenerate normal / beta with sd = 0.
  const std::vector<UncertainParameter> params = {{"a", fixed(3.0), "g"},
                                                  {"b", normal(1.0, 0.2), "g"},
                                                  {"c", normal(-2.0, 0.0), ""},
                                                  {"d", beta(0.4, 0.0), ""}};
  for (const auto& row : draw_parameters(params, {{"g", 0.5}}, kSeed, 50)) {
    EXPECT_EQ(row[0], 3.0);
    EXPECT_EQ(row[2], -2.0);
    EXPECT_EQ(row[3], 0.4);
  }
}

TEST(UncertaintyMarginals, TransformOfKnownNormals) {
  EXPECT_DOUBLE_EQ(transform_standard_normal(normal(1.0, 2.0), 0.5), 2.0);
  EXPECT_DOUBLE_EQ(transform_standard_normal(lognormal(1.0, 2.0), 0.5), std::exp(2.0));
  EXPECT_DOUBLE_EQ(transform_standard_normal(uniform(2.0, 6.0), 0.0), 4.0);
  EXPECT_NEAR(transform_standard_normal(uniform(0.0, 1.0), 1.959963984540054), 0.975, 1e-12);
  EXPECT_NEAR(transform_standard_normal(beta(0.4, 0.2), 0.0),
              beta_quantile(0.5, beta_parameters(0.4, 0.2).a, beta_parameters(0.4, 0.2).b),
              1e-15);
  EXPECT_NEAR(standard_normal_cdf(-1.0), 0.15865525393145705, 1e-15);
}

// ---- the draw layout ------------------------------------------------------------------------

TEST(UncertaintyLayout, MatchesTheDocumentedPhiloxCounters) {
  // Independent parameter k (k-th among group "") and the first member of group "g" (whose
  // Cholesky row is (1, 0, ...)): z = sqrt(-2 ln u1) cos(2 pi u2) from words 0 and 1 of block
  // group_key of counter (k, kParameterDrawMonth, r).
  const std::vector<UncertainParameter> params = {{"i0", normal(0, 1), ""},
                                                  {"g0", normal(0, 1), "g"},
                                                  {"i1", normal(0, 1), ""},
                                                  {"g1", normal(0, 1), "g"}};
  const auto z = draw_standard_normals(params, {{"g", 0.3}}, kSeed, 5);
  auto expected = [](std::uint32_t index, const std::string& group, std::uint32_t r) {
    const RandomBlock b =
        Philox(kSeed, RngStream::Parameter, index, kParameterDrawMonth, r).block(fnv1a(group));
    const double u1 = Philox::to_uniform(b.v[0]), u2 = Philox::to_uniform(b.v[1]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  };
  for (std::uint32_t r = 0; r < 5; ++r) {
    EXPECT_EQ(z[r][0], expected(0, "", r));
    EXPECT_EQ(z[r][2], expected(1, "", r));
    EXPECT_EQ(z[r][1], expected(0, "g", r));
    // Second member: rho z0 + sqrt(1 - rho^2) z1 (row 1 of the Cholesky factor).
    EXPECT_NEAR(z[r][3], 0.3 * expected(0, "g", r) + std::sqrt(1 - 0.09) * expected(1, "g", r),
                1e-14);
  }
}

// ---- correlation ----------------------------------------------------------------------------

TEST(UncertaintyCorrelation, EquicorrelatedGroupAndIndependentParameters) {
  const std::vector<UncertainParameter> params = {
      {"g.normal_a", normal(2.0, 3.0), "g"},  {"ind_1", normal(0.0, 1.0), ""},
      {"g.normal_b", normal(-1.0, 0.5), "g"}, {"h.x", normal(0.0, 1.0), "h"},
      {"g.beta", beta(0.3, 0.1), "g"},        {"ind_2", lognormal(0.0, 0.3), ""},
      {"h.y", normal(0.0, 1.0), "h"}};
  const std::vector<CorrelationGroup> groups = {{"g", 0.6}, {"h", 0.3}};
  const auto z = draw_standard_normals(params, groups, kSeed, kN);
  const auto v = draw_parameters(params, groups, kSeed, kN);
  const double tol = 4.0 / std::sqrt(double{kN});
  auto zc = [&](std::size_t i) { return parameter_column(z, i); };
  auto vc = [&](std::size_t i) { return parameter_column(v, i); };

  // Underlying normals: unit variance, correlation rho within the group.
  for (const std::size_t i : {0, 2, 4}) {
    EXPECT_NEAR(mean_of(zc(i)), 0.0, tol);
    EXPECT_NEAR(sd_of(zc(i)), 1.0, sd_tolerance(1.0, 0.0, kN));
  }
  EXPECT_NEAR(corr_of(zc(0), zc(2)), 0.6, tol);
  EXPECT_NEAR(corr_of(zc(0), zc(4)), 0.6, tol);
  EXPECT_NEAR(corr_of(zc(2), zc(4)), 0.6, tol);
  EXPECT_NEAR(corr_of(zc(3), zc(6)), 0.3, tol);
  // Transformed normals keep it (affine maps); the beta keeps a strong positive one.
  EXPECT_NEAR(corr_of(vc(0), vc(2)), 0.6, tol);
  EXPECT_GT(corr_of(vc(0), vc(4)), 0.5);
  // Independent parameters and parameters of different groups are uncorrelated.
  const std::vector<std::pair<std::size_t, std::size_t>> independent = {
      {1, 5}, {1, 0}, {1, 2}, {5, 4}, {1, 3}, {0, 3}, {2, 6}, {4, 3}, {5, 6}};
  for (const auto& [a, b] : independent) {
    EXPECT_LT(std::fabs(corr_of(zc(a), zc(b))), tol) << params[a].name << " vs " << params[b].name;
  }
  // Replicates are independent of each other: lag-1 autocorrelation of one parameter.
  std::vector<double> x = zc(0), lag(x.begin() + 1, x.end());
  x.pop_back();
  EXPECT_LT(std::fabs(corr_of(x, lag)), tol);
}

TEST(UncertaintyCorrelation, NegativeRhoNearTheBound) {
  // n = 3: rho > -1/2. With rho = -0.45 the three normals sum to almost nothing.
  const std::vector<UncertainParameter> params = {
      {"a", normal(0, 1), "neg"}, {"b", normal(0, 1), "neg"}, {"c", normal(0, 1), "neg"}};
  const auto z = draw_standard_normals(params, {{"neg", -0.45}}, kSeed, kN);
  const double tol = 4.0 / std::sqrt(double{kN});
  EXPECT_NEAR(corr_of(parameter_column(z, 0), parameter_column(z, 1)), -0.45, tol);
  EXPECT_NEAR(corr_of(parameter_column(z, 1), parameter_column(z, 2)), -0.45, tol);
}

// ---- determinism ----------------------------------------------------------------------------

std::vector<UncertainParameter> mixed_params() {
  return {{"a1", normal(0.2, 0.1), "a"},   {"i1", beta(0.3, 0.1), ""},
          {"a2", lognormal(0.0, 0.2), "a"}, {"b1", uniform(0.0, 1.0), "b"},
          {"a3", beta(0.6, 0.2), "a"},      {"i2", normal(5.0, 1.0), ""}};
}
const std::vector<CorrelationGroup> kMixedGroups = {{"a", 0.5}, {"b", 0.2}};

TEST(UncertaintyDeterminism, SameSeedSameDrawsDifferentSeedDifferent) {
  const auto x = draw_parameters(mixed_params(), kMixedGroups, kSeed, 200);
  const auto y = draw_parameters(mixed_params(), kMixedGroups, kSeed, 200);
  EXPECT_EQ(x, y);
  const auto w = draw_parameters(mixed_params(), kMixedGroups, kSeed + 1, 200);
  int same = 0;
  for (std::size_t r = 0; r < x.size(); ++r) {
    for (std::size_t p = 0; p < x[r].size(); ++p) same += x[r][p] == w[r][p];
  }
  EXPECT_EQ(same, 0);
}

TEST(UncertaintyDeterminism, ReplicateDoesNotDependOnTheNumberOfReplicates) {
  const auto ten = draw_parameters(mixed_params(), kMixedGroups, kSeed, 10);
  const auto hundred = draw_parameters(mixed_params(), kMixedGroups, kSeed, 100);
  ASSERT_EQ(ten.size(), 10u);
  ASSERT_EQ(hundred.size(), 100u);
  for (std::size_t r = 0; r < ten.size(); ++r) EXPECT_EQ(ten[r], hundred[r]) << "replicate " << r;
  EXPECT_TRUE(draw_parameters(mixed_params(), kMixedGroups, kSeed, 0).empty());
  // Replicates differ from each other.
  EXPECT_NE(hundred[0], hundred[1]);
}

TEST(UncertaintyDeterminism, OtherGroupsDoNotChangeAParametersDraws) {
  const auto base = draw_parameters(mixed_params(), kMixedGroups, kSeed, 50);
  // A new group in front, a parameter added to group b (before the a's in list order), the
  // groups listed in another order.
  std::vector<UncertainParameter> more = mixed_params();
  more.insert(more.begin(), {"c1", normal(1.0, 1.0), "c"});
  more.insert(more.begin() + 1, {"b0", normal(1.0, 1.0), "b"});
  more.push_back({"c2", beta(0.5, 0.1), "c"});
  more.push_back({"b2", normal(0.0, 1.0), "b"});
  const std::vector<CorrelationGroup> more_groups = {{"c", 0.9}, {"b", 0.2}, {"a", 0.5}};
  const auto extended = draw_parameters(more, more_groups, kSeed, 50);
  // Where each original parameter now sits.
  auto index_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < more.size(); ++i) {
      if (more[i].name == name) return i;
    }
    return more.size();
  };
  const std::vector<UncertainParameter> original = mixed_params();
  for (std::size_t p = 0; p < original.size(); ++p) {
    if (original[p].group == "b") continue;  // its group grew: checked below
    const std::size_t q = index_of(original[p].name);
    for (std::size_t r = 0; r < base.size(); ++r) {
      EXPECT_EQ(base[r][p], extended[r][q]) << original[p].name << " replicate " << r;
    }
  }
  // Group b gained a member before b1, so b1 is now the second of b: its draws change; the
  // equicorrelation's leading Cholesky rows do not depend on the size, so a member *appended*
  // to a group leaves the earlier ones unchanged (up to rounding).
  std::vector<UncertainParameter> appended = mixed_params();
  appended.push_back({"a4", normal(0.0, 1.0), "a"});
  const auto with_a4 = draw_parameters(appended, kMixedGroups, kSeed, 50);
  for (std::size_t r = 0; r < base.size(); ++r) {
    for (std::size_t p = 0; p < original.size(); ++p) {
      EXPECT_NEAR(base[r][p], with_a4[r][p], 1e-12 * (1.0 + std::fabs(base[r][p])));
    }
  }
}

// ---- validation -----------------------------------------------------------------------------

template <typename F>
std::string scenario_error_message(F f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no ScenarioError)";
}

TEST(UncertaintyValidation, InvalidRhoNamesTheGroup) {
  const std::vector<UncertainParameter> three = {{"x", normal(0, 1), "pso_coaching"},
                                                 {"y", normal(0, 1), "pso_coaching"},
                                                 {"z", normal(0, 1), "pso_coaching"}};
  for (const double rho : {-0.5, -0.7, 1.0, 1.5, -1.0, std::numeric_limits<double>::quiet_NaN()}) {
    const std::string msg = scenario_error_message(
        [&] { draw_parameters(three, {{"pso_coaching", rho}}, kSeed, 3); });
    EXPECT_NE(msg.find("pso_coaching"), std::string::npos) << "rho " << rho << ": " << msg;
  }
  EXPECT_NO_THROW(draw_parameters(three, {{"pso_coaching", -0.49}}, kSeed, 3));
  EXPECT_NO_THROW(draw_parameters(three, {{"pso_coaching", 0.99}}, kSeed, 3));
  // n = 2: any rho in (-1, 1).
  const std::vector<UncertainParameter> two(three.begin(), three.begin() + 2);
  EXPECT_NO_THROW(draw_parameters(two, {{"pso_coaching", -0.99}}, kSeed, 3));
}

TEST(UncertaintyValidation, BadGroupsAndDistributions) {
  const std::vector<UncertainParameter> p = {{"x", normal(0, 1), "nowhere"}};
  EXPECT_NE(scenario_error_message([&] { draw_parameters(p, {}, kSeed, 1); }).find("nowhere"),
            std::string::npos);
  const std::vector<UncertainParameter> ok = {{"x", normal(0, 1), "g"}};
  EXPECT_THROW(draw_parameters(ok, {{"g", 0.1}, {"g", 0.2}}, kSeed, 1), ScenarioError);
  EXPECT_THROW(draw_parameters(ok, {{"g", 0.1}, {"", 0.2}}, kSeed, 1), ScenarioError);
  EXPECT_THROW(draw_parameters({{"x", normal(0, 1), ""}, {"x", normal(0, 1), ""}}, {}, kSeed, 1),
               ScenarioError);
  auto bad = [](const Distribution& d) {
    return scenario_error_message([&] { draw_parameters({{"the.param", d, ""}}, {}, kSeed, 1); });
  };
  for (const Distribution& d :
       {beta(0.5, 0.5), beta(1.2, 0.1), beta(0.0, 0.1), normal(0.0, -1.0), uniform(3.0, 1.0),
        Distribution{"gamma", 1.0, 1.0, 0.0, 0.0}, lognormal(std::nan(""), 1.0)}) {
    EXPECT_NE(bad(d).find("the.param"), std::string::npos) << d.dist << ": " << bad(d);
  }
  EXPECT_THROW(draw_parameters(ok, {{"g", 0.1}}, kSeed, -1), UsageError);
}

// ---- incomplete beta and its inverse --------------------------------------------------------

/// I_x(a, b) for integer a, b: P(Binomial(a + b - 1, x) >= a).
double binomial_upper_tail(int a, int b, double x) {
  const int n = a + b - 1;
  long double s = 0.0L;
  for (int k = a; k <= n; ++k) {
    const double log_pmf = std::lgamma(n + 1.0) - std::lgamma(k + 1.0) -
                           std::lgamma(n - k + 1.0) + k * std::log(x) + (n - k) * std::log1p(-x);
    s += std::exp(static_cast<long double>(log_pmf));
  }
  return static_cast<double>(s);
}

TEST(UncertaintyBeta, RegularizedIncompleteBetaKnownValues) {
  EXPECT_NEAR(regularized_incomplete_beta(0.3, 2.0, 3.0), 0.3483, 1e-14);
  EXPECT_NEAR(regularized_incomplete_beta(0.37, 1.0, 1.0), 0.37, 1e-15);
  EXPECT_NEAR(regularized_incomplete_beta(0.2, 0.5, 0.5),
              2.0 / std::numbers::pi * std::asin(std::sqrt(0.2)), 1e-14);
  EXPECT_NEAR(regularized_incomplete_beta(0.4, 30.0, 45.0), binomial_upper_tail(30, 45, 0.4),
              1e-12);
  EXPECT_NEAR(regularized_incomplete_beta(0.55, 7.0, 4.0), binomial_upper_tail(7, 4, 0.55),
              1e-13);
  EXPECT_EQ(regularized_incomplete_beta(0.0, 2.0, 3.0), 0.0);
  EXPECT_EQ(regularized_incomplete_beta(1.0, 2.0, 3.0), 1.0);
  // Symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
  EXPECT_NEAR(regularized_incomplete_beta(0.7, 2.5, 1.3),
              1.0 - regularized_incomplete_beta(0.3, 1.3, 2.5), 1e-14);
}

TEST(UncertaintyBeta, QuantileKnownValues) {
  EXPECT_NEAR(beta_quantile(0.5, 2.0, 3.0), 0.38572756813, 1e-10);
  EXPECT_NEAR(beta_quantile(0.5, 2.0, 3.0), 0.38572756813238945, 1e-12);
  EXPECT_NEAR(beta_quantile(0.25, 0.5, 0.5), 0.14644660940673, 1e-12);
  // Beta(1/2, 1/2) (arcsine): quantile sin^2(pi p / 2), also far in the tails.
  for (const double p : {1e-9, 1e-4, 0.01, 0.3, 0.5, 0.9, 0.9999, 1.0 - 1e-9}) {
    const double s = std::sin(std::numbers::pi * p / 2.0);
    EXPECT_NEAR(beta_quantile(p, 0.5, 0.5), s * s, 1e-10) << p;
  }
  EXPECT_NEAR(beta_quantile(0.2, 3.7, 1.0), std::pow(0.2, 1.0 / 3.7), 1e-10);
  EXPECT_NEAR(beta_quantile(0.95, 1.0, 2.5), 1.0 - std::pow(0.05, 1.0 / 2.5), 1e-10);
  EXPECT_NEAR(beta_quantile(0.123, 1.0, 1.0), 0.123, 1e-12);
  EXPECT_EQ(beta_quantile(0.0, 2.0, 3.0), 0.0);
  EXPECT_EQ(beta_quantile(1.0, 2.0, 3.0), 1.0);
  // Round trips, including large and small shapes.
  for (const auto& [a, b] : std::vector<std::pair<double, double>>{
           {50.0, 70.0}, {0.3, 4.0}, {1.43, 27.3}, {200.0, 5.0}}) {
    for (const double p : {0.001, 0.025, 0.5, 0.975, 0.999}) {
      const double x = beta_quantile(p, a, b);
      EXPECT_NEAR(regularized_incomplete_beta(x, a, b), p, 1e-11) << a << "," << b << " " << p;
    }
  }
}

// ---- percentiles ----------------------------------------------------------------------------

TEST(UncertaintySummary, PercentileLinearMatchesHandComputedValues) {
  // Sorted: 1 1 2 3 4 5 6 9 (n = 8): h = 7 q.
  const std::vector<double> x = {3, 1, 4, 1, 5, 9, 2, 6};
  EXPECT_DOUBLE_EQ(percentile_linear(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(percentile_linear(x, 1.0), 9.0);
  EXPECT_DOUBLE_EQ(percentile_linear(x, 0.5), 3.5);     // h = 3.5: 3 + 0.5 (4 - 3)
  EXPECT_DOUBLE_EQ(percentile_linear(x, 0.3), 2.1);     // h = 2.1: 2 + 0.1 (3 - 2)
  EXPECT_DOUBLE_EQ(percentile_linear(x, 0.025), 1.0);   // h = 0.175: 1 + 0.175 (1 - 1)
  EXPECT_DOUBLE_EQ(percentile_linear(x, 0.975), 8.475); // h = 6.825: 6 + 0.825 (9 - 6)
  // 10 20 30 40 50 (n = 5): h = 4 q.
  const std::vector<double> y = {50, 10, 40, 20, 30};
  EXPECT_DOUBLE_EQ(percentile_linear(y, 0.025), 11.0);  // h = 0.1
  EXPECT_DOUBLE_EQ(percentile_linear(y, 0.975), 49.0);  // h = 3.9
  EXPECT_DOUBLE_EQ(percentile_linear(y, 0.1), 14.0);    // h = 0.4
  const UncertaintySummary s = summarize(y);
  EXPECT_DOUBLE_EQ(s.mean, 30.0);
  EXPECT_DOUBLE_EQ(s.p025, 11.0);
  EXPECT_DOUBLE_EQ(s.p975, 49.0);
  const UncertaintySummary one = summarize({7.0});
  EXPECT_EQ(one.mean, 7.0);
  EXPECT_EQ(one.p025, 7.0);
  EXPECT_EQ(one.p975, 7.0);
  EXPECT_TRUE(std::isnan(summarize({}).mean));
  EXPECT_TRUE(std::isnan(percentile_linear({}, 0.5)));
  EXPECT_THROW(percentile_linear(x, 1.5), UsageError);
}

}  // namespace
}  // namespace phsim
