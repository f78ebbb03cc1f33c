// Compare tests: the same seed and population give bit-identical member state and integer
// tallies on every backend and CPU thread count. CUDA cases skip without a device unless
// PHSIM_REQUIRE_GPU=1, which turns the skip into a failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "io/reference_data_io.hpp"
#include "sim/engine.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"

namespace phsim {
namespace {

bool require_gpu() {
  const char* v = std::getenv("PHSIM_REQUIRE_GPU");
  return v != nullptr && std::string(v) == "1";
}

/// Skips (or fails under PHSIM_REQUIRE_GPU=1) when the CUDA backend cannot run here.
#define PHSIM_REQUIRE_CUDA_OR_SKIP()                                              \
  do {                                                                            \
    std::string reason;                                                           \
    if (!cuda_available(&reason)) {                                              \
      if (require_gpu()) FAIL() << "PHSIM_REQUIRE_GPU=1 but " << reason;          \
      GTEST_SKIP() << reason;                                                     \
    }                                                                             \
  } while (0)

HostMembers synthesize(const ReferenceData& d, Backend backend, int threads, std::uint64_t n,
                       std::uint32_t replicates) {
  auto engine = make_engine(EngineOptions{backend, threads, 0});
  engine->synthesize(make_synthesis_tables(d, n, n / 4), PopulationLayout{n, n / 4, n + n / 4 + 10},
                     2024, replicates, month_index(2024, 1));
  return engine->download();
}

void expect_same_members(const HostMembers& a, const HostMembers& b) {
#define PHSIM_EXPECT_FIELD_EQ(T, name, extent, doc) EXPECT_TRUE(a.name == b.name) << "field " #name " differs";
  PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_FIELD_EQ)
#undef PHSIM_EXPECT_FIELD_EQ
}

/// Runs the same two-year, multi-replicate scenario on two engines; tallies must be equal.
void expect_same_tallies(const ReferenceData& d, EngineOptions a, EngineOptions b,
                         std::uint64_t members) {
  RunSettings run;
  run.members = members;
  run.replicates = 3;
  run.years = 2;
  auto ea = make_engine(a);
  auto eb = make_engine(b);
  const auto ra = run_scenario(run, d, *ea);
  const auto rb = run_scenario(run, d, *eb);
  for (auto field : {&ScenarioResults::enrollment_member_months, &ScenarioResults::deaths,
                     &ScenarioResults::births, &ScenarioResults::ed_visits,
                     &ScenarioResults::inpatient_days, &ScenarioResults::default_assigned_members,
                     &ScenarioResults::chose_plan_members, &ScenarioResults::disenrollments,
                     &ScenarioResults::enrollment_start, &ScenarioResults::measure_numerator,
                     &ScenarioResults::measure_denominator, &ScenarioResults::measure_group_numerator,
                     &ScenarioResults::measure_group_denominator}) {
    EXPECT_TRUE(ra.*field == rb.*field);
  }
  EXPECT_EQ(ra.medical_cost_usd, rb.medical_cost_usd);  // integer dollars summed exactly
  // The final member state matches too (births, deaths and churn included).
  expect_same_members(ea->download(), eb->download());
}

TEST(CompareThreads, SynthesisAndTalliesIdenticalFor1And2Threads) {
  const ReferenceData d = load_embedded_reference_data();
  expect_same_members(synthesize(d, Backend::Cpu, 1, 250001, 3),
                      synthesize(d, Backend::Cpu, 2, 250001, 3));
  expect_same_tallies(d, EngineOptions{Backend::Cpu, 1, 0}, EngineOptions{Backend::Cpu, 2, 0},
                      50000);
}

TEST(CompareBackends, SynthesisIdenticalOnCpuAndCuda) {
  PHSIM_REQUIRE_CUDA_OR_SKIP();
  const ReferenceData d = load_embedded_reference_data();
  for (std::uint64_t n : {1ull, 33ull, 100000ull}) {
    expect_same_members(synthesize(d, Backend::Cpu, 0, n, 4), synthesize(d, Backend::Cuda, 0, n, 4));
  }
}

TEST(CompareBackends, TalliesIdenticalOnCpuAndCuda) {
  PHSIM_REQUIRE_CUDA_OR_SKIP();
  const ReferenceData d = load_embedded_reference_data();
  expect_same_tallies(d, EngineOptions{Backend::Cpu, 0, 0}, EngineOptions{Backend::Cuda, 0, 0},
                      200000);
}

TEST(Backends, CudaWithoutDeviceFailsClearly) {
  std::string reason;
  if (cuda_available(&reason)) GTEST_SKIP() << "a CUDA device is present";
  try {
    make_engine(EngineOptions{Backend::Cuda, 0, 0});
    FAIL() << "expected CudaError";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--backend cuda"), std::string::npos) << what;
    EXPECT_NE(what.find("--backend cpu"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace phsim
