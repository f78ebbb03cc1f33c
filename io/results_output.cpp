#include "io/results_output.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <sstream>
#include <type_traits>
#include <variant>

#include "sim/population.hpp"

#include "io/compare.hpp"
#include "io/hdf5_file.hpp"
#include "sim/errors.hpp"

namespace phsim {

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

/// Per-scenario blocks of equal size along a new leading scenario axis: the one scenario's own
/// array when there is one (no copy), their concatenation otherwise. Neither copied nor moved
/// (it may point into itself).
template <class T>
class Stacked {
 public:
  Stacked(const std::vector<ScenarioResults>& scenarios, std::vector<T> ScenarioResults::*field) {
    if (scenarios.size() == 1) {
      m_data = &(scenarios.front().*field);
      return;
    }
    for (const auto& s : scenarios) m_owned.insert(m_owned.end(), (s.*field).begin(), (s.*field).end());
  }
  Stacked(const Stacked&) = delete;
  Stacked& operator=(const Stacked&) = delete;
  operator const std::vector<T>&() const { return m_data ? *m_data : m_owned; }

 private:
  const std::vector<T>* m_data = nullptr;
  std::vector<T> m_owned;
};

template <class T>
Stacked<T> stack(const std::vector<ScenarioResults>& scenarios, std::vector<T> ScenarioResults::*field) {
  return Stacked<T>(scenarios, field);
}

/// Names in first-seen order over every scenario.
std::vector<std::string> union_of(const std::vector<ScenarioResults>& scenarios,
                                  std::vector<std::string> ScenarioResults::*field) {
  std::vector<std::string> out;
  for (const auto& s : scenarios) {
    for (const auto& n : s.*field) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  }
  return out;
}

/// parameter_draws (scenario × replicate × parameter) and the per-intervention costs
/// (scenario × replicate × year × intervention); NaN where a scenario lacks the parameter or
/// intervention.
void write_parameters_and_interventions(ResultsWriter& w, const std::vector<ScenarioResults>& scenarios) {
  const std::size_t replicates = static_cast<std::size_t>(scenarios.front().run.replicates);
  const std::size_t years = scenarios.front().years.size();
  const auto parameters = union_of(scenarios, &ScenarioResults::parameter_names);
  if (!parameters.empty()) {
    w.add_dimension("parameter", parameters);
    std::vector<double> draws;
    for (const auto& s : scenarios) {
      for (std::size_t r = 0; r < replicates; ++r) {
        for (const auto& name : parameters) {
          const auto it = std::find(s.parameter_names.begin(), s.parameter_names.end(), name);
          draws.push_back(it == s.parameter_names.end()
                              ? std::nan("")
                              : s.parameter_draws[r * s.parameter_names.size() +
                                                  static_cast<std::size_t>(it - s.parameter_names.begin())]);
        }
      }
    }
    w.write("parameter_draws", {"scenario", "replicate", "parameter"}, draws,
            {{"long_name", std::string("value of each uncertain parameter drawn for the replicate")}});
  }
  const auto interventions = union_of(scenarios, &ScenarioResults::intervention_names);
  if (interventions.empty()) return;
  w.add_dimension("intervention", interventions);
  std::vector<double> program, payments;
  for (const auto& s : scenarios) {
    for (std::size_t r = 0; r < replicates; ++r) {
      for (std::size_t y = 0; y < years; ++y) {
        for (const auto& name : interventions) {
          const auto it = std::find(s.intervention_names.begin(), s.intervention_names.end(), name);
          if (it == s.intervention_names.end()) {
            program.push_back(std::nan(""));
            payments.push_back(std::nan(""));
            continue;
          }
          const std::size_t i = static_cast<std::size_t>(it - s.intervention_names.begin());
          const std::size_t at = (r * years + y) * s.intervention_names.size() + i;
          program.push_back(s.intervention_program_usd[at]);
          payments.push_back(s.intervention_payments_usd[at]);
        }
      }
    }
  }
  const std::vector<std::string> dims = {"scenario", "replicate", "year", "intervention"};
  w.write("intervention_program_usd", dims, program,
          {{"units", std::string("USD")},
           {"long_name", std::string("fixed and per-practice program cost of each intervention")}});
  w.write("intervention_practice_payment_usd", dims, payments,
          {{"units", std::string("USD")},
           {"long_name", std::string("practice incentive payments of each intervention")}});
}

}  // namespace

void write_results(const std::string& path, const ReferenceData& data,
                   const std::vector<ScenarioResults>& scenarios, const RunMetadata& meta) {
  PHSIM_EXPECTS(!scenarios.empty(), "write_results: no scenarios", UsageError);
  const ScenarioResults& first = scenarios.front();
  for (const auto& s : scenarios) {
    PHSIM_EXPECTS(s.years == first.years && s.run.replicates == first.run.replicates &&
                      s.members == first.members,
                  "scenario '" + s.run.name + "' differs from '" + first.run.name +
                      "' in years, replicates or members; scenarios in one file must share them",
                  UsageError);
  }

  ResultsWriter w(path);
  std::vector<std::string> scenario_names;
  for (const auto& s : scenarios) scenario_names.push_back(s.run.name);
  std::vector<std::int64_t> replicates, years;
  for (int r = 0; r < first.run.replicates; ++r) replicates.push_back(r);
  for (int y : first.years) years.push_back(y);
  std::vector<std::string> counties, plans;
  for (const auto& c : data.counties) counties.push_back(c.name);
  for (const auto& p : data.plans) plans.push_back(p.name);

  w.add_dimension("scenario", scenario_names);
  w.add_dimension("replicate", replicates);
  w.add_dimension("year", years);
  w.add_dimension("county", counties);
  w.add_dimension("plan", plans);
  w.set_attributes("year", {{"long_name", std::string("measurement year")}});
  w.set_attributes("replicate",
                   {{"long_name", std::string("Monte Carlo replicate (RNG counter word 2)")}});

  std::vector<std::string> measures, groups;
  for (const auto& m : data.measures) measures.push_back(m.id);
  for (const auto& g : kRaceNames) groups.emplace_back(g);
  w.add_dimension("measure", measures);
  w.add_dimension("group", groups);
  {
    std::string domains;
    std::vector<std::int64_t> inverse, held;
    std::vector<double> mpl, hpl, reference;
    for (const auto& m : data.measures) {
      domains += (domains.empty() ? "" : ";") + m.domain;
      inverse.push_back(m.inverse ? 1 : 0);
      held.push_back(m.held_to_mpl ? 1 : 0);
      mpl.push_back(m.mpl_percent);
      hpl.push_back(m.hpl_percent);
      reference.push_back(m.reference_rate_percent);
    }
    w.set_attributes("measure", {{"domain", domains},
                                 {"domain_separator", std::string(";")},
                                 {"inverse", inverse},
                                 {"held_to_mpl", held},
                                 {"mpl_percent", mpl},
                                 {"hpl_percent", hpl},
                                 {"reference_rate_percent", reference}});
    w.set_attributes("group", {{"long_name", std::string("race/ethnicity group")}});
  }

  const std::vector<std::string> sryc = {"scenario", "replicate", "year", "county", "plan"};
  const auto counts = [&](const char* name, std::vector<std::int64_t> ScenarioResults::*field,
                          const char* units, const char* long_name) {
    w.write(name, sryc, stack(scenarios, field),
            {{"units", std::string(units)}, {"long_name", std::string(long_name)}});
  };
  counts("enrollment_member_months", &ScenarioResults::enrollment_member_months, "member-months",
         "enrolled member-months in the measurement year");
  counts("deaths", &ScenarioResults::deaths, "persons", "deaths of enrolled members");
  counts("births", &ScenarioResults::births, "births", "births to enrolled mothers");
  counts("ed_visits", &ScenarioResults::ed_visits, "visits", "emergency-department visits");
  counts("inpatient_days", &ScenarioResults::inpatient_days, "days", "inpatient days");
  counts("default_assigned_members", &ScenarioResults::default_assigned_members, "members",
         "new enrollments assigned to the plan by default");
  counts("chose_plan_members", &ScenarioResults::chose_plan_members, "members",
         "new enrollments that chose the plan");
  counts("disenrollments", &ScenarioResults::disenrollments, "members", "disenrollments");
  counts("measures_below_mpl", &ScenarioResults::measures_below_mpl, "measures",
         "held measures evaluated and below the MPL");
  counts("measures_at_hpl", &ScenarioResults::measures_at_hpl, "measures",
         "held measures evaluated and at or better than the HPL");
  counts("corrective_action", &ScenarioResults::corrective_action, "1",
         "1 if any held measure is below the MPL (corrective action plan)");
  const auto reals = [&](const char* name, std::vector<double> ScenarioResults::*field,
                         const char* units, const char* long_name) {
    w.write(name, sryc, stack(scenarios, field),
            {{"units", std::string(units)}, {"long_name", std::string(long_name)}});
  };
  reals("medical_cost_usd", &ScenarioResults::medical_cost_usd, "USD", "medical cost");
  reals("capitation_usd", &ScenarioResults::capitation_usd, "USD", "capitation paid");
  reals("withhold_usd", &ScenarioResults::withhold_usd, "USD", "quality withhold (QWI)");
  reals("withhold_returned_usd", &ScenarioResults::withhold_returned_usd, "USD", "withhold earned back");
  reals("incentive_usd", &ScenarioResults::incentive_usd, "USD", "QWI incentive from unearned withhold");
  reals("sanction_usd", &ScenarioResults::sanction_usd, "USD", "MCAS sanctions");
  reals("admin_cost_usd", &ScenarioResults::admin_cost_usd, "USD", "administrative cost");
  reals("quality_effort_cost_usd", &ScenarioResults::quality_effort_cost_usd, "USD", "cost of plan quality effort");
  reals("net_income_usd", &ScenarioResults::net_income_usd, "USD",
        "capitation - withhold + returned + incentive - sanction - medical - admin - effort");
  reals("reinvestment_usd", &ScenarioResults::reinvestment_usd, "USD", "community reinvestment");
  reals("primary_care_usd", &ScenarioResults::primary_care_usd, "USD", "primary-care spending");
  reals("plan_quality_score", &ScenarioResults::plan_quality_score, "points",
        "auto-assignment quality score");
  reals("qwi_targets_met_share", &ScenarioResults::qwi_targets_met_share, "1", "share of QWI targets met");
  reals("default_assignment_share", &ScenarioResults::default_assignment_share, "1",
        "share of the county's default enrollees assigned to the plan during the year");
  w.write("enrollment_start", {"scenario", "replicate", "county", "plan"},
          stack(scenarios, &ScenarioResults::enrollment_start),
          {{"units", std::string("members")},
           {"long_name", std::string("members enrolled at the start of the first month")}});

  std::vector<std::string> srycpm = sryc;
  srycpm.push_back("measure");
  const Stacked<std::int64_t> stacked_numerator(scenarios, &ScenarioResults::measure_numerator);
  const Stacked<std::int64_t> stacked_denominator(scenarios, &ScenarioResults::measure_denominator);
  const std::vector<std::int64_t>& numerator = stacked_numerator;
  const std::vector<std::int64_t>& denominator = stacked_denominator;
  w.write("measure_numerator", srycpm, numerator,
          {{"long_name", std::string("measure numerator (events for follow-up measures)")}});
  w.write("measure_denominator", srycpm, denominator,
          {{"long_name", std::string("measure denominator (eligible members or events)")}});
  std::vector<double> rate(numerator.size());
  for (std::size_t i = 0; i < rate.size(); ++i) {
    rate[i] = denominator[i] > 0 ? static_cast<double>(numerator[i]) / static_cast<double>(denominator[i])
                                 : std::nan("");
  }
  w.write("measure_rate", srycpm, rate,
          {{"units", std::string("1")},
           {"long_name", std::string("numerator / denominator (NaN where the denominator is 0)")}});
  w.write("quality_effort_logit", srycpm, stack(scenarios, &ScenarioResults::quality_effort_logit),
          {{"units", std::string("log-odds")},
           {"long_name", std::string("plan quality effort in force during the year")}});
  reals("intervention_cost_usd", &ScenarioResults::intervention_cost_usd, "USD",
        "intervention program cost: fixed, per practice and per member-month reached");
  reals("practice_incentive_usd", &ScenarioResults::practice_incentive_usd, "USD",
        "practice incentive payments of interventions (allocated to the plans they reach)");
  counts("palliative_enrollees", &ScenarioResults::palliative_enrollees, "members",
         "members enrolled in palliative care during the year");
  write_parameters_and_interventions(w, scenarios);
  const std::vector<std::string> srycmg = {"scenario", "replicate", "year", "county", "measure", "group"};
  w.write("measure_group_numerator", srycmg, stack(scenarios, &ScenarioResults::measure_group_numerator));
  w.write("measure_group_denominator", srycmg, stack(scenarios, &ScenarioResults::measure_group_denominator));

  std::string toml_all;
  for (std::size_t i = 0; i < meta.scenario_tomls.size(); ++i) {
    if (meta.scenario_tomls.size() > 1) toml_all += "# ---- scenario " + meta.scenario_names[i] + "\n";
    toml_all += meta.scenario_tomls[i];
  }
  std::string hashes;
  for (const auto& h : meta.scenario_hashes) hashes += (hashes.empty() ? "" : ",") + h;
  write_rate_summaries(w, numerator, denominator,
                       {scenario_names.size(), replicates.size(), years.size(), counties.size(),
                        plans.size(), measures.size()});
  w.set_root_attributes({
      {"phsim_version", meta.phsim_version},
      {"git_describe", meta.git_describe},
      {"backend", meta.backend},
      {"device", meta.device},
      {"threads", static_cast<std::int64_t>(meta.threads)},
      {"bytes_per_member", static_cast<std::int64_t>(meta.bytes_per_member)},
      {"seed", static_cast<std::int64_t>(first.run.seed)},
      {"scenario_toml", toml_all},
      {"scenario_hash", hashes},
      {"start_year", static_cast<std::int64_t>(first.run.start_year)},
      {"years", static_cast<std::int64_t>(first.years.size())},
      {"members", static_cast<std::int64_t>(first.members)},
      {"replicates", static_cast<std::int64_t>(first.run.replicates)},
      {"created_utc", utc_timestamp()},
      {"data_origin", meta.data_origin},
      {"Conventions", std::string("phsim-1")},
  });
  w.commit();
}

namespace {

std::string attribute_text(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (s->size() > 72 || s->find('\n') != std::string::npos) {
      return "<text, " + std::to_string(s->size()) + " bytes>";
    }
    return *s;
  }
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  std::ostringstream os;
  if (const auto* d = std::get_if<double>(&v)) {
    os << *d;
  } else {
    const std::size_t n = std::visit(
        [](const auto& x) -> std::size_t {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::vector<std::int64_t>> ||
                        std::is_same_v<std::decay_t<decltype(x)>, std::vector<double>>) {
            return x.size();
          } else {
            return 1;
          }
        },
        v);
    os << "<array of " << n << ">";
  }
  return os.str();
}

}  // namespace

bool describe_results(const std::string& path, std::string& text) {
  const ResultsReader r(path);
  std::ostringstream os;
  std::vector<std::string> problems;
  os << path << "\n\nattributes:\n";
  const Attributes root = r.root_attributes();
  for (const auto& [k, v] : root) os << "  " << k << " = " << attribute_text(v) << "\n";
  for (const char* required : {"phsim_version", "git_describe", "backend", "threads", "seed",
                               "scenario_toml", "scenario_hash", "start_year", "years", "members",
                               "replicates", "created_utc"}) {
    if (!root.count(required)) problems.push_back(std::string("missing root attribute '") + required + "'");
  }
  os << "\ndimensions:\n";
  std::map<std::string, std::size_t> dim_len;
  for (const auto& d : r.dimensions()) {
    const auto shape = r.shape(d);
    dim_len[d] = shape.empty() ? 0 : shape[0];
    os << "  " << d << " (" << dim_len[d] << ")\n";
  }
  os << "\nvariables:\n";
  for (const auto& v : r.variables()) {
    const auto dims = r.dims_of(v);
    const auto shape = r.shape(v);
    os << "  " << v << "(";
    for (std::size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "") << dims[i];
    os << ")";
    if (dims.size() != shape.size()) {
      problems.push_back("variable '" + v + "' has " + std::to_string(shape.size()) +
                         " axes but " + std::to_string(dims.size()) + " dimension scales");
    } else {
      for (std::size_t i = 0; i < dims.size(); ++i) {
        if (!dim_len.count(dims[i]) || dim_len[dims[i]] != shape[i]) {
          problems.push_back("variable '" + v + "' axis " + std::to_string(i) + " has length " +
                             std::to_string(shape[i]) + " but dimension '" + dims[i] + "' has " +
                             std::to_string(dim_len[dims[i]]));
        }
      }
    }
    // Value checks: counts must be non-negative; NaN only where documented (rates).
    try {
      const auto values = r.read_int64(v);
      std::size_t negative = 0;
      for (auto x : values) negative += x < 0;
      os << "  int64, " << values.size() << " values";
      if (negative) problems.push_back("variable '" + v + "' has " + std::to_string(negative) + " negative counts");
    } catch (const IoError&) {
      const auto values = r.read_float64(v);
      std::size_t nan = 0;
      for (auto x : values) nan += std::isnan(x);
      os << "  float64, " << values.size() << " values, " << nan << " NaN";
    }
    os << "\n";
  }
  if (problems.empty()) {
    os << "\nchecks: OK\n";
  } else {
    os << "\nchecks: " << problems.size() << " problem(s)\n";
    for (const auto& p : problems) os << "  - " << p << "\n";
  }
  text = os.str();
  return problems.empty();
}

}  // namespace phsim
