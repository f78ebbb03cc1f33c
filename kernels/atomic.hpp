#pragma once
/// @file Atomic integer addition usable from functors on both backends. Integer sums do not
/// depend on the order of additions, so tallies built with it are identical on any backend and
/// thread count.
#include "kernels/platform.hpp"

namespace phsim {

PHSIM_HD PHSIM_FORCEINLINE void atomic_add(unsigned long long* address, unsigned long long value) {
#if defined(__CUDA_ARCH__)
  atomicAdd(address, value);
#else
  __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
#endif
}

}  // namespace phsim
