#pragma once
/// @file Per-backend entry points. sim/engine.cu is compiled once per backend into namespace
/// phsim::cpu or phsim::cuda (PHSIM_BACKEND_NS); sim/backend.cpp dispatches between them.
#include <cstdint>
#include <memory>
#include <string>

#include "sim/engine.hpp"

namespace phsim {
namespace cpu {
std::unique_ptr<Engine> make_thrust_engine(const EngineOptions& options);
/// Sets the OpenMP/TBB worker count (0 = all cores) and returns the count in effect.
int set_threads(int threads);
}  // namespace cpu
namespace cuda {
std::unique_ptr<Engine> make_thrust_engine(const EngineOptions& options);
/// True if `device` can be used; otherwise false with the driver's reason.
bool device_usable(int device, std::string* reason);
std::string device_name(int device);
/// Free device memory in bytes (0 when the device cannot be queried).
std::uint64_t memory_available(int device);
/// Theoretical peak memory bandwidth in bytes/s: memory clock × 2 (double data rate) × bus
/// width (0 when the device cannot be queried).
double peak_bandwidth(int device);
/// Waits for the device's work to finish.
void synchronize();
}  // namespace cuda
}  // namespace phsim
