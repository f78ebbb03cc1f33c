// A slice of a run's replicates computed alone equals the same replicates computed together —
// what lets processes of a distributed run split the replicates and still write the file a
// single process writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "io/reference_data_io.hpp"
#include "scenarios/scenario.hpp"
#include "sim/benchmark.hpp"
#include "sim/engine.hpp"
#include "sim/errors.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"

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

// The performance target "the full enrollment with 100 replicates runs on one 80 GB GPU by
// batching": the batch holds as many replicates as fit 90% of the device memory, no more.
TEST(BatchPlan, FullEnrollmentWithHundredReplicatesRunsOnAn80GBGpuInBatches) {
  RunSettings run;
  run.years = 5;
  run.replicates = 100;
  const auto members = static_cast<std::uint64_t>(data().total_enrollment());
  const MemoryBudget gpu80{256ull << 30, 80'000'000'000ull};
  const std::uint32_t batch = plan_batch(data(), run, members, 100, 1, Backend::Cuda, true, gpu80);
  // Member state of one replicate, from the layout: slots (members, pool, newborn room) x bytes.
  const ModelParameters params = read_model_parameters(data());
  const PopulationLayout layout = population_layout(members, pool_members(members, params), run.years, params);
  const double state = static_cast<double>(layout.capacity) * kBytesPerMember;
  RecordProperty("replicates_per_batch", static_cast<int>(batch));
  EXPECT_GT(state, 1e9);  // about 1.2 GB: 100 replicates (120 GB) cannot run at once
  EXPECT_GE(batch, 1u);
  EXPECT_LT(batch, 100u);
  EXPECT_LE(batch * state, 0.9 * 80e9);
  EXPECT_GT((batch + 1) * state, 0.9 * 80e9);
  // Unknown device memory runs everything at once; a device smaller than one replicate, or
  // results larger than half the host memory, are refused before anything is allocated.
  EXPECT_EQ(plan_batch(data(), run, members, 100, 1, Backend::Cuda, true, {256ull << 30, 0}), 100u);
  EXPECT_THROW(plan_batch(data(), run, members, 100, 1, Backend::Cuda, true, {256ull << 30, 1ull << 30}),
               UsageError);
  EXPECT_THROW(plan_batch(data(), run, members, 100, 1, Backend::Cuda, true, {1ull << 30, 80'000'000'000ull}),
               UsageError);
  // On the CPU the results come out of the same memory as the member state.
  const MemoryBudget cpu64{64ull << 30, 64ull << 30};
  const double results = static_cast<double>(results_bytes_per_replicate(data(), run.years, 8)) * 100;
  const std::uint32_t cpu_batch = plan_batch(data(), run, members, 100, 1, Backend::Cpu, true, cpu64);
  EXPECT_LE(cpu_batch * state, 0.9 * (static_cast<double>(64ull << 30) - results));
  EXPECT_GT((cpu_batch + 1) * state, 0.9 * (static_cast<double>(64ull << 30) - results));
}

// `phsim bench` holds every replicate at once: a bench that cannot fit is refused before
// anything is allocated. The full enrollment over one year takes 19,496,843 slots (measured by
// `phsim bench --members full`, bench/RESULTS.md) x 61 bytes = 1.19 GB per replicate, so 80 GB
// (72 GB usable) hold 58 replicates (69.5 GB with the 0.5 GiB bandwidth probe) but not 61
// (73.1 GB).
TEST(BenchMemory, BenchesThatDoNotFitAreRefusedNamingTheFigures) {
  BenchmarkOptions o;
  o.members = static_cast<std::uint64_t>(data().total_enrollment());
  o.months = 12;
  o.replicates = 58;
  EXPECT_NO_THROW(check_benchmark_memory(o, data(), 80'000'000'000ull));
  o.replicates = 61;
  try {
    check_benchmark_memory(o, data(), 80'000'000'000ull);
    ADD_FAILURE() << "61 replicates of the full enrollment fit 80 GB";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--members " + std::to_string(o.members) + " x --replicates 61"), std::string::npos) << what;
    EXPECT_NE(what.find("74.5 GiB"), std::string::npos) << what;  // 80e9 bytes
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  // 10^6 members fit this size of machine; unknown memory (0) is not checked.
  o.members = 1000000;
  o.replicates = 1;
  EXPECT_NO_THROW(check_benchmark_memory(o, data(), 8ull << 30));
  o.members = 4000000000ull;
  EXPECT_THROW(check_benchmark_memory(o, data(), 256ull << 30), UsageError);
  EXPECT_NO_THROW(check_benchmark_memory(o, data(), 0));
  // The results of the benchmarked months stay on the host: 100,000 replicates of 50 years
  // (1,276 county-plan cells x 98 arrays of 8 bytes, about 1 MB a replicate-year) need about
  // 5 TB, whatever the members; 100 replicates of one year about 0.1 GB.
  o.members = 1000;
  o.months = 600;
  o.replicates = 100000;
  EXPECT_NO_THROW(check_benchmark_memory(o, data(), 80'000'000'000ull));  // the device's state alone fits
  try {
    check_benchmark_memory(o, data(), 80'000'000'000ull, 256ull << 30);
    ADD_FAILURE() << "5 TB of results fit 256 GiB";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--replicates 100000 x --months 600: the bench's results need"), std::string::npos) << what;
    EXPECT_NE(what.find("256.0 GiB"), std::string::npos) << what;
  }
  EXPECT_THROW(check_benchmark_memory(o, data(), 256ull << 30, 256ull << 30, true), UsageError);  // one memory
  o.months = 12;
  o.replicates = 100;
  EXPECT_NO_THROW(check_benchmark_memory(o, data(), 8ull << 30, 1ull << 30));
  EXPECT_NO_THROW(check_benchmark_memory(o, data(), 8ull << 30, 1ull << 30, true));
}

}  // namespace
}  // namespace phsim
