// A slice of a run's replicates computed alone equals the same replicates computed together —
// what lets processes of a distributed run split the replicates and still write the file a
// single process writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "io/reference_data_io.hpp"
#include "scenarios/scenario.hpp"
#include "sim/engine.hpp"
#include "sim/errors.hpp"
#include "sim/runner.hpp"

namespace phsim {
namespace {

const ReferenceData& data() {
  static const ReferenceData d = load_embedded_reference_data();
  return d;
}

ScenarioResults run_slice(const ScenarioConfig& c, std::uint32_t first, std::uint32_t count) {
  auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  RunControl control;
  control.first_replicate = first;
  control.replicate_count = count;
  return run_scenario(c, data(), *engine, control);
}

TEST(ReplicateSlices, SlicesEqualTheSameReplicatesOfTheWholeRun) {
  const Scenario s = parse_scenario(embedded_scenario("outreach_chw.toml"), "outreach_chw", "", data());
  ScenarioConfig c{s.run, s.policy, s.interventions};
  c.run.members = 12000;
  c.run.years = 2;
  c.run.replicates = 5;
  c.run.seed = 31;
  const ScenarioResults whole = run_slice(c, 0, 0);
  for (const auto& [first, count] : {std::pair{0u, 2u}, {2u, 3u}, {3u, 1u}, {4u, 0u}}) {
    SCOPED_TRACE("replicates from " + std::to_string(first) + ", count " + std::to_string(count));
    const ScenarioResults part = run_slice(c, first, count);
    const std::size_t n = count ? count : 5 - first;
    for_each_array_pair(whole, part, [&](const char* name, const auto& w, const auto& a) {
      if (is_per_run_array(name)) {
        EXPECT_TRUE(w == a) << name;
        return;
      }
      ASSERT_EQ(w.size() % 5, 0u) << name;
      const std::size_t block = w.size() / 5;
      ASSERT_EQ(a.size(), n * block) << name;
      using T = typename std::decay_t<decltype(a)>::value_type;
      if constexpr (!std::is_same_v<T, std::string>) {
        EXPECT_EQ(std::memcmp(a.data(), w.data() + first * block, a.size() * sizeof(T)), 0) << name;
      }
    });
  }
  EXPECT_THROW(run_slice(c, 4, 2), UsageError);
  // Slices appended in order are the whole run (what replicate batching does).
  ScenarioResults joined = run_slice(c, 0, 2);
  append_replicates(joined, run_slice(c, 2, 3));
  EXPECT_EQ(joined.run.replicates, 5);
  for_each_array_pair(whole, joined, [](const char* name, const auto& w, const auto& a) {
    EXPECT_TRUE(a == w) << name;  // no NaN in these results: == is bitwise here
  });
}

TEST(MemberShards, CountyRangesCoverEveryCountyOnceWithBalancedEnrollment) {
  const std::size_t counties = data().counties.size();
  std::vector<double> enrollment(counties, 0.0);
  double total = 0;
  for (const auto& k : data().contracts) {
    enrollment[static_cast<std::size_t>(k.county)] += static_cast<double>(k.enrollment);
    total += static_cast<double>(k.enrollment);
  }
  const double largest = *std::max_element(enrollment.begin(), enrollment.end());
  for (const int shards : {1, 2, 3, 4, 7, static_cast<int>(counties)}) {
    SCOPED_TRACE(std::to_string(shards) + " shards");
    std::size_t next = 0;
    for (int s = 0; s < shards; ++s) {
      const auto [lo, hi] = shard_counties(data(), s, shards);
      EXPECT_EQ(lo, next);
      EXPECT_LT(lo, hi);
      double mine = 0;
      for (std::size_t c = lo; c < hi; ++c) mine += enrollment[c];
      // A contiguous split is off the equal share by at most about one county.
      if (shards <= 4) {
        EXPECT_LE(mine, total / shards + largest);
      }
      next = hi;
    }
    EXPECT_EQ(next, counties);
  }
  EXPECT_THROW(shard_counties(data(), 0, static_cast<int>(counties) + 1), UsageError);
}

}  // namespace
}  // namespace phsim
