// Fuzz target: scenario TOML text -> parse_scenarios (scenarios/scenario.hpp), validated against
// the embedded reference data. A phsim::Error (ScenarioError, IoError, ...) is the expected way to
// reject an input. Findings: a crash or sanitizer report, any other exception, and an accepted
// scenario whose resolved TOML does not load again to the same scenario (the run command reloads
// it to apply --members, --years and the like).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "io/reference_data_io.hpp"
#include "scenarios/scenario.hpp"
#include "sim/errors.hpp"
#include "sim/reference_data.hpp"

namespace {

// An embedded source name: `extends` then names embedded scenarios only, so an input cannot
// make the target read files (its results would depend on the directory it runs in).
const std::string kSource = "<embedded>/fuzz.toml";

[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_scenario: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static const phsim::ReferenceData data = phsim::load_embedded_reference_data();
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);

  std::vector<phsim::Scenario> scenarios;
  try {
    scenarios = phsim::parse_scenarios(text, kSource, "", data);
  } catch (const phsim::Error& e) {
    if (std::string_view(e.what()).empty()) finding("empty error message", "");
    return 0;
  } catch (const std::exception& e) {
    finding("exception that is not a phsim::Error", e.what());
  }

  for (const auto& scenario : scenarios) {
    phsim::Scenario again = scenario;
    try {
      phsim::apply_overrides(again, phsim::ScenarioOverrides{}, data);
    } catch (const std::exception& e) {
      finding("the resolved TOML of an accepted scenario does not load", e.what());
    }
    if (again.resolved_toml != scenario.resolved_toml) {
      finding("reloading the resolved TOML changes it",
              "before:\n" + scenario.resolved_toml + "\nafter:\n" + again.resolved_toml);
    }
  }
  return 0;
}
