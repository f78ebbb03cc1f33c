#pragma once
/// @file Writing a run's results to one HDF5 file (DESIGN.md §10) and describing a file.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/reference_data.hpp"
#include "sim/runner.hpp"

namespace phsim {

/// What is recorded about the run in the root attributes.
struct RunMetadata {
  std::string phsim_version;
  std::string git_describe;
  std::string backend;  ///< "cpu" or "cuda"
  std::string device;   ///< CPU model or GPU name
  int threads = 1;
  int bytes_per_member = 0;  ///< device state per member
  std::vector<std::string> scenario_names;
  std::vector<std::string> scenario_tomls;  ///< resolved TOML per scenario
  std::vector<std::string> scenario_hashes;
  std::string data_origin;
};

/// Writes every scenario's results (all must share years, replicates and members) to `path`
/// via a temporary file renamed on success. Throws IoError on any failure; `path` is then
/// untouched.
void write_results(const std::string& path, const ReferenceData& data,
                   const std::vector<ScenarioResults>& scenarios, const RunMetadata& meta);

/// Human-readable summary of a results file for `phsim info`: attributes, dimensions, variables
/// with shapes, and consistency checks. Returns false (and says why in `text`) if the file fails
/// a check. Throws IoError if it cannot be read at all.
bool describe_results(const std::string& path, std::string& text);

/// Current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_timestamp();

}  // namespace phsim
