#pragma once
/// @file Counter-based random numbers (Random123 Philox4x32-10), identical under g++ and nvcc.
///
/// Key = (seed, stream); counter = (member_id, month, replicate, block). Never key by thread or
/// array slot: arrays are reordered, members are not. Conversions to uniforms and Bernoulli
/// decisions are integer-based so that both backends produce bit-identical results.
#include <cstdint>

#include <Random123/philox.h>

#include "kernels/platform.hpp"
#include "kernels/rng_streams.hpp"

namespace phsim {

/// Four 32-bit random words.
struct RandomBlock {
  std::uint32_t v[4];
};

/// 2^32 as a double and as an integer: the scale of Bernoulli thresholds.
inline constexpr double kTwoPow32 = 4294967296.0;
inline constexpr std::uint64_t kThresholdOne = 4294967296ull;

/// Philox4x32-10 generator for one (seed, stream, member, month, replicate) tuple.
/// Successive calls to next() walk the fourth counter word: block 0, 1, 2, ...
class Philox {
 public:
  PHSIM_HD Philox(std::uint32_t seed, RngStream stream, std::uint32_t member_id,
                  std::uint32_t month, std::uint32_t replicate) {
    m_key = {{seed, static_cast<std::uint32_t>(stream)}};
    m_ctr = {{member_id, month, replicate, 0u}};
  }

  /// The block with counter word 3 = `block`, without changing the position.
  PHSIM_HD RandomBlock block(std::uint32_t block) const {
    r123::Philox4x32::ctr_type c = m_ctr;
    c.v[3] = block;
    const r123::Philox4x32::ctr_type out = r123::Philox4x32()(c, m_key);
    return RandomBlock{{out.v[0], out.v[1], out.v[2], out.v[3]}};
  }

  /// Next 32-bit word (draws a new block every fourth call).
  PHSIM_HD std::uint32_t next_u32() {
    if (m_used == 4) {
      m_buf = block(m_next_block++);
      m_used = 0;
    }
    return m_buf.v[m_used++];
  }

  /// Uniform double in (0, 1): (x + 0.5) / 2^32, exact in double arithmetic.
  PHSIM_HD double uniform() { return to_uniform(next_u32()); }

  /// True with probability threshold / 2^32 (see probability_threshold()).
  PHSIM_HD bool bernoulli(std::uint64_t threshold) {
    return static_cast<std::uint64_t>(next_u32()) < threshold;
  }

  PHSIM_HD static double to_uniform(std::uint32_t x) {
    return (static_cast<double>(x) + 0.5) * (1.0 / kTwoPow32);
  }

 private:
  r123::Philox4x32::key_type m_key;
  r123::Philox4x32::ctr_type m_ctr;
  RandomBlock m_buf{{0, 0, 0, 0}};
  std::uint32_t m_used = 4;
  std::uint32_t m_next_block = 0;
};

/// Integer threshold t in [0, 2^32] such that (x < t) has probability p for a uniform 32-bit x.
/// p <= 0 gives 0 (never); p >= 1 gives 2^32 (always).
PHSIM_HD inline std::uint64_t probability_threshold(double p) {
  if (!(p > 0.0)) return 0;  // also catches NaN
  if (p >= 1.0) return kThresholdOne;
  return static_cast<std::uint64_t>(p * kTwoPow32 + 0.5);
}

/// Index k of the first of n bounds with v < bounds[k], n - 1 if none; bounds are
/// non-decreasing and only bounds[0 .. n - 2] are read. Branch-free: the range holding the
/// answer, [base, base + len), shrinks by a conditional move, so the steps do not depend on v
/// (no mispredicted branches on a CPU, no divergence on a GPU).
PHSIM_HD inline std::uint32_t first_above(const std::uint64_t* bounds, std::uint32_t n,
                                          std::uint64_t v) {
  std::uint32_t base = 0, len = n;
  while (len > 1) {
    const std::uint32_t half = len / 2;
    base = bounds[base + half - 1] <= v ? base + half : base;  // answer at or past base + half
    len -= half;
  }
  return base;
}

/// Index k of the first cumulative threshold with x < cum[k]; cum is non-decreasing, has n
/// entries and ends at 2^32, so a category is always found (n - 1 if none were).
PHSIM_HD inline std::uint32_t sample_cumulative(const std::uint64_t* cum, std::uint32_t n,
                                                std::uint32_t x) {
  return first_above(cum, n, x);
}

}  // namespace phsim
