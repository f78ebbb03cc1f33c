#include "sim/interventions.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/member.hpp"
#include "sim/errors.hpp"

namespace phsim {
namespace {

std::string key(std::size_t i, const std::string& name) {
  return "intervention[" + std::to_string(i) + "]." + name;
}

Condition condition_named(const std::string& name, const std::string& where) {
  static const char* names[] = {"asthma", "diabetes", "hypertension", "mental_illness", "substance_use",
                                "serious_illness"};
  for (int c = 0; c < kConditionCount; ++c) {
    if (name == names[c]) return static_cast<Condition>(c + 1);
  }
  throw ScenarioError(where + ": unknown condition '" + name + "'");
}

int month_index_of(const InterventionSettings& s) { return month_index(s.start_year, s.start_month); }

/// Whether month index `month` lies in the program's months.
bool active(const InterventionSettings& s, std::int32_t month) {
  const int start = month_index_of(s);
  return month >= start && month < start + s.duration_months;
}

}  // namespace

InterventionPlan make_intervention_plan(const std::vector<InterventionSettings>& settings,
                                        const ReferenceData& data, const SynthesisTables& tables) {
  PHSIM_EXPECTS(settings.size() <= static_cast<std::size_t>(kMaxInterventions),
                "intervention: at most " + std::to_string(kMaxInterventions) + " interventions per scenario, got " +
                    std::to_string(settings.size()),
                ScenarioError);
  InterventionPlan plan;
  plan.settings = settings;
  plan.contract_mask.assign(data.contracts.size(), 0);
  plan.practice_mask.assign(tables.practices.size(), 0);
  for (std::size_t i = 0; i < settings.size(); ++i) {
    const InterventionSettings& s = settings[i];
    const auto bit = static_cast<std::uint8_t>(1u << i);
    std::vector<bool> county(data.counties.size(), s.counties.empty());
    for (const auto& name : s.counties) {
      const auto c = data.find_county(name);
      PHSIM_EXPECTS(c.has_value(), key(i, "counties") + ": unknown county '" + name + "'", ScenarioError);
      county[static_cast<std::size_t>(*c)] = true;
    }
    std::vector<bool> plan_ok(data.plans.size(), s.plans.empty());
    for (const auto& name : s.plans) {
      const auto p = data.find_plan(name);
      PHSIM_EXPECTS(p.has_value(), key(i, "plans") + ": unknown plan '" + name + "'", ScenarioError);
      plan_ok[static_cast<std::size_t>(*p)] = true;
    }
    std::vector<double> weight(data.contracts.size(), 0.0);
    double total = 0;
    for (std::size_t k = 0; k < data.contracts.size(); ++k) {
      const auto& c = data.contracts[k];
      if (county[static_cast<std::size_t>(c.county)] && plan_ok[static_cast<std::size_t>(c.plan)]) {
        plan.contract_mask[k] |= bit;
        weight[k] = static_cast<double>(c.enrollment);
        total += weight[k];
      }
    }
    for (auto& w : weight) w = total > 0 ? w / total : 0.0;
    plan.contract_weight.push_back(weight);

    // Practices: all in the targeted counties, or a cohort drawn with probability proportional
    // to panel size (systematic: positions (j + 1/2) x total / n along the cumulative weights).
    std::vector<int> candidates;
    double panel = 0;
    for (std::size_t p = 0; p < tables.practices.size(); ++p) {
      if (county[static_cast<std::size_t>(tables.practices[p].county)]) {
        candidates.push_back(static_cast<int>(p));
        panel += tables.practices[p].panel_weight;
      }
    }
    std::vector<int> reached;
    if (s.practices == "cohort") {
      PHSIM_EXPECTS(s.practice_cohort_size >= 1, key(i, "practice_cohort_size") + ": expected >= 1 for a cohort",
                    ScenarioError);
      const auto n = static_cast<std::size_t>(s.practice_cohort_size);
      double acc = 0;
      std::size_t j = 0;
      for (const int p : candidates) {
        acc += tables.practices[static_cast<std::size_t>(p)].panel_weight;
        bool taken = false;
        while (j < n && (static_cast<double>(j) + 0.5) * panel / static_cast<double>(n) < acc) {
          if (!taken) reached.push_back(p);
          taken = true;
          ++j;
        }
      }
    } else {
      reached = candidates;
    }
    for (const int p : reached) plan.practice_mask[static_cast<std::size_t>(p)] |= bit;
    plan.practices.push_back(reached);

    // Effects and their uncertain values (one correlation group per intervention).
    const std::string group = s.correlation != 0.0 ? "intervention." + s.name : "";
    if (!group.empty()) plan.groups.push_back({group, s.correlation});
    std::vector<ResolvedEffect> effects;
    for (std::size_t e = 0; e < s.effects.size(); ++e) {
      const InterventionEffect& eff = s.effects[e];
      ResolvedEffect r;
      if (eff.target == "ed_visits") {
        r.on = ResolvedEffect::On::EdVisits;
      } else if (eff.target == "inpatient_admissions") {
        r.on = ResolvedEffect::On::InpatientAdmissions;
      } else if (eff.target == "palliative_enrollment") {
        r.on = ResolvedEffect::On::PalliativeEnrollment;
      } else if (eff.target.rfind("domain:", 0) == 0) {
        const std::string domain = eff.target.substr(7);
        for (std::size_t m = 0; m < data.measures.size(); ++m) {
          if (data.measures[m].domain == domain) r.measures.push_back(static_cast<int>(m));
        }
        PHSIM_EXPECTS(!r.measures.empty(),
                      key(i, "effects[" + std::to_string(e) + "].target") + ": no measure in domain '" + domain + "'",
                      ScenarioError);
      } else {
        const auto m = data.find_measure(eff.target);
        PHSIM_EXPECTS(m.has_value(),
                      key(i, "effects[" + std::to_string(e) + "].target") + ": unknown measure '" + eff.target + "'",
                      ScenarioError);
        r.measures.push_back(*m);
      }
      r.parameter = plan.parameters.size();
      plan.parameters.push_back({"intervention." + s.name + ".effect." + eff.target, eff.effect, group});
      effects.push_back(r);
    }
    plan.effects.push_back(effects);
  }
  for (std::size_t i = 0; i < settings.size(); ++i) {
    plan.milestone_parameter.push_back(plan.parameters.size());
    plan.parameters.push_back({"intervention." + settings[i].name + ".milestone_share", settings[i].milestone_share, ""});
  }
  return plan;
}

void apply_interventions(StepTables& step, const InterventionPlan& plan, const std::vector<double>& values) {
  InterventionTablesView& v = step.scalars.iv;
  v = InterventionTablesView{};
  v.n = static_cast<std::uint32_t>(plan.settings.size());
  if (v.n == 0) return;
  step.iv_contract_mask = plan.contract_mask;
  step.iv_practice_mask = plan.practice_mask;
  step.iv_measure_log_or.assign(static_cast<std::size_t>(kMaxInterventions) * kMaxMeasures, 0.0);
  for (std::size_t i = 0; i < plan.settings.size(); ++i) {
    const InterventionSettings& s = plan.settings[i];
    v.kind[i] = static_cast<std::uint8_t>(s.kind == "member_outreach"   ? InterventionKind::MemberOutreach
                                          : s.kind == "palliative_care" ? InterventionKind::PalliativeCare
                                                                        : InterventionKind::PracticeSupport);
    std::uint8_t bits = 0;
    for (const auto& c : s.conditions) bits |= condition_bit(condition_named(c, key(i, "conditions")));
    v.condition_bits[i] = bits;
    v.engagement_thr[i] = probability_threshold(s.engagement);
    v.cost_per_member_month_cents[i] = static_cast<std::uint32_t>(std::llround(s.cost_per_member_month_usd * 100.0));
    for (const ResolvedEffect& e : plan.effects[i]) {
      const double x = values[e.parameter];
      switch (e.on) {
        case ResolvedEffect::On::Measures:
          for (const int m : e.measures) step.iv_measure_log_or[i * kMaxMeasures + static_cast<std::size_t>(m)] += x;
          break;
        case ResolvedEffect::On::EdVisits: v.ed_log_or[i] += x; break;
        case ResolvedEffect::On::InpatientAdmissions: v.inpatient_log_or[i] += x; break;
        case ResolvedEffect::On::PalliativeEnrollment: v.palliative_enrollment[i] = std::clamp(x, 0.0, 1.0); break;
      }
    }
  }
  // Base log-odds of what the effects shift (the thresholds' probabilities, as logits).
  const auto logit_of = [](std::uint64_t thr) {
    const double p = std::clamp(static_cast<double>(thr) / 4294967296.0, 1e-12, 1.0 - 1e-12);
    return std::log(p / (1.0 - p));
  };
  step.iv_service_logit.resize(step.service_thr.size());
  for (std::size_t j = 0; j < step.service_thr.size(); ++j) {
    step.iv_service_logit[j] = logit_of(service_threshold(step.service_thr[j]));
  }
  for (int r = 0; r < kRiskClasses; ++r) v.ed_logit[r] = logit_of(step.scalars.ed_thr[r]);
  for (int s = 0; s < 2; ++s) v.inpatient_logit[s] = logit_of(step.scalars.inpatient_thr[s]);
}

std::array<double, kMaxInterventions> intervention_strengths(const InterventionPlan& plan, std::int32_t month) {
  std::array<double, kMaxInterventions> out{};
  for (std::size_t i = 0; i < plan.settings.size(); ++i) {
    const InterventionSettings& s = plan.settings[i];
    if (!active(s, month)) continue;
    const int since = month - month_index_of(s) + 1;
    out[i] = s.ramp_months > 0 ? std::min(1.0, static_cast<double>(since) / s.ramp_months) : 1.0;
  }
  return out;
}

InterventionYearCosts intervention_year_costs(const InterventionPlan& plan, const SynthesisTables& tables,
                                              const std::vector<double>& values, int year, double scale) {
  InterventionYearCosts c;
  const std::size_t n = plan.settings.size(), contracts = plan.contract_mask.size();
  c.program_usd.assign(n, 0.0);
  c.practice_payment_usd.assign(n, 0.0);
  c.program_by_contract.assign(contracts, 0.0);
  c.payments_by_contract.assign(contracts, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const InterventionSettings& s = plan.settings[i];
    int months = 0;
    for (int m = 1; m <= 12; ++m) months += active(s, month_index(year, m)) ? 1 : 0;
    if (months == 0) continue;
    const double share = scale * static_cast<double>(months) / s.duration_months;
    const auto& practices = plan.practices[i];
    c.program_usd[i] = share * (s.fixed_cost_usd + s.cost_per_practice_usd * static_cast<double>(practices.size()));
    // Practice payments by panel size: the smallest practice reached earns the minimum, the
    // largest the maximum, linearly in between; times the milestones achieved.
    if (s.practice_payment_max_usd > 0 && !practices.empty()) {
      double lo = 1e300, hi = 0;
      for (const int p : practices) {
        lo = std::min(lo, tables.practices[static_cast<std::size_t>(p)].panel_weight);
        hi = std::max(hi, tables.practices[static_cast<std::size_t>(p)].panel_weight);
      }
      double total = 0;
      for (const int p : practices) {
        const double w = tables.practices[static_cast<std::size_t>(p)].panel_weight;
        const double f = hi > lo ? (w - lo) / (hi - lo) : 0.5;
        total += s.practice_payment_min_usd + f * (s.practice_payment_max_usd - s.practice_payment_min_usd);
      }
      c.practice_payment_usd[i] = share * total * std::clamp(values[plan.milestone_parameter[i]], 0.0, 1.0);
    }
    for (std::size_t k = 0; k < contracts; ++k) {
      c.program_by_contract[k] += c.program_usd[i] * plan.contract_weight[i][k];
      c.payments_by_contract[k] += c.practice_payment_usd[i] * plan.contract_weight[i][k];
    }
  }
  return c;
}

}  // namespace phsim
