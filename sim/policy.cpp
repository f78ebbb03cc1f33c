// The policy engine (DESIGN.md §7): capitation, Quality Withhold and Incentive, MCAS sanctions,
// auto-assignment of default enrollees by quality, plan quality effort, community reinvestment.
// Host C++ over small tables (contracts × measures), run once per measurement year and
// replicate. See sim/policy.hpp for the interface and sim/config.hpp for every rule's settings.
#include "sim/policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/errors.hpp"

namespace phsim {

namespace {

/// Yearly flow of new enrollees per enrolled member: the annual disenrollment rate that churn
/// returns as new enrollments (re-enrollment from the ever-enrolled pool keeps enrollment in
/// equilibrium, so inflow ≈ outflow). Used only to value a plan's stake in auto-assignment:
/// county default enrollees per year ≈ member-years × kNewEnrolleesPerMemberYear × default rate.
constexpr double kNewEnrolleesPerMemberYear = 0.12;

/// Rate differences (percentage points) are differences of two rounded quotients; a rise of
/// exactly `improvement_points` must count however the quotients rounded.
constexpr double kImprovementTolerancePoints = 1e-9;

/// Scale (percentage points) of the logistic probability of falling below the MPL that values a
/// plan's sanction stake: p_below = 1 / (1 + exp(margin / 3)).
constexpr double kSanctionMarginScalePoints = 3.0;

enum class QwiTarget { Mpl, Hpl, MplOrImprovement };

QwiTarget parse_qwi_target(const std::string& target) {
  if (target == "mpl") return QwiTarget::Mpl;
  if (target == "hpl") return QwiTarget::Hpl;
  if (target == "mpl_or_improvement") return QwiTarget::MplOrImprovement;
  throw ScenarioError("policy.qwi.target: unknown target '" + target +
                      "' (expected \"mpl\", \"hpl\" or \"mpl_or_improvement\")");
}

/// Throws ScenarioError for settings the rules cannot apply (the scenario loader validates
/// ranges; this guards the combinations and lists the rules index into).
void check_settings(const PolicySettings& s) {
  parse_qwi_target(s.qwi.target);
  if (s.sanctions.tier_starts.size() != s.sanctions.tier_multipliers.size()) {
    throw ScenarioError("policy.sanctions.tier_multipliers: " +
                        std::to_string(s.sanctions.tier_multipliers.size()) + " values for " +
                        std::to_string(s.sanctions.tier_starts.size()) + " tier_starts");
  }
}

/// Resolves measure ids to indices, sorted and without duplicates; throws ScenarioError naming
/// `key` and the id when one is unknown or lacks a benchmark the rule needs.
std::vector<int> resolve_measures(const std::vector<std::string>& ids, const ReferenceData& data,
                                  const std::string& key, bool need_mpl, bool need_hpl) {
  std::vector<int> out;
  for (const auto& id : ids) {
    const auto m = data.find_measure(id);
    if (!m) throw ScenarioError(key + ": unknown measure '" + id + "'");
    const Measure& measure = data.measures[static_cast<std::size_t>(*m)];
    if (need_mpl && !std::isfinite(measure.mpl_percent)) {
      throw ScenarioError(key + ": measure '" + id + "' has no MPL in the data");
    }
    if (need_hpl && !std::isfinite(measure.hpl_percent)) {
      throw ScenarioError(key + ": measure '" + id + "' has no HPL in the data");
    }
    out.push_back(*m);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool contains(const std::vector<int>& sorted, int value) {
  return std::binary_search(sorted.begin(), sorted.end(), value);
}

bool multi_plan_model(PlanModel m) {
  return m == PlanModel::TwoPlan || m == PlanModel::GMC || m == PlanModel::Regional;
}

/// True if the rate moved by at least `points` in the measure's good direction since `previous`
/// (false when either is NaN).
bool improved(double rate, double previous, double points, bool inverse) {
  if (std::isnan(rate) || std::isnan(previous)) return false;
  const double gain = inverse ? previous - rate : rate - previous;
  return gain >= points - kImprovementTolerancePoints;
}

/// Sanction multiplier of the n-th measure below the MPL (1-based): tier_multipliers[j] for the
/// largest j with tier_starts[j] <= n, 1 if none.
double tier_multiplier(const SanctionSettings& s, int n) {
  double multiplier = 1.0;
  for (std::size_t j = 0; j < s.tier_starts.size() && j < s.tier_multipliers.size(); ++j) {
    if (s.tier_starts[j] <= n) multiplier = s.tier_multipliers[j];
  }
  return multiplier;
}

/// Shares of one county's default enrollees among its n eligible contracts, given their quality
/// scores (DESIGN.md §7, config.hpp AutoAssignmentSettings):
///
///   raw_i = (score_i + 1)^w, computed as ((score_i + 1) / (max score + 1))^w (same ratios, no
///   overflow for large w); bounds lo = share_floor × 2/n, hi = min(1, share_cap × 2/n);
///   shares s_i = clamp(λ · raw_i, lo, hi) with the λ for which they sum to 1.
///
/// λ is found by iterative clamping: with the clamped shares fixed at their bounds, the free
/// shares are the remaining mass split in proportion to raw; among the free shares, the total
/// excess above hi and the total deficit below lo are compared. If excess > deficit, the
/// remaining λ can only rise, so the shares above hi stay above it: fix them at hi. If
/// deficit > excess, λ can only fall: fix the shares below lo at lo. If equal, the current λ is
/// the solution: fix both. Repeat until no free share violates a bound (at most n rounds; a
/// fixed share never needs releasing). If the bounds are infeasible (n·lo > 1, n·hi < 1 or
/// lo > hi), the shares are equal. If the free contracts' raw weights are all 0 (underflow for
/// huge w), they are treated as equal.
std::vector<double> bounded_shares(const std::vector<double>& scores,
                                   const AutoAssignmentSettings& aa) {
  const std::size_t n = scores.size();
  std::vector<double> share(n, 0.0);
  if (n == 0) return share;
  const double equal = 1.0 / static_cast<double>(n);
  const double lo = aa.share_floor * 2.0 / static_cast<double>(n);
  const double hi = std::min(1.0, aa.share_cap * 2.0 / static_cast<double>(n));
  if (!(lo <= hi) || lo * static_cast<double>(n) > 1.0 || hi * static_cast<double>(n) < 1.0) {
    std::fill(share.begin(), share.end(), equal);
    return share;
  }
  double top = 0.0;
  for (const double s : scores) top = std::max(top, std::max(s + 1.0, 0.0));
  std::vector<double> raw(n, 1.0);
  if (top > 0.0) {
    for (std::size_t i = 0; i < n; ++i) {
      raw[i] = std::pow(std::max(scores[i] + 1.0, 0.0) / top, aa.quality_weight);
      if (!std::isfinite(raw[i])) raw[i] = 0.0;
    }
  }
  std::vector<bool> fixed(n, false);
  for (std::size_t round = 0; round <= n; ++round) {
    double fixed_mass = 0.0, free_raw = 0.0;
    std::size_t free_count = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (fixed[i]) {
        fixed_mass += share[i];
      } else {
        free_raw += raw[i];
        ++free_count;
      }
    }
    if (free_count == 0) break;
    if (!(free_raw > 0.0)) {  // all free weights 0: split the rest equally
      for (std::size_t i = 0; i < n; ++i) {
        if (!fixed[i]) raw[i] = 1.0;
      }
      free_raw = static_cast<double>(free_count);
    }
    const double mass = 1.0 - fixed_mass;
    double excess = 0.0, deficit = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      if (fixed[i]) continue;
      share[i] = mass * raw[i] / free_raw;
      if (share[i] > hi) excess += share[i] - hi;
      if (share[i] < lo) deficit += lo - share[i];
    }
    if (excess == 0.0 && deficit == 0.0) break;
    for (std::size_t i = 0; i < n; ++i) {
      if (fixed[i]) continue;
      if (excess >= deficit && share[i] > hi) {
        share[i] = hi;
        fixed[i] = true;
      } else if (deficit >= excess && share[i] < lo) {
        share[i] = lo;
        fixed[i] = true;
      }
    }
  }
  return share;
}

/// Contracts of each county, in contract order.
std::vector<std::vector<int>> contracts_by_county(const ReferenceData& data) {
  std::vector<std::vector<int>> out(data.counties.size());
  for (std::size_t k = 0; k < data.contracts.size(); ++k) {
    const int c = data.contracts[k].county;
    if (c >= 0 && static_cast<std::size_t>(c) < out.size()) {
      out[static_cast<std::size_t>(c)].push_back(static_cast<int>(k));
    }
  }
  return out;
}

/// Contracts of county `c` that receive defaults.
std::vector<int> eligible_contracts(const std::vector<int>& county_contracts,
                                    const PolicyTables& tables) {
  std::vector<int> out;
  for (const int k : county_contracts) {
    if (tables.contract_gets_defaults[static_cast<std::size_t>(k)]) out.push_back(k);
  }
  return out;
}

}  // namespace

namespace {

PolicyTables resolve_tables(const PolicySettings& settings, const ReferenceData& data) {
  check_settings(settings);
  PolicyTables t;
  t.settings = settings;
  const bool qwi_hpl = parse_qwi_target(settings.qwi.target) == QwiTarget::Hpl;
  t.qwi_measures =
      resolve_measures(settings.qwi.measures, data, "policy.qwi.measures", true, qwi_hpl);
  if (settings.sanctions.measures.empty()) {
    for (std::size_t m = 0; m < data.measures.size(); ++m) {
      if (data.measures[m].held_to_mpl && std::isfinite(data.measures[m].mpl_percent)) {
        t.sanction_measures.push_back(static_cast<int>(m));
      }
    }
  } else {
    t.sanction_measures = resolve_measures(settings.sanctions.measures, data,
                                           "policy.sanctions.measures", true, false);
  }
  t.assignment_measures =
      resolve_measures(settings.auto_assignment.measures, data, "policy.auto_assignment.measures",
                       true, settings.auto_assignment.points_hpl != 0.0);

  std::vector<bool> plan_excluded(data.plans.size(), false);
  for (const auto& name : settings.auto_assignment.excluded_plans) {
    const auto p = data.find_plan(name);
    if (!p) {
      throw ScenarioError("policy.auto_assignment.excluded_plans: unknown plan '" + name + "'");
    }
    plan_excluded[static_cast<std::size_t>(*p)] = true;
  }
  t.contract_gets_defaults.assign(data.contracts.size(), false);
  std::vector<int> eligible_per_county(data.counties.size(), 0);
  for (std::size_t k = 0; k < data.contracts.size(); ++k) {
    const Contract& contract = data.contracts[k];
    const bool excluded = contract.plan >= 0 &&
                          static_cast<std::size_t>(contract.plan) < plan_excluded.size() &&
                          plan_excluded[static_cast<std::size_t>(contract.plan)];
    t.contract_gets_defaults[k] = !excluded;
    if (!excluded && contract.county >= 0 &&
        static_cast<std::size_t>(contract.county) < eligible_per_county.size()) {
      ++eligible_per_county[static_cast<std::size_t>(contract.county)];
    }
  }
  t.county_quality_assignment.assign(data.counties.size(), false);
  for (std::size_t c = 0; c < data.counties.size(); ++c) {
    t.county_quality_assignment[c] =
        multi_plan_model(data.counties[c].plan_model) && eligible_per_county[c] >= 2;
  }
  return t;
}

/// The reference (2024) rules: the default settings, restricted to the measures and plans
/// this data set has (a user's data set may lack some).
PolicySettings reference_settings(const ReferenceData& data) {
  PolicySettings r;
  const auto known_measures = [&](std::vector<std::string>& ids) {
    ids.erase(std::remove_if(ids.begin(), ids.end(),
                             [&](const std::string& id) {
                               const auto m = data.find_measure(id);
                               return !m || !std::isfinite(data.measures[static_cast<std::size_t>(*m)].mpl_percent) ||
                                      !std::isfinite(data.measures[static_cast<std::size_t>(*m)].hpl_percent);
                             }),
              ids.end());
  };
  known_measures(r.qwi.measures);
  known_measures(r.auto_assignment.measures);
  auto& excluded = r.auto_assignment.excluded_plans;
  excluded.erase(std::remove_if(excluded.begin(), excluded.end(),
                                [&](const std::string& p) { return !data.find_plan(p); }),
                 excluded.end());
  return r;
}

}  // namespace

PolicyTables make_policy_tables(const PolicySettings& settings, const ReferenceData& data) {
  PolicyTables t = resolve_tables(settings, data);
  t.reference = std::make_shared<const PolicyTables>(resolve_tables(reference_settings(data), data));
  return t;
}

PolicyState initial_policy_state(const PolicyTables& tables, const ReferenceData& data) {
  PHSIM_EXPECTS(tables.contract_gets_defaults.size() == data.contracts.size(),
                "initial_policy_state: tables do not match the reference data",
                std::invalid_argument);
  PolicyState state;
  const std::size_t cells = data.contracts.size() * data.measures.size();
  state.previous_rate.assign(cells, kNaN);
  state.effort_logit.assign(cells, 0.0);
  state.default_share.assign(data.contracts.size(), 0.0);
  for (const auto& county_contracts : contracts_by_county(data)) {
    std::vector<int> receivers = eligible_contracts(county_contracts, tables);
    if (receivers.empty()) receivers = county_contracts;
    if (receivers.empty()) continue;
    double total = 0.0;
    for (const int k : receivers) {
      total += static_cast<double>(data.contracts[static_cast<std::size_t>(k)].enrollment);
    }
    for (const int k : receivers) {
      const double e = static_cast<double>(data.contracts[static_cast<std::size_t>(k)].enrollment);
      state.default_share[static_cast<std::size_t>(k)] =
          total > 0.0 ? e / total : 1.0 / static_cast<double>(receivers.size());
    }
  }
  return state;
}

double measure_rate_percent(std::int64_t numerator, std::int64_t denominator,
                            int min_denominator) {
  if (denominator <= 0 || denominator < min_denominator) return kNaN;
  // 100 × numerator is exact; one rounding in the division.
  return (100.0 * static_cast<double>(numerator)) / static_cast<double>(denominator);
}

bool at_or_better(double rate, double benchmark, bool inverse) {
  if (std::isnan(rate) || std::isnan(benchmark)) return false;
  return inverse ? rate <= benchmark : rate >= benchmark;
}

namespace {

/// This year's results per contract (QWI, sanctions, score, money) and the QWI targets each
/// contract had evaluated; no state is changed.
struct YearCore {
  std::vector<ContractPolicyResult> out;
  std::vector<int> qwi_evaluated;
};

YearCore evaluate_contracts(const PolicySettings& settings, const PolicyTables& tables,
                            const ReferenceData& data, const std::vector<ContractYear>& year,
                            const PolicyState& state) {
  const std::size_t n_contracts = data.contracts.size();
  const std::size_t n_measures = data.measures.size();
  const QwiSettings& qwi = settings.qwi;
  const SanctionSettings& sanctions = settings.sanctions;
  const AutoAssignmentSettings& aa = settings.auto_assignment;
  const PlanResponseSettings& response = settings.plan_response;
  const ReinvestmentSettings& reinvest = settings.reinvestment;
  const QwiTarget target = parse_qwi_target(qwi.target);

  YearCore core;
  core.out.assign(n_contracts, ContractPolicyResult{});
  core.qwi_evaluated.assign(n_contracts, 0);
  std::vector<ContractPolicyResult>& out = core.out;
  std::vector<int>& qwi_evaluated = core.qwi_evaluated;
  // Rates with the denominator rule of each program (NaN = not evaluated).
  auto rate_of = [&](std::size_t k, int m, int min_den) {
    return measure_rate_percent(year[k].numerator[static_cast<std::size_t>(m)],
                                year[k].denominator[static_cast<std::size_t>(m)], min_den);
  };
  auto previous_of = [&](std::size_t k, int m) {
    return state.previous_rate[k * n_measures + static_cast<std::size_t>(m)];
  };

  // ---- per contract: QWI targets, sanctions, quality score, money before the incentive ----
  for (std::size_t k = 0; k < n_contracts; ++k) {
    const ContractYear& y = year[k];
    ContractPolicyResult& r = out[k];
    r.capitation_usd = y.capitation_usd;
    r.medical_cost_usd = y.medical_cost_usd;

    // QWI targets met (computed even when QWI is off: it is reported).
    int evaluated = 0, met = 0;
    for (const int m : tables.qwi_measures) {
      const double rate = rate_of(k, m, qwi.min_denominator);
      if (std::isnan(rate)) continue;
      const Measure& measure = data.measures[static_cast<std::size_t>(m)];
      ++evaluated;
      bool ok = false;
      switch (target) {
        case QwiTarget::Mpl: ok = at_or_better(rate, measure.mpl_percent, measure.inverse); break;
        case QwiTarget::Hpl: ok = at_or_better(rate, measure.hpl_percent, measure.inverse); break;
        case QwiTarget::MplOrImprovement:
          ok = at_or_better(rate, measure.mpl_percent, measure.inverse) ||
               improved(rate, previous_of(k, m), qwi.improvement_points, measure.inverse);
          break;
      }
      if (ok) ++met;
    }
    qwi_evaluated[k] = evaluated;
    const double targets = static_cast<double>(evaluated + qwi.proxy_targets);
    const double proxies_met = static_cast<double>(qwi.proxy_targets) * qwi.proxy_met_share;
    r.targets_met_share = targets > 0.0 ? (static_cast<double>(met) + proxies_met) / targets : 1.0;
    if (qwi.enabled) {
      r.withhold_usd = qwi.withhold_fraction * y.capitation_usd;
      r.withhold_returned_usd = r.withhold_usd * r.targets_met_share;
    }

    // Sanctions: held measures evaluated and below the MPL, tiered, capped.
    double sanction = 0.0;
    for (const int m : tables.sanction_measures) {
      const double rate = rate_of(k, m, sanctions.min_denominator);
      if (std::isnan(rate)) continue;
      const Measure& measure = data.measures[static_cast<std::size_t>(m)];
      if (!std::isfinite(measure.mpl_percent)) continue;
      if (at_or_better(rate, measure.hpl_percent, measure.inverse)) ++r.measures_at_hpl;
      if (at_or_better(rate, measure.mpl_percent, measure.inverse)) continue;
      ++r.measures_below_mpl;
      const double missed = std::fabs(measure.mpl_percent - rate) / 100.0 *
                            static_cast<double>(y.denominator[static_cast<std::size_t>(m)]);
      sanction += tier_multiplier(sanctions, r.measures_below_mpl) *
                  (sanctions.base_usd + sanctions.usd_per_missed_case * missed);
    }
    r.corrective_action = r.measures_below_mpl > 0;
    r.sanction_usd = sanctions.enabled ? std::min(sanction, sanctions.max_usd) : 0.0;

    // Auto-assignment quality score.
    double score = 0.0;
    for (const int m : tables.assignment_measures) {
      const double rate = rate_of(k, m, aa.min_denominator);
      if (std::isnan(rate)) continue;
      const Measure& measure = data.measures[static_cast<std::size_t>(m)];
      if (at_or_better(rate, measure.mpl_percent, measure.inverse)) score += aa.points_mpl;
      if (at_or_better(rate, measure.hpl_percent, measure.inverse)) score += aa.points_hpl;
      if (improved(rate, previous_of(k, m), aa.improvement_points, measure.inverse)) {
        score += aa.points_improvement;
      }
    }
    r.quality_score = score;

    r.admin_cost_usd = reinvest.admin_fraction * y.capitation_usd;
    if (response.enabled) {
      double effort = 0.0;
      for (std::size_t m = 0; m < n_measures; ++m) effort += state.effort_logit[k * n_measures + m];
      r.quality_effort_cost_usd = response.cost_pmpm_per_logit * effort * y.member_months;
    }
  }

  // ---- QWI incentive: the unearned withhold, by capitation, to plans meeting enough targets ----
  if (qwi.enabled && qwi.redistribute_unearned) {
    double pool = 0.0, qualifying_capitation = 0.0;
    for (std::size_t k = 0; k < n_contracts; ++k) {
      pool += out[k].withhold_usd - out[k].withhold_returned_usd;
      if (out[k].targets_met_share >= qwi.incentive_min_share_met) {
        qualifying_capitation += out[k].capitation_usd;
      }
    }
    if (qualifying_capitation > 0.0 && pool > 0.0) {
      for (std::size_t k = 0; k < n_contracts; ++k) {
        if (out[k].targets_met_share >= qwi.incentive_min_share_met) {
          out[k].incentive_usd = pool * out[k].capitation_usd / qualifying_capitation;
        }
      }
    }
  }

  // ---- net income, reinvestment, primary care ----
  for (auto& r : out) {
    r.net_income_usd = r.capitation_usd - r.withhold_usd + r.withhold_returned_usd +
                       r.incentive_usd - r.sanction_usd - r.medical_cost_usd - r.admin_cost_usd -
                       r.quality_effort_cost_usd;
    if (reinvest.enabled && r.net_income_usd > 0.0) {
      const double threshold = reinvest.tier2_threshold_fraction_of_revenue * r.capitation_usd;
      r.reinvestment_usd = reinvest.tier1_fraction * std::min(r.net_income_usd, threshold) +
                           reinvest.tier2_fraction * std::max(r.net_income_usd - threshold, 0.0);
    }
    r.primary_care_usd = reinvest.primary_care_fraction * r.medical_cost_usd +
                         r.quality_effort_cost_usd;
  }

  return core;
}

/// Dollars at stake per member-year on each (contract, measure) under `settings`
/// ([contract * measures + k]): the share of the withhold riding on the measure, the expected
/// sanction, and the value of the default enrollees one more assignment point would bring.
std::vector<double> stakes_per_member(const PolicySettings& settings, const PolicyTables& tables,
                                      const ReferenceData& data,
                                      const std::vector<ContractYear>& year, const YearCore& core) {
  const std::size_t n_contracts = data.contracts.size();
  const std::size_t n_measures = data.measures.size();
  const QwiSettings& qwi = settings.qwi;
  const SanctionSettings& sanctions = settings.sanctions;
  const AutoAssignmentSettings& aa = settings.auto_assignment;
  const PlanResponseSettings& response = settings.plan_response;
  const std::vector<ContractPolicyResult>& out = core.out;
  const std::vector<int>& qwi_evaluated = core.qwi_evaluated;
  auto rate_of = [&](std::size_t k, int m, int min_den) {
    return measure_rate_percent(year[k].numerator[static_cast<std::size_t>(m)],
                                year[k].denominator[static_cast<std::size_t>(m)], min_den);
  };

  std::vector<double> stakes(n_contracts * n_measures, 0.0);
  const auto by_county = contracts_by_county(data);
  {
    // Value of one more auto-assignment point per contract (dollars per year), 0 where none.
    std::vector<double> point_value(n_contracts, 0.0);
    if (aa.enabled) {
      bool any_county = false;
      for (const bool b : tables.county_quality_assignment) any_county = any_county || b;
      const double default_rate =
          !any_county ? 0.0
          : aa.default_rate >= 0.0 ? aa.default_rate
                                   : data.parameter("aaip.default_rate").value;
      for (std::size_t c = 0; c < by_county.size(); ++c) {
        if (!tables.county_quality_assignment[c]) continue;
        double default_enrollees = 0.0;
        for (const int k : by_county[c]) {
          default_enrollees += year[static_cast<std::size_t>(k)].member_months / 12.0 *
                               kNewEnrolleesPerMemberYear * default_rate;
        }
        const std::vector<int> receivers = eligible_contracts(by_county[c], tables);
        std::vector<double> scores;
        for (const int k : receivers) {
          scores.push_back(out[static_cast<std::size_t>(k)].quality_score);
        }
        const std::vector<double> current = bounded_shares(scores, aa);
        for (std::size_t i = 0; i < receivers.size(); ++i) {
          const std::size_t k = static_cast<std::size_t>(receivers[i]);
          const ContractPolicyResult& r = out[k];
          const double mm = year[k].member_months;
          if (!(mm > 0.0)) continue;
          std::vector<double> bumped = scores;
          bumped[i] += aa.points_mpl;
          const double gain = bounded_shares(bumped, aa)[i] - current[i];
          const double margin_pmpm =
              (r.capitation_usd - r.medical_cost_usd - r.admin_cost_usd) / mm;
          point_value[k] = gain * default_enrollees * std::max(margin_pmpm, 0.0) *
                           response.margin_horizon_months;
        }
      }
    }

    for (std::size_t k = 0; k < n_contracts; ++k) {
      const ContractYear& y = year[k];
      const ContractPolicyResult& r = out[k];
      const double members = y.member_months / 12.0;
      const int county = data.contracts[k].county;
      const bool assignment_county =
          county >= 0 &&
          static_cast<std::size_t>(county) < tables.county_quality_assignment.size() &&
          tables.county_quality_assignment[static_cast<std::size_t>(county)] &&
          tables.contract_gets_defaults[k];
      for (std::size_t mu = 0; mu < n_measures; ++mu) {
        const int m = static_cast<int>(mu);
        const Measure& measure = data.measures[mu];
        double stake_usd = 0.0;
        if (contains(tables.qwi_measures, m)) {
          const int targets = qwi_evaluated[k] + qwi.proxy_targets;
          if (targets > 0) stake_usd += r.withhold_usd / static_cast<double>(targets);
        }
        if (sanctions.enabled && contains(tables.sanction_measures, m)) {
          const double rate = rate_of(k, m, sanctions.min_denominator);
          if (!std::isnan(rate) && std::isfinite(measure.mpl_percent)) {
            const double margin =
                measure.inverse ? measure.mpl_percent - rate : rate - measure.mpl_percent;
            const double p_below = 1.0 / (1.0 + std::exp(margin / kSanctionMarginScalePoints));
            const double gap = std::max(std::fabs(measure.mpl_percent - rate), 1.0);
            stake_usd += p_below * (sanctions.base_usd +
                                    sanctions.usd_per_missed_case * gap / 100.0 *
                                        static_cast<double>(y.denominator[mu]));
          }
        }
        if (assignment_county && contains(tables.assignment_measures, m)) {
          stake_usd += point_value[k];
        }
        stakes[k * n_measures + mu] = members > 0.0 ? stake_usd / members : 0.0;
      }
    }
  }

  return stakes;
}

}  // namespace

std::vector<ContractPolicyResult> run_policy_year(const PolicySettings& settings,
                                                  const PolicyTables& tables,
                                                  const ReferenceData& data,
                                                  const std::vector<ContractYear>& year,
                                                  PolicyState& state) {
  check_settings(settings);
  const std::size_t n_contracts = data.contracts.size();
  const std::size_t n_measures = data.measures.size();
  PHSIM_EXPECTS(year.size() == n_contracts,
                "run_policy_year: " + std::to_string(year.size()) + " contract years for " +
                    std::to_string(n_contracts) + " contracts",
                std::invalid_argument);
  for (const auto& y : year) {
    PHSIM_EXPECTS(y.numerator.size() == n_measures && y.denominator.size() == n_measures,
                  "run_policy_year: tallies do not have one entry per measure",
                  std::invalid_argument);
  }
  PHSIM_EXPECTS(state.previous_rate.size() == n_contracts * n_measures &&
                    state.effort_logit.size() == n_contracts * n_measures &&
                    state.default_share.size() == n_contracts &&
                    tables.contract_gets_defaults.size() == n_contracts &&
                    tables.county_quality_assignment.size() == data.counties.size(),
                "run_policy_year: policy state or tables do not match the reference data",
                std::invalid_argument);

  const QwiSettings& qwi = settings.qwi;
  const AutoAssignmentSettings& aa = settings.auto_assignment;
  const PlanResponseSettings& response = settings.plan_response;

  YearCore core = evaluate_contracts(settings, tables, data, year, state);
  std::vector<ContractPolicyResult>& out = core.out;

  // ---- next year's default shares ----
  const auto by_county = contracts_by_county(data);
  std::vector<double> next_share = state.default_share;
  if (aa.enabled) {
    for (std::size_t c = 0; c < by_county.size(); ++c) {
      if (!tables.county_quality_assignment[c]) continue;
      const std::vector<int> receivers = eligible_contracts(by_county[c], tables);
      std::vector<double> scores;
      for (const int k : receivers) {
        scores.push_back(out[static_cast<std::size_t>(k)].quality_score);
      }
      const std::vector<double> shares = bounded_shares(scores, aa);
      for (const int k : by_county[c]) next_share[static_cast<std::size_t>(k)] = 0.0;
      for (std::size_t i = 0; i < receivers.size(); ++i) {
        next_share[static_cast<std::size_t>(receivers[i])] = shares[i];
      }
    }
  }

  // ---- next year's plan effort ----
  // Effort answers the dollars at stake under these rules relative to the reference (2024)
  // rules, whose response is already part of the calibrated baseline:
  // target = E(S) - E(S_reference), E(S) = max_effort_logit x S / (S + half_saturation_usd).
  std::vector<double> next_effort(n_contracts * n_measures, 0.0);
  if (response.enabled) {
    const std::vector<double> stakes = stakes_per_member(settings, tables, data, year, core);
    std::vector<double> reference_stakes(stakes.size(), 0.0);
    if (tables.reference) {
      reference_stakes = stakes_per_member(
          tables.reference->settings, *tables.reference, data, year,
          evaluate_contracts(tables.reference->settings, *tables.reference, data, year, state));
    }
    const auto response_to = [&](double stake) {
      const double denom = stake + response.half_saturation_usd;
      return denom > 0.0 ? response.max_effort_logit * stake / denom : 0.0;
    };
    for (std::size_t i = 0; i < stakes.size(); ++i) {
      const double target_effort = response_to(stakes[i]) - response_to(reference_stakes[i]);
      next_effort[i] = state.effort_logit[i] + response.adjustment * (target_effort - state.effort_logit[i]);
    }
  }

  // ---- this year's rates become the prior ----
  for (std::size_t k = 0; k < n_contracts; ++k) {
    for (std::size_t m = 0; m < n_measures; ++m) {
      state.previous_rate[k * n_measures + m] =
          measure_rate_percent(year[k].numerator[m], year[k].denominator[m], qwi.min_denominator);
    }
  }
  state.effort_logit = std::move(next_effort);
  state.default_share = std::move(next_share);
  ++state.years_done;
  return out;
}

}  // namespace phsim
