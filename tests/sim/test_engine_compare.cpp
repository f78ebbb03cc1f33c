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
  engine->synthesize(make_synthesis_tables(d, n), 2024, replicates, month_index(2024, 1));
  return engine->download();
}

void expect_same_members(const HostMembers& a, const HostMembers& b) {
#define PHSIM_EXPECT_FIELD_EQ(T, name, doc) EXPECT_TRUE(a.name == b.name) << "field " #name " differs";
  PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_FIELD_EQ)
#undef PHSIM_EXPECT_FIELD_EQ
}

TEST(CompareThreads, SynthesisAndTalliesIdenticalFor1And2Threads) {
  const ReferenceData d = load_embedded_reference_data();
  expect_same_members(synthesize(d, Backend::Cpu, 1, 250001, 3),
                      synthesize(d, Backend::Cpu, 2, 250001, 3));
  RunSettings run;
  run.members = 50000;
  run.replicates = 2;
  run.years = 2;
  auto e1 = make_engine(EngineOptions{Backend::Cpu, 1, 0});
  auto e2 = make_engine(EngineOptions{Backend::Cpu, 2, 0});
  const auto r1 = run_scenario(run, d, *e1);
  const auto r2 = run_scenario(run, d, *e2);
  EXPECT_EQ(r1.enrollment_member_months, r2.enrollment_member_months);
  EXPECT_EQ(r1.enrollment_start, r2.enrollment_start);
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
  RunSettings run;
  run.members = 200000;
  run.replicates = 3;
  run.years = 2;
  auto cpu = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  auto gpu = make_engine(EngineOptions{Backend::Cuda, 0, 0});
  const auto a = run_scenario(run, d, *cpu);
  const auto b = run_scenario(run, d, *gpu);
  EXPECT_EQ(a.enrollment_member_months, b.enrollment_member_months);
  EXPECT_EQ(a.enrollment_start, b.enrollment_start);
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
