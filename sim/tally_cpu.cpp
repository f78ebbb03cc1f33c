// CPU backend: year-end tallies with thread-private arrays (no atomics), merged in a fixed
// order. Integer sums, so the result does not depend on the thread count or the vector level.
#include "sim/tally_cpu.hpp"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "sim/tally.hpp"

#include "sim/simd_x86.hpp"

namespace phsim::cpu {
namespace {

/// One member's tally, its calls inlined (the member loop's body).
[[gnu::flatten]] void tally_slot(const MemberView& members, const TallyMeasures& measures,
                                 const TallyShape& shape, std::uint64_t i, LocalTallySink& sink) {
  prefetch_measure_states(members, i, shape.measures);
  tally_member(members, measures, shape, i, sink);
}

#if PHSIM_X86_SIMD

/// tally_member of the 16 slots from i (one replicate, r), lanes `valid`: the events member by
/// member; the measures measure by measure, 16 members at a time (evaluate_measure), the
/// cells of each outcome added member by member.
PHSIM_AVX512_FUNCTION void tally16(
    const MemberView& m, const TallyMeasures& measures, const TallyShape& shape, std::uint64_t i, std::uint32_t r,
    __mmask16 valid, LocalTallySink& sink) {
  const __mmask16 alive = _mm512_mask_test_epi32_mask(valid, load_u8(m.status + i, valid), _mm512_set1_epi32(kAlive));
  if (!alive) return;
  for (std::uint32_t l = 0; l < 16; ++l) {
    if (alive & (1u << l)) tally_member_events(m, shape, i + l, r, sink);
  }
  // Continuously enrolled: December and at most one other month missing.
  const __m512i missing = _mm512_andnot_si512(
      _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(valid, m.enrolled_months + i)), _mm512_set1_epi32(0x0fff));
  const __mmask16 ce = _mm512_mask_testn_epi32_mask(
      _mm512_testn_epi32_mask(missing, _mm512_set1_epi32(1 << 11)), missing,
      _mm512_and_si512(missing, _mm512_sub_epi32(missing, _mm512_set1_epi32(1))));
  const __m512i age_dec = _mm512_sub_epi32(_mm512_set1_epi32(shape.december),
                                           _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(valid, m.birth_month + i)));
  const __mmask16 female =
      _mm512_cmpeq_epi32_mask(load_u8(m.sex + i, valid), _mm512_set1_epi32(static_cast<int>(Sex::Female)));
  const __m512i conditions = load_u8(m.conditions + i, valid);
  // countable(): by age at Dec 31 in whole years and sex, and by conditions, for continuously
  // enrolled members.
  const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
  const TallyMasks& masks = *measures.masks;
  const __mmask16 ce_alive = alive & ce;
  const __m512i by_age_sex =
      _mm512_mask_i32gather_epi32(zero, ce_alive, age_sex16(age_years16(age_dec), female), masks.by_age_sex, 4);
  const __m512i by_conditions = _mm512_mask_i32gather_epi32(
      zero, ce_alive, _mm512_and_si512(conditions, _mm512_set1_epi32(63)), masks.by_conditions, 4);
  const __m512i countable = _mm512_maskz_mov_epi32(
      alive, _mm512_or_si512(_mm512_set1_epi32(static_cast<int>(masks.any_enrollment)),
                             _mm512_and_si512(by_age_sex, by_conditions)));
  auto walk = static_cast<std::uint32_t>(_mm512_reduce_or_epi32(countable));
  if (!walk) return;
  prefetch_measure_states(m, i, shape.measures);

  // Each member's cells of measure 0; measure k's are 2 k and 2 k kRaceCount further.
  alignas(64) std::uint64_t c0[16], g0[16];
  for (std::uint32_t l = 0; l < 16; ++l) {
    if (!(alive & (1u << l))) continue;
    c0[l] = shape.measure_cell(r, m.contract[i + l], 0);
    g0[l] = shape.group_cell(r, m.county[i + l], 0, m.race[i + l]);
  }
  alignas(64) std::uint32_t den[16], num[16];
  do {
    const std::uint32_t k = lowest_set_bit(walk);
    walk &= walk - 1u;
    const MeasureSpec& s = measures.specs[k];
    const __mmask16 active = _mm512_test_epi32_mask(countable, _mm512_set1_epi32(static_cast<int>(1u << k)));
    const __m512i state = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(active, m.measure_state + k * m.stride + i));
    // evaluate_measure: den and num of the lanes of `active`.
    __m512i d = zero, x = zero;
    switch (s.kind) {
      case MeasureKind::CountInWindow: {
        __mmask16 counted = 0, met = 0;
        if (s.anchor == Anchor::Milestone) {
          counted = _mm512_mask_test_epi32_mask(active & ce, state, _mm512_set1_epi32(kMilestoneReached));
          met = _mm512_mask_test_epi32_mask(counted, state, _mm512_set1_epi32(kMilestoneMet));
        } else {
          counted = in_population16(s, active & ce, age_dec, female, conditions);
          met = s.window == WindowKind::Lookback
                    ? _mm512_mask_cmplt_epi32_mask(counted, state, _mm512_set1_epi32(s.lookback_months))
                    : _mm512_mask_cmpge_epi32_mask(counted, _mm512_and_si512(state, _mm512_set1_epi32(kCountMask)),
                                                   _mm512_set1_epi32(s.min_services));
        }
        d = _mm512_maskz_mov_epi32(counted, one);
        x = _mm512_maskz_mov_epi32(met, one);
        break;
      }
      case MeasureKind::Followup:
        d = _mm512_and_si512(state, _mm512_set1_epi32(0x0f));
        x = _mm512_and_si512(_mm512_srli_epi32(state, 4), _mm512_set1_epi32(0x07));
        break;
      case MeasureKind::Control: {
        const __mmask16 counted = in_population16(s, active & ce, age_dec, female, conditions);
        const __mmask16 read_good = _mm512_cmpeq_epi32_mask(_mm512_and_si512(state, _mm512_set1_epi32(3)),
                                                            _mm512_set1_epi32(3));
        d = _mm512_maskz_mov_epi32(counted, one);
        x = _mm512_maskz_mov_epi32(counted & (s.inverse ? static_cast<__mmask16>(~read_good) : read_good), one);
        break;
      }
      case MeasureKind::Ratio: {
        const __mmask16 counted = _mm512_mask_test_epi32_mask(
            in_population16(s, active & ce, age_dec, female, conditions), state, state);  // a fill of either kind
        const __m512i controller = _mm512_and_si512(state, _mm512_set1_epi32(0x0f));
        const __m512i reliever = _mm512_srli_epi32(state, 4);
        d = _mm512_maskz_mov_epi32(counted, one);
        x = _mm512_maskz_mov_epi32(_mm512_mask_cmpge_epi32_mask(counted, controller, reliever), one);
        break;
      }
    }
    const __mmask16 adding = _mm512_test_epi32_mask(d, d);
    if (!adding) continue;
    _mm512_store_si512(den, d);
    _mm512_store_si512(num, x);
    for (std::uint32_t bits = adding; bits; bits &= bits - 1u) {
      const std::uint32_t l = lowest_set_bit(bits);
      const std::uint64_t c = c0[l] + 2ull * k, g = g0[l] + 2ull * kRaceCount * k;
      sink.add(0, c, den[l]);
      sink.add(1, g, den[l]);
      sink.add_any(0, c + 1, num[l]);
      sink.add_any(1, g + 1, num[l]);
    }
  } while (walk);
}
#endif

}  // namespace

void tally_slots(const MemberView& members, const TallyMeasures& measures, const TallyShape& shape,
                 std::uint64_t begin, std::uint64_t end, LocalTallySink& sink, SimdLevel level) {
#if PHSIM_X86_SIMD
  if (level >= SimdLevel::Avx512 && best_simd_level() >= SimdLevel::Avx512) {
    for (std::uint64_t i = begin; i < end; i += 16) {
      const std::uint64_t last = std::min(end, i + 16) - 1;
      const auto r = static_cast<std::uint32_t>(i / shape.capacity);
      if (last / shape.capacity != r) {  // (the group spans two replicates)
        for (std::uint64_t j = i; j <= last; ++j) tally_slot(members, measures, shape, j, sink);
        continue;
      }
      const auto valid = static_cast<__mmask16>(last - i == 15 ? 0xffffu : (1u << (last - i + 1)) - 1u);
      tally16(members, measures, shape, i, r, valid, sink);
    }
    return;
  }
#endif
  (void)level;
  for (std::uint64_t i = begin; i < end; ++i) tally_slot(members, measures, shape, i, sink);
}

void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures,
                         const TallyShape& shape, unsigned long long* measure_cells,
                         unsigned long long* group_cells, unsigned long long* event_cells) {
  reduce_year_tallies(members, measures, shape, measure_cells, group_cells, event_cells, best_simd_level());
}

void reduce_year_tallies(const MemberView& members, const TallyMeasures& measures, const TallyShape& shape,
                         unsigned long long* measure_cells, unsigned long long* group_cells,
                         unsigned long long* event_cells, SimdLevel level) {
  const std::uint64_t n = static_cast<std::uint64_t>(shape.replicates) * shape.capacity;
  const std::size_t sizes[3] = {shape.measure_cells(), shape.group_cells(), shape.event_cells()};
  unsigned long long* out[3] = {measure_cells, group_cells, event_cells};
  constexpr std::uint64_t kChunk = 4096;  // slots cost unequal work (see for_each_slot)
  const auto chunks = static_cast<std::int64_t>((n + kChunk - 1) / kChunk);
#pragma omp parallel
  {
    std::vector<unsigned long long> local[3];
    for (int a = 0; a < 3; ++a) local[a].assign(sizes[a], 0ull);
    LocalTallySink sink{{local[0].data(), local[1].data(), local[2].data()}};
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c = 0; c < chunks; ++c) {
      const std::uint64_t begin = static_cast<std::uint64_t>(c) * kChunk;
      tally_slots(members, measures, shape, begin, std::min(n, begin + kChunk), sink, level);
    }
#pragma omp critical(phsim_tally_merge)
    for (int a = 0; a < 3; ++a) {
      for (std::size_t j = 0; j < sizes[a]; ++j) out[a][j] += local[a][j];
    }
  }
}

}  // namespace phsim::cpu
