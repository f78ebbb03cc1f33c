// Interventions in full runs: common random numbers keep untouched counties bit-identical,
// each shipped seed-program scenario moves what it targets in the right direction, and the
// replicate draws are recorded.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "io/reference_data_io.hpp"
#include "scenarios/scenario.hpp"
#include "sim/engine.hpp"
#include "sim/runner.hpp"

namespace phsim {
namespace {

const ReferenceData& data() {
  static const ReferenceData d = load_embedded_reference_data();
  return d;
}

ScenarioResults run(ScenarioConfig c, std::uint64_t members, int years, int replicates) {
  c.run.members = members;
  c.run.years = years;
  c.run.replicates = replicates;
  c.run.seed = 77;
  auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  return run_scenario(c, data(), *engine);
}

ScenarioConfig config_of(const std::string& embedded) {
  const Scenario s = parse_scenario(embedded_scenario(embedded), embedded, "", data());
  return ScenarioConfig{s.run, s.policy, s.interventions};
}

std::size_t rycp(const ScenarioResults& s, std::size_t r, std::size_t y, std::size_t c, std::size_t p) {
  return ((r * s.years.size() + y) * s.counties + c) * s.plans + p;
}

/// Sum of a [r][y][county][plan][measure] array over replicates, years y0.., the counties
/// selected, all plans, and the measures selected.
double total(const ScenarioResults& s, const std::vector<std::int64_t>& v, std::size_t y0,
             const std::set<std::size_t>& counties, const std::set<std::size_t>& measures) {
  double acc = 0;
  for (std::size_t r = 0; r < static_cast<std::size_t>(s.run.replicates); ++r) {
    for (std::size_t y = y0; y < s.years.size(); ++y) {
      for (std::size_t c : counties) {
        for (std::size_t p = 0; p < s.plans; ++p) {
          for (std::size_t k : measures) acc += static_cast<double>(v[rycp(s, r, y, c, p) * s.measures + k]);
        }
      }
    }
  }
  return acc;
}

std::set<std::size_t> all_counties() {
  std::set<std::size_t> out;
  for (std::size_t c = 0; c < data().counties.size(); ++c) out.insert(c);
  return out;
}

std::set<std::size_t> domain(const std::string& name) {
  std::set<std::size_t> out;
  for (std::size_t k = 0; k < data().measures.size(); ++k) {
    if (data().measures[k].domain == name) out.insert(k);
  }
  return out;
}

TEST(Interventions, CountiesOutsideTheTargetAreBitIdenticalInYearOne) {
  ScenarioConfig base;
  ScenarioConfig iv = base;
  InterventionSettings coaching;
  coaching.name = "coaching";
  coaching.counties = {"Riverside", "San Bernardino"};
  coaching.start_year = 2024;
  coaching.duration_months = 24;
  coaching.effects = {{"domain:children's health", Distribution{"fixed", 0.5, 0, 0, 0}}};
  iv.interventions = {coaching};
  const ScenarioResults a = run(base, 150000, 1, 2), b = run(iv, 150000, 1, 2);
  const auto riverside = static_cast<std::size_t>(*data().find_county("Riverside"));
  const auto bernardino = static_cast<std::size_t>(*data().find_county("San Bernardino"));
  std::size_t compared = 0;
  for (std::size_t r = 0; r < 2; ++r) {
    for (std::size_t c = 0; c < a.counties; ++c) {
      if (c == riverside || c == bernardino) continue;
      for (std::size_t p = 0; p < a.plans; ++p) {
        const std::size_t at = rycp(a, r, 0, c, p);
        ASSERT_EQ(a.enrollment_member_months[at], b.enrollment_member_months[at]);
        for (std::size_t k = 0; k < a.measures; ++k) {
          ASSERT_EQ(a.measure_numerator[at * a.measures + k], b.measure_numerator[at * a.measures + k]);
          ASSERT_EQ(a.measure_denominator[at * a.measures + k], b.measure_denominator[at * a.measures + k]);
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 1000u);
  // ... while the targeted counties' children's measures gain numerator events.
  const auto kids = domain("children's health");
  EXPECT_GT(total(b, b.measure_numerator, 0, {riverside, bernardino}, kids),
            total(a, a.measure_numerator, 0, {riverside, bernardino}, kids));
}

TEST(Interventions, PsoCoachingRaisesTargetedMeasuresInTheInlandEmpire) {
  const ScenarioResults a = run(config_of("baseline.toml"), 150000, 3, 2);
  const ScenarioResults b = run(config_of("pso_coaching_inland_empire.toml"), 150000, 3, 2);
  const std::set<std::size_t> ie = {static_cast<std::size_t>(*data().find_county("Riverside")),
                                    static_cast<std::size_t>(*data().find_county("San Bernardino"))};
  std::set<std::size_t> measures;
  for (std::size_t k = 0; k < data().measures.size(); ++k) measures.insert(k);
  // Program years 2025-2026: more numerator events in the two counties; the program costs.
  EXPECT_GT(total(b, b.measure_numerator, 1, ie, measures), total(a, a.measure_numerator, 1, ie, measures));
  EXPECT_GT(std::accumulate(b.intervention_cost_usd.begin(), b.intervention_cost_usd.end(), 0.0), 0.0);
  // 2024 precedes the program: identical everywhere.
  for (std::size_t i = 0; i < a.counties * a.plans * a.measures; ++i) {
    ASSERT_EQ(a.measure_numerator[i], b.measure_numerator[i]);
  }
}

TEST(Interventions, EptRaisesFocusDomainsAndPaysPractices) {
  const ScenarioResults a = run(config_of("baseline.toml"), 150000, 2, 2);
  const ScenarioResults b = run(config_of("equity_practice_transformation.toml"), 150000, 2, 2);
  const auto focus = domain("chronic disease");
  EXPECT_GT(total(b, b.measure_numerator, 0, all_counties(), focus),
            total(a, a.measure_numerator, 0, all_counties(), focus));
  EXPECT_GT(std::accumulate(b.practice_incentive_usd.begin(), b.practice_incentive_usd.end(), 0.0), 0.0);
  EXPECT_EQ(std::accumulate(a.practice_incentive_usd.begin(), a.practice_incentive_usd.end(), 0.0), 0.0);
}

TEST(Interventions, PalliativeCareEnrollsSeriouslyIllAndCutsHospitalUse) {
  const ScenarioResults a = run(config_of("baseline.toml"), 150000, 3, 2);
  const ScenarioResults b = run(config_of("sb1004_palliative_care.toml"), 150000, 3, 2);
  const auto sum = [](const std::vector<std::int64_t>& v) { return std::accumulate(v.begin(), v.end(), std::int64_t{0}); };
  EXPECT_GT(sum(b.palliative_enrollees), 0);
  EXPECT_EQ(sum(a.palliative_enrollees), 0);
  EXPECT_LT(sum(b.ed_visits), sum(a.ed_visits));
  EXPECT_LT(sum(b.inpatient_days), sum(a.inpatient_days));
  EXPECT_GT(std::accumulate(b.intervention_cost_usd.begin(), b.intervention_cost_usd.end(), 0.0), 0.0);
}

TEST(Interventions, OutreachRaisesTheMeasuresWithGapsItTargets) {
  const ScenarioResults a = run(config_of("baseline.toml"), 150000, 3, 2);
  const ScenarioResults b = run(config_of("outreach_chw.toml"), 150000, 3, 2);
  std::set<std::size_t> targets;
  for (const char* id : {"W30-6", "WCV", "CIS-10", "PPC-Pre", "PPC-Pst", "BCS-E", "CCS", "CHL"}) {
    targets.insert(static_cast<std::size_t>(*data().find_measure(id)));
  }
  EXPECT_GT(total(b, b.measure_numerator, 1, all_counties(), targets),
            total(a, a.measure_numerator, 1, all_counties(), targets));
}

TEST(Interventions, ReplicateDrawsAreRecordedAndSharedAcrossScenarios) {
  const ScenarioResults a = run(config_of("baseline.toml"), 20000, 1, 3);
  const ScenarioResults b = run(config_of("pso_coaching_inland_empire.toml"), 20000, 1, 3);
  ASSERT_EQ(a.parameter_names.front(), "policy.plan_response.max_effort_logit");
  ASSERT_EQ(b.parameter_names.front(), "policy.plan_response.max_effort_logit");
  EXPECT_EQ(b.parameter_names.size(), 1u + 5u + 1u);  // response, five domain effects, milestones
  for (std::size_t r = 0; r < 3; ++r) {
    // The shared parameter has the same draw in both scenarios (common random numbers).
    EXPECT_EQ(a.parameter_draws[r * a.parameter_names.size()], b.parameter_draws[r * b.parameter_names.size()]);
  }
  // Replicates draw different effects.
  EXPECT_NE(b.parameter_draws[1], b.parameter_draws[b.parameter_names.size() + 1]);
}

}  // namespace
}  // namespace phsim
