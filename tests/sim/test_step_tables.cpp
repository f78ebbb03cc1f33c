// The step tables a policy sets: built whole (make_step_tables) and from the tables without
// policy (with_policy, what the runner does at every year end) they are the same bytes, and
// each policy term lands where the service model (DESIGN.md §6) puts it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "io/reference_data_io.hpp"
#include "kernels/rng.hpp"
#include "sim/calibration.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"

namespace phsim {
namespace {

struct Model {
  ReferenceData d = load_embedded_reference_data();
  ModelParameters params = read_model_parameters(d);
  SynthesisTables tables = make_synthesis_tables(d, 20000, pool_members(20000, params));
  ServiceModel model = calibrate_service_model(d, tables, params);
  std::size_t K = d.measures.size(), N = d.contracts.size();
};

const Model& model() {
  static const Model m;
  return m;
}

/// A policy that sets every term: plan effort on every contract and measure (positive, negative,
/// tiny, -0.0 and 0), default shares (some 0), capitation by aid category and scale, and the
/// default rate.
StepPolicyInputs every_term() {
  const Model& m = model();
  StepPolicyInputs p;
  p.effort_logit.assign(m.N * m.K, 0.0);
  for (std::size_t i = 0; i < p.effort_logit.size(); ++i) {
    switch (i % 6) {
      case 0: p.effort_logit[i] = 0.05 + 0.001 * static_cast<double>(i % 97); break;
      case 1: p.effort_logit[i] = -0.3; break;
      case 2: p.effort_logit[i] = -0.0; break;
      case 4: p.effort_logit[i] = 1e-12; break;
      default: break;
    }
  }
  p.default_share.assign(m.N, 0.0);
  for (std::size_t k = 0; k < m.N; ++k) p.default_share[k] = static_cast<double>(k % 5);
  p.capitation_pmpm_usd[1] = 321.5;
  p.capitation_scale = 1.03;
  p.default_rate = 0.41;
  return p;
}

/// Every array of a table set as bytes, in for_each_step_array's order.
std::vector<std::vector<unsigned char>> arrays_of(const StepTables& t) {
  std::vector<std::vector<unsigned char>> out;
  StepTablesView unused{};
  for_each_step_array(t, unused, [&](const auto& a, auto&) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(a.data());
    out.emplace_back(bytes, bytes + a.size() * sizeof(a[0]));
  });
  return out;
}

void expect_same_tables(const StepTables& a, const StepTables& b) {
  const auto x = arrays_of(a), y = arrays_of(b);
  ASSERT_EQ(x.size(), y.size());
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i], y[i]) << "array " << i << " of for_each_step_array";
  for (int c = 0; c < kAidCount; ++c) EXPECT_EQ(a.scalars.capitation_cents[c], b.scalars.capitation_cents[c]);
}

TEST(StepTables, FromTheTablesWithoutPolicyEqualTheTablesBuiltWhole) {
  const Model& m = model();
  const StepTables no_policy = make_step_tables(m.d, m.tables, m.params, m.model);
  StepPolicyInputs only_effort;
  only_effort.effort_logit = every_term().effort_logit;
  StepPolicyInputs only_shares;
  only_shares.default_share = every_term().default_share;
  for (const StepPolicyInputs& policy : {StepPolicyInputs{}, every_term(), only_effort, only_shares}) {
    SCOPED_TRACE(policy.effort_logit.empty() ? "no effort" : "effort");
    expect_same_tables(with_policy(no_policy, m.d, m.params, m.model, policy),
                       make_step_tables(m.d, m.tables, m.params, m.model, policy));
  }
}

TEST(StepTables, EveryPolicyTermLandsWhereTheServiceModelPutsIt) {
  const Model& m = model();
  const StepPolicyInputs policy = every_term();
  const StepTables t = make_step_tables(m.d, m.tables, m.params, m.model, policy);
  const StepTables none = make_step_tables(m.d, m.tables, m.params, m.model);

  // logit p = base[k] + county[c][k] + plan[pl][k] + race[r] + tier[t] + effort[contract][k];
  // the table holds round(p 2^32). Summed in another order the log-odds may differ in the last
  // bits, which moves a threshold by at most 1 (2^32 times a few units of 1e-16).
  std::size_t moved_by_effort = 0, cells_with_effort = 0;
  for (std::size_t ct = 0; ct < m.N; ++ct) {
    const auto county = static_cast<std::size_t>(m.d.contracts[ct].county);
    const auto plan = static_cast<std::size_t>(m.d.contracts[ct].plan);
    for (std::size_t k = 0; k < m.K; ++k) {
      const double effort = policy.effort_logit[ct * m.K + k];
      for (int r = 0; r < kRaceCount; ++r) {
        for (int tr = 0; tr < kPracticeTiers; ++tr) {
          const double logit = m.model.base_logit[k] + m.model.county_logit[county * m.K + k] +
                               m.model.plan_logit[plan * m.K + k] + m.model.race_logit[static_cast<std::size_t>(r)] +
                               m.model.tier_logit[static_cast<std::size_t>(tr)] + effort;
          const double expected = std::ldexp(1.0 / (1.0 + std::exp(-logit)), 32);
          const auto at = service_index(static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(ct),
                                        static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(tr),
                                        static_cast<std::uint32_t>(m.K));
          const auto got = static_cast<double>(service_threshold(t.service_thr[at]));
          ASSERT_NEAR(got, expected, 1.0) << "measure " << k << ", contract " << ct;
          if (effort == 0.0) {
            EXPECT_EQ(t.service_thr[at], none.service_thr[at]) << "measure " << k << ", contract " << ct;
          } else if (std::abs(effort) > 1e-3) {
            ++cells_with_effort;
            moved_by_effort += t.service_thr[at] != none.service_thr[at];
          }
        }
      }
    }
  }
  // Effort of 0.05 or more in log-odds moves every threshold (by about 2^32 p (1 - p) / 20).
  EXPECT_GT(cells_with_effort, m.N * m.K * kRaceCount * kPracticeTiers / 4);
  EXPECT_EQ(moved_by_effort, cells_with_effort);

  // Default assignment: the rate in every county, and within a county the contracts' shares.
  for (std::size_t c = 0; c < m.d.counties.size(); ++c) {
    EXPECT_EQ(t.default_thr[c], probability_threshold(0.41));
    double total = 0;
    for (std::uint32_t j = 0; j < t.contract_count[c]; ++j) total += policy.default_share[t.contract_first[c] + j];
    double before = 0;
    for (std::uint32_t j = 0; j + 1 < t.contract_count[c]; ++j) {
      const std::size_t k = t.contract_first[c] + j;
      before += policy.default_share[k];
      const double expected = total > 0 ? std::ldexp(before / total, 32) : std::ldexp(1.0, 32);
      EXPECT_NEAR(static_cast<double>(t.default_cum[k]), expected, 1.0) << "contract " << k;
    }
    EXPECT_EQ(t.default_cum[t.contract_first[c] + t.contract_count[c] - 1], kThresholdOne);
  }
  // Capitation: the policy's PMPM where set, the data's elsewhere, times the scale, in cents.
  for (int a = 0; a < kAidCount; ++a) {
    const double pmpm = a == 1 ? 321.5 : m.params.capitation_pmpm_usd[static_cast<std::size_t>(a)];
    EXPECT_EQ(t.scalars.capitation_cents[a], static_cast<std::uint32_t>(std::llround(pmpm * 1.03 * 100.0))) << "aid " << a;
    EXPECT_EQ(none.scalars.capitation_cents[a],
              static_cast<std::uint32_t>(std::llround(m.params.capitation_pmpm_usd[static_cast<std::size_t>(a)] * 100.0)));
  }
}

}  // namespace
}  // namespace phsim
