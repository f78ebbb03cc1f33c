// CPU backend only: worker-thread control for the Thrust OMP/TBB device system.
#include <omp.h>

#include <fstream>
#include <memory>
#include <string>

#include "sim/backend_factory.hpp"
#if defined(PHSIM_CPU_TBB)
#include <oneapi/tbb/global_control.h>
#endif

namespace phsim::cpu {

int set_threads(int threads) {
  const int n = threads > 0 ? threads : omp_get_num_procs();
  omp_set_num_threads(n);
#if defined(PHSIM_CPU_TBB)
  static std::unique_ptr<tbb::global_control> control;
  control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                  static_cast<std::size_t>(n));
#endif
  return n;
}

}  // namespace phsim::cpu

namespace phsim {

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

}  // namespace phsim
