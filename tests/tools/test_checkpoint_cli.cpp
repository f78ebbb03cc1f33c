// Checkpoint and resume as a user meets them: a run killed with SIGKILL mid-way and resumed
// writes a file identical to an uninterrupted run; SIGTERM/SIGINT stop after the month with a
// checkpoint and a message saying how to continue; checkpoints of other runs, or damaged ones,
// are refused by name.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "io/hdf5_file.hpp"
#include "sim/errors.hpp"
#include "tests/tools/run_phsim.hpp"
#include "tests/tools/same_results.hpp"

namespace phsim {
namespace {

namespace fs = std::filesystem;
using testing::phsim;
using testing::slurp;
using testing::expect_identical_files;

/// A temporary working directory per test.
class CheckpointCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("phsim_ckpt_cli_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

/// Starts `phsim args...` in `cwd` (stdout/stderr to files there); returns its pid.
pid_t spawn(const std::vector<std::string>& args, const fs::path& cwd) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(127);
    const int out = ::open("spawn.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open("spawn.err", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(PHSIM_EXE)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(PHSIM_EXE, argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Waits until `path` exists and `pred(contents)` holds (or the process has ended); true if so.
bool wait_for(const fs::path& path, pid_t pid, const std::function<bool(const std::string&)>& pred) {
  for (int i = 0; i < 6000; ++i) {
    if (fs::exists(path) && pred(slurp(path))) return true;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const std::string kSrc = PHSIM_SOURCE_DIR;
// Two scenarios (one with interventions), so a checkpoint can fall in either.
const std::vector<std::string> kRun = {"run",       kSrc + "/scenarios/baseline.toml",
                                       kSrc + "/scenarios/outreach_chw.toml",
                                       "--members", "30000", "--years", "2", "--replicates",
                                       "2",         "--seed", "99", "--quiet"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

int run_to_end(const std::vector<std::string>& args, const fs::path& cwd) {
  return wait_exit(spawn(args, cwd));
}

TEST_F(CheckpointCli, KilledRunResumesToAnIdenticalFile) {
  ASSERT_EQ(run_to_end(with(kRun, {"--out", "whole.h5"}), dir), 0) << slurp(dir / "spawn.err");
  EXPECT_FALSE(fs::exists(dir / "whole.h5.ckpt"));  // removed once the output is complete
  // Kill (SIGKILL: no chance to clean up) once a checkpoint inside the second scenario exists.
  const pid_t pid = spawn(with(kRun, {"--out", "cut.h5", "--checkpoint-every", "1"}), dir);
  const bool in_second = wait_for(dir / "cut.h5.ckpt", pid, [](const std::string& s) {
    return s.find("\"parts_finished\":1") != std::string::npos;
  });
  ::kill(pid, SIGKILL);
  wait_exit(pid);
  ASSERT_TRUE(in_second) << "the run ended before a checkpoint in its second scenario";
  EXPECT_FALSE(fs::exists(dir / "cut.h5"));
  ASSERT_EQ(run_to_end(with(kRun, {"--out", "cut.h5", "--resume", "--threads", "1"}), dir), 0)
      << slurp(dir / "spawn.err");
  EXPECT_FALSE(fs::exists(dir / "cut.h5.ckpt"));
  expect_identical_files(dir / "whole.h5", dir / "cut.h5");
}

TEST_F(CheckpointCli, KilledBatchedRunResumesToAnIdenticalFile) {
  // One replicate per batch: four parts (2 scenarios x 2 replicates); killed in the third.
  ASSERT_EQ(run_to_end(with(kRun, {"--out", "whole.h5"}), dir), 0) << slurp(dir / "spawn.err");
  const auto batched = with(kRun, {"--out", "cut.h5", "--batch-replicates", "1"});
  const pid_t pid = spawn(with(batched, {"--checkpoint-every", "1"}), dir);
  const bool in_third = wait_for(dir / "cut.h5.ckpt", pid, [](const std::string& s) {
    return s.find("\"parts_finished\":2") != std::string::npos;
  });
  ::kill(pid, SIGKILL);
  wait_exit(pid);
  ASSERT_TRUE(in_third) << "the run ended before a checkpoint in its third part";
  ASSERT_EQ(run_to_end(with(batched, {"--resume"}), dir), 0) << slurp(dir / "spawn.err");
  expect_identical_files(dir / "whole.h5", dir / "cut.h5");
}

// A run far too long to finish before the signal, on any machine (about 10^8 member-months).
const std::vector<std::string> kLongRun = {"run", "--members", "200000", "--replicates", "6",
                                           "--years", "10", "--seed", "3", "--quiet"};

TEST_F(CheckpointCli, SigtermStopsWithACheckpointAndSaysHowToResume) {
  // No --checkpoint-every: the signal alone makes the checkpoint. (That a checkpoint written on
  // a stop resumes to identical results is tested in-process, tests/sim/test_checkpoint_resume.)
  const pid_t pid = spawn(with(kLongRun, {"--out", "t.h5"}), dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, SIGTERM);
  const int code = wait_exit(pid);
  const std::string err = slurp(dir / "spawn.err");
  ASSERT_EQ(code, 128 + SIGTERM) << err;
  EXPECT_NE(err.find("interrupted by SIGTERM"), std::string::npos) << err;
  EXPECT_NE(err.find(" of 120;"), std::string::npos) << err;  // stopped after the month it was in
  EXPECT_NE(err.find("t.h5.ckpt"), std::string::npos) << err;
  EXPECT_NE(err.find("--out t.h5 --resume"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(dir / "t.h5.ckpt"));
  EXPECT_FALSE(fs::exists(dir / "t.h5"));
  // Starting over without --resume or --force is refused: the checkpoint is not lost.
  const auto again = phsim("run --members 30000 --out t.h5 --quiet", dir);
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  EXPECT_TRUE(fs::exists(dir / "t.h5.ckpt"));
  // Another run's settings do not fit the checkpoint.
  const auto other = phsim("run --members 30000 --seed 1 --out t.h5 --resume --quiet", dir);
  EXPECT_EQ(other.status, 1);
  EXPECT_NE(other.err.find("checkpoint of another run"), std::string::npos) << other.err;
  EXPECT_TRUE(fs::exists(dir / "t.h5.ckpt"));
}

TEST_F(CheckpointCli, SigintBehavesLikeSigterm) {
  const pid_t pid = spawn(with(kLongRun, {"--out", "i.h5"}), dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 128 + SIGINT) << slurp(dir / "spawn.err");
  EXPECT_NE(slurp(dir / "spawn.err").find("interrupted by SIGINT"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "i.h5.ckpt"));
  EXPECT_FALSE(fs::exists(dir / "i.h5"));
}

TEST_F(CheckpointCli, ResumeProblemsAreOneClearLine) {
  auto r = phsim("run --resume --quiet", dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--resume: give --out"), std::string::npos) << r.err;
  r = phsim("run --resume --out none.h5 --quiet", dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("none.h5.ckpt: no checkpoint"), std::string::npos) << r.err;
  {
    std::ofstream bad(dir / "bad.h5.ckpt");
    bad << "PHSIMCKP but not really";
  }
  r = phsim("run --resume --out bad.h5 --quiet", dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("checkpoint bad.h5.ckpt"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "bad.h5"));
  r = phsim("run --checkpoint-every 601 --out c.h5 --quiet", dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--checkpoint-every: expected an integer in 0..600"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace phsim
