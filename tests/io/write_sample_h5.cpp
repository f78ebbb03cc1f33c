// Writes a small results file the way a run does (DESIGN.md §10), for tests/io/check_xarray.py.
// Usage: write_sample_h5 OUTPUT.h5
// The values follow formulas that check_xarray.py recomputes; keep the two in step.
#include <cstdint>
#include <exception>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"

namespace {

std::string sample_toml() {
  std::string s = "[scenario]\nname = \"sample\"\n\n[parameters]\n";
  for (int i = 0; s.size() < 100000; ++i)
    s += "param_" + std::to_string(i) + " = " + std::to_string(i * 3) + "\n";
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_sample_h5 OUTPUT.h5\n";
    return 2;
  }
  try {
    const std::vector<std::string> scenarios = {"baseline", "expansion"};
    const std::vector<std::int64_t> replicates = {0, 1, 2};
    const std::vector<std::int64_t> years = {2025, 2026, 2027, 2028};
    std::vector<std::string> counties = {"Doña Ana"};
    for (int c = 1; c < 60; ++c) counties.push_back("County " + std::to_string(c));
    const std::vector<std::string> plans = {"Alpha Health", "Beta Care", "Gamma"};
    const std::vector<std::string> measures = {"well_child", "hba1c", "breast_cancer_screening"};
    const std::size_t S = scenarios.size(), R = replicates.size(), Y = years.size(),
                      C = counties.size(), P = plans.size(), M = measures.size();

    phsim::ResultsWriter w(argv[1]);
    w.add_dimension("scenario", scenarios);
    w.add_dimension("replicate", replicates);
    w.add_dimension("year", years);
    w.add_dimension("county", counties);
    w.add_dimension("plan", plans);
    w.add_dimension("measure", measures);
    w.add_dimension("group", std::vector<std::string>{});  // zero length

    // 2*3*4*60*3 = 4320 elements: chunked + compressed.
    std::vector<std::int64_t> mm;
    for (std::size_t s = 0; s < S; ++s)
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t y = 0; y < Y; ++y)
          for (std::size_t c = 0; c < C; ++c)
            for (std::size_t p = 0; p < P; ++p)
              mm.push_back(
                  static_cast<std::int64_t>(((((s * 10 + r) * 10 + y) * 100 + c) * 10) + p));
    w.write("enrollment_member_months", {"scenario", "replicate", "year", "county", "plan"}, mm,
            {{"units", std::string("member-months")},
             {"long_name", std::string("enrolled member-months")}});

    // 2*3*60*3 = 1080 elements: contiguous.
    std::vector<std::int64_t> start;
    for (std::size_t s = 0; s < S; ++s)
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < C; ++c)
          for (std::size_t p = 0; p < P; ++p)
            start.push_back(static_cast<std::int64_t>((((s * 10 + r) * 100 + c) * 10 + p) * 7) - 3);
    w.write("enrollment_start", {"scenario", "replicate", "county", "plan"}, start);

    std::vector<double> rate;
    for (std::size_t s = 0; s < S; ++s)
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t y = 0; y < Y; ++y)
          for (std::size_t m = 0; m < M; ++m)
            rate.push_back(
                s == 1 && r == 2 && y == 3 && m == 0
                    ? std::numeric_limits<double>::quiet_NaN()
                    : 0.5 + 0.1 * static_cast<double>(s) + 0.01 * static_cast<double>(r) +
                          0.001 * static_cast<double>(y) + 0.0001 * static_cast<double>(m));
    w.write("measure_rate", {"scenario", "replicate", "year", "measure"}, rate,
            {{"long_name", std::string("numerator / denominator")}});

    w.write("group_members", {"group", "plan"}, std::vector<std::int64_t>{});
    w.set_attributes("county", {{"source", std::string("census")}});

    w.set_root_attributes({{"version", std::string("0.1.0")},
                           {"git_describe", std::string("v0.1.0-3-gabcdef0")},
                           {"backend", std::string("cpu-omp")},
                           {"threads", std::int64_t{2}},
                           {"seed", std::int64_t{1234567890123}},
                           {"scenario_toml", sample_toml()},
                           {"scenario_hash", std::string("0123456789abcdef")},
                           {"start_year", std::int64_t{2025}},
                           {"members", std::int64_t{1500000}},
                           {"created", std::string("2025-01-01T00:00:00Z")},
                           {"scale_factor_test", 0.25}});
    w.commit();
  } catch (const std::exception& e) {
    std::cerr << "write_sample_h5: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
