#pragma once
/// @file The CUDA backend's per-slot kernel, shared by the engine's slot loops (sim/engine.cu)
/// and the year-end tally (sim/tally_cuda.cu). Included only by CUDA translation units.
#include <cstdint>
#include <string>

#include "sim/errors.hpp"

namespace phsim::cuda {
namespace {

/// Threads per block of the per-slot kernels.
constexpr unsigned kSlotBlock = 256;

/// One slot per thread. Thrust's for_each gives each thread two slots and its kernel held the
/// fused step four times (23,312 instructions, 80 registers, spills; warps stalled on
/// instruction fetch); this kernel holds it once (6,120 instructions, 64 registers) and steps
/// 1.76 times as fast on an H200 (bench/RESULTS.md, GPU).
template <class F>
__global__ void __launch_bounds__(kSlotBlock) slot_kernel(F f, std::uint64_t n) {
  const std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * kSlotBlock + threadIdx.x;
  if (i < n) f(i);
}

inline void cuda_check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw CudaError(std::string(what) + ": " + cudaGetErrorString(err));
}

/// f(i) for every slot i in [0, n), one per thread. Synchronous like the Thrust algorithms
/// around it: a failed launch or a fault in the kernel is reported here, naming `what`.
template <class F>
void for_each_slot_on_device(F f, std::uint64_t n, const char* what) {
  if (n == 0) return;
  slot_kernel<<<static_cast<unsigned>((n + kSlotBlock - 1) / kSlotBlock), kSlotBlock>>>(f, n);
  cuda_check(cudaGetLastError(), (std::string(what) + " launch").c_str());
  cuda_check(cudaDeviceSynchronize(), what);
}

}  // namespace
}  // namespace phsim::cuda
