// Validation of the incentive response (label `validate`): the qwi_withhold_2pct rules against
// the 2024 baseline with the same seed (common random numbers). A fourfold withhold raises the
// dollars at stake on the QWI measures, plans respond with effort, and the QWI measures' rates
// rise. With PHSIM_VALIDATION_REPORT=path the figures are written there (docs/VALIDATION.md).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "io/reference_data_io.hpp"
#include "sim/engine.hpp"
#include "sim/runner.hpp"

namespace phsim {
namespace {

constexpr std::uint64_t kMembers = 400000;
constexpr int kYears = 3, kReplicates = 4;

const ReferenceData& data() {
  static const ReferenceData d = load_embedded_reference_data();
  return d;
}

ScenarioResults run(const PolicySettings& policy) {
  RunSettings r;
  r.members = kMembers;
  r.years = kYears;
  r.replicates = kReplicates;
  r.seed = 2024;
  auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  return run_scenario(r, policy, data(), *engine);
}

/// Statewide rate (percent) of measure k in replicate r, year y.
double rate(const ScenarioResults& s, std::size_t r, std::size_t y, std::size_t k) {
  double num = 0, den = 0;
  const std::size_t K = s.measures;
  for (std::size_t c = 0; c < s.counties * s.plans; ++c) {
    const std::size_t at = ((r * s.years.size() + y) * s.counties * s.plans + c) * K + k;
    num += static_cast<double>(s.measure_numerator[at]);
    den += static_cast<double>(s.measure_denominator[at]);
  }
  return 100 * num / den;
}

/// Member-month-weighted mean effort (log-odds) on measure k in replicate r, year y.
double effort(const ScenarioResults& s, std::size_t r, std::size_t y, std::size_t k) {
  double e = 0, w = 0;
  const std::size_t K = s.measures;
  for (std::size_t c = 0; c < s.counties * s.plans; ++c) {
    const std::size_t cell = (r * s.years.size() + y) * s.counties * s.plans + c;
    const double mm = static_cast<double>(s.enrollment_member_months[cell]);
    e += mm * s.quality_effort_logit[cell * K + k];
    w += mm;
  }
  return e / w;
}

TEST(PolicyValidate, LargerWithholdRaisesEffortAndQwiRates) {
  PolicySettings baseline;
  PolicySettings strong = baseline;
  strong.qwi.withhold_fraction = 0.02;
  const ScenarioResults a = run(baseline), b = run(strong);
  const auto& d = data();
  std::ostringstream md;
  md << std::fixed << std::setprecision(3)
     << "| measure | year | effort (log-odds), 2% | rate baseline % | rate 2% withhold % | paired difference (pp) | 95% interval |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (const auto& id : baseline.qwi.measures) {
    const auto k = static_cast<std::size_t>(*d.find_measure(id));
    for (std::size_t y = 0; y < static_cast<std::size_t>(kYears); ++y) {
      double diff_sum = 0, diff_sq = 0, eff = 0, ra = 0, rb = 0;
      for (std::size_t r = 0; r < static_cast<std::size_t>(kReplicates); ++r) {
        EXPECT_EQ(effort(a, r, y, k), 0.0) << id;  // the reference rules elicit no extra effort
        const double diff = rate(b, r, y, k) - rate(a, r, y, k);
        diff_sum += diff;
        diff_sq += diff * diff;
        eff += effort(b, r, y, k) / kReplicates;
        ra += rate(a, r, y, k) / kReplicates;
        rb += rate(b, r, y, k) / kReplicates;
      }
      const double mean = diff_sum / kReplicates;
      const double sd = std::sqrt(std::max(0.0, (diff_sq - kReplicates * mean * mean) / (kReplicates - 1)));
      const double half = 3.182 * sd / std::sqrt(static_cast<double>(kReplicates));  // t(0.975, 3)
      md << "| " << id << " | " << a.years[y] << " | " << eff << " | " << ra << " | " << rb << " | "
         << mean << " | " << mean - half << " to " << mean + half << " |\n";
      if (y == 0) {
        // Effort responds to the first year's stakes: identical first years (same seed).
        EXPECT_EQ(mean, 0.0) << id;
        EXPECT_EQ(eff, 0.0) << id;
      } else {
        EXPECT_GT(eff, 0.0) << id << " year " << y;
        // Rates move in the good direction (down for the inverse GSD>9) and the paired interval
        // excludes zero.
        const bool inverse = d.measures[k].inverse;
        EXPECT_GT(inverse ? -(mean + half) : mean - half, 0.0) << id << " year " << y;
      }
    }
  }
  if (const char* path = std::getenv("PHSIM_VALIDATION_REPORT")) std::ofstream(path) << md.str();
}

}  // namespace
}  // namespace phsim
