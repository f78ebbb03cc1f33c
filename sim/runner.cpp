#include "sim/runner.hpp"

#include <chrono>
#include <limits>

#include "sim/errors.hpp"
#include "sim/population.hpp"

namespace phsim {

std::uint64_t members_per_replicate(const RunSettings& run, const ReferenceData& data) {
  return run.members_full ? static_cast<std::uint64_t>(data.total_enrollment()) : run.members;
}

namespace {

/// Adds per-(replicate, contract) counts into a [replicate][...][county][plan] array at the
/// block for (replicate, block_index) of `blocks_per_replicate` blocks.
void add_contract_counts(const ReferenceData& data, const std::vector<std::int64_t>& by_contract,
                         std::size_t replicates, std::size_t blocks_per_replicate,
                         std::size_t block_index, std::vector<std::int64_t>& out) {
  const std::size_t contracts = data.contracts.size();
  const std::size_t cell_count = data.counties.size() * data.plans.size();
  for (std::size_t r = 0; r < replicates; ++r) {
    const std::size_t base = (r * blocks_per_replicate + block_index) * cell_count;
    for (std::size_t k = 0; k < contracts; ++k) {
      const auto& c = data.contracts[k];
      out[base + static_cast<std::size_t>(c.county) * data.plans.size() +
          static_cast<std::size_t>(c.plan)] += by_contract[r * contracts + k];
    }
  }
}

}  // namespace

ScenarioResults run_scenario(const RunSettings& run, const ReferenceData& data, Engine& engine,
                             const ProgressFn& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  ScenarioResults res;
  res.run = run;
  res.members = members_per_replicate(run, data);
  PHSIM_EXPECTS(res.members >= 1 && res.members <= std::numeric_limits<std::uint32_t>::max(),
                "run.members: " + std::to_string(res.members) +
                    " members per replicate; expected 1..4294967295",
                UsageError);
  res.counties = data.counties.size();
  res.plans = data.plans.size();
  const auto replicates = static_cast<std::size_t>(run.replicates);
  const auto years = static_cast<std::size_t>(run.years);
  const std::size_t cells = res.counties * res.plans;
  for (int y = 0; y < run.years; ++y) res.years.push_back(run.start_year + y);
  res.enrollment_member_months.assign(replicates * years * cells, 0);
  res.enrollment_start.assign(replicates * cells, 0);

  const SynthesisTables tables = make_synthesis_tables(data, res.members);
  const std::int32_t start_month = month_index(run.start_year, 1);
  engine.synthesize(tables, run.seed, static_cast<std::uint32_t>(run.replicates), start_month);
  add_contract_counts(data, engine.count_enrolled(data.contracts.size()), replicates, 1, 0,
                      res.enrollment_start);

  const int months_total = run.years * 12;
  for (int y = 0; y < run.years; ++y) {
    for (int m = 0; m < 12; ++m) {
      // Membership is held fixed until member dynamics exist; each month still counts the
      // members enrolled in it.
      add_contract_counts(data, engine.count_enrolled(data.contracts.size()), replicates, years,
                          static_cast<std::size_t>(y), res.enrollment_member_months);
      if (progress) progress(y * 12 + m + 1, months_total);
    }
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace phsim
