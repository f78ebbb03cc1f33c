#pragma once
/// @file Philox4x32-10 blocks computed many at a time with the CPU's vector instructions: 16
/// counters per AVX-512 pass, 8 per AVX2 pass, one by one without either. The words are the
/// ones kernels/rng.hpp's Philox gives for the same key and counter, bit for bit (tested against
/// Random123 at every level this CPU has). Host code of the CPU backend only.
#include <cstddef>
#include <cstdint>

#include "kernels/rng.hpp"

namespace phsim {

/// Vector instructions the batch can use, least first.
/// Avx512: F, BW, VL and DQ (every AVX-512 CPU but the Xeon Phi).
enum class SimdLevel { Scalar = 0, Avx2 = 1, Avx512 = 2 };

/// The best level this CPU runs.
SimdLevel best_simd_level();

/// The best level this CPU runs, but no higher than `cap`.
inline SimdLevel simd_level_at_most(SimdLevel cap) { return best_simd_level() < cap ? best_simd_level() : cap; }

/// Name of a level ("scalar", "avx2", "avx512").
const char* simd_level_name(SimdLevel level);

/// Counters and results of up to kCapacity Philox blocks under one key, as four arrays of words
/// (lane j's block is (ctr[0][j], ctr[1][j], ctr[2][j], ctr[3][j]), its result out[w][j]).
struct PhiloxBatch {
  static constexpr std::size_t kCapacity = 2048;  // a multiple of 16
  alignas(64) std::uint32_t ctr[4][kCapacity];
  alignas(64) std::uint32_t out[4][kCapacity];
  std::size_t n = 0;

  /// Queues the block (member_id, month, replicate, block) and returns its lane.
  std::size_t add(std::uint32_t member_id, std::uint32_t month, std::uint32_t replicate,
                  std::uint32_t block) {
    ctr[0][n] = member_id;
    ctr[1][n] = month;
    ctr[2][n] = replicate;
    ctr[3][n] = block;
    return n++;
  }
  bool full(std::size_t more) const { return n + more > kCapacity; }
  RandomBlock result(std::size_t lane) const {
    return RandomBlock{{out[0][lane], out[1][lane], out[2][lane], out[3][lane]}};
  }
};

/// Fills out[][0 .. n) with the blocks of key (seed, stream), using `level` (at most the best
/// this CPU runs); lanes from n up to the next multiple of 16 are computed from zero counters.
void compute_philox_batch(PhiloxBatch& batch, std::uint32_t seed, RngStream stream,
                          SimdLevel level);

}  // namespace phsim
