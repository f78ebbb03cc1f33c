#pragma once
/// @file Monte Carlo draws of uncertain parameters (DESIGN.md §9): each replicate draws every
/// uncertain parameter once, on the host, before the run. Parameters of one correlation group
/// share an equicorrelation of their underlying standard normals; each marginal is then
/// transformed to its distribution (sim/config.hpp `Distribution`).
///
/// Draw layout (stream `RngStream::Parameter`, key (seed, Parameter)):
///
///   counter = (index of the parameter within its group, kParameterDrawMonth, replicate r,
///              group_key(group))
///
///   - "index within its group": the parameter's position among the parameters (in list order)
///     that name the same group; independent parameters (group "") form one pseudo-group of
///     their own and are numbered among themselves.
///   - group_key = FNV-1a 32-bit hash of the group name ("" included). Two distinct groups of one
///     call with the same key are refused (ScenarioError), so no two parameters share a counter.
///   - words 0 and 1 of the block are u1, u2 = (x + 0.5) / 2^32 (Philox::to_uniform, never 0 or
///     1); z = sqrt(-2 ln u1) cos(2 pi u2) (Box-Muller, cosine branch only). Words 2 and 3 are
///     unused (reserved).
///
/// Consequences: a parameter's draw for replicate r depends only on (seed, its group's name, its
/// index within the group, the group's rho, r), never on how many replicates are drawn nor on
/// the size or order of other groups. The Cholesky factor of an equicorrelation matrix has
/// leading rows that do not depend on the matrix size, so appending a parameter to a group does
/// not change its earlier members' values either (up to rounding). A `fixed` parameter keeps its
/// slot (and its normal, unused) so that fixing a sibling does not change the others' draws.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/config.hpp"

namespace phsim {

/// The month word of every parameter draw's Philox counter (a fixed constant).
inline constexpr std::uint32_t kParameterDrawMonth = 0u;

/// One uncertain parameter.
struct UncertainParameter {
  std::string name;   ///< unique, e.g. "intervention.pso_coaching.effect.W30-6"
  Distribution dist;  ///< fixed, normal, lognormal, beta or uniform
  std::string group;  ///< correlation group ("" = independent)
};

/// Equicorrelation of the underlying standard normals of one group's parameters.
struct CorrelationGroup {
  std::string name;
  double rho = 0.0;  ///< -1/(n-1) < rho < 1, n = the group's number of parameters
};

/// values[replicate][parameter] (parameters in input order). Deterministic in (seed, the
/// parameters' groups and positions within them, replicate); see the draw layout above.
/// Throws ScenarioError for a duplicate parameter name, an invalid distribution (unknown kind,
/// negative sd, beta mean outside (0,1) or sd too large for it, uniform high < low), a group
/// named by a parameter but not listed, a duplicate group, an invalid rho (naming the group) or
/// a correlation matrix that is not positive definite; UsageError for replicates < 0.
std::vector<std::vector<double>> draw_parameters(const std::vector<UncertainParameter>& params,
                                                 const std::vector<CorrelationGroup>& groups,
                                                 std::uint32_t seed, int replicates);

/// The correlated standard normals that draw_parameters transforms: z[replicate][parameter]
/// (also for fixed parameters). Same validation and layout as draw_parameters.
std::vector<std::vector<double>> draw_standard_normals(
    const std::vector<UncertainParameter>& params, const std::vector<CorrelationGroup>& groups,
    std::uint32_t seed, int replicates);

/// The parameters' names, in order (the `parameter` coordinate).
std::vector<std::string> parameter_names(const std::vector<UncertainParameter>& params);

/// values[r][parameter] for every replicate r: one parameter's replicate draws.
std::vector<double> parameter_column(const std::vector<std::vector<double>>& values,
                                     std::size_t parameter);

/// Throws ScenarioError (naming `name`) unless `dist` is a valid distribution.
void validate_distribution(const Distribution& dist, const std::string& name);

/// The value of `dist` whose underlying standard normal is z: normal: mean + sd z; lognormal:
/// exp(mean + sd z); uniform: low + (high - low) Phi(z); beta: the Beta(a, b) quantile at Phi(z)
/// (a, b by the method of moments, beta_parameters); fixed: mean. sd = 0 gives the mean for
/// normal and beta, exp(mean) for lognormal. Assumes a valid distribution.
double transform_standard_normal(const Distribution& dist, double z);

/// Standard normal CDF, Phi(z) = 0.5 erfc(-z / sqrt 2).
double standard_normal_cdf(double z);

/// Beta(a, b) with the given mean in (0,1) and sd > 0, by the method of moments:
/// k = mean (1 - mean) / sd^2 - 1, a = mean k, b = (1 - mean) k (needs sd^2 < mean (1 - mean)).
struct BetaShape {
  double a = 1.0, b = 1.0;
};
BetaShape beta_parameters(double mean, double sd);

/// Regularized incomplete beta function I_x(a, b) (a, b > 0, 0 <= x <= 1): continued fraction
/// (Numerical Recipes `betai`/`betacf`, modified Lentz), relative accuracy about 1e-14.
double regularized_incomplete_beta(double x, double a, double b);

/// The Beta(a, b) quantile at p in [0, 1]: bisection on regularized_incomplete_beta until the
/// bracket cannot be halved in double precision (absolute error well below 1e-10).
/// For p > 0.5 it uses x = 1 - quantile(Beta(b, a), 1 - p).
double beta_quantile(double p, double a, double b);

/// Percentile of `values` at fraction q in [0, 1] (not percent), numpy's default 'linear'
/// definition (Hyndman & Fan type 7): sort ascending to x[0..n-1], h = (n - 1) q,
/// value = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). NaN for an empty vector.
/// Values must not be NaN.
double percentile_linear(std::vector<double> values, double q);

/// Summary of a replicate distribution: mean and the 2.5% and 97.5% percentiles
/// (percentile_linear). All NaN for an empty vector.
struct UncertaintySummary {
  double mean = 0.0;
  double p025 = 0.0;
  double p975 = 0.0;
};
UncertaintySummary summarize(const std::vector<double>& values);

}  // namespace phsim
