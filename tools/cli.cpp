#include "tools/cli.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/checkpoint.hpp"
#include "io/compare.hpp"
#include "io/reference_data_io.hpp"
#include "io/results_output.hpp"
#include "phsim_version.hpp"
#include "scenarios/scenario.hpp"
#include "sim/benchmark.hpp"
#include "sim/cluster.hpp"
#include "sim/engine.hpp"
#include "sim/errors.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"

namespace phsim {
namespace {

/// Seconds since `start`.
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

namespace fs = std::filesystem;

struct CommonOptions {
  std::string data_dir;  ///< --data DIR ("" = embedded)
};

ReferenceData load_data(const CommonOptions& common) {
  return common.data_dir.empty() ? load_embedded_reference_data()
                                 : load_reference_data(common.data_dir);
}

/// Checks that an integer flag value lies in [lo, hi].
template <class T>
T checked(const std::string& flag, long long value, long long lo, long long hi) {
  if (value < lo || value > hi) {
    throw UsageError(flag + ": expected an integer in " + std::to_string(lo) + ".." +
                     std::to_string(hi) + ", got " + std::to_string(value));
  }
  return static_cast<T>(value);
}

Backend parse_backend(const std::string& name) {
  if (name == "cuda") return Backend::Cuda;
  if (name != "cpu") throw UsageError("--backend: expected 'cpu' or 'cuda', got '" + name + "'");
  return Backend::Cpu;
}

struct RunOptions {
  std::vector<std::string> scenario_files;
  std::string members;  ///< "" (keep), an integer, or "full"
  std::optional<long long> years, replicates, seed, start_year, threads;
  std::string backend = "cpu";
  std::string out;
  bool quiet = false;
  std::string log_level = "info";  ///< quiet | info | debug
  std::string shard = "replicates";  ///< how MPI ranks split the work: replicates | members
  std::optional<long long> batch_replicates;  ///< replicates per engine state (default: what fits)
  std::string summary_json;        ///< path of the machine-readable run summary ("" = none)
  bool force = false;
  std::optional<long long> checkpoint_every;  ///< months between checkpoints (0 = none)
  bool resume = false;
  std::string command_line;  ///< as typed, for the resume hint
};

/// Default checkpoint rhythm: at a year end once this much time has passed since the start or
/// the last checkpoint.
constexpr double kDefaultCheckpointSeconds = 600.0;

/// The first SIGINT or SIGTERM asks the run to stop after the current month (a second one
/// kills: the handlers reset themselves).
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

void install_stop_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

/// What a checkpoint must match to be resumed: the data and every resolved scenario.
std::string run_identity(const ReferenceData& data, const std::vector<Scenario>& scenarios) {
  std::string id = "data=" + data.origin;
  for (const auto& s : scenarios) id += ";" + s.run.name + "=" + s.hash;
  return id;
}

ScenarioOverrides overrides_from(const RunOptions& o) {
  ScenarioOverrides ov;
  if (!o.members.empty()) {
    if (o.members == "full") {
      ov.members_full = true;
    } else {
      long long n = 0;
      std::size_t used = 0;
      try {
        n = std::stoll(o.members, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != o.members.size() || o.members.empty()) {
        throw UsageError("--members: expected an integer in 1..4294967295 or 'full', got '" +
                         o.members + "'");
      }
      ov.members = checked<std::uint64_t>("--members", n, 1, 4294967295LL);
    }
  }
  if (o.years) ov.years = checked<int>("--years", *o.years, 1, 50);
  if (o.replicates) ov.replicates = checked<int>("--replicates", *o.replicates, 1, 100000);
  if (o.seed) ov.seed = checked<std::uint32_t>("--seed", *o.seed, 0, 4294967295LL);
  if (o.start_year) ov.start_year = checked<int>("--start-year", *o.start_year, 2000, 2100);
  return ov;
}

std::string default_output_path(const std::string& name) {
  const std::string stamp = utc_timestamp();  // YYYY-MM-DDTHH:MM:SSZ
  std::string compact;
  for (char c : stamp) {
    if (c != '-' && c != ':' && c != 'Z') compact += (c == 'T' ? '-' : c);
  }
  return "results/" + name + "-" + compact + ".h5";
}

/// A one-line progress display on a terminal (stderr), nothing otherwise.
class Progress {
 public:
  /// `member_months_per_month`: member-months one simulated month of one scenario represents.
  Progress(bool enabled, int scenarios, double member_months_per_month)
      : m_enabled(enabled && isatty(STDERR_FILENO)),
        m_scenarios(scenarios),
        m_per_month(member_months_per_month),
        m_start(std::chrono::steady_clock::now()) {}
  void update(int scenario_index, const std::string& scenario, int done, int total) {
    if (!m_enabled) return;
    const double months_done = static_cast<double>(scenario_index) * total + done;
    const double months_all = static_cast<double>(m_scenarios) * total;
    const double seconds = seconds_since(m_start);
    const double eta = months_done > 0 ? seconds * (months_all - months_done) / months_done : 0;
    const int width = 24, filled = static_cast<int>(width * months_done / months_all);
    std::fprintf(stderr, "\r  [%.*s%*s] %3.0f%%  %-20.20s month %3d/%-3d  %.3g member-months/s  ETA %.0f s ",
                 filled, "########################", width - filled, "", 100.0 * months_done / months_all,
                 scenario.c_str(), done, total,
                 seconds > 0 ? months_done * m_per_month / seconds : 0.0, eta);
    std::fflush(stderr);
  }
  void finish() {
    if (m_enabled) std::fprintf(stderr, "\r%130s\r", "");
  }

 private:
  bool m_enabled;
  int m_scenarios;
  double m_per_month;
  std::chrono::steady_clock::time_point m_start;
};

/// Writes the machine-readable run summary (--summary-json) atomically.
void write_summary_json(const std::string& path, const nlohmann::json& summary) {
  const std::string tmp = path + ".partial";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << summary.dump(2) << "\n";
    if (!out) throw IoError(path + ": cannot write the run summary");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot write the run summary");
  }
}

/// Refuses an output path that exists (unless `force`) or whose directory does not (`create`:
/// makes the directory instead, for a default path).
void check_output_path(const std::string& out, bool force, bool create) {
  if (fs::exists(out) && !force) {
    throw IoError(out + ": output exists; choose another --out or pass --force to replace it");
  }
  const fs::path parent = fs::path(out).parent_path();
  if (!parent.empty() && !fs::exists(parent)) {
    if (create) {
      fs::create_directories(parent);
    } else {
      throw IoError(out + ": directory '" + parent.string() + "' does not exist");
    }
  }
}

/// The version, engine and data of a results file's root attributes.
void describe_engine(const Engine& engine, const ReferenceData& data, RunMetadata& meta) {
  meta.phsim_version = PHSIM_VERSION;
  meta.git_describe = PHSIM_GIT_DESCRIBE;
  meta.backend = to_string(engine.backend());
  meta.device = engine.device_name();
  meta.threads = engine.threads();
  meta.bytes_per_member = static_cast<int>(kBytesPerMember);
  meta.data_origin = data.origin;
}

int cmd_run(const RunOptions& o, const CommonOptions& common) {
  const ReferenceData data = load_data(common);
  std::vector<Scenario> scenarios;
  if (o.scenario_files.empty()) {
    scenarios.push_back(load_default_scenario(data));
  } else {
    for (const auto& f : o.scenario_files) {
      for (auto& s : load_scenarios(f, data)) scenarios.push_back(std::move(s));  // [sweep] expands
    }
  }
  const ScenarioOverrides ov = overrides_from(o);
  for (auto& s : scenarios) apply_overrides(s, ov, data);
  for (const auto& s : scenarios) {
    const auto& a = scenarios.front().run;
    PHSIM_EXPECTS(s.run.years == a.years && s.run.replicates == a.replicates &&
                      s.run.members == a.members && s.run.members_full == a.members_full &&
                      s.run.start_year == a.start_year,
                  s.source + ": run.years, run.replicates, run.members and run.start_year must "
                             "equal those of " + scenarios.front().source +
                      " to share one output file (override them on the command line)",
                  UsageError);
    // Scenarios in one run share random numbers, so their differences are paired.
    PHSIM_EXPECTS(s.run.seed == a.seed,
                  s.source + ": run.seed " + std::to_string(s.run.seed) + " differs from " +
                      std::to_string(a.seed) + " in " + scenarios.front().source +
                      "; scenarios in one run share a seed (common random numbers): set --seed",
                  UsageError);
    for (const auto& other : scenarios) {
      PHSIM_EXPECTS(&other == &s || other.run.name != s.run.name,
                    s.source + ": two scenarios are named '" + s.run.name +
                        "'; give each a distinct run.name",
                    UsageError);
    }
  }

  Cluster& cluster = Cluster::world();
  const bool lead = cluster.rank() == 0;  // rank 0 logs and writes the output
  const bool talk = lead && !o.quiet && o.log_level != "quiet";
  EngineOptions eo;
  eo.backend = parse_backend(o.backend);
  if (o.threads) {
    eo.threads = checked<int>("--threads", *o.threads, 0, 1024);
  } else if (cluster.local_size() > 1) {  // share the node's cores among its ranks
    eo.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / cluster.local_size());
  }
  PHSIM_EXPECTS(!cluster.distributed() || !o.out.empty(),
                "a run of " + std::to_string(cluster.size()) + " MPI ranks needs --out (one name for all ranks)",
                UsageError);

  PHSIM_EXPECTS(!o.resume || !o.out.empty(),
                "--resume: give --out, the output file of the interrupted run (its checkpoint is <out>.ckpt)",
                UsageError);
  const std::string out = o.out.empty() ? default_output_path(scenarios.front().run.name) : o.out;
  check_output_path(out, o.force, o.out.empty());
  // One checkpoint per rank; a resumed run uses the same number of ranks.
  const std::string checkpoint_path =
      cluster.distributed() ? out + ".rank" + std::to_string(cluster.rank()) + ".ckpt" : out + ".ckpt";
  // Member sharding: every rank runs every replicate on a county shard of the members.
  const bool by_members = cluster.distributed() && o.shard == "members";
  const std::string identity = run_identity(data, scenarios) + ";ranks=" + std::to_string(cluster.size()) +
                               ";rank=" + std::to_string(cluster.rank()) + ";shard=" + o.shard;
  const auto [first_replicate, my_replicates] =
      by_members ? std::pair<std::uint32_t, std::uint32_t>{0u, static_cast<std::uint32_t>(scenarios.front().run.replicates)}
                 : cluster.replicate_block(scenarios.front().run.replicates);
  RunCheckpoint resume_from;
  if (o.resume && my_replicates > 0) {
    PHSIM_EXPECTS(fs::exists(checkpoint_path),
                  checkpoint_path + ": no checkpoint to resume (run without --resume to start)", IoError);
    resume_from = read_checkpoint(checkpoint_path);
    PHSIM_EXPECTS(resume_from.header.identity == identity,
                  checkpoint_path + ": checkpoint of another run (different scenarios, settings or data); "
                  "resume with the same scenario files and options, or remove it to start over",
                  UsageError);
    if (resume_from.header.phsim_version != PHSIM_GIT_DESCRIBE) {
      std::cerr << "phsim: warning: " << checkpoint_path << " was written by phsim "
                << resume_from.header.phsim_version << ", this is " << PHSIM_GIT_DESCRIBE << "\n";
    }
  }
  if (o.resume && by_members) {
    // Shards step in lockstep, so they must resume from the same month. A job killed while its
    // shards were writing their periodic checkpoints can leave them a checkpoint apart.
    const std::uint64_t at = (static_cast<std::uint64_t>(resume_from.finished.size()) << 32) |
                             static_cast<std::uint32_t>(resume_from.current.months_done);
    const auto all = cluster.gather_all({at});
    PHSIM_EXPECTS(std::all_of(all.begin(), all.end(), [at](std::uint64_t x) { return x == at; }),
                  checkpoint_path + ": the shards' checkpoints are from different months (the job was "
                  "killed while they were being written); they cannot be resumed together: start over "
                  "with --force",
                  UsageError);
  } else if (!o.resume && fs::exists(checkpoint_path) && !o.force) {
    throw IoError(checkpoint_path + ": an interrupted run left this checkpoint; continue it with --resume, "
                  "or pass --force to start over");
  }

  const std::uint64_t members = members_per_replicate(scenarios.front().run, data);
  const std::uint64_t shard_members =
      by_members ? members / static_cast<std::uint64_t>(cluster.size()) + 1 : members;
  // Replicates per batch: as many of this rank's replicates as the backend's memory holds.
  const MemoryBudget memory{host_memory_available(), memory_available(eo)};
  std::uint32_t batch = o.batch_replicates
                            ? checked<std::uint32_t>("--batch-replicates", *o.batch_replicates, 1, 100000)
                            : plan_batch(data, scenarios.front().run, shard_members, my_replicates,
                                         scenarios.size(), eo.backend, cluster.rank() == 0, memory);
  if (o.resume && my_replicates > 0) batch = resume_from.header.batch_replicates;  // same units
  batch = std::max(1u, std::min(batch, std::max(my_replicates, 1u)));
  if (o.batch_replicates && !o.resume) {
    // A batch asked for must fit as a planned one would (the plan names the figures when not
    // even one replicate does).
    const std::uint32_t fit = plan_batch(data, scenarios.front().run, shard_members, batch, scenarios.size(),
                                         eo.backend, cluster.rank() == 0, memory);
    if (fit < batch) {
      throw UsageError("--batch-replicates " + std::to_string(batch) + ": at most " + std::to_string(fit) +
                       " replicate(s) of " + std::to_string(shard_members) +
                       " members fit the backend's free memory; use a smaller batch or leave the option out");
    }
  }
  auto engine = make_engine(eo);
  if (talk && cluster.distributed()) {
    if (by_members) {
      std::cerr << "phsim: " << cluster.size() << " MPI ranks, each with a county shard of every replicate\n";
    } else {
      std::cerr << "phsim: " << cluster.size() << " MPI ranks; rank 0 runs replicates " << first_replicate << ".."
                << first_replicate + my_replicates - 1 << " of each scenario\n";
    }
  }
  if (talk) {
    std::cerr << "phsim " << PHSIM_VERSION << " (" << PHSIM_GIT_DESCRIBE << "): "
              << scenarios.size() << " scenario(s), " << members << " members x "
              << scenarios.front().run.replicates << " replicate(s), "
              << scenarios.front().run.years << " year(s) from " << scenarios.front().run.start_year
              << ", seed " << scenarios.front().run.seed << "\n"
              << "  backend " << to_string(engine->backend()) << " on " << engine->device_name()
              << " (" << engine->threads() << " thread(s)), " << kBytesPerMember
              << " bytes of state per member\n";
    if (batch < my_replicates) {
      std::cerr << "  replicates run in batches of " << batch << " ("
                << (o.resume ? "as in the run resumed"
                    : o.batch_replicates ? "--batch-replicates"
                    : eo.backend == Backend::Cuda ? "what fits the device memory"
                                                  : "what fits the host memory")
                << ")\n";
    }
  }

  // The work of this rank: per scenario, its replicates in batches (one engine state each).
  struct Unit {
    std::size_t scenario;
    std::uint32_t first, count;
  };
  std::vector<Unit> units;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    if (my_replicates == 0) units.push_back({i, 0, 0});  // more ranks than replicates
    for (std::uint32_t b = 0; b < my_replicates; b += batch) {
      units.push_back({i, first_replicate + b, std::min(batch, my_replicates - b)});
    }
  }
  PHSIM_EXPECTS(resume_from.finished.size() < units.size() || !o.resume || my_replicates == 0,
                checkpoint_path + ": checkpoint of another run (its work is all done)", UsageError);

  Progress progress(talk, static_cast<int>(units.size()), static_cast<double>(shard_members) * batch);
  std::vector<ScenarioResults> done = std::move(resume_from.finished);  // per unit
  for (std::size_t u = 0; u < done.size(); ++u) {  // run settings are not stored: restore them
    done[u].run = scenarios[units[u].scenario].run;
    done[u].run.replicates = static_cast<int>(units[u].count);
  }
  if (o.resume && talk) {
    std::cerr << "  resuming from " << checkpoint_path << ": " << done.size() << " of " << units.size()
              << " part(s) done, " << resume_from.current.months_done << " month(s) of the next\n";
  }
  RunMetadata meta;
  const CheckpointHeader header{identity, PHSIM_GIT_DESCRIBE, batch};
  auto last_checkpoint = std::chrono::steady_clock::now();
  bool checkpoint_ok = false;  // the latest checkpoint attempt succeeded
  RunControl control;
  control.want_checkpoint = [&](int months, int) {
    if (o.checkpoint_every) return *o.checkpoint_every > 0 && months % *o.checkpoint_every == 0;
    const bool due = months % 12 == 0 && seconds_since(last_checkpoint) >= kDefaultCheckpointSeconds;
    return by_members ? cluster.any(due) : due;  // shards checkpoint the same month
  };
  // Shards stop together (they exchange every month); replicate blocks stop independently.
  control.stop_requested = [&] { return by_members ? cluster.any(g_stop_signal != 0) : g_stop_signal != 0; };
  if (by_members) {
    control.exchange = &cluster;
    control.shard = cluster.rank();
    control.shards = cluster.size();
  }
  install_stop_handlers();
  for (std::size_t u = done.size(); u < units.size(); ++u) {
    const Scenario& s = scenarios[units[u].scenario];
    const int index = static_cast<int>(u);
    control.progress = [&](int months, int total) { progress.update(index, s.run.name, months, total); };
    control.resume = o.resume && u == done.size() && resume_from.current.months_done > 0
                         ? &resume_from.current : nullptr;
    control.write_checkpoint = [&](const ScenarioCheckpoint& ck) {
      try {
        write_checkpoint(checkpoint_path, header, done, ck);
        checkpoint_ok = true;
        if (o.log_level == "debug") {
          std::cerr << "\n  checkpoint: " << checkpoint_path << " (" << s.run.name << ", month "
                    << ck.months_done << ")\n";
        }
      } catch (const IoError& e) {
        checkpoint_ok = false;
        std::cerr << "\nphsim: warning: " << e.what() << " (the run continues)\n";
      }
      last_checkpoint = std::chrono::steady_clock::now();
    };
    control.first_replicate = units[u].first;
    control.replicate_count = units[u].count;
    try {
      if (units[u].count == 0) {  // nothing to do but take part in the gather
        done.emplace_back().run = s.run;
        done.back().run.replicates = 0;
      } else {
        done.push_back(run_scenario(ScenarioConfig{s.run, s.policy, s.interventions}, data, *engine, control));
      }
    } catch (const Interrupted& e) {
      progress.finish();
      const int sig = g_stop_signal;
      std::string resume_cmd = o.command_line;
      if (o.out.empty()) resume_cmd += " --out " + out;
      if (!o.resume) resume_cmd += " --resume";
      if (lead || !checkpoint_ok) {
        std::cerr << "phsim: interrupted by " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ": " << e.what()
                  << "; "
                  << (checkpoint_ok ? "state saved to " + checkpoint_path + "; continue with: " + resume_cmd
                                    : std::string("no checkpoint could be written"))
                  << "\n";
      }
      return 128 + sig;
    }
    resume_from.current = ScenarioCheckpoint{};  // free the restored state
  }
  progress.finish();

  // One result per scenario: its batches joined in replicate order.
  std::vector<ScenarioResults> results;
  for (std::size_t u = 0; u < units.size(); ++u) {
    if (results.size() <= units[u].scenario) {
      results.push_back(std::move(done[u]));
    } else {
      append_replicates(results.back(), done[u]);
    }
    done[u] = ScenarioResults{};
  }
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const Scenario& s = scenarios[i];
    if (o.log_level == "debug" && lead) {
      std::cerr << "  " << s.run.name << ": " << results[i].seconds << " s; calibrated base log-odds:";
      for (std::size_t k = 0; k < results[i].calibrated_base_logit.size(); ++k) {
        std::cerr << " " << data.measures[k].id << "=" << results[i].calibrated_base_logit[k];
      }
      std::cerr << "\n";
    }
    meta.scenario_names.push_back(s.run.name);
    meta.scenario_tomls.push_back(s.resolved_toml);
    meta.scenario_hashes.push_back(s.hash);
  }

  describe_engine(*engine, data, meta);
  std::uint64_t bytes_received = 0;
  for (auto& r : results) {
    if (by_members) break;  // every shard already holds the whole results
    cluster.gather_replicates(r, scenarios.front().run.replicates);
    bytes_received += cluster.bytes_received();
  }
  const auto write_start = std::chrono::steady_clock::now();
  if (lead) write_results(out, data, results, meta);
  const double seconds_output = seconds_since(write_start);
  cluster.barrier();  // a rank 0 that failed to write has aborted the job: checkpoints stay
  std::remove(checkpoint_path.c_str());  // the output holds everything now
  if (!lead) return 0;

  if (talk) {
    double seconds = 0;
    for (const auto& r : results) seconds += r.seconds;
    const double member_months = static_cast<double>(members) * scenarios.front().run.replicates *
                                 scenarios.front().run.years * 12.0 * results.size();
    std::fprintf(stderr, "  simulated %.3g member-months in %.2f s (%.3g member-months/s); results written in %.2f s\n",
                 member_months, seconds, seconds > 0 ? member_months / seconds : 0.0, seconds_output);
  }
  if (!o.summary_json.empty()) {
    double seconds = 0;
    for (const auto& r : results) seconds += r.seconds;
    const double member_months = static_cast<double>(members) * scenarios.front().run.replicates *
                                 scenarios.front().run.years * 12.0 * static_cast<double>(results.size());
    nlohmann::json j;
    j["output"] = out;
    j["phsim_version"] = PHSIM_VERSION;
    j["git_describe"] = PHSIM_GIT_DESCRIBE;
    j["backend"] = meta.backend;
    j["device"] = meta.device;
    j["threads"] = meta.threads;
    j["seed"] = scenarios.front().run.seed;
    j["members"] = members;
    j["replicates"] = scenarios.front().run.replicates;
    j["years"] = scenarios.front().run.years;
    j["start_year"] = scenarios.front().run.start_year;
    j["scenarios"] = nlohmann::json::array();
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      j["scenarios"].push_back({{"name", scenarios[i].run.name},
                                {"source", scenarios[i].source},
                                {"hash", scenarios[i].hash},
                                {"seconds", results[i].seconds}});
    }
    j["seconds"] = seconds;
    j["seconds_output"] = seconds_output;
    j["member_months"] = member_months;
    j["member_months_per_s"] = seconds > 0 ? member_months / seconds : 0.0;
    j["bytes_per_member"] = kBytesPerMember;
    j["processes"] = cluster.size();
    j["batch_replicates"] = batch;
    j["mpi_shard"] = o.shard;
    j["mpi_bytes_received_by_rank0"] = bytes_received;
    j["mpi_exchange_bytes_sent_by_rank0"] = cluster.exchange_bytes_sent();
    write_summary_json(o.summary_json, j);
  }
  std::cout << "wrote " << out << "\n";
  return 0;
}

struct BenchOptions {
  std::string members = "1000000";  ///< an integer or "full"
  long long months = 12, replicates = 1;
  std::optional<long long> threads;
  std::string backend = "cpu";
  std::string member_order = "grouped";
  std::string draws = "batched";
  std::string simd = "avx512";
  bool json = false;
  std::string out;  ///< keep the results file here; empty: a temporary file, removed
  bool force = false;
};

int cmd_bench(const BenchOptions& o, const CommonOptions& common) {
  const ReferenceData data = load_data(common);
  BenchmarkOptions bo;
  if (o.members == "full") {
    bo.members = static_cast<std::uint64_t>(data.total_enrollment());
  } else {
    long long n = 0;
    std::size_t used = 0;
    try {
      n = std::stoll(o.members, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != o.members.size()) {
      throw UsageError("--members: expected an integer in 1..4000000000 or 'full', got '" + o.members + "'");
    }
    bo.members = checked<std::uint64_t>("--members", n, 1, 4000000000LL);
  }
  bo.months = checked<int>("--months", o.months, 1, 600);
  bo.replicates = checked<int>("--replicates", o.replicates, 1, 100000);
  EngineOptions eo;
  eo.backend = parse_backend(o.backend);
  if (o.threads) eo.threads = checked<int>("--threads", *o.threads, 0, 1024);
  eo.order_members = o.member_order == "grouped";
  eo.batched_draws = o.draws == "batched";
  for (const SimdLevel level : {SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512}) {
    if (o.simd == simd_level_name(level)) eo.max_simd = level;
  }
  if (!o.out.empty()) check_output_path(o.out, o.force, false);  // before the bench, not after it
  auto engine = make_engine(eo);
  check_benchmark_memory(bo, data, memory_available(eo), host_memory_available(), eo.backend == Backend::Cpu);
  BenchmarkResult r = run_benchmark(bo, data, *engine);
  // The results file of the benchmarked months, written and timed as `phsim run` writes one.
  RunMetadata meta;
  describe_engine(*engine, data, meta);
  meta.scenario_names = {r.results.run.name};
  meta.scenario_tomls = {"# phsim bench --members " + std::to_string(bo.members) + " --months " +
                         std::to_string(bo.months) + " --replicates " + std::to_string(bo.replicates) +
                         " (seed " + std::to_string(bo.seed) +
                         "): the default policy, no parameter draws; not a scenario\n"};
  meta.scenario_hashes = {""};
  const std::string path = !o.out.empty() ? o.out
                           : (fs::temp_directory_path() / ("phsim-bench-" + std::to_string(::getpid()) + ".h5")).string();
  const auto write_start = std::chrono::steady_clock::now();
  write_results(path, data, {std::move(r.results)}, meta);
  r.seconds_output = seconds_since(write_start);
  if (o.out.empty()) fs::remove(path);
  std::cout << (o.json ? to_json(r) + "\n" : to_text(r));
  return 0;
}

int cmd_check(const std::vector<std::string>& files, const CommonOptions& common) {
  const ReferenceData data = load_data(common);
  for (const auto& f : files) {
    for (const Scenario& s : load_scenarios(f, data)) {
      std::cout << f << ": OK (scenario '" << s.run.name << "', " << s.run.years << " year(s) from "
                << s.run.start_year << ", "
                << (s.run.members_full ? std::string("full") : std::to_string(s.run.members))
                << " members, " << s.run.replicates << " replicate(s), seed " << s.run.seed << ", "
                << s.interventions.size() << " intervention(s), hash " << s.hash << ")\n";
    }
  }
  return 0;
}

int cmd_data(bool json, const CommonOptions& common) {
  const ReferenceData data = load_data(common);
  std::cout << (json ? describe_reference_data_json(data) : describe_reference_data(data));
  if (json) std::cout << "\n";
  return 0;
}

int cmd_info(const std::string& path) {
  PHSIM_EXPECTS(fs::exists(path), path + ": no such file", IoError);
  std::string text;
  const bool ok = describe_results(path, text);
  std::cout << text;
  if (!ok) {
    std::cerr << "phsim: error: " << path << " failed its consistency checks (listed above)\n";
    return 1;
  }
  return 0;
}

struct CompareCliOptions {
  std::string file;
  CompareOptions compare;
  bool csv = false;
};

int cmd_compare(const CompareCliOptions& o) {
  PHSIM_EXPECTS(fs::exists(o.file), o.file + ": no such file", IoError);
  const CompareResult r = compare_results(o.file, o.compare);
  std::cout << (o.csv ? format_compare_csv(r) : format_compare_table(r));
  return 0;
}

/// `phsim report`: the figures are drawn by tools/phsim_report.py (h5py, matplotlib), run with
/// Debian's Python and every argument passed through.
int cmd_report(const std::vector<std::string>& args) {
  const char* env = std::getenv("PHSIM_REPORT_SCRIPT");
  const std::string script = env && *env ? env : PHSIM_REPORT_SCRIPT;
  PHSIM_EXPECTS(fs::exists(script),
                "report: the report script " + script + " is missing (set PHSIM_REPORT_SCRIPT)", IoError);
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::vector<std::string> words{python, script};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::cout.flush();
  ::execvp(argv[0], argv.data());
  throw IoError("report: cannot run " + python + ": " + std::strerror(errno));
}

}  // namespace

int cli_main(int argc, char** argv) {
  CLI::App app{"phsim: GPU-accelerated microsimulation of Medi-Cal managed care"};
  app.set_version_flag("--version", std::string("phsim ") + PHSIM_VERSION + " (" +
                                        PHSIM_GIT_DESCRIBE + ")");
  app.require_subcommand(1);
  CommonOptions common;

  RunOptions ro;
  auto* run = app.add_subcommand("run", "Simulate scenarios and write results to HDF5");
  run->add_option("scenarios", ro.scenario_files,
                  "Scenario TOML files (default: the embedded baseline)");
  run->add_option("--members", ro.members, "Members per replicate: an integer or 'full'");
  run->add_option("--years", ro.years, "Measurement years to simulate (1..50)");
  run->add_option("--start-year", ro.start_year, "First measurement year (2000..2100)");
  run->add_option("--replicates", ro.replicates, "Monte Carlo replicates (1..100000)");
  run->add_option("--seed", ro.seed, "Random seed (0..4294967295)");
  run->add_option("--backend", ro.backend, "cpu (default) or cuda");
  run->add_option("--threads", ro.threads, "CPU threads (0 = all cores)");
  run->add_option("--out", ro.out, "Output file (default results/<scenario>-<time>.h5)");
  run->add_flag("--force", ro.force, "Replace an existing output file");
  run->add_flag("--quiet,-q", ro.quiet, "No progress or summary on stderr");
  run->add_option("--log-level", ro.log_level, "quiet, info (default) or debug")
      ->check(CLI::IsMember({"quiet", "info", "debug"}));
  run->add_option("--summary-json", ro.summary_json, "Write a machine-readable run summary here");
  run->add_option("--checkpoint-every", ro.checkpoint_every,
                  "Write <out>.ckpt every N months (0 = only when interrupted; default: at a year "
                  "end when 10 minutes have passed since the last one)");
  run->add_flag("--resume", ro.resume, "Continue the interrupted run whose checkpoint is <out>.ckpt");
  run->add_option("--batch-replicates", ro.batch_replicates,
                  "Replicates simulated at once (default: as many as fit the memory)");
  run->add_option("--shard", ro.shard,
                  "Under MPI: ranks split the replicates (default) or hold county shards of the members")
      ->check(CLI::IsMember({"replicates", "members"}));
  run->add_option("--data", common.data_dir, "Reference-data directory (default: embedded)");

  std::vector<std::string> check_files;
  auto* check = app.add_subcommand("check", "Validate scenario files without running them");
  check->add_option("scenarios", check_files, "Scenario TOML files")->required();
  check->add_option("--data", common.data_dir, "Reference-data directory (default: embedded)");

  bool json = false;
  auto* data = app.add_subcommand("data", "Summarize the reference data");
  data->add_flag("--json", json, "Print JSON");
  data->add_option("--data", common.data_dir, "Reference-data directory (default: embedded)");

  BenchOptions bench_opts;
  auto* bench = app.add_subcommand("bench", "Time the monthly step on a synthesized population");
  bench->add_option("--members", bench_opts.members,
                    "Enrolled members per replicate: an integer or 'full' (default 1000000)");
  bench->add_option("--months", bench_opts.months, "Months to step (default 12)");
  bench->add_option("--replicates", bench_opts.replicates, "Replicates per launch (default 1)");
  bench->add_option("--backend", bench_opts.backend, "cpu (default) or cuda");
  bench->add_option("--threads", bench_opts.threads, "CPU threads (0 = all cores)");
  bench->add_option("--member-order", bench_opts.member_order,
                    "grouped (default): slots grouped by the members' path through the step; id: "
                    "slots in member-id order (same results, for timing the difference)")
      ->check(CLI::IsMember({"grouped", "id"}));
  bench->add_option("--draws", bench_opts.draws,
                    "batched (default): the CPU steps a tile of members together with vector "
                    "instructions (random blocks, quiet months, measure walks, tally; the setup's "
                    "random blocks too); member: one member at a time (same results, for timing "
                    "the difference; the GPU always steps per member)")
      ->check(CLI::IsMember({"batched", "member"}));
  bench->add_option("--simd", bench_opts.simd,
                    "batched: the highest vector instructions the CPU step and tally may use, scalar, "
                    "avx2 or avx512 (default; at most what the CPU runs), for timing other CPUs' paths")
      ->check(CLI::IsMember({"scalar", "avx2", "avx512"}));
  bench->add_flag("--json", bench_opts.json, "Print one JSON object");
  bench->add_option("--out", bench_opts.out,
                    "Keep the results file of the benchmarked months here (default: written to a "
                    "temporary file, timed as output, and removed)");
  bench->add_flag("--force", bench_opts.force, "Replace an existing --out file");
  bench->add_option("--data", common.data_dir, "Reference-data directory (default: embedded)");

  std::string info_path;
  auto* info = app.add_subcommand("info", "Describe and check a results file");
  info->add_option("file", info_path, "Results file (.h5)")->required();

  CompareCliOptions compare_opts;
  auto* compare = app.add_subcommand(
      "compare", "Paired differences (alt - base) between two scenarios of a results file");
  compare->add_option("file", compare_opts.file, "Results file (.h5) with several scenarios")
      ->required();
  compare->add_option("--base", compare_opts.compare.base, "Base scenario name")->required();
  compare->add_option("--alt", compare_opts.compare.alt, "Alternative scenario name")->required();
  compare->add_option("--measure", compare_opts.compare.measure, "Only this measure id");
  compare->add_option("--by", compare_opts.compare.by, "county, plan or none (default: statewide)");
  compare->add_flag("--csv", compare_opts.csv, "Print CSV instead of a table");

  std::vector<std::string> report_args;
  auto* report = app.add_subcommand(
      "report", "Figures and an HTML page from a results file (RESULTS.h5 --out DIR; --help for more)");
  report->prefix_command();  // everything after `report` goes to the report script
  report->set_help_flag();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == std::string::npos;
    std::string quoted = "'";
    for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    ro.command_line += (i ? " " : "") + (plain ? arg : quoted + "'");
  }
  try {
    if (*run) {
      if (ro.checkpoint_every) checked<long long>("--checkpoint-every", *ro.checkpoint_every, 0, 600);
      const int code = cmd_run(ro, common);
      Cluster::world().finalize();
      return code;
    }
    if (*check) return cmd_check(check_files, common);
    if (*data) return cmd_data(json, common);
    if (*info) return cmd_info(info_path);
    if (*bench) return cmd_bench(bench_opts, common);
    if (*compare) return cmd_compare(compare_opts);
    if (*report) return cmd_report(report->remaining());
  } catch (const Error& e) {
    if (Cluster::world().distributed()) Cluster::world().abort(e.what(), 1);  // ends every rank
    std::cerr << "phsim: error: " << e.what() << "\n";
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "phsim: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "phsim: error: out of memory; reduce --members or --replicates\n";
    return 1;
  }
  return 2;
}

}  // namespace phsim
