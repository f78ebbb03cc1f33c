#pragma once
/// @file Host-side loops over independent items (replicates' tables) on the OpenMP threads.
#include <cstddef>
#include <cstdint>
#include <exception>

namespace phsim {

/// Calls f(i) for every i in [0, n), on the host's OpenMP threads (in turn without OpenMP). The
/// calls must be independent. If any throws, the loop finishes and one of the exceptions is
/// rethrown (an exception cannot leave an OpenMP region).
template <class F>
void parallel_for_host(std::size_t n, F&& f) {
  std::exception_ptr error;
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1)
#endif
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
    try {
      f(static_cast<std::size_t>(i));
    } catch (...) {
#if defined(_OPENMP)
#pragma omp critical(phsim_parallel_for_host)
#endif
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace phsim
