#pragma once
/// @file The device engine: owns the member state on one backend and runs the per-member
/// passes. Host code (runner, tests, bench) talks to it only through this interface; the
/// implementation (sim/engine.cu) is compiled once per backend, so no Thrust type appears here.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/member.hpp"

namespace phsim {

struct SynthesisTables;

enum class Backend { Cpu, Cuda };

/// "cpu" / "cuda".
const char* to_string(Backend b);

struct EngineOptions {
  Backend backend = Backend::Cpu;
  int threads = 0;  ///< CPU threads (0 = all available); ignored by CUDA
  int device = 0;   ///< CUDA device ordinal
};

/// Host copy of the member arrays (one std::vector per field).
struct HostMembers {
#define PHSIM_HOST_FIELD(T, name, doc) std::vector<T> name;
  PHSIM_MEMBER_FIELDS(PHSIM_HOST_FIELD)
#undef PHSIM_HOST_FIELD
  std::size_t size() const { return member_id.size(); }
};

/// Owns the member arrays of `replicates` × `members` members on one backend.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual Backend backend() const = 0;
  /// CPU model name or GPU name.
  virtual std::string device_name() const = 0;
  /// CPU threads in use (1 for CUDA: the host side is single-threaded).
  virtual int threads() const = 0;

  /// Replaces the state with a new population of `members` members for each of `replicates`
  /// replicates, drawn from `tables` with `seed`, ages as of month index `start_month`.
  virtual void synthesize(const SynthesisTables& tables, std::uint32_t seed,
                          std::uint32_t replicates, std::int32_t start_month) = 0;

  /// Enrolled members per (replicate, contract), row-major [replicate][contract].
  virtual std::vector<std::int64_t> count_enrolled(std::size_t contracts) = 0;

  /// Members held (all replicates).
  virtual std::uint64_t size() const = 0;
  virtual std::uint32_t replicates() const = 0;
  /// Copies the member arrays to the host.
  virtual HostMembers download() const = 0;
};

/// Creates an engine. Throws CudaError if the CUDA backend was requested but is not built or no
/// device is usable (the message says which).
std::unique_ptr<Engine> make_engine(const EngineOptions& options);

/// True when the CUDA backend is built and a device is usable; otherwise false and `reason`
/// says why ("built without CUDA", "no CUDA device: <driver message>").
bool cuda_available(std::string* reason = nullptr);

/// Name of the host CPU (from /proc/cpuinfo), for logs and benchmarks.
std::string cpu_name();

}  // namespace phsim
