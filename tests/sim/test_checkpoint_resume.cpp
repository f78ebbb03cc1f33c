// Checkpoint and resume inside the run loop: a run stopped after any month and continued from
// its checkpoint (in memory, or through a checkpoint file) gives results identical to a run that
// was never stopped — integer tallies and money alike, because the continuation repeats exactly
// the same arithmetic.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/checkpoint.hpp"
#include "io/reference_data_io.hpp"
#include "scenarios/scenario.hpp"
#include "sim/engine.hpp"
#include "sim/errors.hpp"
#include "sim/runner.hpp"

namespace phsim {
namespace {

const ReferenceData& data() {
  static const ReferenceData d = load_embedded_reference_data();
  return d;
}

ScenarioConfig config(const std::string& embedded, std::uint64_t members, int years, int replicates) {
  const Scenario s = parse_scenario(embedded_scenario(embedded + ".toml"), embedded, "", data());
  ScenarioConfig c{s.run, s.policy, s.interventions};
  c.run.members = members;
  c.run.years = years;
  c.run.replicates = replicates;
  c.run.seed = 4242;
  return c;
}

ScenarioResults run_through(const ScenarioConfig& c) {
  auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  return run_scenario(c, data(), *engine, RunControl{});
}

/// Runs `c`, stopping after `stop_after` months; returns the checkpoint written on the way out.
ScenarioCheckpoint run_until(const ScenarioConfig& c, int stop_after) {
  auto engine = make_engine(EngineOptions{Backend::Cpu, 0, 0});
  int done = 0;
  ScenarioCheckpoint saved;
  RunControl control;
  control.progress = [&](int months, int) { done = months; };
  control.stop_requested = [&] { return done >= stop_after; };
  control.write_checkpoint = [&](const ScenarioCheckpoint& ck) { saved = ck; };
  try {
    run_scenario(c, data(), *engine, control);
    ADD_FAILURE() << "the run was not interrupted";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.months_done, stop_after);
  }
  EXPECT_EQ(saved.months_done, stop_after);
  return saved;
}

ScenarioResults resume(const ScenarioConfig& c, const ScenarioCheckpoint& ck, int threads = 0) {
  auto engine = make_engine(EngineOptions{Backend::Cpu, threads, 0});
  RunControl control;
  control.resume = &ck;
  return run_scenario(c, data(), *engine, control);
}

/// Bit-for-bit equality (NaN equals NaN with the same bits).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  if constexpr (std::is_same_v<T, std::string>) {
    return a == b;
  } else {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
  }
}

void expect_same(const ScenarioResults& a, const ScenarioResults& b) {
  EXPECT_EQ(a.members, b.members);
  EXPECT_EQ(a.pool, b.pool);
  for_each_array_pair(a, b, [](const char* name, const auto& x, const auto& y) {
    EXPECT_TRUE(same_bits(x, y)) << "array " << name << " differs";
  });
}

TEST(CheckpointResume, ResumedRunEqualsUninterruptedAtAnyMonth) {
  const ScenarioConfig c = config("baseline", 20000, 2, 2);
  const ScenarioResults whole = run_through(c);
  // Mid-year, a year end (policy feedback applied, new tables) and the last month before the end.
  for (const int stop : {1, 7, 12, 13, 23}) {
    SCOPED_TRACE("stopped after month " + std::to_string(stop));
    expect_same(whole, resume(c, run_until(c, stop)));
  }
}

TEST(CheckpointResume, InterventionsAndOtherThreadCountsResumeIdentically) {
  const ScenarioConfig c = config("outreach_chw", 20000, 2, 2);
  ASSERT_FALSE(c.interventions.empty());
  const ScenarioResults whole = run_through(c);
  expect_same(whole, resume(c, run_until(c, 5), 1));
  expect_same(whole, resume(c, run_until(c, 12), 2));
}

TEST(CheckpointResume, CheckpointFileRoundTripsAndResumes) {
  const ScenarioConfig c = config("baseline", 15000, 2, 1);
  const ScenarioResults whole = run_through(c);
  const auto dir = std::filesystem::temp_directory_path() / ("phsim_ckpt_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "run.h5.ckpt").string();
  const ScenarioCheckpoint ck = run_until(c, 14);
  write_checkpoint(path, CheckpointHeader{"id-1", "test"}, {whole}, ck);
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  const RunCheckpoint back = read_checkpoint(path);
  EXPECT_EQ(back.header.identity, "id-1");
  ASSERT_EQ(back.finished.size(), 1u);
  expect_same(whole, back.finished[0]);
  EXPECT_EQ(back.current.months_done, 14);
  expect_same(ck.results, back.current.results);
  EXPECT_EQ(back.current.engine.members.status, ck.engine.members.status);
  EXPECT_EQ(back.current.engine.events, ck.engine.events);
  expect_same(whole, resume(c, back.current));
  std::filesystem::remove_all(dir);
}

TEST(CheckpointResume, DamagedOrTruncatedFilesAreRejectedByName) {
  const ScenarioConfig c = config("baseline", 3000, 1, 1);
  const auto dir = std::filesystem::temp_directory_path() / ("phsim_ckpt_bad_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "x.ckpt").string();
  write_checkpoint(path, CheckpointHeader{"id", "test"}, {}, run_until(c, 3));
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 1000u);
  const auto expect_rejected = [&](const std::string& content, const std::string& what) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << content;
    }
    try {
      read_checkpoint(path);
      ADD_FAILURE() << what << ": accepted";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  };
  // Every truncation point in a sample across the file, and single flipped bits.
  for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 97) {
    expect_rejected(bytes.substr(0, cut), "truncated at " + std::to_string(cut));
  }
  for (std::size_t at = 0; at < bytes.size(); at += 1 + bytes.size() / 61) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    expect_rejected(flipped, "bit flipped at " + std::to_string(at));
  }
  expect_rejected(bytes + "x", "trailing byte");
  std::filesystem::remove_all(dir);
}

TEST(CheckpointResume, CheckpointOfAnotherRunDoesNotFit) {
  const ScenarioConfig c = config("baseline", 5000, 2, 1);
  const ScenarioCheckpoint ck = run_until(c, 4);
  ScenarioConfig other = c;
  other.run.members = 6000;
  EXPECT_THROW(resume(other, ck), UsageError);
  other = c;
  other.run.replicates = 2;
  EXPECT_THROW(resume(other, ck), UsageError);
}

}  // namespace
}  // namespace phsim
