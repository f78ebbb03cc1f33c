#pragma once
/// @file Paired scenario comparison (`phsim compare`) and the replicate summaries of measure
/// rates written to every results file.
///
/// Scenarios in one file share their random numbers (same seed, same replicates), so replicate r
/// of one scenario is paired with replicate r of another: the comparison is computed per replicate
/// (alt − base) and then summarized over replicates as a mean and a 95% interval.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace phsim {

class ResultsWriter;

// Percentiles: percentile_linear (sim/uncertainty.hpp), numpy's default 'linear' method
// (linear interpolation between order statistics).

/// Quantile of Student's t distribution with `df` ≥ 1 degrees of freedom, p in (0, 1).
double student_t_quantile(double p, int df);

/// How a 95% interval was obtained.
enum class IntervalMethod {
  None,        ///< one replicate (or none usable): no interval
  StudentT,    ///< mean ± t(0.975, R−1)·sd/√R (fewer than 20 replicates)
  Percentile,  ///< 2.5th and 97.5th percentiles of the paired differences (20 or more)
};

/// Fewest replicates for which the interval is the percentile interval.
inline constexpr std::size_t kPercentileIntervalMinReplicates = 20;

/// "percentile", "t" or "none".
std::string to_string(IntervalMethod m);

/// Mean and 95% interval of a sample (the paired differences of one quantity).
struct PairedSummary {
  double mean = 0.0;
  double low = 0.0, high = 0.0;  ///< NaN when method is None
  IntervalMethod method = IntervalMethod::None;
  std::size_t n = 0;  ///< values summarized
};

/// Summarizes `differences`: mean; interval by percentiles when n ≥ 20, else by Student's t when
/// n ≥ 2, else none. Every value NaN (or an empty vector) → mean NaN, no interval.
PairedSummary summarize_differences(const std::vector<double>& differences);

/// `phsim compare` options.
struct CompareOptions {
  std::string base;     ///< scenario name
  std::string alt;      ///< scenario name
  std::string measure;  ///< one measure id; "" = every measure
  std::string by = "none";  ///< "none" (statewide), "county" or "plan"
};

/// What a row of the comparison is.
enum class CompareKind {
  Rate,           ///< measure rate, percent (difference in percentage points)
  Money,          ///< a money variable, USD summed over the group
  Events,         ///< measure numerator events summed over the group
  CostPerEvent,   ///< Δ(intervention + practice incentive + quality effort cost) / Δnumerator
};

/// One row: one quantity in one year (and county or plan).
struct CompareRow {
  std::int64_t year = 0;
  std::string group;     ///< county or plan name; "" when statewide
  CompareKind kind = CompareKind::Rate;
  std::string variable;  ///< measure id (Rate, Events, CostPerEvent) or variable name (Money)
  std::string quantity;  ///< label, e.g. "rate CBP (%)", "capitation_usd", "events CBP"
  double base_mean = 0.0;  ///< mean over replicates of base; NaN for CostPerEvent
  double alt_mean = 0.0;   ///< mean over replicates of alt; NaN for CostPerEvent
  PairedSummary difference;  ///< of alt − base per replicate (NaN mean when not defined)
};

/// A comparison: its rows in the order printed (year, then group, then rates, money, events and
/// cost per event), and what they were computed from.
struct CompareResult {
  std::string path, base, alt, by;
  std::size_t replicates = 0;
  IntervalMethod method = IntervalMethod::None;  ///< for the full set of replicates
  std::vector<std::string> measures;             ///< measures reported
  std::vector<std::string> inverse_measures;     ///< of those, lower is better (`inverse`)
  std::vector<std::string> money_variables;      ///< money variables found in the file
  bool has_intervention_cost = false;
  std::vector<CompareRow> rows;
};

/// Compares scenarios `o.alt` and `o.base` of the results file `path` replicate by replicate.
/// Throws IoError when the file cannot be read or has no scenario dimension, UsageError for an
/// unknown scenario or measure name, the same name for base and alt, or a bad `by`.
CompareResult compare_results(const std::string& path, const CompareOptions& o);

/// Aligned text table of a comparison, with a header line naming the interval method.
std::string format_compare_table(const CompareResult& r);
/// The same rows as CSV with a header line (numbers at full precision; "n/a" where undefined).
std::string format_compare_csv(const CompareResult& r);

/// Shape of the measure tallies: scenario × replicate × year × county × plan × measure.
struct RateShape {
  std::size_t scenarios = 0, replicates = 0, years = 0, counties = 0, plans = 0, measures = 0;
};

/// The replicate summaries of measure rates, computed from numerator and denominator in the
/// layout of `shape` (row-major).
struct RateSummaries {
  /// scenario × year × county × plan × measure: mean, 2.5th and 97.5th percentiles over
  /// replicates of numerator/denominator, replicates with denominator 0 skipped; NaN where
  /// every replicate's denominator is 0.
  std::vector<double> mean, p025, p975;
  /// scenario × replicate × year × measure: Σnumerator / Σdenominator over county and plan (NaN
  /// where the sum of denominators is 0).
  std::vector<double> statewide;
};

RateSummaries compute_rate_summaries(const std::vector<std::int64_t>& numerator,
                                     const std::vector<std::int64_t>& denominator,
                                     const RateShape& shape);

/// Writes `measure_rate_mean`, `measure_rate_p025`, `measure_rate_p975` and
/// `measure_rate_statewide` (see RateSummaries) to `w`, whose dimensions scenario, replicate,
/// year, county, plan and measure must exist with the lengths of `shape`.
void write_rate_summaries(ResultsWriter& w, const std::vector<std::int64_t>& numerator,
                          const std::vector<std::int64_t>& denominator, const RateShape& shape);

}  // namespace phsim
