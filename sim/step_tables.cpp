#include "sim/step_tables.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "kernels/history.hpp"
#include "kernels/rng.hpp"
#include "sim/errors.hpp"
#include "sim/host_parallel.hpp"

namespace phsim {
namespace {

constexpr const char* kConditionKeys[kConditionCount] = {
    "asthma", "diabetes", "hypertension", "mental_illness", "substance_use", "serious_illness"};
constexpr const char* kSeriousTypeKeys[kSeriousTypeCount] = {"cancer", "heart_failure", "copd",
                                                             "liver"};

double get(const ReferenceData& d, const std::string& key) { return d.parameter(key).value; }

/// Rows "<prefix><lo>_<hi><suffix>" as age bands; at least one required.
std::vector<AgeBandValue> age_bands(const ReferenceData& d, const std::string& prefix,
                                    const std::string& suffix) {
  std::vector<AgeBandValue> bands;
  for (const auto& p : d.parameters) {
    if (p.key.rfind(prefix, 0) != 0 || p.key.size() < prefix.size() + suffix.size()) continue;
    if (p.key.compare(p.key.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    std::string range = p.key.substr(prefix.size(), p.key.size() - prefix.size() - suffix.size());
    std::replace(range.begin(), range.end(), '_', '-');
    const auto r = parse_age_range(range, kMaxAgeYears);
    if (!r) continue;
    bands.push_back({r->first, r->second, p.value});
  }
  PHSIM_EXPECTS(!bands.empty(),
                d.origin + "/parameters.csv: no parameter '" + prefix + "<lo>_<hi>" + suffix + "'",
                DataError);
  return bands;
}

double band_value(const std::vector<AgeBandValue>& bands, int age) {
  for (const auto& b : bands) {
    if (age >= b.lo && age <= b.hi) return b.value;
  }
  return 0.0;
}

/// Standard normal draw for structural offsets: a fixed key, so every run shares them.
double structural_normal(std::uint32_t a, std::uint32_t b, std::uint32_t salt) {
  const RandomBlock x = Philox(0x0ff5e7u, RngStream::Parameter, a, b, salt).block(0);
  const double u1 = Philox::to_uniform(x.v[0]), u2 = Philox::to_uniform(x.v[1]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// Age-year weights of the synthesized population (uniform within each age band).
std::vector<double> age_year_weights(const SynthesisTables& t) {
  std::vector<double> w(kMaxAgeYears + 1, 0.0);
  std::uint64_t prev = 0;
  for (std::size_t b = 0; b < t.age_cum.size(); ++b) {
    const double share = static_cast<double>(t.age_cum[b] - prev) / kTwoPow32;
    prev = t.age_cum[b];
    const int lo = t.age_lo_months[b] / 12, n = t.age_span_months[b] / 12;
    for (int a = lo; a < lo + n && a <= kMaxAgeYears; ++a) w[static_cast<std::size_t>(a)] += share / n;
  }
  return w;
}

double female_share_at(const SynthesisTables& t, int age) {
  return static_cast<double>(t.female_threshold[t.sex_group_of_age[static_cast<std::size_t>(age)]]) / kTwoPow32;
}

}  // namespace

double monthly_from_annual(double annual) {
  annual = std::clamp(annual, 0.0, 1.0);
  return annual >= 1.0 ? 1.0 : 1.0 - std::pow(1.0 - annual, 1.0 / 12.0);
}

ModelParameters read_model_parameters(const ReferenceData& d) {
  ModelParameters p;
  p.disenroll_annual = get(d, "churn.annual_disenrollment_fraction");
  p.reenroll_monthly = get(d, "churn.monthly_reenrollment_probability");
  p.default_rate = get(d, "aaip.default_rate");
  p.births_per_1000_member_years = get(d, "vital.births_per_1000_member_years");
  p.deaths_per_1000_member_years = get(d, "vital.deaths_per_1000_member_years");
  const char* fert[6] = {"15_19", "20_24", "25_29", "30_34", "35_39", "40_44"};
  for (int i = 0; i < 6; ++i) p.fertility_relative[static_cast<std::size_t>(i)] = get(d, std::string("fertility.relative_") + fert[i]);
  p.gompertz_log_hazard_at_0 = get(d, "mortality.gompertz_log_hazard_at_0");
  p.gompertz_slope_per_year = get(d, "mortality.gompertz_slope_per_year");
  p.infant_annual = get(d, "mortality.infant_annual");
  p.serious_excess_annual = get(d, "mortality.serious_illness_annual_excess");
  p.mortality_scale = get(d, "mortality.scale");
  for (int c = 0; c < kConditionCount; ++c) {
    const std::string name = kConditionKeys[c];
    p.prevalence[static_cast<std::size_t>(c)] = age_bands(d, "prevalence." + name + "_", "");
    p.incidence[static_cast<std::size_t>(c)] = age_bands(d, "incidence." + name + "_", "_per_year");
    p.remission_annual[static_cast<std::size_t>(c)] = get(d, "remission." + name + "_per_year");
  }
  for (int s = 0; s < kSeriousTypeCount; ++s) {
    p.serious_type_share[static_cast<std::size_t>(s)] = get(d, std::string("serious_illness.share_") + kSeriousTypeKeys[s]);
  }
  p.bp_controlled_share = get(d, "control.bp_controlled_share");
  p.bp_sojourn_months = get(d, "control.bp_mean_sojourn_months");
  p.a1c_poor_share = get(d, "control.a1c_poor_share");
  p.a1c_sojourn_months = get(d, "control.a1c_mean_sojourn_months");
  p.ed_per_member_year = get(d, "utilization.ed_visits_per_member_year");
  p.ed_mult_mental = get(d, "utilization.ed_multiplier_mental_illness");
  p.ed_mult_substance = get(d, "utilization.ed_multiplier_substance_use");
  p.ed_mult_serious = get(d, "utilization.ed_multiplier_serious_illness");
  p.ed_mental_health_per_affected_year = get(d, "utilization.ed_mental_health_visits_per_affected_member_year");
  p.ed_substance_use_per_affected_year = get(d, "utilization.ed_substance_use_visits_per_affected_member_year");
  p.inpatient_per_1000 = get(d, "utilization.inpatient_admissions_per_1000_member_years");
  p.inpatient_mult_serious = get(d, "utilization.inpatient_multiplier_serious_illness");
  p.inpatient_mean_los = get(d, "utilization.inpatient_mean_los_days");
  p.delivery_los_days = get(d, "utilization.delivery_los_days");
  p.cost_ed_usd = get(d, "cost.ed_visit_usd");
  p.cost_inpatient_day_usd = get(d, "cost.inpatient_day_usd");
  p.cost_delivery_usd = get(d, "cost.delivery_usd");
  p.cost_serious_monthly_usd = get(d, "cost.serious_illness_monthly_usd");
  p.base_medical_fraction = get(d, "cost.base_medical_fraction_of_capitation");
  for (int a = 0; a < kAidCount; ++a) {
    p.capitation_pmpm_usd[static_cast<std::size_t>(a)] = get(d, "capitation." + std::string(kAidNames[static_cast<std::size_t>(a)]) + "_pmpm_usd");
  }
  p.reliever_fills_per_month = get(d, "amr.reliever_fills_per_month");
  p.county_sd_logit = get(d, "variation.county_sd_logit");
  p.plan_sd_logit = get(d, "variation.plan_sd_logit");
  p.tier_spread_logit = get(d, "variation.practice_tier_spread_logit");
  for (int r = 0; r < kRaceCount; ++r) {
    p.race_logit[static_cast<std::size_t>(r)] = get(d, "disparity." + std::string(kRaceNames[static_cast<std::size_t>(r)]) + "_logit");
  }
  PHSIM_EXPECTS(p.inpatient_mean_los >= 1.0,
                d.origin + "/parameters.csv: utilization.inpatient_mean_los_days must be >= 1",
                DataError);
  return p;
}

std::vector<std::uint8_t> practice_tiers(const SynthesisTables& t) {
  std::vector<std::uint8_t> tier(t.practices.size(), 0);
  for (std::size_t c = 0; c < t.practice_begin.size(); ++c) {
    for (std::uint32_t j = 0; j < t.practice_count[c]; ++j) {
      tier[t.practice_begin[c] + j] = static_cast<std::uint8_t>(j % kPracticeTiers);
    }
  }
  return tier;
}

ServiceModel calibrate_service_model(const ReferenceData& d, const SynthesisTables& t,
                                     const ModelParameters& p) {
  const std::size_t K = d.measures.size(), C = d.counties.size(), P = d.plans.size();
  ServiceModel s;
  s.county_logit.assign(C * K, 0.0);
  s.plan_logit.assign(P * K, 0.0);
  for (std::size_t k = 0; k < K; ++k) {
    for (std::size_t c = 0; c < C; ++c) {
      s.county_logit[c * K + k] = p.county_sd_logit * structural_normal(static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(k), 1);
    }
    for (std::size_t pl = 0; pl < P; ++pl) {
      s.plan_logit[pl * K + k] = p.plan_sd_logit * structural_normal(static_cast<std::uint32_t>(pl), static_cast<std::uint32_t>(k), 2);
    }
  }
  s.race_logit = p.race_logit;
  s.tier_logit = {-p.tier_spread_logit, -p.tier_spread_logit / 3, p.tier_spread_logit / 3, p.tier_spread_logit};
  s.rate_context.controlled_share = p.bp_controlled_share;
  s.rate_context.poor_share = p.a1c_poor_share;
  s.rate_context.reliever_monthly = p.reliever_fills_per_month;
  s.rate_context.age_weights = age_year_weights(t);
  {
    const double out = monthly_from_annual(p.disenroll_annual), in = p.reenroll_monthly;
    s.rate_context.enrolled_share = out + in > 0 ? in / (out + in) : 1.0;
    s.rate_context.churn_lambda = 1.0 - out - in;
  }

  // Population mix: contract weight (enrolled placement), race share, tier share of the
  // county's panel weight.
  const auto tiers = practice_tiers(t);
  std::vector<std::array<double, kPracticeTiers>> tier_share(C);
  for (std::size_t c = 0; c < C; ++c) {
    double total = 0;
    for (std::uint32_t j = 0; j < t.practice_count[c]; ++j) {
      const auto& pr = t.practices[t.practice_begin[c] + j];
      tier_share[c][tiers[t.practice_begin[c] + j]] += pr.panel_weight;
      total += pr.panel_weight;
    }
    for (auto& x : tier_share[c]) x = total > 0 ? x / total : 0.25;
  }
  std::array<double, kRaceCount> race_share{};
  std::uint64_t prev = 0;
  for (int r = 0; r < kRaceCount; ++r) {
    race_share[static_cast<std::size_t>(r)] = static_cast<double>(t.race_cum[static_cast<std::size_t>(r)] - prev) / kTwoPow32;
    prev = t.race_cum[static_cast<std::size_t>(r)];
  }
  // Contract weights from enrollment (independent of the run's member count).
  std::vector<double> contract_weight(d.contracts.size(), 0.0);
  {
    const auto ranges = stratified_contract_ranges(d, 1u << 30);
    for (std::size_t k = 0; k < d.contracts.size(); ++k) {
      contract_weight[k] = static_cast<double>(ranges[k + 1] - ranges[k]);
    }
  }

  s.base_logit.assign(K, 0.0);
  s.calibration.assign(K, CalibrationResult{});
  // Measures calibrate independently (each its own curve and solve), so in parallel, with the
  // same results: most of a small run's setup.
  parallel_for_host(K, [&](std::size_t k) {
    const Measure& m = d.measures[k];
    if (std::isnan(m.reference_rate_percent)) return;
    std::vector<OffsetWeight> groups;
    for (std::size_t ct = 0; ct < d.contracts.size(); ++ct) {
      if (contract_weight[ct] <= 0) continue;
      const auto county = static_cast<std::size_t>(d.contracts[ct].county);
      const auto plan = static_cast<std::size_t>(d.contracts[ct].plan);
      const double o = s.county_logit[county * K + k] + s.plan_logit[plan * K + k];
      for (int r = 0; r < kRaceCount; ++r) {
        for (int tr = 0; tr < kPracticeTiers; ++tr) {
          groups.push_back({o + s.race_logit[static_cast<std::size_t>(r)] + s.tier_logit[static_cast<std::size_t>(tr)],
                            contract_weight[ct] * race_share[static_cast<std::size_t>(r)] * tier_share[county][static_cast<std::size_t>(tr)]});
        }
      }
    }
    s.calibration[k] = solve_base_logit(m.spec, m.reference_rate_percent / 100.0, groups, s.rate_context);
    s.base_logit[k] = s.calibration[k].base_logit;
  });
  return s;
}

std::vector<double> annual_death_probability(const ModelParameters& p, const SynthesisTables& t) {
  const auto w = age_year_weights(t);
  const auto serious = static_cast<std::size_t>(Condition::SeriousIllness) - 1;
  std::vector<double> shape(kMaxAgeYears + 1), serious_share(kMaxAgeYears + 1);
  for (int a = 0; a <= kMaxAgeYears; ++a) {
    shape[static_cast<std::size_t>(a)] =
        a == 0 ? p.infant_annual : std::exp(p.gompertz_log_hazard_at_0 + p.gompertz_slope_per_year * a);
    serious_share[static_cast<std::size_t>(a)] = band_value(p.prevalence[serious], a);
  }
  // Expected deaths per member-year at level k: sum_a w_a [1 - (1 - k q_a)(1 - e s_a)].
  const auto deaths = [&](double k) {
    double acc = 0;
    for (int a = 0; a <= kMaxAgeYears; ++a) {
      const auto i = static_cast<std::size_t>(a);
      const double q = std::min(1.0, k * shape[i]);
      acc += w[i] * (1.0 - (1.0 - q) * (1.0 - p.serious_excess_annual * serious_share[i]));
    }
    return acc;
  };
  const double target = p.deaths_per_1000_member_years / 1000.0;
  double lo = 0, hi = 100;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (deaths(mid) < target ? lo : hi) = mid;
  }
  std::vector<double> q(kMaxAgeYears + 1);
  for (std::size_t a = 0; a < q.size(); ++a) q[a] = std::min(1.0, p.mortality_scale * 0.5 * (lo + hi) * shape[a]);
  return q;
}

std::vector<double> monthly_conception_hazard(const ModelParameters& p, const SynthesisTables& t) {
  const auto w = age_year_weights(t);
  auto relative = [&](int age) {
    if (age < 15 || age > 44) return 0.0;
    return p.fertility_relative[static_cast<std::size_t>((age - 15) / 5)];
  };
  // Births per member-year at scale s: sum_a w_a f_a 12 h / (1 + 12 h), h = s * rel(a).
  auto births = [&](double scale) {
    double b = 0;
    for (int a = 15; a <= 44; ++a) {
      const double h = scale * relative(a);
      b += w[static_cast<std::size_t>(a)] * female_share_at(t, a) * 12 * h / (1 + 12 * h);
    }
    return b;
  };
  const double target = p.births_per_1000_member_years / 1000.0;
  double lo = 0, hi = 1.0 / 12;
  for (int it = 0; it < 100; ++it) {
    const double mid = 0.5 * (lo + hi);
    (births(mid) < target ? lo : hi) = mid;
  }
  std::vector<double> h(kMaxAgeYears + 1, 0.0);
  for (int a = 0; a <= kMaxAgeYears; ++a) h[static_cast<std::size_t>(a)] = 0.5 * (lo + hi) * relative(a);
  return h;
}

std::array<double, kAidCount> capitation_pmpm(const ModelParameters& p,
                                              const StepPolicyInputs& policy) {
  std::array<double, kAidCount> out{};
  for (std::size_t a = 0; a < out.size(); ++a) {
    const double v = policy.capitation_pmpm_usd[a] >= 0 ? policy.capitation_pmpm_usd[a] : p.capitation_pmpm_usd[a];
    out[a] = v * policy.capitation_scale;
  }
  return out;
}

namespace {

/// The parts of the tables that a policy sets: default assignment (rate and shares) and
/// capitation. st.contract_first and st.contract_count must be set.
void set_policy_terms(StepTables& st, const ReferenceData& d, const ModelParameters& p,
                      const StepPolicyInputs& policy) {
  const std::size_t C = d.counties.size(), N = d.contracts.size();
  st.default_thr.assign(C, probability_threshold(policy.default_rate >= 0 ? policy.default_rate : p.default_rate));
  st.default_cum.assign(N, kThresholdOne);
  for (std::size_t c = 0; c < C; ++c) {
    std::vector<double> deflt;
    for (std::uint32_t j = 0; j < st.contract_count[c]; ++j) {
      const std::size_t k = st.contract_first[c] + j;
      deflt.push_back(policy.default_share.empty() ? static_cast<double>(d.contracts[k].enrollment)
                                                   : policy.default_share[k]);
    }
    const auto dc = cumulative_thresholds(deflt);
    std::copy(dc.begin(), dc.end(), st.default_cum.begin() + st.contract_first[c]);
  }
  const auto pmpm = capitation_pmpm(p, policy);
  for (int a = 0; a < kAidCount; ++a) {
    st.scalars.capitation_cents[a] = static_cast<std::uint32_t>(std::llround(pmpm[static_cast<std::size_t>(a)] * 100.0));
  }
}

/// The log-odds of measure k's service at contract ct that every race and practice tier share:
/// base, county and plan terms, and the plan's effort under `policy`.
double service_logit(const ReferenceData& d, const ServiceModel& s, const StepPolicyInputs& policy,
                     std::size_t k, std::size_t ct) {
  const std::size_t K = d.measures.size();
  const auto county = static_cast<std::size_t>(d.contracts[ct].county);
  const auto plan = static_cast<std::size_t>(d.contracts[ct].plan);
  double o = s.base_logit[k] + s.county_logit[county * K + k] + s.plan_logit[plan * K + k];
  if (!policy.effort_logit.empty()) o += policy.effort_logit[ct * K + k];
  return o;
}

/// The service thresholds of measure k at contract ct for every race and practice tier, from
/// their shared log-odds o.
void set_service_thresholds(StepTables& st, const ServiceModel& s, std::size_t K, std::size_t k,
                            std::size_t ct, double o) {
  for (int r = 0; r < kRaceCount; ++r) {
    for (int tr = 0; tr < kPracticeTiers; ++tr) {
      st.service_thr[service_index(static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(ct), static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(tr), static_cast<std::uint32_t>(K))] =
          pack_service_threshold(probability_threshold(logistic(o + s.race_logit[static_cast<std::size_t>(r)] + s.tier_logit[static_cast<std::size_t>(tr)])));
    }
  }
}

}  // namespace

StepTables make_step_tables(const ReferenceData& d, const SynthesisTables& t,
                            const ModelParameters& p, const ServiceModel& s,
                            const StepPolicyInputs& policy) {
  const std::size_t K = d.measures.size(), C = d.counties.size(), N = d.contracts.size();
  PHSIM_EXPECTS(K <= static_cast<std::size_t>(kMaxMeasures),
                d.origin + "/measures.csv: at most " + std::to_string(kMaxMeasures) + " measures",
                DataError);
  StepTables st;
  StepTablesView& v = st.scalars;

  // Vital events.
  st.death_thr.resize(kMaxAgeYears + 1);
  st.death_serious_thr.resize(kMaxAgeYears + 1);
  const std::vector<double> death_q = annual_death_probability(p, t);
  for (int a = 0; a <= kMaxAgeYears; ++a) {
    const double q = death_q[static_cast<std::size_t>(a)];
    const double q_serious = 1.0 - (1.0 - q) * (1.0 - p.serious_excess_annual);
    st.death_thr[static_cast<std::size_t>(a)] = probability_threshold(monthly_from_annual(q));
    st.death_serious_thr[static_cast<std::size_t>(a)] = probability_threshold(monthly_from_annual(q_serious));
  }
  for (double h : monthly_conception_hazard(p, t)) st.conception_thr.push_back(probability_threshold(h));
  v.newborn_female_thr = probability_threshold(0.488);  // ~105 boys per 100 girls at birth

  // Churn and plan choice.
  v.disenroll_thr = probability_threshold(monthly_from_annual(p.disenroll_annual));
  v.reenroll_thr = probability_threshold(p.reenroll_monthly);
  st.contract_first.assign(C, 0);
  st.contract_count.assign(C, 0);
  for (std::size_t k = 0; k < N; ++k) {
    const auto c = static_cast<std::size_t>(d.contracts[k].county);
    if (st.contract_count[c] == 0) st.contract_first[c] = static_cast<std::uint32_t>(k);
    ++st.contract_count[c];
  }
  st.choice_cum.assign(N, kThresholdOne);
  for (std::size_t c = 0; c < C; ++c) {
    std::vector<double> choice;
    for (std::uint32_t j = 0; j < st.contract_count[c]; ++j) {
      choice.push_back(static_cast<double>(d.contracts[st.contract_first[c] + j].enrollment));
    }
    const auto cc = cumulative_thresholds(choice);
    std::copy(cc.begin(), cc.end(), st.choice_cum.begin() + st.contract_first[c]);
  }
  set_policy_terms(st, d, p, policy);

  // Conditions.
  st.incidence_thr.assign(static_cast<std::size_t>(kConditionCount) * (kMaxAgeYears + 1), 0);
  for (int c = 0; c < kConditionCount; ++c) {
    for (int a = 0; a <= kMaxAgeYears; ++a) {
      st.incidence_thr[static_cast<std::size_t>(c * (kMaxAgeYears + 1) + a)] =
          probability_threshold(monthly_from_annual(band_value(p.incidence[static_cast<std::size_t>(c)], a)));
    }
  }
  for (int c = 0; c < kConditionCount; ++c) {
    v.remission_thr[c] = probability_threshold(monthly_from_annual(p.remission_annual[static_cast<std::size_t>(c)]));
  }
  // The sum of the intervals the step stacks (kernels/dynamics.hpp), for every age and every
  // set of conditions.
  st.condition_change_thr.assign(static_cast<std::size_t>(kMaxAgeYears + 1) * kConditionCombinations, 0);
  for (int a = 0; a <= kMaxAgeYears; ++a) {
    for (std::uint32_t has = 0; has < kConditionCombinations; ++has) {
      std::uint64_t& sum = st.condition_change_thr[condition_change_index(a, static_cast<std::uint8_t>(has))];
      for (int c = 0; c < kConditionCount; ++c) {
        sum += (has >> c) & 1u ? v.remission_thr[c] : st.incidence_thr[static_cast<std::size_t>(c * (kMaxAgeYears + 1) + a)];
      }
    }
  }
  const auto serious = cumulative_thresholds(std::vector<double>(p.serious_type_share.begin(), p.serious_type_share.end()));
  std::copy(serious.begin(), serious.end(), v.serious_type_cum);
  // Two-state chains with stationary share pi and mean stay S in the first state:
  // leave with 1/S, return with pi / (1 - pi) / S.
  v.bp_to_uncontrolled_thr = probability_threshold(1.0 / p.bp_sojourn_months);
  v.bp_to_controlled_thr = probability_threshold(p.bp_controlled_share / (1.0 - p.bp_controlled_share) / p.bp_sojourn_months);
  v.a1c_to_ok_thr = probability_threshold(1.0 / p.a1c_sojourn_months);
  v.bp_controlled_thr = probability_threshold(p.bp_controlled_share);
  v.a1c_poor_thr = probability_threshold(p.a1c_poor_share);
  v.a1c_to_poor_thr = probability_threshold(p.a1c_poor_share / (1.0 - p.a1c_poor_share) / p.a1c_sojourn_months);

  // Utilization.
  for (int risk = 0; risk < kRiskClasses; ++risk) {
    double rate = p.ed_per_member_year;
    if (risk & 1) rate *= p.ed_mult_mental;
    if (risk & 2) rate *= p.ed_mult_substance;
    if (risk & 4) rate *= p.ed_mult_serious;
    v.ed_thr[risk] = probability_threshold(rate / 12.0);
  }
  v.ed_mental_health_thr = probability_threshold(p.ed_mental_health_per_affected_year / 12.0);
  v.ed_substance_use_thr = probability_threshold(p.ed_substance_use_per_affected_year / 12.0);
  v.inpatient_thr[0] = probability_threshold(p.inpatient_per_1000 / 1000.0 / 12.0);
  v.inpatient_thr[1] = probability_threshold(p.inpatient_per_1000 * p.inpatient_mult_serious / 1000.0 / 12.0);
  v.inpatient_los_span = static_cast<std::uint32_t>(std::lround(2.0 * (p.inpatient_mean_los - 1.0))) + 1;
  v.delivery_los_days = static_cast<std::uint32_t>(std::lround(p.delivery_los_days));

  // Costs (whole dollars).
  for (int a = 0; a < kAidCount; ++a) {
    v.base_cost_usd[a] = static_cast<std::uint32_t>(std::lround(p.capitation_pmpm_usd[static_cast<std::size_t>(a)] * p.base_medical_fraction));
  }
  v.ed_cost_usd = static_cast<std::uint32_t>(std::lround(p.cost_ed_usd));
  v.inpatient_day_cost_usd = static_cast<std::uint32_t>(std::lround(p.cost_inpatient_day_usd));
  v.delivery_cost_usd = static_cast<std::uint32_t>(std::lround(p.cost_delivery_usd));
  v.serious_monthly_cost_usd = static_cast<std::uint32_t>(std::lround(p.cost_serious_monthly_usd));

  // Measures: thresholds per (measure, contract, race, tier).
  for (const auto& m : d.measures) st.measures.push_back(m.spec);
  v.n_measures = static_cast<std::uint32_t>(K);
  v.n_contracts = static_cast<std::uint32_t>(N);
  st.service_thr.assign(K * N * kRaceCount * kPracticeTiers, 0);
  for (std::size_t k = 0; k < K; ++k) {
    for (std::size_t ct = 0; ct < N; ++ct) set_service_thresholds(st, s, K, k, ct, service_logit(d, s, policy, k, ct));
  }
  st.practice_tier = practice_tiers(t);
  // Which measures can change state for a member of a given age (years now), sex and
  // conditions; conservative by a year at the age bounds (eligibility is by age at Dec 31).
  st.measure_age_mask.assign(static_cast<std::size_t>(kMaxAgeYears + 1) * 2, 0);
  st.measure_condition_mask.assign(64, 0);
  v.followup_mask = 0;
  v.enrolled_only_mask = 0;
  v.ratio_mask = 0;
  for (std::size_t k = 0; k < K; ++k) {
    const MeasureSpec& m = st.measures[k];
    const auto bit = static_cast<std::uint32_t>(1u << k);
    if (m.kind == MeasureKind::Followup) v.followup_mask |= bit;
    if (m.kind == MeasureKind::Ratio) v.ratio_mask |= bit;
    const bool changes_unenrolled = m.kind == MeasureKind::CountInWindow &&
                                    (m.window == WindowKind::Lookback || m.anchor == Anchor::Milestone);
    if (!changes_unenrolled) v.enrolled_only_mask |= bit;
    int lo = m.age_lo / 12 - 1, hi = m.age_hi / 12;
    if (m.kind == MeasureKind::CountInWindow &&
        (m.window == WindowKind::AgeMonths || m.window == WindowKind::SinceBirthday)) {
      int last = m.window_hi;
      for (int j = 0; j < m.n_milestones; ++j) last = std::max<int>(last, m.milestones[j]);
      lo = 0;
      hi = last / 12;
    }
    for (int a = 0; a <= kMaxAgeYears; ++a) {
      if (a < lo || a > hi) continue;
      for (int female = 0; female < 2; ++female) {
        if (m.sex == SexFilter::Female && !female) continue;
        if (m.sex == SexFilter::Male && female) continue;
        st.measure_age_mask[static_cast<std::size_t>(a * 2 + female)] |= bit;
      }
    }
    for (std::uint32_t c = 0; c < 64; ++c) {
      if (m.condition == Condition::None || (c & condition_bit(m.condition))) st.measure_condition_mask[c] |= bit;
    }
  }
  v.reliever_fill_thr = probability_threshold(p.reliever_fills_per_month);
  st.aid_group_of_age = t.aid_group_of_age;
  st.aid_cum = t.aid_cum;
  return st;
}

StepTables with_policy(const StepTables& no_policy, const ReferenceData& d, const ModelParameters& p,
                       const ServiceModel& s, const StepPolicyInputs& policy) {
  StepTables st = no_policy;
  set_policy_terms(st, d, p, policy);
  if (!policy.effort_logit.empty()) {
    const std::size_t K = d.measures.size();
    for (std::size_t ct = 0; ct < d.contracts.size(); ++ct) {
      for (std::size_t k = 0; k < K; ++k) {
        // Adding an effort of 0 leaves the log-odds, and so the thresholds, as they are.
        if (policy.effort_logit[ct * K + k] != 0.0) set_service_thresholds(st, s, K, k, ct, service_logit(d, s, policy, k, ct));
      }
    }
  }
  return st;
}

HistoryTables make_history_tables(const ModelParameters& p) {
  HistoryTables h;
  h.prevalence_thr.assign(static_cast<std::size_t>(kConditionCount) * (kMaxAgeYears + 1), 0);
  for (int c = 0; c < kConditionCount; ++c) {
    for (int a = 0; a <= kMaxAgeYears; ++a) {
      h.prevalence_thr[static_cast<std::size_t>(c * (kMaxAgeYears + 1) + a)] =
          probability_threshold(band_value(p.prevalence[static_cast<std::size_t>(c)], a));
    }
  }
  // Backward steps of the churn chain bridged to "enrolled at birth":
  // P(in at t-1 | x at t, in at 0) = f(t-1) P(x | in) / (f(t-1) P(x | in) + (1 - f(t-1)) P(x | out))
  // with f(s) = P(in at s | in at 0) = pi + (1 - pi) lambda^s.
  const double out = monthly_from_annual(p.disenroll_annual), in = p.reenroll_monthly;
  const double pi = out + in > 0 ? in / (out + in) : 1.0, lambda = 1.0 - out - in;
  for (std::uint32_t t = 1; t <= kHistoryMonths; ++t) {
    const double f = pi + (1.0 - pi) * std::pow(lambda, t - 1);
    const double given_in = f * (1 - out) / (f * (1 - out) + (1 - f) * in);
    const double given_out = f * out / (f * out + (1 - f) * (1 - in));
    h.bridge_in_thr.push_back(probability_threshold(given_in));
    h.bridge_out_thr.push_back(probability_threshold(given_out));
  }
  h.bp_controlled_thr = probability_threshold(p.bp_controlled_share);
  h.a1c_poor_thr = probability_threshold(p.a1c_poor_share);
  return h;
}

}  // namespace phsim
