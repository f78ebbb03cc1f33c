#pragma once
/// @file Scenarios: TOML files (toml++) that configure a run. Validation is strict: an unknown
/// key, a wrong type, an out-of-range value, an unknown county/plan/measure name or two keys
/// that contradict each other (e.g. share_floor > share_cap) throws ScenarioError naming the
/// file, the key and what is allowed. Defaults are checked too (their measure ids and plan
/// names must exist in the ReferenceData).
///
/// `extends = "other.toml"` inherits another scenario (resolved relative to the extending file's
/// directory; "baseline.toml" falls back to the embedded baseline) and overrides its keys, table
/// by table. The resolved scenario (after extends and command-line overrides) is kept as TOML
/// text and recorded in every output file.
///
/// `[[intervention]]` tables describe programs (InterventionSettings, DESIGN.md §8); `[sweep]`
/// expands one key over a list of values into several scenarios (load_scenarios).
/// scenarios/README.md documents every key.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config.hpp"

namespace phsim {

struct ReferenceData;

/// A validated scenario.
struct Scenario {
  RunSettings run;
  /// `[policy.*]`. Keys left out take the data's value where the default is data-dependent
  /// (`capitation.<aid>_pmpm_usd`, `aaip.default_rate`); when the ReferenceData lacks that
  /// parameter the field keeps its negative "unset" marker.
  PolicySettings policy;
  /// `[[intervention]]`, in file order (empty: none). Every field holds its effective value
  /// (written or default); an effect given as `odds_ratio = x` is `{ dist = "fixed", mean = ln x }`.
  std::vector<InterventionSettings> interventions;
  std::string source;         ///< file path, or "<embedded>/baseline.toml"
  std::string resolved_toml;  ///< the whole resolved scenario as TOML text
  std::string hash;           ///< hex FNV-1a 64 of resolved_toml
};

/// Command-line values that override the scenario file (unset = keep the file's value).
struct ScenarioOverrides {
  std::optional<std::uint64_t> members;
  bool members_full = false;
  std::optional<int> years;
  std::optional<int> replicates;
  std::optional<std::uint32_t> seed;
  std::optional<int> start_year;
};

/// Loads and validates a scenario file. Throws ScenarioError (bad content) or IoError (missing
/// or unreadable file), each naming the file. A file with a `[sweep]` (it is several scenarios)
/// is a ScenarioError that says so: use load_scenarios.
Scenario load_scenario(const std::string& path, const ReferenceData& data);
/// Loads a scenario file that may have a `[sweep]`: without one, the single scenario of
/// load_scenario; with one, a scenario per value of `sweep.values`, in order, each with the
/// swept key set to that value, validated as a whole, named `<run.name>-<last key
/// segment>=<value>` (e.g. `baseline-withhold_fraction=0.02`), and with its own resolved_toml
/// (which has no [sweep]) and hash.
std::vector<Scenario> load_scenarios(const std::string& path, const ReferenceData& data);
/// The embedded default scenario (scenarios/baseline.toml compiled into the binary).
Scenario load_default_scenario(const ReferenceData& data);
/// Parses TOML text as if it came from `source_name` (used by tests and fuzzing).
/// `base_dir` resolves `extends` paths.
Scenario parse_scenario(std::string_view toml_text, const std::string& source_name,
                        const std::string& base_dir, const ReferenceData& data);
/// parse_scenario for text that may have a `[sweep]` (see load_scenarios).
std::vector<Scenario> parse_scenarios(std::string_view toml_text, const std::string& source_name,
                                      const std::string& base_dir, const ReferenceData& data);
/// Applies command-line overrides (validated with the same rules; the message names the flag)
/// and refreshes resolved_toml and hash.
void apply_overrides(Scenario& scenario, const ScenarioOverrides& overrides,
                     const ReferenceData& data);

/// Names of the scenarios shipped in the binary (e.g. "baseline.toml").
std::vector<std::string> embedded_scenarios();
/// Text of an embedded scenario; throws ScenarioError when unknown.
std::string_view embedded_scenario(const std::string& name);

namespace detail {
/// The check scenario keys of a name kind run on their values: `kind` is "county", "plan" or
/// "measure". Returns nullopt for a known name, else the message body (`unknown county "X"; did
/// you mean "Y"? known counties: ...`). Exposed so tests can exercise it before a key uses it.
/// @throws std::invalid_argument for another `kind`.
std::optional<std::string> check_reference_name(std::string_view kind, std::string_view value,
                                                const ReferenceData& data);
}  // namespace detail

}  // namespace phsim
