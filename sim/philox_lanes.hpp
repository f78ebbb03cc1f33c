#pragma once
/// @file Philox4x32-10 for several counters at once on the CPU (AVX2 when the processor has it,
/// Random123's scalar code otherwise). The integers are those of r123::Philox4x32 for every
/// counter: a CPU fast path, not another generator (tests/kernels/test_philox_lanes.cpp).
#include <cstdint>

namespace phsim::cpu {

/// Counters processed together.
inline constexpr int kPhiloxLanes = 8;

/// Four 32-bit words of kPhiloxLanes counters or blocks, word by word: word[w][lane].
struct PhiloxLanes {
  alignas(32) std::uint32_t word[4][kPhiloxLanes];
};

/// How philox_lanes() computes.
enum class PhiloxPath { Best, Scalar };

/// Philox4x32-10 under the key (k0, k1) of every lane's counter `ctr` into `out`.
void philox_lanes(std::uint32_t k0, std::uint32_t k1, const PhiloxLanes& ctr, PhiloxLanes& out,
                  PhiloxPath path = PhiloxPath::Best);

/// Whether PhiloxPath::Best uses the vector instructions on this processor.
bool philox_lanes_vectorized();

}  // namespace phsim::cpu
