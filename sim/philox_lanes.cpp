// CPU backend only: Philox4x32-10 of eight counters at once.
#include "sim/philox_lanes.hpp"

#include <Random123/philox.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PHSIM_PHILOX_AVX2 1
#endif

namespace phsim::cpu {
namespace {

void philox_scalar(std::uint32_t k0, std::uint32_t k1, const PhiloxLanes& ctr, PhiloxLanes& out) {
  const r123::Philox4x32::key_type key = {{k0, k1}};
  for (int l = 0; l < kPhiloxLanes; ++l) {
    const r123::Philox4x32::ctr_type c = {{ctr.word[0][l], ctr.word[1][l], ctr.word[2][l], ctr.word[3][l]}};
    const r123::Philox4x32::ctr_type block = r123::Philox4x32()(c, key);
    for (int w = 0; w < 4; ++w) out.word[w][l] = block.v[w];
  }
}

#if defined(PHSIM_PHILOX_AVX2)
/// Low and high 32-bit halves of the 64-bit products m × x of all eight lanes.
__attribute__((target("avx2"))) inline void mulhilo8(__m256i x, __m256i m, __m256i& lo, __m256i& hi) {
  const __m256i even = _mm256_mul_epu32(x, m);                         // lanes 0, 2, 4, 6
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);  // lanes 1, 3, 5, 7
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xaa);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xaa);
}

/// The rounds of Random123's philox4x32_R<10>: multipliers, Weyl key increments and the word
/// permutation as there (Random123/philox.h).
__attribute__((target("avx2"))) void philox_avx2(std::uint32_t k0, std::uint32_t k1, const PhiloxLanes& ctr,
                                                 PhiloxLanes& out) {
  const auto* const in = reinterpret_cast<const __m256i*>(ctr.word);
  __m256i c0 = _mm256_load_si256(in), c1 = _mm256_load_si256(in + 1);
  __m256i c2 = _mm256_load_si256(in + 2), c3 = _mm256_load_si256(in + 3);
  const __m256i m0 = _mm256_set1_epi64x(PHILOX_M4x32_0);
  const __m256i m1 = _mm256_set1_epi64x(PHILOX_M4x32_1);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += PHILOX_W32_0;
      k1 += PHILOX_W32_1;
    }
    __m256i lo0, hi0, lo1, hi1;
    mulhilo8(c0, m0, lo0, hi0);
    mulhilo8(c2, m1, lo1, hi1);
    const __m256i key0 = _mm256_set1_epi32(static_cast<int>(k0));
    const __m256i key1 = _mm256_set1_epi32(static_cast<int>(k1));
    c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), key0);
    c1 = lo1;
    c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), key1);
    c3 = lo0;
  }
  auto* const p = reinterpret_cast<__m256i*>(out.word);
  _mm256_store_si256(p, c0);
  _mm256_store_si256(p + 1, c1);
  _mm256_store_si256(p + 2, c2);
  _mm256_store_si256(p + 3, c3);
}

const bool g_avx2 = __builtin_cpu_supports("avx2");
#endif

}  // namespace

bool philox_lanes_vectorized() {
#if defined(PHSIM_PHILOX_AVX2)
  return g_avx2;
#else
  return false;
#endif
}

void philox_lanes(std::uint32_t k0, std::uint32_t k1, const PhiloxLanes& ctr, PhiloxLanes& out,
                  PhiloxPath path) {
#if defined(PHSIM_PHILOX_AVX2)
  if (path == PhiloxPath::Best && g_avx2) {
    philox_avx2(k0, k1, ctr, out);
    return;
  }
#endif
  (void)path;
  philox_scalar(k0, k1, ctr, out);
}

}  // namespace phsim::cpu
