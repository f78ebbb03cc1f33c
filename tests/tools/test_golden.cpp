// Golden regression: a fresh run of the golden scenarios must reproduce
// tests/reference/golden.h5 — integer tallies exactly, money and rates to 1e-9 relative (they
// are sums of integers and products of exact inputs, so any larger difference is a change in
// results). When results change on purpose, rewrite the file with tools/bless in its own commit.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "io/hdf5_file.hpp"
#include "sim/errors.hpp"
#include "tests/tools/run_phsim.hpp"

namespace phsim {
namespace {

namespace fs = std::filesystem;
using testing::phsim;

TEST(Golden, FreshRunReproducesTheStoredResults) {
  const fs::path dir = fs::temp_directory_path() / ("phsim_golden_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string src = PHSIM_SOURCE_DIR;
  const auto r = phsim("run '" + src + "/tests/reference/golden_baseline.toml' '" + src +
                           "/tests/reference/golden_outreach.toml' --out fresh.h5 --quiet",
                       dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const ResultsReader golden(src + "/tests/reference/golden.h5");
  const ResultsReader fresh((dir / "fresh.h5").string());
  EXPECT_EQ(golden.dimensions(), fresh.dimensions());
  for (const auto& d : golden.dimensions()) {
    EXPECT_EQ(golden.shape(d), fresh.shape(d)) << d;
  }
  for (const char* d : {"scenario", "county", "plan", "measure", "group"}) {
    EXPECT_EQ(golden.labels(d), fresh.labels(d)) << d;
  }
  ASSERT_EQ(golden.variables(), fresh.variables());
  std::size_t int_cells = 0, real_cells = 0;
  for (const auto& v : golden.variables()) {
    ASSERT_EQ(golden.dims_of(v), fresh.dims_of(v)) << v;
    ASSERT_EQ(golden.shape(v), fresh.shape(v)) << v;
    try {
      const auto a = golden.read_int64(v), b = fresh.read_int64(v);
      for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << v << " cell " << i;
      int_cells += a.size();
    } catch (const IoError&) {
      const auto a = golden.read_float64(v), b = fresh.read_float64(v);
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(a[i])) {
          ASSERT_TRUE(std::isnan(b[i])) << v << " cell " << i;
        } else {
          ASSERT_NEAR(a[i], b[i], 1e-9 * std::max(1.0, std::abs(a[i]))) << v << " cell " << i;
        }
      }
      real_cells += a.size();
    }
  }
  EXPECT_GT(int_cells, 100000u);
  EXPECT_GT(real_cells, 10000u);
  const Attributes ga = golden.root_attributes(), fa = fresh.root_attributes();
  for (const char* k : {"seed", "members", "years", "replicates", "start_year", "scenario_hash"}) {
    EXPECT_TRUE(ga.at(k) == fa.at(k)) << k;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace phsim
