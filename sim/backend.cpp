#include <fstream>
#include <string>

#include "sim/backend_factory.hpp"
#include "sim/engine.hpp"
#include "sim/errors.hpp"

namespace phsim {

const char* to_string(Backend b) { return b == Backend::Cuda ? "cuda" : "cpu"; }

bool cuda_available(std::string* reason) {
#if defined(PHSIM_HAVE_CUDA)
  return cuda::device_usable(0, reason);
#else
  if (reason) *reason = "this phsim was built without the CUDA backend (nvcc was not found)";
  return false;
#endif
}

std::uint64_t host_memory_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  std::uint64_t kib = 0;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

std::uint64_t memory_available(const EngineOptions& options) {
  if (options.backend == Backend::Cpu) return host_memory_available();
#if defined(PHSIM_HAVE_CUDA)
  return cuda::memory_available(options.device);
#else
  return 0;
#endif
}

std::unique_ptr<Engine> make_engine(const EngineOptions& options) {
  if (options.backend == Backend::Cpu) return cpu::make_thrust_engine(options);
#if defined(PHSIM_HAVE_CUDA)
  std::string reason;
  if (!cuda::device_usable(options.device, &reason)) {
    throw CudaError("--backend cuda: " + reason + "; use --backend cpu");
  }
  return cuda::make_thrust_engine(options);
#else
  throw CudaError(
      "--backend cuda: this phsim was built without the CUDA backend (nvcc was not found); use "
      "--backend cpu");
#endif
}

}  // namespace phsim
