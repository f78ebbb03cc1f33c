// End-to-end test of `phsim compare`: two scenarios run into one file, then compared.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"
#include "tests/tools/run_phsim.hpp"

namespace phsim {
namespace {

namespace fs = std::filesystem;

using testing::phsim;
using testing::Result;
using testing::slurp;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

/// The two scenarios run once for every test of the suite (same seed: paired replicates).
class CliCompareTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = fs::temp_directory_path() / ("phsim_cli_compare_" + std::to_string(::getpid()));
    fs::remove_all(s_dir);
    fs::create_directories(s_dir);
    std::ofstream(s_dir / "a.toml") << "[run]\nname = \"base_case\"\n";
    std::ofstream(s_dir / "b.toml") << "[run]\nname = \"qwi_2pct\"\n\n[policy.qwi]\nwithhold_fraction = 0.02\n";
    s_run = phsim("run a.toml b.toml --members 20000 --years 2 --replicates 3 --seed 5 --out out.h5 -q",
                  s_dir);
  }
  static void TearDownTestSuite() { fs::remove_all(s_dir); }
  void SetUp() override { ASSERT_EQ(s_run.status, 0) << s_run.err; }

  static fs::path s_dir;
  static Result s_run;
};

fs::path CliCompareTest::s_dir;
Result CliCompareTest::s_run;

TEST_F(CliCompareTest, RunWritesSummaryVariables) {
  const ResultsReader r((s_dir / "out.h5").string());
  EXPECT_EQ(r.labels("scenario"), (std::vector<std::string>{"base_case", "qwi_2pct"}));
  EXPECT_EQ(r.dims_of("measure_rate_mean"),
            (std::vector<std::string>{"scenario", "year", "county", "plan", "measure"}));
  EXPECT_EQ(r.dims_of("measure_rate_statewide"),
            (std::vector<std::string>{"scenario", "replicate", "year", "measure"}));
  const auto mean = r.read_float64("measure_rate_mean");
  const auto lo = r.read_float64("measure_rate_p025");
  const auto hi = r.read_float64("measure_rate_p975");
  ASSERT_EQ(mean.size(), lo.size());
  std::size_t finite = 0;
  for (std::size_t i = 0; i < mean.size(); ++i) {
    EXPECT_EQ(std::isnan(mean[i]), std::isnan(lo[i]));
    if (std::isnan(mean[i])) continue;
    ++finite;
    EXPECT_LE(lo[i], mean[i] + 1e-12);
    EXPECT_GE(hi[i], mean[i] - 1e-12);
  }
  EXPECT_GT(finite, 0u);
  const Result info = phsim("info out.h5", s_dir);
  EXPECT_EQ(info.status, 0) << info.out;
}

TEST_F(CliCompareTest, TablePairsReplicates) {
  const Result r = phsim("compare out.h5 --base base_case --alt qwi_2pct", s_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("alt 'qwi_2pct' - base 'base_case'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 replicates"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("t(0.975, 2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("year  quantity"), std::string::npos) << r.out;
  for (const char* q : {"rate CBP (%)", "rate WCV (%)", "capitation_usd", "withhold_usd",
                        "net_income_usd", "numerator events CBP"}) {
    EXPECT_NE(r.out.find(std::string("2024  ") + q), std::string::npos) << q << "\n" << r.out;
    EXPECT_NE(r.out.find(std::string("2025  ") + q), std::string::npos) << q << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("2026"), std::string::npos);
}

TEST_F(CliCompareTest, CsvFirstYearRatesAreIdentical) {
  const Result r = phsim("compare out.h5 --base base_case --alt qwi_2pct --csv", s_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = split(r.out, '\n');
  ASSERT_GT(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "year,quantity,kind,variable,base_mean,alt_mean,difference_mean,interval_low,"
            "interval_high,replicates,interval_method");
  std::map<std::string, int> rates_per_year;
  std::set<std::string> money;
  bool some_rate_changed_2025 = false;
  double withhold_diff_2024 = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split(lines[i], ',');
    ASSERT_EQ(f.size(), 11u) << lines[i];
    if (f[2] == "usd") money.insert(f[3]);
    if (f[0] == "2024" && f[3] == "withhold_usd") withhold_diff_2024 = std::stod(f[6]);
    if (f[2] != "rate_percent") continue;
    ++rates_per_year[f[0]];
    EXPECT_EQ(f[9], "3") << lines[i];
    EXPECT_EQ(f[10], "t") << lines[i];
    if (f[0] == "2024") {
      // Same seed, and policy effects start in the second year: identical first-year rates.
      EXPECT_EQ(f[4], f[5]) << lines[i];
      EXPECT_EQ(f[6], "0") << lines[i];
      EXPECT_EQ(f[7], "0") << lines[i];
      EXPECT_EQ(f[8], "0") << lines[i];
    } else if (f[6] != "0") {
      some_rate_changed_2025 = true;
    }
  }
  EXPECT_EQ(rates_per_year.size(), 2u);
  EXPECT_GE(rates_per_year["2024"], 20);
  EXPECT_EQ(rates_per_year["2024"], rates_per_year["2025"]);
  EXPECT_TRUE(some_rate_changed_2025) << r.out;
  // A 2% withhold instead of 0.5%: the withhold is three times larger, from the first year.
  EXPECT_GT(withhold_diff_2024, 0.0);
  for (const char* v : {"capitation_usd", "withhold_usd", "withhold_returned_usd", "incentive_usd",
                        "sanction_usd", "medical_cost_usd", "admin_cost_usd",
                        "quality_effort_cost_usd", "net_income_usd", "reinvestment_usd"}) {
    EXPECT_TRUE(money.count(v)) << v;
  }
}

TEST_F(CliCompareTest, OneMeasureByCounty) {
  const Result r =
      phsim("compare out.h5 --base base_case --alt qwi_2pct --measure CBP --by county --csv", s_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = split(r.out, '\n');
  ASSERT_GT(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("year,county,quantity,", 0), 0u) << lines[0];
  std::set<std::string> counties;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split(lines[i], ',');
    ASSERT_EQ(f.size(), 12u) << lines[i];
    counties.insert(f[1]);
    if (f[3] == "rate_percent" || f[3] == "events" || f[3] == "usd_per_additional_event") {
      EXPECT_EQ(f[4], "CBP") << lines[i];
    }
  }
  EXPECT_EQ(counties.size(), 58u);
  EXPECT_TRUE(counties.count("Los Angeles"));
  const Result plan = phsim("compare out.h5 --base base_case --alt qwi_2pct --measure CBP --by plan", s_dir);
  ASSERT_EQ(plan.status, 0) << plan.err;
  EXPECT_NE(plan.out.find("year  plan"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("by plan"), std::string::npos);
}

TEST_F(CliCompareTest, ErrorsAreOneLine) {
  const auto expect_error = [&](const std::string& args, const std::vector<std::string>& parts) {
    const Result r = phsim(args, s_dir);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("phsim: error: ", 0), 0u) << r.err;
    for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  };
  expect_error("compare out.h5 --base base_case --alt nope",
               {"--alt", "'nope'", "base_case, qwi_2pct"});
  expect_error("compare out.h5 --base nope --alt qwi_2pct", {"--base", "'nope'", "base_case, qwi_2pct"});
  expect_error("compare out.h5 --base qwi_2pct --alt qwi_2pct", {"same scenario", "qwi_2pct"});
  expect_error("compare out.h5 --base base_case --alt qwi_2pct --measure XYZ",
               {"--measure", "'XYZ'", "CBP", "GSD>9"});
  expect_error("compare out.h5 --base base_case --alt qwi_2pct --by zip", {"--by"});
  expect_error("compare missing.h5 --base base_case --alt qwi_2pct", {"missing.h5"});
  {
    ResultsWriter w((s_dir / "flat.h5").string());
    w.add_dimension("year", std::vector<std::int64_t>{2024});
    w.write("x", {"year"}, std::vector<double>{1.0});
    w.commit();
  }
  expect_error("compare flat.h5 --base base_case --alt qwi_2pct", {"flat.h5", "no 'scenario' dimension"});
  // --base and --alt are required (a usage error from the parser, exit 2).
  EXPECT_EQ(phsim("compare out.h5 --alt qwi_2pct", s_dir).status, 2);
}

}  // namespace
}  // namespace phsim
