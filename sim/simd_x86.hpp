#pragma once
/// @file x86 vector intrinsics for the CPU backend's batched code (sim/philox_batch.cpp,
/// sim/quiet_month.cpp, sim/tally_cpu.cpp). PHSIM_X86_SIMD says whether they are there. Each
/// vector function is compiled for its own instruction set (GCC target attributes) and chosen
/// at run time (best_simd_level), so one binary runs on any x86-64 CPU.
///
/// Avx512Lanes (16 lanes) and Avx2Lanes (8 lanes) are the same set of operations on 32-bit
/// lanes and their masks. Code written once against `L` (sim/quiet_lanes.inc,
/// sim/tally_lanes.inc, helpers in sim/simd_lanes.inc) is compiled once per instruction set by
/// sim/simd_levels.inc, in a namespace that names L and PHSIM_LANES_TARGET (a template could
/// not take the target attribute, and GCC does not inline an intrinsic into a function
/// compiled without its target).
///
/// Included by .cpp files of the CPU backend only: it turns off two GCC warnings for the rest
/// of the file.
#if defined(__x86_64__) && defined(__GNUC__)
#if !defined(__clang__)
// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_epi32(), which its
// -Wuninitialized reports at every use (a false positive fixed in later GCCs).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "kernels/synthesis.hpp"

#define PHSIM_X86_SIMD 1
/// Functions using AVX-512 F, BW, VL and DQ (SimdLevel::Avx512), or AVX2 (SimdLevel::Avx2).
#define PHSIM_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define PHSIM_AVX2_TARGET __attribute__((target("avx2")))
/// Helpers of such functions, inlined into them.
#define PHSIM_AVX512 PHSIM_AVX512_TARGET __attribute__((always_inline)) inline
#define PHSIM_AVX2 PHSIM_AVX2_TARGET __attribute__((always_inline)) inline
/// In code compiled once per instruction set: a helper of the set the includer named.
#define PHSIM_LANES PHSIM_LANES_TARGET __attribute__((always_inline)) inline

namespace phsim {

/// age_years (sim/simd_lanes.inc) divides by 12 as x * 43691 >> 19: exact for 0 <= x < 4096.
constexpr bool age_years_by_multiply_exact() {
  for (int x = 0; x < 4096; ++x) {
    if ((x * 43691) >> 19 != x / 12) return false;
  }
  return (kMaxAgeYears + 1) * 12 <= 4096;
}
static_assert(age_years_by_multiply_exact(), "age in years by a multiply");

/// Lanes of 16 (AVX-512): a bit each.
struct Mask16 {
  __mmask16 k;
};
constexpr Mask16 operator&(Mask16 a, Mask16 b) { return {static_cast<__mmask16>(a.k & b.k)}; }
constexpr Mask16 operator|(Mask16 a, Mask16 b) { return {static_cast<__mmask16>(a.k | b.k)}; }
constexpr Mask16 operator~(Mask16 a) { return {static_cast<__mmask16>(~a.k)}; }
constexpr Mask16& operator&=(Mask16& a, Mask16 b) { return a = a & b; }
constexpr Mask16& operator|=(Mask16& a, Mask16 b) { return a = a | b; }

/// Lanes of 8 (AVX2): 32 bits each, all set or all clear.
struct Mask8 {
  __m256i k;
};
PHSIM_AVX2 Mask8 operator&(Mask8 a, Mask8 b) { return {_mm256_and_si256(a.k, b.k)}; }
PHSIM_AVX2 Mask8 operator|(Mask8 a, Mask8 b) { return {_mm256_or_si256(a.k, b.k)}; }
PHSIM_AVX2 Mask8 operator~(Mask8 a) { return {_mm256_xor_si256(a.k, _mm256_set1_epi32(-1))}; }
PHSIM_AVX2 Mask8& operator&=(Mask8& a, Mask8 b) { return a = a & b; }
PHSIM_AVX2 Mask8& operator|=(Mask8& a, Mask8 b) { return a = a | b; }

/// 16 lanes of 32 bits (AVX-512). Loads and stores read and write whole vectors.
struct Avx512Lanes {
  static constexpr std::uint32_t kLanes = 16;
  using V = __m512i;
  using M = Mask16;
  struct Wide {  // 16 unsigned 64-bit values
    __m512i lo, hi;
  };
  using WideTable8 = __m512i;  // 8 unsigned 64-bit values to look up

  static PHSIM_AVX512 V zero() { return _mm512_setzero_si512(); }
  static PHSIM_AVX512 V set1(std::int32_t x) { return _mm512_set1_epi32(x); }
  static PHSIM_AVX512 V load_u8(const std::uint8_t* p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static PHSIM_AVX512 V load_u16(const std::uint16_t* p) {
    return _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static PHSIM_AVX512 V load_i16(const std::int16_t* p) {
    return _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static PHSIM_AVX512 V load_u32(const std::uint32_t* p) { return _mm512_loadu_si512(p); }
  /// The lanes of k of v, narrowed, at p (the other values at p stay as they are).
  static PHSIM_AVX512 void store_u8(std::uint8_t* p, M k, V v) { _mm512_mask_cvtepi32_storeu_epi8(p, k.k, v); }
  static PHSIM_AVX512 void store_u16(std::uint16_t* p, M k, V v) { _mm512_mask_cvtepi32_storeu_epi16(p, k.k, v); }
  static PHSIM_AVX512 void store_u32(std::uint32_t* p, M k, V v) { _mm512_mask_storeu_epi32(p, k.k, v); }
  static PHSIM_AVX512 void store_u8(std::uint8_t* p, V v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(v));
  }
  static PHSIM_AVX512 void store_u32(std::uint32_t* p, V v) { _mm512_storeu_si512(p, v); }

  static constexpr M all() { return {0xffff}; }
  static constexpr M none() { return {0}; }
  static constexpr bool any(M k) { return k.k != 0; }
  static constexpr std::uint32_t bits(M k) { return k.k; }  ///< bit l: lane l

  static PHSIM_AVX512 M test(V v, std::int32_t b) { return {_mm512_test_epi32_mask(v, set1(b))}; }
  static PHSIM_AVX512 M eq(V a, V b) { return {_mm512_cmpeq_epi32_mask(a, b)}; }
  static PHSIM_AVX512 M lt(V a, V b) { return {_mm512_cmplt_epi32_mask(a, b)}; }
  static PHSIM_AVX512 M lt_u(V a, V b) { return {_mm512_cmplt_epu32_mask(a, b)}; }
  static PHSIM_AVX512 V add(V a, V b) { return _mm512_add_epi32(a, b); }
  static PHSIM_AVX512 V sub(V a, V b) { return _mm512_sub_epi32(a, b); }
  static PHSIM_AVX512 V mul(V a, V b) { return _mm512_mullo_epi32(a, b); }
  static PHSIM_AVX512 V bit_and(V a, V b) { return _mm512_and_si512(a, b); }
  static PHSIM_AVX512 V bit_or(V a, V b) { return _mm512_or_si512(a, b); }
  static PHSIM_AVX512 V min(V a, V b) { return _mm512_min_epi32(a, b); }
  static PHSIM_AVX512 V max(V a, V b) { return _mm512_max_epi32(a, b); }
  static PHSIM_AVX512 V min_u(V a, V b) { return _mm512_min_epu32(a, b); }
  template <int N>
  static PHSIM_AVX512 V shift_right(V a) { return _mm512_srli_epi32(a, N); }
  template <int N>
  static PHSIM_AVX512 V shift_left(V a) { return _mm512_slli_epi32(a, N); }
  static PHSIM_AVX512 V if_else(M k, V then, V otherwise) { return _mm512_mask_mov_epi32(otherwise, k.k, then); }
  static PHSIM_AVX512 V maskz(M k, V v) { return _mm512_maskz_mov_epi32(k.k, v); }
  static PHSIM_AVX512 V add_if(M k, V a, V b) { return _mm512_mask_add_epi32(a, k.k, a, b); }
  static PHSIM_AVX512 V xor_if(M k, V a, V b) { return _mm512_mask_xor_epi32(a, k.k, a, b); }
  static PHSIM_AVX512 std::uint32_t reduce_or(V v) { return static_cast<std::uint32_t>(_mm512_reduce_or_epi32(v)); }

  /// table[index] in the lanes of k, 0 in the others.
  static PHSIM_AVX512 V gather(M k, V index, const std::uint32_t* table) {
    return _mm512_mask_i32gather_epi32(zero(), k.k, index, table, 4);
  }
  /// table[index] in the lanes of k, src in the others. A half without a lane to read is not
  /// gathered (a gather costs about the same whatever its mask).
  static PHSIM_AVX512 Wide gather(Wide src, M k, V index, const std::uint64_t* table) {
    if (k.k & 0xff) {
      src.lo = _mm512_mask_i32gather_epi64(src.lo, static_cast<__mmask8>(k.k), _mm512_castsi512_si256(index), table, 8);
    }
    if (k.k >> 8) {
      src.hi = _mm512_mask_i32gather_epi64(src.hi, static_cast<__mmask8>(k.k >> 8), _mm512_extracti64x4_epi64(index, 1),
                                           table, 8);
    }
    return src;
  }
  /// Lanes whose word is below their 64-bit threshold (below() of each lane).
  static PHSIM_AVX512 M below(V words, Wide thr) {
    const __mmask8 lo = _mm512_cmplt_epu64_mask(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(words)), thr.lo);
    const __mmask8 hi = _mm512_cmplt_epu64_mask(_mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(words, 1)), thr.hi);
    return {static_cast<__mmask16>(lo | (static_cast<unsigned>(hi) << 8))};
  }
  /// The first kLanes values of a table, to look up by index.
  static PHSIM_AVX512 V lane_table(const std::uint32_t* values) { return _mm512_loadu_si512(values); }
  static PHSIM_AVX512 V lookup(V table, V index) { return _mm512_permutexvar_epi32(index, table); }
  static PHSIM_AVX512 WideTable8 wide_table8(const std::uint64_t* values) { return _mm512_loadu_si512(values); }
  static PHSIM_AVX512 Wide lookup_wide(WideTable8 table, V index) {
    return {_mm512_permutexvar_epi64(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(index)), table),
            _mm512_permutexvar_epi64(_mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(index, 1)), table)};
  }
};

/// 8 lanes of 32 bits (AVX2), as Avx512Lanes. AVX2 has no masked byte stores: a masked store
/// of bytes or halfwords reads the vector's values at p and writes them all back, so it must
/// own them.
struct Avx2Lanes {
  static constexpr std::uint32_t kLanes = 8;
  using V = __m256i;
  using M = Mask8;
  struct Wide {  // 8 unsigned 64-bit values
    __m256i lo, hi;
  };
  using WideTable8 = const std::uint64_t*;

  static PHSIM_AVX2 V zero() { return _mm256_setzero_si256(); }
  static PHSIM_AVX2 V set1(std::int32_t x) { return _mm256_set1_epi32(x); }
  static PHSIM_AVX2 V load_u8(const std::uint8_t* p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static PHSIM_AVX2 V load_u16(const std::uint16_t* p) {
    return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static PHSIM_AVX2 V load_i16(const std::int16_t* p) {
    return _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static PHSIM_AVX2 V load_u32(const std::uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static PHSIM_AVX2 void store_u8(std::uint8_t* p, V v) {
    // Byte 0 of each lane to bytes 0-3 of each half, then the halves' first words together.
    const __m256i bytes = _mm256_shuffle_epi8(
        v, _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  //
                            0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    const __m256i packed = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
  }
  static PHSIM_AVX2 void store_u16(std::uint16_t* p, V v) {  // (values 0-65535)
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(v, v), _MM_SHUFFLE(3, 1, 2, 0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
  }
  static PHSIM_AVX2 void store_u32(std::uint32_t* p, V v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static PHSIM_AVX2 void store_u8(std::uint8_t* p, M k, V v) { store_u8(p, if_else(k, v, load_u8(p))); }
  static PHSIM_AVX2 void store_u16(std::uint16_t* p, M k, V v) { store_u16(p, if_else(k, v, load_u16(p))); }
  static PHSIM_AVX2 void store_u32(std::uint32_t* p, M k, V v) {
    _mm256_maskstore_epi32(reinterpret_cast<int*>(p), k.k, v);
  }

  static PHSIM_AVX2 M all() { return {_mm256_set1_epi32(-1)}; }
  static PHSIM_AVX2 M none() { return {_mm256_setzero_si256()}; }
  static PHSIM_AVX2 bool any(M k) { return !_mm256_testz_si256(k.k, k.k); }
  static PHSIM_AVX2 std::uint32_t bits(M k) {
    return static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(k.k)));
  }

  static PHSIM_AVX2 M eq(V a, V b) { return {_mm256_cmpeq_epi32(a, b)}; }
  static PHSIM_AVX2 M test(V v, std::int32_t b) { return ~eq(_mm256_and_si256(v, set1(b)), zero()); }
  static PHSIM_AVX2 M lt(V a, V b) { return {_mm256_cmpgt_epi32(b, a)}; }
  static PHSIM_AVX2 M lt_u(V a, V b) {
    const __m256i sign = set1(static_cast<std::int32_t>(0x80000000u));
    return lt(_mm256_xor_si256(a, sign), _mm256_xor_si256(b, sign));
  }
  static PHSIM_AVX2 V add(V a, V b) { return _mm256_add_epi32(a, b); }
  static PHSIM_AVX2 V sub(V a, V b) { return _mm256_sub_epi32(a, b); }
  static PHSIM_AVX2 V mul(V a, V b) { return _mm256_mullo_epi32(a, b); }
  static PHSIM_AVX2 V bit_and(V a, V b) { return _mm256_and_si256(a, b); }
  static PHSIM_AVX2 V bit_or(V a, V b) { return _mm256_or_si256(a, b); }
  static PHSIM_AVX2 V min(V a, V b) { return _mm256_min_epi32(a, b); }
  static PHSIM_AVX2 V max(V a, V b) { return _mm256_max_epi32(a, b); }
  static PHSIM_AVX2 V min_u(V a, V b) { return _mm256_min_epu32(a, b); }
  template <int N>
  static PHSIM_AVX2 V shift_right(V a) { return _mm256_srli_epi32(a, N); }
  template <int N>
  static PHSIM_AVX2 V shift_left(V a) { return _mm256_slli_epi32(a, N); }
  static PHSIM_AVX2 V if_else(M k, V then, V otherwise) { return _mm256_blendv_epi8(otherwise, then, k.k); }
  static PHSIM_AVX2 V maskz(M k, V v) { return _mm256_and_si256(k.k, v); }
  static PHSIM_AVX2 V add_if(M k, V a, V b) { return _mm256_add_epi32(a, maskz(k, b)); }
  static PHSIM_AVX2 V xor_if(M k, V a, V b) { return _mm256_xor_si256(a, maskz(k, b)); }
  static PHSIM_AVX2 std::uint32_t reduce_or(V v) {
    __m128i x = _mm_or_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    x = _mm_or_si128(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
    x = _mm_or_si128(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));
    return static_cast<std::uint32_t>(_mm_cvtsi128_si32(x));
  }

  static PHSIM_AVX2 V gather(M k, V index, const std::uint32_t* table) {
    return _mm256_mask_i32gather_epi32(zero(), reinterpret_cast<const int*>(table), index, k.k, 4);
  }
  static PHSIM_AVX2 Wide gather(Wide src, M k, V index, const std::uint64_t* table) {
    const auto* base = reinterpret_cast<const long long*>(table);
    const std::uint32_t b = bits(k);
    if (b & 0x0f) {
      src.lo = _mm256_mask_i32gather_epi64(src.lo, base, _mm256_castsi256_si128(index),
                                           _mm256_cvtepi32_epi64(_mm256_castsi256_si128(k.k)), 8);
    }
    if (b >> 4) {
      src.hi = _mm256_mask_i32gather_epi64(src.hi, base, _mm256_extracti128_si256(index, 1),
                                           _mm256_cvtepi32_epi64(_mm256_extracti128_si256(k.k, 1)), 8);
    }
    return src;
  }
  /// (Thresholds are below 2^63, so a signed 64-bit compare is exact.)
  static PHSIM_AVX2 M below(V words, Wide thr) {
    const __m256i lo = _mm256_cmpgt_epi64(thr.lo, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(words)));
    const __m256i hi = _mm256_cmpgt_epi64(thr.hi, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(words, 1)));
    // The low halves of the 64-bit results, in lane order.
    const __m256 halves = _mm256_shuffle_ps(_mm256_castsi256_ps(lo), _mm256_castsi256_ps(hi), _MM_SHUFFLE(2, 0, 2, 0));
    return {_mm256_permute4x64_epi64(_mm256_castps_si256(halves), _MM_SHUFFLE(3, 1, 2, 0))};
  }
  static PHSIM_AVX2 V lane_table(const std::uint32_t* values) { return load_u32(values); }
  static PHSIM_AVX2 V lookup(V table, V index) { return _mm256_permutevar8x32_epi32(table, index); }
  static constexpr WideTable8 wide_table8(const std::uint64_t* values) { return values; }
  static PHSIM_AVX2 Wide lookup_wide(WideTable8 table, V index) {
    const auto* base = reinterpret_cast<const long long*>(table);
    return {_mm256_i32gather_epi64(base, _mm256_castsi256_si128(index), 8),
            _mm256_i32gather_epi64(base, _mm256_extracti128_si256(index, 1), 8)};
  }
};

}  // namespace phsim
#else
#define PHSIM_X86_SIMD 0
#endif
