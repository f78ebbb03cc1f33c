// End-to-end tests: run the phsim binary as a user would and check its files and messages.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "io/hdf5_file.hpp"
#include "sim/engine.hpp"
#include "tests/tools/run_phsim.hpp"
#include "tests/tools/same_results.hpp"
#include "io/reference_data_io.hpp"

namespace phsim {
namespace {

namespace fs = std::filesystem;

using testing::phsim;
using testing::Result;
using testing::slurp;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = fs::temp_directory_path() / ("phsim_cli_" + std::string(info->name()) + "_" +
                                         std::to_string(::getpid()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
};

TEST_F(CliTest, RunMatchesReferenceEnrollmentShares) {
  const Result r = phsim("run --members 200000 --years 1 --seed 7 --out a.h5 --quiet", m_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("wrote a.h5"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(m_dir / "a.h5"));
  EXPECT_FALSE(fs::exists(m_dir / "a.h5.partial"));

  const ReferenceData d = load_embedded_reference_data();
  const ResultsReader h5((m_dir / "a.h5").string());
  EXPECT_EQ(h5.dims_of("enrollment_start"),
            (std::vector<std::string>{"scenario", "replicate", "county", "plan"}));
  EXPECT_EQ(h5.shape("enrollment_start"),
            (std::vector<std::size_t>{1, 1, d.counties.size(), d.plans.size()}));
  const auto counties = h5.labels("county");
  const auto plans = h5.labels("plan");
  ASSERT_EQ(counties.size(), d.counties.size());
  const auto start = h5.read_int64("enrollment_start");
  const auto months = h5.read_int64("enrollment_member_months");
  ASSERT_EQ(months.size(), start.size());

  const double n = 200000, total = static_cast<double>(d.total_enrollment());
  double sum = 0;
  for (std::size_t c = 0; c < counties.size(); ++c) {
    const auto idx = d.find_county(counties[c]);
    ASSERT_TRUE(idx.has_value()) << counties[c];
    const double p = static_cast<double>(d.counties[*idx].enrollment) / total;
    double county_n = 0, plan_total = 0;
    for (std::size_t k = 0; k < plans.size(); ++k) county_n += start[c * plans.size() + k];
    sum += county_n;
    // County share within sampling error of the reference share (4 binomial sd).
    EXPECT_LE(std::abs(county_n - n * p), 4 * std::sqrt(n * p * (1 - p)) + 1) << counties[c];
    // Plan shares within the county likewise.
    for (const auto& k : d.contracts) plan_total += k.county == *idx ? k.enrollment : 0;
    for (const auto& k : d.contracts) {
      if (k.county != *idx || county_n == 0) continue;
      const std::size_t col = static_cast<std::size_t>(
          std::find(plans.begin(), plans.end(), d.plans[k.plan].name) - plans.begin());
      ASSERT_LT(col, plans.size());
      const double q = k.enrollment / plan_total;
      EXPECT_LE(std::abs(start[c * plans.size() + col] - county_n * q),
                4 * std::sqrt(county_n * q * (1 - q)) + 1)
          << counties[c] << " / " << plans[col];
    }
  }
  EXPECT_EQ(sum, n);
  // Churn is in equilibrium (the pool re-enrolls as fast as members leave), births exceed
  // deaths by about 1% of members a year: year-1 member-months stay within 2% of 12 per
  // starting member.
  double total_months = 0;
  for (auto x : months) total_months += static_cast<double>(x);
  EXPECT_NEAR(total_months / (12.0 * n), 1.0, 0.02);

  const Attributes a = h5.root_attributes();
  EXPECT_EQ(std::get<std::int64_t>(a.at("seed")), 7);
  EXPECT_EQ(std::get<std::int64_t>(a.at("members")), 200000);
  EXPECT_EQ(std::get<std::int64_t>(a.at("years")), 1);
  EXPECT_EQ(std::get<std::string>(a.at("backend")), "cpu");
  EXPECT_NE(std::get<std::string>(a.at("scenario_toml")).find("seed = 7"), std::string::npos);
  EXPECT_EQ(std::get<std::string>(a.at("scenario_hash")).size(), 16u);
  for (const char* k : {"phsim_version", "git_describe", "threads", "start_year", "replicates",
                        "created_utc"}) {
    EXPECT_TRUE(a.count(k)) << k;
  }
}

// The version recorded in outputs names the commit the binary was built from, also after a
// commit made since the build was configured. "-dirty" is left out of the comparison: a file
// edited after the build marks the tree dirty without changing what was built. A commit made
// after the build (the binary predates it) cannot be named: skipped until the next build.
TEST_F(CliTest, VersionIsTheCommitBuilt) {
  const fs::path source = PHSIM_SOURCE_DIR;
  if (!fs::exists(source / ".git")) GTEST_SKIP() << "the source is not a git checkout";
  const std::string git = "git -C '" + source.string() + "' ";
  const std::string cmd = git + "describe --always --dirty --tags > '" + (m_dir / "describe.txt").string() +
                          "' 2>/dev/null && " + git + "log -1 --format=%ct > '" +
                          (m_dir / "committed.txt").string() + "' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "git describe failed";
  struct stat built {};
  ASSERT_EQ(::stat(PHSIM_EXE, &built), 0) << PHSIM_EXE;
  const long long committed = std::stoll(slurp(m_dir / "committed.txt"));
  if (committed > static_cast<long long>(built.st_mtime)) {
    GTEST_SKIP() << "HEAD was committed after " << PHSIM_EXE << " was built; rebuild to check";
  }
  const auto strip = [](std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ')')) s.pop_back();
    const std::string dirty = "-dirty";
    if (s.size() >= dirty.size() && s.compare(s.size() - dirty.size(), dirty.size(), dirty) == 0) {
      s.resize(s.size() - dirty.size());
    }
    return s;
  };
  const std::string expected = strip(slurp(m_dir / "describe.txt"));
  ASSERT_FALSE(expected.empty());
  const Result r = phsim("--version", m_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  // "phsim 0.1.0 (<describe>)"
  const auto open = r.out.find('(');
  ASSERT_NE(open, std::string::npos) << r.out;
  const std::string named = strip(r.out.substr(open + 1));
  if (named != expected) {
    // Stale means older: a binary built from a later commit than the checkout (or from one the
    // checkout does not have, as in a copy of the tree made before that commit) is not.
    const std::string older = git + "merge-base --is-ancestor '" + named + "' HEAD > /dev/null 2>&1";
    if (std::system(older.c_str()) != 0) {
      GTEST_SKIP() << PHSIM_EXE << " names " << named << ", which is not an ancestor of the checkout's "
                   << expected;
    }
  }
  EXPECT_EQ(named, expected) << r.out;
}

TEST_F(CliTest, SameSeedAndThreadCountsGiveIdenticalArrays) {
  ASSERT_EQ(phsim("run --members 30000 --years 2 --replicates 3 --seed 3 --threads 1 --out a.h5 -q", m_dir).status, 0);
  ASSERT_EQ(phsim("run --members 30000 --years 2 --replicates 3 --seed 3 --threads 2 --out b.h5 -q", m_dir).status, 0);
  ASSERT_EQ(phsim("run --members 30000 --years 2 --replicates 3 --seed 3 --threads 2 --out c.h5 -q", m_dir).status, 0);
  const ResultsReader a((m_dir / "a.h5").string()), b((m_dir / "b.h5").string()),
      c((m_dir / "c.h5").string());
  // Every variable, bit for bit (the policy years and next year's tables run on the threads too).
  ASSERT_EQ(a.variables(), b.variables());
  ASSERT_GT(a.variables().size(), 30u);
  for (const std::string& v : a.variables()) {
    try {
      const auto x = a.read_int64(v);
      EXPECT_EQ(x, b.read_int64(v)) << v;
      EXPECT_EQ(x, c.read_int64(v)) << v;
    } catch (const IoError&) {  // a float64 variable (NaN where undefined): compare the bits
      const auto x = a.read_float64(v), y = b.read_float64(v), z = c.read_float64(v);
      ASSERT_EQ(x.size(), y.size()) << v;
      ASSERT_EQ(x.size(), z.size()) << v;
      EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)), 0) << v;
      EXPECT_EQ(std::memcmp(x.data(), z.data(), x.size() * sizeof(double)), 0) << v;
    }
  }
  EXPECT_EQ(std::get<std::int64_t>(a.root_attributes().at("threads")), 1);
  EXPECT_EQ(std::get<std::int64_t>(b.root_attributes().at("threads")), 2);
}

TEST_F(CliTest, UnknownScenarioKeyFailsAndWritesNothing) {
  std::ofstream(m_dir / "bad.toml") << "[run]\nyears = 1\nreplicatez = 3\n";
  const Result r = phsim("run bad.toml --out out.h5", m_dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("replicatez"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.toml"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "out.h5"));
  EXPECT_FALSE(fs::exists(m_dir / "out.h5.partial"));
  EXPECT_EQ(phsim("check bad.toml", m_dir).status, 1);
}

TEST_F(CliTest, ExistingOutputIsKeptUnlessForced) {
  std::ofstream(m_dir / "out.h5") << "precious";
  const Result r = phsim("run --members 1000 --out out.h5 -q", m_dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(m_dir / "out.h5"), "precious");
  EXPECT_EQ(phsim("run --members 1000 --out out.h5 -q --force", m_dir).status, 0);
  EXPECT_NO_THROW(ResultsReader((m_dir / "out.h5").string()));
}

TEST_F(CliTest, BadFlagValuesNameTheFlag) {
  for (const auto& [args, flag] : std::map<std::string, std::string>{
           {"--members 0", "--members"},
           {"--members lots", "--members"},
           {"--replicates 0", "--replicates"},
           {"--seed -1", "--seed"},
           {"--years 51", "--years"},
           {"--backend gpu", "--backend"}}) {
    const Result r = phsim("run " + args + " --out x.h5 -q", m_dir);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.err.find(flag), std::string::npos) << args << ": " << r.err;
    EXPECT_FALSE(fs::exists(m_dir / "x.h5"));
  }
}

TEST_F(CliTest, BenchJsonAccountsForItsFigures) {
  const Result r = phsim("bench --members 20000 --months 13 --replicates 2 --threads 1 --json", m_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("backend"), "cpu");
  EXPECT_EQ(j.at("members"), 20000);
  EXPECT_EQ(j.at("months"), 13);
  EXPECT_EQ(j.at("replicates"), 2);
  EXPECT_EQ(j.at("threads"), 1);
  EXPECT_EQ(j.at("member_order"), "grouped");
  // The CPU batches the step's random blocks by default, with the widest vectors it has.
  const std::string draws = j.at("draws");
  EXPECT_TRUE(draws == "batched (scalar)" || draws == "batched (avx2)" || draws == "batched (avx512)") << draws;
  EXPECT_FALSE(j.at("device").get<std::string>().empty());
  const double member_months = j.at("member_months").get<double>();
  EXPECT_EQ(member_months, 20000.0 * 13 * 2);
  // Throughput is member-months over the timed phases (JSON carries 6 significant digits).
  const double busy = j.at("seconds_step").get<double>() + j.at("seconds_tally").get<double>() +
                      j.at("seconds_policy").get<double>();
  const double rate = j.at("member_months_per_s").get<double>();
  EXPECT_GT(j.at("seconds_tally").get<double>(), 0.0);  // after December and at the end
  EXPECT_NEAR(rate * busy / member_months, 1.0, 1e-4);
  // Synthesis and history are parts of the setup, timed inside it.
  const double setup = j.at("seconds_setup").get<double>();
  const double synthesis = j.at("seconds_synthesis").get<double>();
  const double history = j.at("seconds_history").get<double>();
  EXPECT_GT(synthesis, 0.0);
  EXPECT_GT(history, 0.0);
  EXPECT_LE(synthesis + history, setup * (1 + 1e-5));
  // Births are part of the step, timed inside it; 40,000 members over 13 months have mothers.
  const double births = j.at("seconds_births").get<double>();
  EXPECT_GT(births, 0.0);
  EXPECT_LE(births, j.at("seconds_step").get<double>() * (1 + 1e-5));
  // State per member slot within the 64-byte budget; slots: the enrolled members, the
  // ever-enrolled pool (0.31 per member) and newborn room, for both replicates.
  const double bytes = j.at("bytes_per_member").get<double>();
  const double slots = j.at("slots").get<double>();
  EXPECT_GT(bytes, 0.0);
  EXPECT_LE(bytes, 64.0);
  EXPECT_GT(slots, 2 * 20000 * 1.31);
  EXPECT_LT(slots, 2 * 20000 * 1.6);
  EXPECT_EQ(j.at("bytes_total").get<double>(), slots * bytes);
  // The traffic model (state read and written once a month) and the roofline fraction it gives
  // against the measured copy bandwidth (no theoretical peak on the CPU).
  const double moved = j.at("bytes_moved_per_member_month").get<double>();
  EXPECT_NEAR(moved / (2.0 * slots * bytes / (2 * 20000)), 1.0, 1e-5);
  const double copy_gbs = j.at("bandwidth_copy_gbs").get<double>();
  EXPECT_GT(copy_gbs, 0.1);
  EXPECT_LT(copy_gbs, 1e4);
  EXPECT_EQ(j.at("bandwidth_peak_gbs").get<double>(), 0.0);
  EXPECT_EQ(j.at("roofline_basis"), "copy");
  EXPECT_NEAR(j.at("roofline_fraction").get<double>() / (moved * rate / (copy_gbs * 1e9)), 1.0, 1e-4);
  // The readable form and a bad flag.
  const Result text = phsim("bench --members 5000 --months 1 --threads 1", m_dir);
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("member-months/s"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("roofline"), std::string::npos) << text.out;
  const Result bad = phsim("bench --members 5000 --months 0 --json", m_dir);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--months"), std::string::npos) << bad.err;
  // Members left in id order: the same work, said so.
  const Result id = phsim("bench --members 5000 --months 1 --threads 1 --member-order id --json", m_dir);
  ASSERT_EQ(id.status, 0) << id.err;
  EXPECT_EQ(nlohmann::json::parse(id.out).at("member_order"), "id");
  const Result bad_order = phsim("bench --members 5000 --months 1 --member-order random", m_dir);
  EXPECT_NE(bad_order.status, 0);
  EXPECT_NE(bad_order.err.find("--member-order"), std::string::npos) << bad_order.err;
  // Random blocks drawn member by member: said so; an unknown way is refused.
  const Result member = phsim("bench --members 5000 --months 1 --threads 1 --draws member --json", m_dir);
  ASSERT_EQ(member.status, 0) << member.err;
  EXPECT_EQ(nlohmann::json::parse(member.out).at("draws"), "member");
  const Result bad_draws = phsim("bench --members 5000 --months 1 --draws simd", m_dir);
  EXPECT_NE(bad_draws.status, 0);
  EXPECT_NE(bad_draws.err.find("--draws"), std::string::npos) << bad_draws.err;
  // The vector level capped: said so (scalar runs on every CPU); an unknown level is refused.
  const Result scalar = phsim("bench --members 5000 --months 1 --threads 1 --simd scalar --json", m_dir);
  ASSERT_EQ(scalar.status, 0) << scalar.err;
  EXPECT_EQ(nlohmann::json::parse(scalar.out).at("draws"), "batched (scalar)");
  const Result bad_simd = phsim("bench --members 5000 --months 1 --simd sse9", m_dir);
  EXPECT_NE(bad_simd.status, 0);
  EXPECT_NE(bad_simd.err.find("--simd"), std::string::npos) << bad_simd.err;
}

// The bench stores its months' results as a run does and writes them as a run's file, timed as
// its output: kept with --out, else removed. 13 months make two measurement years, the second
// of one month.
TEST_F(CliTest, BenchWritesTheResultsOfItsMonths) {
  const Result r = phsim("bench --members 5000 --months 13 --replicates 2 --threads 1 --json --out b.h5", m_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out).at("seconds_output").get<double>(), 0.0);
  ASSERT_TRUE(fs::exists(m_dir / "b.h5"));
  const Result info = phsim("info b.h5", m_dir);
  EXPECT_EQ(info.status, 0) << info.out << info.err;  // the file's consistency checks

  const ReferenceData d = load_embedded_reference_data();
  const ResultsReader h5((m_dir / "b.h5").string());
  const std::size_t cp = d.counties.size() * d.plans.size();
  EXPECT_EQ(h5.shape("enrollment_member_months"), (std::vector<std::size_t>{1, 2, 2, d.counties.size(), d.plans.size()}));
  EXPECT_EQ(h5.read_int64("year"), (std::vector<std::int64_t>{2024, 2025}));
  const auto start = h5.read_int64("enrollment_start");
  const auto months = h5.read_int64("enrollment_member_months");
  const auto denominators = h5.read_int64("measure_denominator");
  const auto capitation = h5.read_float64("capitation_usd");
  for (std::size_t rep = 0; rep < 2; ++rep) {
    double enrolled = 0, year[2] = {0, 0}, paid = 0, counted = 0;
    for (std::size_t i = 0; i < cp; ++i) enrolled += static_cast<double>(start[rep * cp + i]);
    for (std::size_t y = 0; y < 2; ++y) {
      for (std::size_t i = 0; i < cp; ++i) year[y] += static_cast<double>(months[(rep * 2 + y) * cp + i]);
    }
    for (std::size_t i = 0; i < cp; ++i) paid += capitation[(rep * 2) * cp + i];
    for (std::size_t i = 0; i < cp * d.measures.size(); ++i) {
      counted += static_cast<double>(denominators[(rep * 2) * cp * d.measures.size() + i]);
    }
    EXPECT_EQ(enrolled, 5000.0) << "replicate " << rep;
    // Churn in equilibrium (about 50 of 5,000 members leave and as many return each month: a
    // random walk of about 35 members over a year) and births exceeding deaths by about 1% a
    // year: 12 months' and then one month's member-months within 3% of the members.
    EXPECT_NEAR(year[0] / (12.0 * 5000), 1.0, 0.03) << "replicate " << rep;
    EXPECT_NEAR(year[1] / 5000, 1.0, 0.03) << "replicate " << rep;
    // The policy year and the measure tallies of the first year are stored too.
    EXPECT_GT(paid, 100.0 * year[0]) << "replicate " << rep;  // capitation of over $100 a member-month
    EXPECT_GT(counted, 1000.0) << "replicate " << rep;
  }
  // An existing file is kept unless --force, and a missing directory is refused, both before
  // the bench runs (nothing on standard output).
  const std::string before = slurp(m_dir / "b.h5");
  const Result again = phsim("bench --members 2000 --months 1 --threads 1 --out b.h5", m_dir);
  EXPECT_EQ(again.status, 1);
  EXPECT_TRUE(again.out.empty()) << again.out;
  EXPECT_NE(again.err.find("b.h5: output exists"), std::string::npos) << again.err;
  EXPECT_EQ(slurp(m_dir / "b.h5"), before);
  const Result nowhere = phsim("bench --members 2000 --months 1 --threads 1 --out no/such/b.h5", m_dir);
  EXPECT_EQ(nowhere.status, 1);
  EXPECT_TRUE(nowhere.out.empty()) << nowhere.out;
  EXPECT_NE(nowhere.err.find("directory 'no/such' does not exist"), std::string::npos) << nowhere.err;
  const Result forced = phsim("bench --members 2000 --months 1 --threads 1 --out b.h5 --force --json", m_dir);
  EXPECT_EQ(forced.status, 0) << forced.err;
  EXPECT_EQ(ResultsReader((m_dir / "b.h5").string()).shape("year"), (std::vector<std::size_t>{1}));
  // Without --out the file is a temporary one (in TMPDIR), removed after it was timed.
  const fs::path tmpdir = m_dir / "tmp";
  fs::create_directories(tmpdir);
  const char* old_tmpdir = std::getenv("TMPDIR");
  const std::string saved = old_tmpdir ? old_tmpdir : "";
  ::setenv("TMPDIR", tmpdir.c_str(), 1);
  const Result tmp = phsim("bench --members 2000 --months 1 --threads 1 --json", m_dir);
  old_tmpdir ? ::setenv("TMPDIR", saved.c_str(), 1) : ::unsetenv("TMPDIR");
  ASSERT_EQ(tmp.status, 0) << tmp.err;
  EXPECT_GT(nlohmann::json::parse(tmp.out).at("seconds_output").get<double>(), 0.0);
  EXPECT_TRUE(fs::is_empty(tmpdir));
}

// A batch asked for with --batch-replicates must fit like a planned one: members sized so that
// one replicate's state (about 1.3 slots x 61 bytes per member) takes a third of the available
// memory, so 2 replicates fit its 90% and 4 do not.
TEST_F(CliTest, BatchLargerThanTheMemoryIsRefused) {
  const unsigned long long avail = host_memory_available();
  if (avail == 0) GTEST_SKIP() << "no /proc/meminfo";
  const unsigned long long members = avail / 3 / (61 * 13 / 10);
  const Result r = phsim("run --members " + std::to_string(members) +
                             " --replicates 4 --batch-replicates 4 --out x.h5 -q", m_dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--batch-replicates 4: at most 2 replicate(s)"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "x.h5"));
}

// 4 x 10^9 members need about 320 GB of member state: refused at once in one line, instead of
// allocating until the system kills the process.
TEST_F(CliTest, BenchLargerThanTheMemoryIsRefused) {
  if (host_memory_available() > (300ull << 30)) GTEST_SKIP() << "more than 300 GiB available";
  const Result r = phsim("bench --members 4000000000 --months 1 --json", m_dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("--members 4000000000 x --replicates 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("reduce --members or --replicates"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(CliTest, CudaBackendWithoutDeviceFailsClearly) {
  const Result r = phsim("run --members 1000 --backend cuda --out x.h5 -q", m_dir);
  if (r.status == 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--backend cuda"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "x.h5"));
}

TEST_F(CliTest, DataJsonListsCountiesAndPlans) {
  const Result r = phsim("data --json", m_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("counties").size(), 58u);
  std::int64_t total = 0;
  for (const auto& c : j.at("counties")) {
    EXPECT_TRUE(c.at("name").is_string());
    EXPECT_TRUE(c.at("plan_model").is_string());
    total += c.at("enrollment").get<std::int64_t>();
  }
  // Sum of DHCS certified eligibles by county, June 2024 (shared/data/counties.csv).
  EXPECT_EQ(total, 14913710);
  ASSERT_EQ(j.at("plans").size(), 22u);
  for (const auto& p : j.at("plans")) {
    if (p.at("name") == "Kaiser Permanente (Kaiser Foundation Health Plan)") {
      EXPECT_EQ(p.at("counties").size(), 32u);
    }
  }
  const Result text = phsim("data", m_dir);
  ASSERT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("Los Angeles"), std::string::npos);
}

TEST_F(CliTest, DataDirectoryOverridesAndIsValidated) {
  const fs::path data = m_dir / "mydata";
  fs::copy(fs::path(PHSIM_SOURCE_DIR) / "data", data);
  ASSERT_EQ(phsim("run --members 5000 --data mydata --out a.h5 -q", m_dir).status, 0);
  EXPECT_EQ(std::get<std::string>(ResultsReader((m_dir / "a.h5").string()).root_attributes().at("data_origin")),
            "mydata");
  // Corrupt one county name in plans.csv: the error names file, line and column.
  std::string plans = slurp(data / "plans.csv");
  const auto pos = plans.find("\nLos Angeles,");
  ASSERT_NE(pos, std::string::npos);
  plans.replace(pos + 1, 11, "Los Angles");
  std::ofstream(data / "plans.csv", std::ios::trunc) << plans;
  const Result r = phsim("run --members 5000 --data mydata --out b.h5 -q", m_dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("plans.csv:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Los Angles"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("county"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "b.h5"));
}

TEST_F(CliTest, SummaryJsonDescribesTheRun) {
  const Result r = phsim("run --members 5000 --years 2 --replicates 2 --seed 9 --out a.h5 -q --summary-json s.json", m_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(m_dir / "s.json"));
  EXPECT_EQ(j.at("output"), "a.h5");
  EXPECT_EQ(j.at("seed"), 9);
  EXPECT_EQ(j.at("members"), 5000);
  EXPECT_EQ(j.at("replicates"), 2);
  EXPECT_EQ(j.at("member_months").get<double>(), 5000.0 * 2 * 2 * 12);
  EXPECT_EQ(j.at("scenarios").size(), 1u);
  EXPECT_EQ(j.at("scenarios")[0].at("hash").get<std::string>().size(), 16u);
  EXPECT_GT(j.at("member_months_per_s").get<double>(), 0.0);
  EXPECT_GT(j.at("seconds_output").get<double>(), 0.0);  // the results file was written
  EXPECT_FALSE(fs::exists(m_dir / "s.json.partial"));
  // An unknown log level is a usage error.
  EXPECT_EQ(phsim("run --members 1000 --out b.h5 --log-level loud", m_dir).status, 2);
  EXPECT_FALSE(fs::exists(m_dir / "b.h5"));
}

TEST_F(CliTest, RunTooLargeForMemoryIsRefusedBeforeAllocating) {
  // Two billion members: one replicate needs about 150 GiB of member state, more than any
  // machine this runs on; replicates cannot be batched below one.
  Result r = phsim("run --members 2000000000 --out big.h5 -q", m_dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("one replicate needs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("GiB of member state"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("reduce --members"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "big.h5"));
  // 100,000 replicates of 10 years: the results alone (held for every replicate) need terabytes.
  r = phsim("run --members 1000 --years 10 --replicates 100000 --out big.h5 -q", m_dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("GiB of memory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("reduce --replicates or --years"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "big.h5"));
}

TEST_F(CliTest, BatchedReplicatesWriteTheSameFile) {
  // What a device too small for all replicates at once does: the same replicates in batches.
  const std::string run = "run --members 15000 --years 2 --replicates 5 --seed 21 -q";
  ASSERT_EQ(phsim(run + " --out whole.h5", m_dir).status, 0);
  const Result r = phsim(run + " --batch-replicates 2 --out batched.h5 --summary-json s.json", m_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  testing::expect_identical_files(m_dir / "whole.h5", m_dir / "batched.h5");
  EXPECT_NE(testing::slurp(m_dir / "s.json").find("\"batch_replicates\": 2"), std::string::npos);
}

TEST_F(CliTest, EveryShippedScenarioPassesCheck) {
  std::size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(PHSIM_SOURCE_DIR) / "scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    const Result r = phsim("check '" + entry.path().string() + "'", m_dir);
    EXPECT_EQ(r.status, 0) << entry.path() << ": " << r.err;
    EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;
    ++checked;
  }
  EXPECT_GE(checked, 8u);  // baseline, three policy and four seed-program scenarios
}

TEST_F(CliTest, CheckAndInfo) {
  const Result ok = phsim(std::string("check '") + PHSIM_SOURCE_DIR + "/scenarios/baseline.toml'", m_dir);
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("OK"), std::string::npos);
  ASSERT_EQ(phsim("run --members 2000 --out a.h5 -q", m_dir).status, 0);
  const Result info = phsim("info a.h5", m_dir);
  EXPECT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("enrollment_member_months(scenario, replicate, year, county, plan)"),
            std::string::npos) << info.out;
  EXPECT_NE(info.out.find("checks: OK"), std::string::npos) << info.out;
  std::ofstream(m_dir / "junk.h5") << "this is not an HDF5 file";
  const Result bad = phsim("info junk.h5", m_dir);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("junk.h5"), std::string::npos) << bad.err;
}

TEST_F(CliTest, BareRunSaysWhereItWrote) {
  const Result r = phsim("run --members 3000 -q", m_dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto pos = r.out.find("wrote results/");
  ASSERT_NE(pos, std::string::npos) << r.out;
  std::string path = r.out.substr(pos + 6);
  path = path.substr(0, path.find('\n'));
  EXPECT_TRUE(fs::exists(m_dir / path)) << path;
}

}  // namespace
}  // namespace phsim
