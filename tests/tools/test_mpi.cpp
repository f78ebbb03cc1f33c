// Distributed runs: `mpirun -n K phsim run ...` writes the file a single process writes, bit for
// bit — with the replicates split (K = 1, 2, 3; 3 does not divide the 5 replicates) and with the
// members split into county shards (K = 1, 2, 4; more ranks than cores are oversubscribed); a
// failing rank ends the job naming itself; per-rank checkpoints of a killed job resume with the
// same K, either way; a SIGTERM to one shard stops every shard at the same month.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/tools/run_phsim.hpp"
#include "tests/tools/same_results.hpp"

namespace phsim {
namespace {

namespace fs = std::filesystem;
using testing::expect_identical_files;
using testing::phsim;
using testing::Result;
using testing::slurp;

const std::string kSrc = PHSIM_SOURCE_DIR;
const std::string kArgs = "run '" + kSrc + "/scenarios/baseline.toml' '" + kSrc +
                          "/scenarios/outreach_chw.toml' --members 20000 --years 2 --replicates 5 "
                          "--seed 17 --quiet";

class Mpi : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PHSIM_HAVE_MPI || std::string(PHSIM_MPIEXEC).empty() ||
        std::string(PHSIM_MPIEXEC).find("NOTFOUND") != std::string::npos) {
      GTEST_SKIP() << "phsim was built without MPI or mpirun is missing";
    }
    // Under the sanitizer build: Open MPI keeps allocations until exit in plugins it has
    // unloaded (unnamed modules no suppression can match), so the MPI-launched processes run
    // without the leak check; the same phsim code is leak-checked by the single-process tests.
    // Shared-memory transfers by copy: containers often forbid the cross-process reads (CMA)
    // Open MPI uses for large messages by default ("Read -1, ... errno = 14").
    ::setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    const char* asan = std::getenv("ASAN_OPTIONS");
    ::setenv("ASAN_OPTIONS", (std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "detect_leaks=0").c_str(), 1);
    dir = fs::temp_directory_path() /
          ("phsim_mpi_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }

  /// The shell command `mpirun -n ranks phsim <args>` (root and oversubscription allowed).
  static std::string mpirun_command(int ranks, const std::string& args) {
    return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '" + std::string(PHSIM_MPIEXEC) + "' -n " +
           std::to_string(ranks) + " --oversubscribe '" + PHSIM_EXE + "' " + args;
  }

  /// `mpirun -n ranks phsim <args>` in dir.
  Result mpirun(int ranks, const std::string& args) const {
    const fs::path out = dir / "mpi.out", err = dir / "mpi.err";
    const std::string cmd = "cd '" + dir.string() + "' && " + mpirun_command(ranks, args) + " >'" + out.string() +
                            "' 2>'" + err.string() + "' </dev/null";
    const int raw = std::system(cmd.c_str());
    return Result{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
  }

  /// Starts `mpirun -n 2 phsim <args>` in dir in the background (stdout to job.out, stderr to
  /// job.err) and returns the launcher's pid; `own_group`: the launcher leads a new process
  /// group (setsid), so that the whole job can be killed at once.
  pid_t mpirun_in_background(const std::string& args, bool own_group) const {
    const std::string cmd = "cd '" + dir.string() + "' && { " + (own_group ? "setsid " : "") +
                            mpirun_command(2, args) + " >job.out 2>job.err </dev/null & echo $! > pid; }";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return std::stoi(slurp(dir / "pid"));
  }

  fs::path dir;
};

TEST_F(Mpi, OneTwoAndThreeRanksWriteTheSingleProcessFile) {
  const auto single = phsim(kArgs + " --out single.h5", dir);
  ASSERT_EQ(single.status, 0) << single.err;
  for (const int k : {1, 2, 3}) {
    SCOPED_TRACE(std::to_string(k) + " rank(s)");
    const std::string out = "ranks" + std::to_string(k) + ".h5";
    const auto r = mpirun(k, kArgs + " --out " + out + " --summary-json s.json");
    ASSERT_EQ(r.status, 0) << r.err;
    expect_identical_files(dir / "single.h5", dir / out);
    const std::string summary = slurp(dir / "s.json");
    EXPECT_NE(summary.find("\"processes\": " + std::to_string(k)), std::string::npos) << summary;
    for (int rank = 0; rank < k; ++rank) {
      EXPECT_FALSE(fs::exists(dir / (out + ".rank" + std::to_string(rank) + ".ckpt")));
    }
  }
}

TEST_F(Mpi, MoreRanksThanReplicatesStillWriteTheSameFile) {
  const std::string args = "run --members 8000 --years 1 --replicates 2 --seed 5 --quiet";
  ASSERT_EQ(phsim(args + " --out single.h5", dir).status, 0);
  const auto r = mpirun(3, args + " --out three.h5");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_identical_files(dir / "single.h5", dir / "three.h5");
}

TEST_F(Mpi, AFailingRankEndsTheJobNamingItself) {
  const auto r = mpirun(2, kArgs + " --out missing_dir/x.h5");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("phsim: error (rank "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("of 2): missing_dir/x.h5: directory"), std::string::npos) << r.err;
  const auto no_out = mpirun(2, kArgs);
  EXPECT_NE(no_out.status, 0);
  EXPECT_NE(no_out.err.find("needs --out"), std::string::npos) << no_out.err;
}

TEST_F(Mpi, KilledJobResumesFromPerRankCheckpointsWithTheSameRanks) {
  ASSERT_EQ(phsim(kArgs + " --out single.h5", dir).status, 0);
  for (const std::string split : {"replicates", "members"}) {
    SCOPED_TRACE("--shard " + split);
    fs::remove(dir / "cut.h5");
    // Kill the whole job (SIGKILL to the launcher's process group) once both ranks have a
    // checkpoint; then resume with the same number of ranks.
    const pid_t pid =
        mpirun_in_background(kArgs + " --shard " + split + " --out cut.h5 --checkpoint-every 2", true);
    bool both = false;
    for (int i = 0; i < 6000 && !both; ++i) {
      both = fs::exists(dir / "cut.h5.rank0.ckpt") && fs::exists(dir / "cut.h5.rank1.ckpt");
      if (!both) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(-pid, SIGKILL);  // setsid made the launcher a process-group leader
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(both) << "no checkpoint from both ranks";
    ASSERT_FALSE(fs::exists(dir / "cut.h5")) << "the job finished before it was killed";
    const auto r = mpirun(2, kArgs + " --shard " + split + " --out cut.h5 --resume");
    if (split == "members" && r.status != 0) {
      // Killed between the two shards' checkpoints of one month: refused clearly, not resumed
      // out of step.
      EXPECT_NE(r.err.find("the shards' checkpoints are from different months"), std::string::npos) << r.err;
      fs::remove(dir / "cut.h5.rank0.ckpt");
      fs::remove(dir / "cut.h5.rank1.ckpt");
      continue;
    }
    ASSERT_EQ(r.status, 0) << r.err;
    expect_identical_files(dir / "single.h5", dir / "cut.h5");
    EXPECT_FALSE(fs::exists(dir / "cut.h5.rank0.ckpt"));
  }
}

TEST_F(Mpi, MemberShardsOfOneTwoAndFourRanksWriteTheSingleProcessFile) {
  const auto single = phsim(kArgs + " --out single.h5", dir);
  ASSERT_EQ(single.status, 0) << single.err;
  for (const int k : {1, 2, 4}) {
    SCOPED_TRACE(std::to_string(k) + " rank(s)");
    const std::string out = "shards" + std::to_string(k) + ".h5";
    const auto r = mpirun(k, kArgs + " --shard members --out " + out + " --summary-json s.json");
    ASSERT_EQ(r.status, 0) << r.err;
    expect_identical_files(dir / "single.h5", dir / out);
    if (k > 1) {  // the shards exchanged newborn ids and year-end tallies
      EXPECT_EQ(slurp(dir / "s.json").find("\"mpi_exchange_bytes_sent_by_rank0\": 0,"), std::string::npos);
    }
  }
}

/// Pids of running phsim processes whose command line contains `needle`.
std::vector<pid_t> phsim_pids(const std::string& needle) {
  std::vector<pid_t> pids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    for (auto& c : cmd) c = c == '\0' ? ' ' : c;
    if (cmd.rfind(PHSIM_EXE, 0) == 0 && cmd.find(needle) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

/// "months_done" of a checkpoint's header, or -1.
int months_done(const fs::path& checkpoint) {
  const std::string s = slurp(checkpoint).substr(0, 4096);
  const auto at = s.find("\"months_done\":");
  return at == std::string::npos ? -1 : std::atoi(s.c_str() + at + 14);
}

TEST_F(Mpi, SigtermToOneShardStopsEveryShardAtTheSameMonthAndTheJobResumes) {
  ASSERT_EQ(phsim(kArgs + " --out single.h5", dir).status, 0);
  // One checkpoint a month shows when the shards step; the signal comes right after the first.
  const std::string args = kArgs + " --shard members --checkpoint-every 1 --out shard_cut.h5";
  const pid_t launcher = mpirun_in_background(args, false);
  std::vector<pid_t> ranks;
  for (int i = 0; i < 6000 && (ranks.size() < 2 || !fs::exists(dir / "shard_cut.h5.rank0.ckpt")); ++i) {
    ranks = phsim_pids("shard_cut.h5");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(ranks.size(), 2u);
  ::kill(ranks.back(), SIGTERM);  // one rank only: the stop is agreed among the shards
  for (int i = 0; i < 12000 && ::kill(launcher, 0) == 0; ++i) {
    int status = 0;
    if (::waitpid(launcher, &status, WNOHANG) == launcher) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(::kill(launcher, 0), 0) << "the job did not stop";
  ASSERT_FALSE(fs::exists(dir / "shard_cut.h5")) << "the job finished before the signal";
  const int m0 = months_done(dir / "shard_cut.h5.rank0.ckpt");
  const int m1 = months_done(dir / "shard_cut.h5.rank1.ckpt");
  EXPECT_GT(m0, 0) << slurp(dir / "job.err");
  EXPECT_EQ(m0, m1) << "the shards stopped at different months";
  const auto r = mpirun(2, kArgs + " --shard members --out shard_cut.h5 --resume");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_identical_files(dir / "single.h5", dir / "shard_cut.h5");
}

}  // namespace
}  // namespace phsim
