#pragma once
/// @file NVTX ranges around the engine's phases (synthesis, history, step, births, tally,
/// snapshot), shown by Nsight Systems on the CUDA backend. NVTX 3 is header-only and costs
/// nothing without a profiler attached; the CPU backend compiles the ranges away.
#include <thrust/detail/config.h>

#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA && __has_include(<nvtx3/nvToolsExt.h>)
#include <nvtx3/nvToolsExt.h>
#define PHSIM_NVTX 1
#endif

namespace phsim {

/// Marks a scope as a named range.
class NvtxRange {
 public:
#ifdef PHSIM_NVTX
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
#else
  explicit NvtxRange(const char*) {}
#endif
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace phsim
