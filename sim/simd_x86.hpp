#pragma once
/// @file x86 vector intrinsics for the CPU backend's batched code (sim/philox_batch.cpp,
/// sim/quiet_month.cpp, sim/tally_cpu.cpp). PHSIM_X86_SIMD says whether they are there. Each
/// vector function is compiled for its own instruction set (GCC target attributes) and chosen
/// at run time (best_simd_level), so one binary runs on any x86-64 CPU. Included by .cpp files
/// of the CPU backend only: it turns off two GCC warnings for the rest of the file.
#if defined(__x86_64__) && defined(__GNUC__)
#if !defined(__clang__)
// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_epi32(), which its
// -Wuninitialized reports at every use (a false positive fixed in later GCCs).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "kernels/measures.hpp"
#include "kernels/synthesis.hpp"

#define PHSIM_X86_SIMD 1
/// A function using AVX-512 F, BW, VL and DQ (SimdLevel::Avx512).
#define PHSIM_AVX512_FUNCTION __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
/// A helper of such functions, inlined into them.
#define PHSIM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"), always_inline)) inline

namespace phsim {

/// 16 bytes from p, zero-extended to 32-bit lanes (0 outside the lanes of k).
PHSIM_AVX512 __m512i load_u8(const std::uint8_t* p, __mmask16 k) {
  return _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, p));
}

/// Whole years of ages in months, as the step and the tally index their tables: 0 for a
/// negative age (an empty slot), at most kMaxAgeYears. x / 12 is x * 43691 >> 19, exact for
/// 0 <= x < 4096 (checked below).
PHSIM_AVX512 __m512i age_years16(__m512i age_months) {
  const __m512i clamped = _mm512_min_epi32(_mm512_max_epi32(age_months, _mm512_setzero_si512()),
                                           _mm512_set1_epi32(kMaxAgeYears * 12 + 11));
  return _mm512_srli_epi32(_mm512_mullo_epi32(clamped, _mm512_set1_epi32(43691)), 19);
}
constexpr bool age_years16_exact() {
  for (int x = 0; x < 4096; ++x) {
    if ((x * 43691) >> 19 != x / 12) return false;
  }
  return (kMaxAgeYears + 1) * 12 <= 4096;
}
static_assert(age_years16_exact(), "age in years by a multiply");

/// Index years * 2 + female of the tables by age and sex.
PHSIM_AVX512 __m512i age_sex16(__m512i years, __mmask16 female) {
  const __m512i twice = _mm512_add_epi32(years, years);
  return _mm512_mask_add_epi32(twice, female, twice, _mm512_set1_epi32(1));
}

/// Lanes of `k` in measure s's population by sex, condition and age (in_population of 16 lanes).
PHSIM_AVX512 __mmask16 in_population16(const MeasureSpec& s, __mmask16 k, __m512i age_months, __mmask16 female,
                                       __m512i conditions) {
  if (s.sex == SexFilter::Female) k &= female;
  if (s.sex == SexFilter::Male) k &= static_cast<__mmask16>(~female);
  if (s.condition != Condition::None) {
    k &= _mm512_test_epi32_mask(conditions, _mm512_set1_epi32(condition_bit(s.condition)));
  }
  return static_cast<__mmask16>(k & _mm512_cmpge_epi32_mask(age_months, _mm512_set1_epi32(s.age_lo)) &
                                _mm512_cmple_epi32_mask(age_months, _mm512_set1_epi32(s.age_hi)));
}

}  // namespace phsim
#else
#define PHSIM_X86_SIMD 0
#endif
