// Batched Philox4x32-10 (sim/philox_batch.hpp). Each vector function is compiled for its own
// instruction set (GCC target attributes) and chosen at run time, so one binary runs on any
// x86-64 CPU and uses AVX-512 where there is one.
#include "sim/philox_batch.hpp"

#include "sim/simd_x86.hpp"

namespace phsim {
namespace {

// Philox4x32-10's multipliers and the Weyl increments of its key, as Random123 defines them.
constexpr std::uint32_t kM0 = PHILOX_M4x32_0, kM1 = PHILOX_M4x32_1;
constexpr std::uint32_t kW0 = PHILOX_W32_0, kW1 = PHILOX_W32_1;
constexpr int kRounds = PHILOX4x32_DEFAULT_ROUNDS;

/// Lanes [0, n) one by one, with the generator the member-by-member step uses.
void philox_scalar(PhiloxBatch& b, std::uint32_t seed, RngStream stream) {
  for (std::size_t j = 0; j < b.n; ++j) {
    const RandomBlock r = Philox(seed, stream, b.ctr[0][j], b.ctr[1][j], b.ctr[2][j]).block(b.ctr[3][j]);
    for (int w = 0; w < 4; ++w) b.out[w][j] = r.v[w];
  }
}

#if PHSIM_X86_SIMD
// One round on G groups of 16 lanes: (x0, x1, x2, x3) <- (hi(M1 x2) ^ x1 ^ ka, lo(M1 x2),
// hi(M0 x0) ^ x3 ^ kb, lo(M0 x0)). vpmuludq multiplies the even 32-bit lanes; the odd lanes
// are shifted down, multiplied and blended back.
template <int G>
__attribute__((target("avx512f"))) void philox_avx512(PhiloxBatch& b, std::size_t first,
                                                      std::uint32_t k0, std::uint32_t k1) {
  __m512i x[4][G];
  for (int w = 0; w < 4; ++w) {
    for (int g = 0; g < G; ++g) x[w][g] = _mm512_load_si512(&b.ctr[w][first + 16 * g]);
  }
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kM0)), m1 = _mm512_set1_epi32(static_cast<int>(kM1));
  const __m512i w0 = _mm512_set1_epi32(static_cast<int>(kW0)), w1 = _mm512_set1_epi32(static_cast<int>(kW1));
  __m512i ka = _mm512_set1_epi32(static_cast<int>(k0)), kb = _mm512_set1_epi32(static_cast<int>(k1));
  constexpr __mmask16 kOdd = 0xAAAA;
  for (int r = 0; r < kRounds; ++r) {
    for (int g = 0; g < G; ++g) {
      const __m512i e0 = _mm512_mul_epu32(x[0][g], m0), o0 = _mm512_mul_epu32(_mm512_srli_epi64(x[0][g], 32), m0);
      const __m512i e1 = _mm512_mul_epu32(x[2][g], m1), o1 = _mm512_mul_epu32(_mm512_srli_epi64(x[2][g], 32), m1);
      const __m512i hi0 = _mm512_mask_blend_epi32(kOdd, _mm512_srli_epi64(e0, 32), o0);
      const __m512i hi1 = _mm512_mask_blend_epi32(kOdd, _mm512_srli_epi64(e1, 32), o1);
      const __m512i lo0 = _mm512_mask_blend_epi32(kOdd, e0, _mm512_slli_epi64(o0, 32));
      const __m512i lo1 = _mm512_mask_blend_epi32(kOdd, e1, _mm512_slli_epi64(o1, 32));
      x[0][g] = _mm512_xor_si512(_mm512_xor_si512(hi1, x[1][g]), ka);
      x[1][g] = lo1;
      x[2][g] = _mm512_xor_si512(_mm512_xor_si512(hi0, x[3][g]), kb);
      x[3][g] = lo0;
    }
    ka = _mm512_add_epi32(ka, w0);
    kb = _mm512_add_epi32(kb, w1);
  }
  for (int w = 0; w < 4; ++w) {
    for (int g = 0; g < G; ++g) _mm512_store_si512(&b.out[w][first + 16 * g], x[w][g]);
  }
}

// The same on 2 groups of 8 lanes (16 lanes a call).
__attribute__((target("avx2"))) void philox_avx2(PhiloxBatch& b, std::size_t first,
                                                 std::uint32_t k0, std::uint32_t k1) {
  constexpr int G = 2;
  __m256i x[4][G];
  for (int w = 0; w < 4; ++w) {
    for (int g = 0; g < G; ++g) {
      x[w][g] = _mm256_load_si256(reinterpret_cast<const __m256i*>(&b.ctr[w][first + 8 * g]));
    }
  }
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0)), m1 = _mm256_set1_epi32(static_cast<int>(kM1));
  const __m256i w0 = _mm256_set1_epi32(static_cast<int>(kW0)), w1 = _mm256_set1_epi32(static_cast<int>(kW1));
  __m256i ka = _mm256_set1_epi32(static_cast<int>(k0)), kb = _mm256_set1_epi32(static_cast<int>(k1));
  for (int r = 0; r < kRounds; ++r) {
    for (int g = 0; g < G; ++g) {
      const __m256i e0 = _mm256_mul_epu32(x[0][g], m0), o0 = _mm256_mul_epu32(_mm256_srli_epi64(x[0][g], 32), m0);
      const __m256i e1 = _mm256_mul_epu32(x[2][g], m1), o1 = _mm256_mul_epu32(_mm256_srli_epi64(x[2][g], 32), m1);
      const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(e0, 32), o0, 0xAA);
      const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(e1, 32), o1, 0xAA);
      const __m256i lo0 = _mm256_blend_epi32(e0, _mm256_slli_epi64(o0, 32), 0xAA);
      const __m256i lo1 = _mm256_blend_epi32(e1, _mm256_slli_epi64(o1, 32), 0xAA);
      x[0][g] = _mm256_xor_si256(_mm256_xor_si256(hi1, x[1][g]), ka);
      x[1][g] = lo1;
      x[2][g] = _mm256_xor_si256(_mm256_xor_si256(hi0, x[3][g]), kb);
      x[3][g] = lo0;
    }
    ka = _mm256_add_epi32(ka, w0);
    kb = _mm256_add_epi32(kb, w1);
  }
  for (int w = 0; w < 4; ++w) {
    for (int g = 0; g < G; ++g) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(&b.out[w][first + 8 * g]), x[w][g]);
    }
  }
}
#endif

}  // namespace

SimdLevel best_simd_level() {
#if PHSIM_X86_SIMD
  static const SimdLevel level = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
      return SimdLevel::Avx512;
    }
    if (__builtin_cpu_supports("avx2")) return SimdLevel::Avx2;
    return SimdLevel::Scalar;
  }();
  return level;
#else
  return SimdLevel::Scalar;
#endif
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512: return "avx512";
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Scalar: break;
  }
  return "scalar";
}

void compute_philox_batch(PhiloxBatch& b, std::uint32_t seed, RngStream stream, SimdLevel level) {
  if (level > best_simd_level()) level = best_simd_level();
  if (level == SimdLevel::Scalar) {
    philox_scalar(b, seed, stream);
    return;
  }
#if PHSIM_X86_SIMD
  const auto k1 = static_cast<std::uint32_t>(stream);
  const std::size_t padded = (b.n + 15) / 16 * 16;
  for (std::size_t j = b.n; j < padded; ++j) {
    for (int w = 0; w < 4; ++w) b.ctr[w][j] = 0;
  }
  std::size_t j = 0;
  if (level == SimdLevel::Avx512) {
    for (; j + 64 <= padded; j += 64) philox_avx512<4>(b, j, seed, k1);
    for (; j < padded; j += 16) philox_avx512<1>(b, j, seed, k1);
  } else {
    for (; j < padded; j += 16) philox_avx2(b, j, seed, k1);
  }
#endif
}

}  // namespace phsim
