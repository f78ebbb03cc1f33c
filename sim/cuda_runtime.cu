// CUDA backend only: device discovery. Never called from static initializers.
#include <cuda_runtime.h>

#include <string>

#include "sim/backend_factory.hpp"

namespace phsim::cuda {

bool device_usable(int device, std::string* reason) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (reason) *reason = std::string("no usable CUDA device (") + cudaGetErrorString(err) + ")";
    cudaGetLastError();  // clear the sticky error
    return false;
  }
  if (device < 0 || device >= count) {
    if (reason) {
      *reason = "CUDA device " + std::to_string(device) + " requested but " +
                std::to_string(count) + " device(s) present";
    }
    return false;
  }
  return true;
}

std::uint64_t memory_available(int device) {
  std::size_t free = 0, total = 0;
  if (cudaSetDevice(device) != cudaSuccess || cudaMemGetInfo(&free, &total) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return free;
}

double peak_bandwidth(int device) {
  int clock_khz = 0, bus_bits = 0;
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, device) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return 2.0 * clock_khz * 1e3 * bus_bits / 8.0;
}

void synchronize() { cudaDeviceSynchronize(); }

std::string device_name(int device) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) return "unknown CUDA device";
  return prop.name;
}

}  // namespace phsim::cuda
