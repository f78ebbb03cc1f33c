#include "sim/population.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "kernels/rng.hpp"
#include "kernels/synthesis.hpp"
#include "sim/errors.hpp"

namespace phsim {
namespace {

std::string where(const ReferenceData& data) { return data.origin + "/population.csv"; }

/// Parses "LO-HI" (years, inclusive) or throws DataError.
std::pair<int, int> age_range_or_throw(const std::string& text, const std::string& context) {
  const auto range = parse_age_range(text, kMaxAgeYears);
  if (!range) {
    throw DataError(context + ": age range '" + text + "'; expected LO-HI with 0 <= LO <= HI <= " +
                    std::to_string(kMaxAgeYears));
  }
  return *range;
}

template <std::size_t N>
int category_index(const std::array<std::string_view, N>& names, const std::string& category,
                   const std::string& context) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == category) return static_cast<int>(i);
  }
  throw DataError(context + ": unknown category '" + category + "'");
}

/// Shares of one dimension grouped by `given`, each group as weights in category order.
template <std::size_t N>
std::map<std::string, std::vector<double>> groups_of(const ReferenceData& data,
                                                     const std::string& dimension,
                                                     const std::array<std::string_view, N>& names) {
  std::map<std::string, std::vector<double>> groups;
  for (const auto& s : data.population) {
    if (s.dimension != dimension) continue;
    auto& w = groups[s.given];
    w.resize(N, 0.0);
    w[category_index(names, s.category, where(data) + ": dimension " + dimension)] =
        s.share_percent;
  }
  return groups;
}

/// Lookup age-in-years -> group index for groups given as "age_band=LO-HI".
std::vector<std::uint8_t> age_group_lookup(const ReferenceData& data, const std::string& dimension,
                                           const std::vector<std::string>& givens) {
  std::vector<int> lookup(kMaxAgeYears + 1, -1);
  for (std::size_t g = 0; g < givens.size(); ++g) {
    const std::string prefix = "age_band=";
    if (givens[g].rfind(prefix, 0) != 0) {
      throw DataError(where(data) + ": " + dimension + " rows must be given 'age_band=LO-HI', got '" +
                      givens[g] + "'");
    }
    const auto [lo, hi] = age_range_or_throw(givens[g].substr(prefix.size()), where(data));
    for (int a = lo; a <= hi; ++a) lookup[a] = static_cast<int>(g);
  }
  std::vector<std::uint8_t> out(kMaxAgeYears + 1);
  int last = -1;
  for (int a = 0; a <= kMaxAgeYears; ++a) {
    // Ages above the last covered band (e.g. 100+) use the oldest group.
    if (lookup[a] < 0) {
      if (last < 0) {
        throw DataError(where(data) + ": " + dimension + " has no group covering age " +
                        std::to_string(a));
      }
      lookup[a] = last;
    }
    last = lookup[a];
    out[a] = static_cast<std::uint8_t>(lookup[a]);
  }
  return out;
}

/// Inverse standard normal CDF (Acklam's rational approximation, |rel err| < 1.2e-9).
double inverse_normal_cdf(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549671010436712e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double plow = 0.02425;
  if (p < plow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - plow) return -inverse_normal_cdf(1 - p);
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

}  // namespace

std::vector<std::uint64_t> cumulative_thresholds(const std::vector<double>& weights) {
  double total = 0.0;
  for (double w : weights) total += w;
  std::vector<std::uint64_t> cum(weights.size(), kThresholdOne);
  if (weights.empty() || !(total > 0.0)) return cum;
  double acc = 0.0;
  for (std::size_t i = 0; i + 1 < weights.size(); ++i) {
    acc += weights[i];
    cum[i] = std::min<std::uint64_t>(kThresholdOne,
                                     static_cast<std::uint64_t>(std::llround(acc / total * kTwoPow32)));
  }
  // The last category ends at 2^32 so that every draw falls in some category; zero-weight
  // categories at the end are excluded by making the preceding cut 2^32.
  for (std::size_t i = weights.size(); i-- > 0;) {
    if (weights[i] > 0.0) break;
    if (i > 0) cum[i - 1] = kThresholdOne;
  }
  return cum;
}

std::vector<std::uint64_t> stratified_contract_ranges(const ReferenceData& data,
                                                      std::uint64_t members) {
  const std::int64_t total = data.total_enrollment();
  PHSIM_EXPECTS(total > 0, data.origin + "/counties.csv: total enrollment is zero", DataError);
  // Contracts are sorted by county; cumulative county enrollment gives county boundaries,
  // cumulative plan enrollment within a county splits each county's range.
  std::vector<std::uint64_t> begin(data.contracts.size() + 1, 0);
  // 128-bit-safe: members < 2^32 and enrollment < 2^31, so the products fit in 64 bits.
  auto scaled = [](std::uint64_t n, std::uint64_t num, std::uint64_t den) {
    return (n * num + den / 2) / den;
  };
  std::uint64_t county_cum = 0;
  std::size_t k = 0;
  for (std::size_t c = 0; c < data.counties.size(); ++c) {
    const std::uint64_t county_first = scaled(members, county_cum, total);
    county_cum += static_cast<std::uint64_t>(data.counties[c].enrollment);
    const std::uint64_t county_end = scaled(members, county_cum, total);
    const std::uint64_t n = county_end - county_first;
    std::size_t first = k;
    std::uint64_t plan_total = 0;
    while (k < data.contracts.size() && data.contracts[k].county == static_cast<int>(c)) {
      plan_total += static_cast<std::uint64_t>(data.contracts[k].enrollment);
      ++k;
    }
    if (n > 0) {
      PHSIM_EXPECTS(plan_total > 0,
                    data.origin + "/plans.csv: county '" + data.counties[c].name +
                        "' has enrollment but no plan with members",
                    DataError);
    }
    std::uint64_t plan_cum = 0;
    for (std::size_t j = first; j < k; ++j) {
      begin[j] = county_first + (plan_total ? scaled(n, plan_cum, plan_total) : 0);
      plan_cum += static_cast<std::uint64_t>(data.contracts[j].enrollment);
    }
  }
  begin[data.contracts.size()] = members;
  return begin;
}

std::vector<Practice> synthesize_practices(const ReferenceData& data) {
  const double mean_panel = data.parameter("practice.mean_panel_members").value;
  const double sigma = data.parameter("practice.panel_size_sigma_log").value;
  PHSIM_EXPECTS(mean_panel > 0 && sigma >= 0,
                data.origin + "/parameters.csv: practice.mean_panel_members must be > 0 and "
                              "practice.panel_size_sigma_log >= 0",
                DataError);
  std::vector<Practice> practices;
  for (std::size_t c = 0; c < data.counties.size(); ++c) {
    const auto n = std::max<long long>(
        1, std::llround(static_cast<double>(data.counties[c].enrollment) / mean_panel));
    for (long long i = 0; i < n; ++i) {
      const double z = inverse_normal_cdf((static_cast<double>(i) + 0.5) / static_cast<double>(n));
      practices.push_back(Practice{static_cast<int>(c), std::exp(sigma * z)});
    }
  }
  return practices;
}

SynthesisTables make_synthesis_tables(const ReferenceData& data, std::uint64_t members,
                                      std::uint64_t pool,
                                      const std::function<double(int, int)>& pool_age_factor) {
  PHSIM_EXPECTS(data.counties.size() <= 255,
                data.origin + "/counties.csv: at most 255 counties are supported", DataError);
  PHSIM_EXPECTS(data.contracts.size() <= 65535,
                data.origin + "/plans.csv: at most 65535 county-plan rows are supported",
                DataError);
  SynthesisTables t;
  t.members = members;
  t.pool = pool;
  t.contract_begin = stratified_contract_ranges(data, members);
  t.pool_contract_begin = stratified_contract_ranges(data, pool);
  for (const auto& k : data.contracts) t.contract_county.push_back(static_cast<std::uint8_t>(k.county));

  // Age bands (statewide).
  const auto ages = [&] {
    std::vector<std::pair<std::pair<int, int>, double>> bands;
    for (const auto& s : data.population) {
      if (s.dimension == "age_band" && s.given.empty()) {
        bands.push_back({age_range_or_throw(s.category, where(data)), s.share_percent});
      }
    }
    std::sort(bands.begin(), bands.end());
    return bands;
  }();
  PHSIM_EXPECTS(!ages.empty(), where(data) + ": no statewide age_band rows", DataError);
  std::vector<double> age_weights;
  for (const auto& [range, share] : ages) {
    t.age_lo_months.push_back(range.first * 12);
    t.age_span_months.push_back((range.second - range.first + 1) * 12);
    age_weights.push_back(share);
  }
  t.age_cum = cumulative_thresholds(age_weights);
  std::vector<double> pool_weights = age_weights;
  if (pool_age_factor) {
    for (std::size_t b = 0; b < pool_weights.size(); ++b) {
      pool_weights[b] *= pool_age_factor(t.age_lo_months[b], t.age_lo_months[b] + t.age_span_months[b]);
    }
  }
  t.pool_age_cum = cumulative_thresholds(pool_weights);

  // Sex by age group.
  const auto sex = groups_of(data, "sex", kSexNames);
  std::vector<std::string> sex_givens;
  for (const auto& [given, w] : sex) {
    sex_givens.push_back(given);
    t.female_threshold.push_back(probability_threshold(w[0] / (w[0] + w[1])));
  }
  PHSIM_EXPECTS(!sex_givens.empty(), where(data) + ": no sex rows", DataError);
  t.sex_group_of_age = age_group_lookup(data, "sex", sex_givens);

  // Race (statewide).
  const auto race = groups_of(data, "race", kRaceNames);
  PHSIM_EXPECTS(race.count(""), where(data) + ": no statewide race rows", DataError);
  t.race_cum = cumulative_thresholds(race.at(""));

  // Language by county (statewide shares where a county has no rows of its own).
  const auto language = groups_of(data, "language", kLanguageNames);
  PHSIM_EXPECTS(language.count(""), where(data) + ": no statewide language rows", DataError);
  for (const auto& county : data.counties) {
    const auto it = language.find("county=" + county.name);
    const auto cum = cumulative_thresholds(it != language.end() ? it->second : language.at(""));
    t.language_cum.insert(t.language_cum.end(), cum.begin(), cum.end());
  }

  // Aid category by age group.
  const auto aid = groups_of(data, "aid_category", kAidNames);
  std::vector<std::string> aid_givens;
  for (const auto& [given, w] : aid) {
    aid_givens.push_back(given);
    const auto cum = cumulative_thresholds(w);
    t.aid_cum.insert(t.aid_cum.end(), cum.begin(), cum.end());
  }
  PHSIM_EXPECTS(!aid_givens.empty(), where(data) + ": no aid_category rows", DataError);
  t.aid_group_of_age = age_group_lookup(data, "aid_category", aid_givens);

  // Practices.
  t.practices = synthesize_practices(data);
  PHSIM_EXPECTS(t.practices.size() <= 65535,
                data.origin + "/parameters.csv: practice.mean_panel_members gives " +
                    std::to_string(t.practices.size()) + " practices; at most 65535 supported",
                DataError);
  t.practice_begin.assign(data.counties.size(), 0);
  t.practice_count.assign(data.counties.size(), 0);
  for (std::size_t p = 0; p < t.practices.size(); ++p) {
    const auto c = static_cast<std::size_t>(t.practices[p].county);
    if (t.practice_count[c] == 0) t.practice_begin[c] = static_cast<std::uint32_t>(p);
    ++t.practice_count[c];
  }
  for (std::size_t c = 0; c < data.counties.size(); ++c) {
    std::vector<double> w;
    for (std::uint32_t p = 0; p < t.practice_count[c]; ++p) {
      w.push_back(t.practices[t.practice_begin[c] + p].panel_weight);
    }
    const auto cum = cumulative_thresholds(w);
    t.practice_cum.insert(t.practice_cum.end(), cum.begin(), cum.end());
  }
  return t;
}

}  // namespace phsim
