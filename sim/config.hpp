#pragma once
/// @file The validated configuration of a run, as the simulation sees it. Scenario files
/// (scenarios/) and command-line flags produce it; later sections (policy, interventions) add
/// their own structs here.
#include <cstdint>
#include <string>

namespace phsim {

/// `[run]` section of a scenario.
struct RunSettings {
  std::string name = "baseline";  ///< scenario name (the `scenario` coordinate in outputs)
  int start_year = 2024;          ///< first measurement year (2000..2100)
  int years = 1;                  ///< measurement years to simulate (1..50)
  std::uint64_t members = 100000; ///< synthetic members per replicate (1..4294967295)
  bool members_full = false;      ///< `members = "full"`: the published enrollment
  int replicates = 1;             ///< Monte Carlo replicates (1..100000)
  std::uint32_t seed = 20240101;  ///< RNG seed (0..4294967295)
};

}  // namespace phsim
