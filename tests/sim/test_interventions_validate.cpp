// Validation (label `validate`): an intervention targeting only Riverside and San Bernardino at
// one million members and 20 replicates, against the baseline with the same seed.
//  - every other county's year-1 tallies are bit-identical (common random numbers);
//  - the targeted measures rise there, with a paired 95% interval excluding zero;
//  - the paired interval is much narrower than the unpaired one.
// With PHSIM_VALIDATION_REPORT=path the figures are written there (docs/VALIDATION.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "io/reference_data_io.hpp"
#include "sim/engine.hpp"
#include "sim/runner.hpp"
#include "sim/uncertainty.hpp"

namespace phsim {
namespace {

constexpr std::uint64_t kMembers = 1000000;
constexpr int kReplicates = 20;

const ReferenceData& data() {
  static const ReferenceData d = load_embedded_reference_data();
  return d;
}

ScenarioResults run(ScenarioConfig c) {
  c.run.members = kMembers;
  c.run.years = 1;
  c.run.replicates = kReplicates;
  c.run.seed = 99;
  auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  return run_scenario(c, data(), *engine);
}

TEST(InterventionsValidate, InlandEmpireCoachingPairedByCommonRandomNumbers) {
  ScenarioConfig base;
  ScenarioConfig iv = base;
  InterventionSettings coaching;
  coaching.name = "coaching";
  coaching.counties = {"Riverside", "San Bernardino"};
  coaching.start_year = 2024;
  coaching.duration_months = 24;
  coaching.ramp_months = 0;
  // A fixed effect, so the replicate spread of the differences is Monte Carlo noise alone (an
  // uncertain effect would add its own spread to the paired interval).
  coaching.effects = {{"domain:children's health", Distribution{"fixed", 0.2, 0, 0, 0}}};
  iv.interventions = {coaching};
  const ScenarioResults a = run(base), b = run(iv);
  const auto& d = data();
  const std::size_t K = a.measures, cells = a.counties * a.plans;
  const auto riverside = static_cast<std::size_t>(*d.find_county("Riverside"));
  const auto bernardino = static_cast<std::size_t>(*d.find_county("San Bernardino"));

  // Other counties: bit-identical year-1 tallies in every replicate.
  for (std::size_t r = 0; r < static_cast<std::size_t>(kReplicates); ++r) {
    for (std::size_t c = 0; c < a.counties; ++c) {
      if (c == riverside || c == bernardino) continue;
      for (std::size_t p = 0; p < a.plans; ++p) {
        const std::size_t at = (r * cells + c * a.plans + p) * K;
        for (std::size_t k = 0; k < K; ++k) {
          ASSERT_EQ(a.measure_numerator[at + k], b.measure_numerator[at + k]);
          ASSERT_EQ(a.measure_denominator[at + k], b.measure_denominator[at + k]);
        }
      }
    }
  }

  std::ostringstream md;
  md << std::fixed << std::setprecision(3)
     << "| measure (Riverside + San Bernardino, 2024) | baseline rate % | intervention rate % | paired difference (pp) | paired 95% interval | unpaired 95% half-width | paired 95% half-width | unpaired / paired |\n"
     << "|---|---|---|---|---|---|---|---|\n";
  for (std::size_t k = 0; k < K; ++k) {
    if (d.measures[k].domain != "children's health") continue;
    std::vector<double> ra, rb, diff;
    for (std::size_t r = 0; r < static_cast<std::size_t>(kReplicates); ++r) {
      double na = 0, da = 0, nb = 0, db = 0;
      for (std::size_t c : {riverside, bernardino}) {
        for (std::size_t p = 0; p < a.plans; ++p) {
          const std::size_t at = (r * cells + c * a.plans + p) * K + k;
          na += static_cast<double>(a.measure_numerator[at]);
          da += static_cast<double>(a.measure_denominator[at]);
          nb += static_cast<double>(b.measure_numerator[at]);
          db += static_cast<double>(b.measure_denominator[at]);
        }
      }
      ra.push_back(100 * na / da);
      rb.push_back(100 * nb / db);
      diff.push_back(rb.back() - ra.back());
    }
    const auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); };
    const auto var = [&](const std::vector<double>& v) {
      const double m = mean(v);
      double s = 0;
      for (double x : v) s += (x - m) * (x - m);
      return s / static_cast<double>(v.size() - 1);
    };
    const UncertaintySummary paired = summarize(diff);
    const double n = kReplicates;
    const double paired_half = 2.093 * std::sqrt(var(diff) / n);  // t(0.975, 19)
    const double unpaired_half = 2.024 * std::sqrt(var(ra) / n + var(rb) / n);  // t(0.975, 38)
    md << "| " << d.measures[k].id << " | " << mean(ra) << " | " << mean(rb) << " | " << paired.mean << " | "
       << paired.p025 << " to " << paired.p975 << " | " << unpaired_half << " | " << paired_half << " | "
       << unpaired_half / paired_half << " |\n";
    EXPECT_GT(paired.p025, 0.0) << d.measures[k].id;
    EXPECT_GT(unpaired_half / paired_half, 1.5) << d.measures[k].id;
  }
  if (const char* path = std::getenv("PHSIM_VALIDATION_REPORT")) std::ofstream(path) << md.str();
}

}  // namespace
}  // namespace phsim
