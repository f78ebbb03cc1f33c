// Quiet months (sim/quiet_month.hpp): the dynamics a lane at a time in plain C++ (the
// reference, and the path of CPUs without AVX-512) or 16 lanes at a time with AVX-512
// intrinsics, chosen at run time like the Philox batch; each test mirrors a line of
// StepMember::advance (kernels/dynamics.hpp) for a member whose month turns out quiet. The
// measure walks of quiet members 16 at a time with AVX-512, mirroring update_measure
// (kernels/measures.hpp); without AVX-512 they go member by member.
#include "sim/quiet_month.hpp"

#include "sim/simd_x86.hpp"

namespace phsim {
namespace {

constexpr std::uint8_t kHypertensionBit = condition_bit(Condition::Hypertension);
constexpr std::uint8_t kDiabetesBit = condition_bit(Condition::Diabetes);
constexpr std::uint8_t kMentalBit = condition_bit(Condition::MentalIllness);
constexpr std::uint8_t kSubstanceBit = condition_bit(Condition::SubstanceUse);
constexpr std::uint8_t kSeriousBit = condition_bit(Condition::SeriousIllness);

/// The month of slot i, with Dynamics words x[0..3] (block 0), x[4..7] (block 1) and x[8..11]
/// (block 2), if it is quiet: stores what advance would and sets `relevant`; otherwise stores
/// nothing.
bool quiet_lane(const MemberView& m, const StepTablesView& t, std::int32_t month, std::uint64_t i,
                const std::uint32_t x[12], bool intervening, std::uint32_t& relevant) {
  const std::uint8_t status = m.status[i];
  if (!(status & kAlive)) return false;
  const bool enrolled = status & kEnrolled;
  const int age_months = month - m.birth_month[i];
  const int age = age_months / 12 > kMaxAgeYears ? kMaxAgeYears : age_months / 12;
  const std::uint8_t conditions = m.conditions[i];
  const bool serious = conditions & kSeriousBit;
  const bool female = m.sex[i] == static_cast<std::uint8_t>(Sex::Female);
  const std::uint8_t preg = m.pregnancy[i] & kPregnancyStateMask;

  // Whatever makes a month not quiet, in advance's order: death; a change of enrollment; aging
  // into an aid category; a change of conditions; a delivery or a conception; for enrolled
  // members, interventions, an ED visit for mental health or substance use (a follow-up
  // measure's event) and an admission.
  if (below(x[0], serious ? t.death_serious_thr[age] : t.death_thr[age])) return false;
  if (below(x[1], enrolled ? t.disenroll_thr : t.reenroll_thr)) return false;
  if (age_months == 19 * 12 || age_months == 65 * 12) return false;
  if (below(x[2], t.condition_change_bound_thr[age])) return false;
  if (preg == kGestationMonths) return false;
  if (preg == 0 && female && below(x[5], t.conception_thr[age])) return false;
  const bool mental = conditions & kMentalBit, substance = conditions & kSubstanceBit;
  if (enrolled && (intervening || (mental && below(x[8], t.ed_mental_health_thr)) ||
                   (substance && below(x[9], t.ed_substance_use_thr)) ||
                   below(x[4], t.inpatient_thr[serious ? 1 : 0]))) {
    return false;
  }

  // The month's routine (in January after the new year's reset).
  if (month % 12 == 0) start_measurement_year(m, t, i);
  std::uint8_t clinical = m.clinical[i];
  if ((conditions & kHypertensionBit) &&
      below(x[6], (clinical & kBpControlled) ? t.bp_to_uncontrolled_thr : t.bp_to_controlled_thr)) {
    clinical ^= kBpControlled;
  }
  if ((conditions & kDiabetesBit) && below(x[7], (clinical & kA1cPoor) ? t.a1c_to_ok_thr : t.a1c_to_poor_thr)) {
    clinical ^= kA1cPoor;
  }
  m.clinical[i] = clinical;
  const std::uint8_t next_preg = preg == 0 || preg >= kPostpartumLast ? 0 : static_cast<std::uint8_t>(preg + 1);
  m.pregnancy[i] = static_cast<std::uint8_t>((m.pregnancy[i] & ~kPregnancyStateMask) | next_preg);
  m.status[i] = static_cast<std::uint8_t>(status & ~kDeliveredThisMonth);
  if (enrolled) {
    m.enrolled_months[i] = static_cast<std::uint16_t>(m.enrolled_months[i] | (1u << (month % 12)));
    const int risk = (mental ? 1 : 0) | (substance ? 2 : 0) | (serious ? 4 : 0);
    const std::uint32_t ed = below(x[3], t.ed_thr[risk]) ? 1u : 0u;
    const std::uint32_t visits = m.year_ed_visits[i] + ed;
    m.year_ed_visits[i] = static_cast<std::uint8_t>(visits > 255u ? 255u : visits);
    add_cost(m, i, t.base_cost_usd[m.aid[i]] + ed * t.ed_cost_usd + (serious ? t.serious_monthly_cost_usd : 0u));
    m.year_capitation_cents[i] = saturating_add(m.year_capitation_cents[i], t.capitation_cents[m.aid[i]]);
  }
  relevant = relevant_measures(t, MeasureContext{age_months, 0, enrolled, female, conditions, clinical, 0});
  return true;
}

void quiet_scalar(const MemberView& m, const StepTablesView& t, std::int32_t month, std::uint64_t begin,
                  std::uint32_t n, const PhiloxBatch& d, const DynamicsLanes& lanes, bool intervening,
                  QuietLanes& q) {
  for (std::uint32_t j = 0; j < n; ++j) {
    // Block 2 where not computed reads as 0: below any threshold but 0, so a member who would
    // read it is not quiet.
    std::uint32_t x[12] = {};
    for (std::uint32_t w = 0; w < 12; ++w) {
      if (lanes.has(w / 4, j)) x[w] = d.out[w % 4][lanes.lane(w / 4, j)];
    }
    std::uint32_t relevant = 0;
    const bool quiet = quiet_lane(m, t, month, begin + j, x, intervening, relevant);
    q.quiet[j] = quiet ? 1 : 0;
    q.relevant[j] = relevant;
    const std::uint32_t g = j / kGroupSlots, bit = 1u << (j % kGroupSlots);
    if (j % kGroupSlots == 0) q.group_relevant[g] = 0, q.busy[g] = 0;
    q.group_relevant[g] |= relevant;
    if (!quiet && (m.status[begin + j] & kAlive)) q.busy[g] = static_cast<std::uint16_t>(q.busy[g] | bit);
  }
}

#if PHSIM_X86_SIMD

/// 16 unsigned 64-bit values, as two vectors of 8.
struct Wide {
  __m512i lo, hi;
};

/// table[index] of the lanes in `k` into `src` (16 lanes; 32-bit indices). A half without a lane
/// to read is not gathered (a gather costs about the same whatever its mask).
PHSIM_AVX512 Wide gather(Wide src, __mmask16 k, __m512i index, const std::uint64_t* table) {
  if (k & 0xff) src.lo = _mm512_mask_i32gather_epi64(src.lo, static_cast<__mmask8>(k), _mm512_castsi512_si256(index), table, 8);
  if (k >> 8) {
    src.hi = _mm512_mask_i32gather_epi64(src.hi, static_cast<__mmask8>(k >> 8), _mm512_extracti64x4_epi64(index, 1), table, 8);
  }
  return src;
}

/// Lanes whose word is below their 64-bit threshold (below() of 16 lanes).
PHSIM_AVX512 __mmask16 below16(__m512i words, Wide thr) {
  const __mmask8 lo = _mm512_cmplt_epu64_mask(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(words)), thr.lo);
  const __mmask8 hi = _mm512_cmplt_epu64_mask(_mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(words, 1)), thr.hi);
  return static_cast<__mmask16>(lo | (static_cast<unsigned>(hi) << 8));
}

/// Lanes whose word is below one threshold.
PHSIM_AVX512 __mmask16 below16(__m512i words, std::uint64_t thr) {
  if (thr > 0xffffffffull) return 0xffff;
  return _mm512_cmplt_epu32_mask(words, _mm512_set1_epi32(static_cast<int>(thr)));
}

/// Lanes whose word is below `a`, or below `b` in the lanes of `k`.
PHSIM_AVX512 __mmask16 below16(__m512i words, __mmask16 k, std::uint64_t a, std::uint64_t b) {
  return static_cast<__mmask16>((below16(words, a) & ~k) | (below16(words, b) & k));
}

/// a + b, saturating at 2^32 - 1 (saturating_add of 16 lanes).
PHSIM_AVX512 __m512i saturating_add16(__m512i a, __m512i b) {
  const __m512i sum = _mm512_add_epi32(a, b);
  return _mm512_mask_mov_epi32(sum, _mm512_cmplt_epu32_mask(sum, a), _mm512_set1_epi32(-1));
}

PHSIM_AVX512_FUNCTION void quiet_avx512(
    const MemberView& m, const StepTablesView& t, std::int32_t month, std::uint64_t begin, std::uint32_t n,
    const PhiloxBatch& d, const DynamicsLanes& lanes, bool intervening, QuietLanes& q) {
  const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
  const Wide zero_wide{zero, zero};
  // Aid category -> cost and capitation, by a permute.
  alignas(64) std::uint32_t base_cost[16] = {}, capitation[16] = {};
  for (int a = 0; a < kAidCount; ++a) base_cost[a] = t.base_cost_usd[a], capitation[a] = t.capitation_cents[a];
  const __m512i base_cost_of = _mm512_load_si512(base_cost), capitation_of = _mm512_load_si512(capitation);
  // Risk class -> ED threshold, by a permute of each half's 8 classes.
  const __m512i ed_thr_of = _mm512_loadu_si512(t.ed_thr);
  static_assert(kRiskClasses == 8, "one vector of ED thresholds");
  const std::uint32_t keep = ((1u << t.n_measures) - 1u) & ~t.followup_mask;  // as relevant_measures
  const __m512i keep_enrolled = _mm512_set1_epi32(static_cast<int>(keep));
  const __m512i keep_unenrolled = _mm512_set1_epi32(static_cast<int>(keep & ~t.enrolled_only_mask));
  // January: the new year's reset (start_measurement_year) before the routine. Accumulators
  // start from 0; new_year_state keeps bits carry[k] of measure k's state (1 bits: unchanged).
  const bool new_year = month % 12 == 0;
  std::uint8_t carry[kMaxMeasures];
  for (std::uint32_t k = 0; k < t.n_measures; ++k) carry[k] = new_year_state(t.measures[k], 0xff);

  for (std::uint32_t j = 0; j < n; j += 16) {
    const std::uint64_t i = begin + j;
    const auto valid = static_cast<__mmask16>(n - j >= 16 ? 0xffffu : (1u << (n - j)) - 1u);
    const __m512i status = load_u8(m.status + i, valid);
    const __m512i conditions = load_u8(m.conditions + i, valid);
    const __m512i pregnancy = load_u8(m.pregnancy + i, valid);
    const __m512i preg = _mm512_and_si512(pregnancy, _mm512_set1_epi32(kPregnancyStateMask));
    const __m512i age_months = _mm512_sub_epi32(
        _mm512_set1_epi32(month), _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(valid, m.birth_month + i)));
    const __m512i age = age_years16(age_months);
    const __mmask16 alive = _mm512_mask_test_epi32_mask(valid, status, _mm512_set1_epi32(kAlive));
    const __mmask16 enrolled = _mm512_test_epi32_mask(status, _mm512_set1_epi32(kEnrolled));
    const __mmask16 serious = _mm512_test_epi32_mask(conditions, _mm512_set1_epi32(kSeriousBit));
    const __mmask16 female =
        _mm512_cmpeq_epi32_mask(load_u8(m.sex + i, valid), _mm512_set1_epi32(static_cast<int>(Sex::Female)));
    const std::uint32_t b0 = lanes.lane(0, j);
    const __m512i x00 = _mm512_loadu_si512(d.out[0] + b0), x01 = _mm512_loadu_si512(d.out[1] + b0);
    const __m512i x02 = _mm512_loadu_si512(d.out[2] + b0), x03 = _mm512_loadu_si512(d.out[3] + b0);
    const std::uint32_t b1 = lanes.lane(1, j);
    const __m512i x10 = _mm512_loadu_si512(d.out[0] + b1), x11 = _mm512_loadu_si512(d.out[1] + b1);
    const __m512i x12 = _mm512_loadu_si512(d.out[2] + b1), x13 = _mm512_loadu_si512(d.out[3] + b1);
    // Block 2: where not computed, 0 (as in quiet_scalar).
    const bool block2 = lanes.has(2, j);
    const __m512i x20 = block2 ? _mm512_loadu_si512(d.out[0] + lanes.lane(2, j)) : zero;
    const __m512i x21 = block2 ? _mm512_loadu_si512(d.out[1] + lanes.lane(2, j)) : zero;

    // Whatever makes a month not quiet (quiet_lane's order).
    __mmask16 quiet = alive;
    const Wide death = gather(gather(zero_wide, quiet & ~serious, age, t.death_thr), quiet & serious, age,
                              t.death_serious_thr);
    quiet &= ~below16(x00, death);
    quiet &= ~below16(x01, enrolled, t.reenroll_thr, t.disenroll_thr);
    quiet &= ~(_mm512_cmpeq_epi32_mask(age_months, _mm512_set1_epi32(19 * 12)) |
               _mm512_cmpeq_epi32_mask(age_months, _mm512_set1_epi32(65 * 12)));
    quiet &= ~below16(x02, gather(zero_wide, quiet, age, t.condition_change_bound_thr));
    quiet &= ~_mm512_cmpeq_epi32_mask(preg, _mm512_set1_epi32(kGestationMonths));
    const __mmask16 may_conceive = quiet & female & _mm512_cmpeq_epi32_mask(preg, zero);
    quiet &= ~(may_conceive & below16(x11, gather(zero_wide, may_conceive, age, t.conception_thr)));
    const __mmask16 mental = _mm512_test_epi32_mask(conditions, _mm512_set1_epi32(kMentalBit));
    const __mmask16 substance = _mm512_test_epi32_mask(conditions, _mm512_set1_epi32(kSubstanceBit));
    const __mmask16 busy = intervening ? __mmask16{0xffff}
                                       : static_cast<__mmask16>((mental & below16(x20, t.ed_mental_health_thr)) |
                                                                (substance & below16(x21, t.ed_substance_use_thr)) |
                                                                below16(x10, serious, t.inpatient_thr[0], t.inpatient_thr[1]));
    quiet &= ~(enrolled & busy);
    const __mmask16 paying = quiet & enrolled;

    // The month's routine.
    __m512i clinical = load_u8(m.clinical + i, valid);
    const __mmask16 controlled = _mm512_test_epi32_mask(clinical, _mm512_set1_epi32(kBpControlled));
    const __mmask16 bp_flips = _mm512_test_epi32_mask(conditions, _mm512_set1_epi32(kHypertensionBit)) &
                               below16(x12, controlled, t.bp_to_controlled_thr, t.bp_to_uncontrolled_thr);
    clinical = _mm512_mask_xor_epi32(clinical, bp_flips, clinical, _mm512_set1_epi32(kBpControlled));
    const __mmask16 poor = _mm512_test_epi32_mask(clinical, _mm512_set1_epi32(kA1cPoor));
    const __mmask16 a1c_flips = _mm512_test_epi32_mask(conditions, _mm512_set1_epi32(kDiabetesBit)) &
                                below16(x13, poor, t.a1c_to_poor_thr, t.a1c_to_ok_thr);
    clinical = _mm512_mask_xor_epi32(clinical, a1c_flips, clinical, _mm512_set1_epi32(kA1cPoor));
    const __mmask16 advancing = _mm512_cmpneq_epi32_mask(preg, zero) &
                                _mm512_cmplt_epi32_mask(preg, _mm512_set1_epi32(kPostpartumLast));
    const __m512i next_pregnancy = _mm512_or_si512(
        _mm512_andnot_si512(_mm512_set1_epi32(kPregnancyStateMask), pregnancy), _mm512_maskz_add_epi32(advancing, preg, one));
    const __m512i risk = _mm512_or_si512(
        _mm512_maskz_mov_epi32(mental, one),
        _mm512_or_si512(_mm512_maskz_mov_epi32(substance, _mm512_set1_epi32(2)),
                        _mm512_maskz_mov_epi32(serious, _mm512_set1_epi32(4))));
    const __mmask16 ed = below16(x03, Wide{_mm512_permutexvar_epi64(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(risk)), ed_thr_of),
                                           _mm512_permutexvar_epi64(_mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(risk, 1)), ed_thr_of)});
    const __m512i aid = load_u8(m.aid + i, valid);
    const __m512i cost = _mm512_add_epi32(
        _mm512_add_epi32(_mm512_permutexvar_epi32(aid, base_cost_of),
                         _mm512_maskz_mov_epi32(ed, _mm512_set1_epi32(static_cast<int>(t.ed_cost_usd)))),
        _mm512_maskz_mov_epi32(serious, _mm512_set1_epi32(static_cast<int>(t.serious_monthly_cost_usd))));
    const auto carried = static_cast<__mmask16>(new_year ? 0 : valid);  // accumulators read
    const __m512i visits_before = load_u8(m.year_ed_visits + i, carried);
    const __m512i visits =
        _mm512_min_epu32(_mm512_mask_add_epi32(visits_before, ed, visits_before, one), _mm512_set1_epi32(255));
    const __m512i year_cost = saturating_add16(_mm512_maskz_loadu_epi32(carried, m.year_cost_usd + i), cost);
    const __m512i year_capitation = saturating_add16(_mm512_maskz_loadu_epi32(carried, m.year_capitation_cents + i),
                                                     _mm512_permutexvar_epi32(aid, capitation_of));
    const __m512i enrolled_months = _mm512_or_si512(
        _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(carried, m.enrolled_months + i)), _mm512_set1_epi32(1 << (month % 12)));
    const __m512i relevant = _mm512_and_si512(
        _mm512_and_si512(_mm512_mask_i32gather_epi32(zero, quiet, age_sex16(age, female), t.measure_age_mask, 4),
                         _mm512_mask_i32gather_epi32(zero, quiet, _mm512_and_si512(conditions, _mm512_set1_epi32(63)),
                                                     t.measure_condition_mask, 4)),
        _mm512_mask_blend_epi32(enrolled, keep_unenrolled, keep_enrolled));

    // Stores: the quiet lanes only.
    _mm512_mask_cvtepi32_storeu_epi8(m.status + i, quiet,
                                     _mm512_andnot_si512(_mm512_set1_epi32(kDeliveredThisMonth), status));
    _mm512_mask_cvtepi32_storeu_epi8(m.clinical + i, quiet, clinical);
    _mm512_mask_cvtepi32_storeu_epi8(m.pregnancy + i, quiet, next_pregnancy);
    // Accumulators: those of paying members; in January every quiet member's (0 unless paying).
    const auto accumulating = static_cast<__mmask16>(new_year ? quiet : paying);
    _mm512_mask_cvtepi32_storeu_epi16(m.enrolled_months + i, accumulating, _mm512_maskz_mov_epi32(paying, enrolled_months));
    _mm512_mask_cvtepi32_storeu_epi8(m.year_ed_visits + i, accumulating, _mm512_maskz_mov_epi32(paying, visits));
    _mm512_mask_storeu_epi32(m.year_cost_usd + i, accumulating, _mm512_maskz_mov_epi32(paying, year_cost));
    _mm512_mask_storeu_epi32(m.year_capitation_cents + i, accumulating, _mm512_maskz_mov_epi32(paying, year_capitation));
    if (new_year) {
      _mm512_mask_cvtepi32_storeu_epi8(m.months_flushed + i, quiet, zero);
      _mm512_mask_cvtepi32_storeu_epi16(m.year_inpatient_days + i, quiet, zero);
      _mm512_mask_storeu_epi32(m.year_program_cost_cents + i, quiet, zero);
      for (std::uint32_t k = 0; k < t.n_measures; ++k) {
        if (carry[k] == 0xff) continue;
        std::uint8_t* const states = m.measure_state + k * m.stride + i;
        _mm_mask_storeu_epi8(states, quiet, _mm_and_si128(_mm_maskz_loadu_epi8(quiet, states), _mm_set1_epi8(static_cast<char>(carry[k]))));
      }
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q.quiet + j), _mm512_cvtepi32_epi8(_mm512_maskz_mov_epi32(quiet, one)));
    q.busy[j / kGroupSlots] = static_cast<std::uint16_t>(alive & ~quiet);
    q.group_relevant[j / kGroupSlots] = static_cast<std::uint32_t>(_mm512_mask_reduce_or_epi32(quiet, relevant));
    _mm512_storeu_si512(q.relevant + j, _mm512_maskz_mov_epi32(quiet, relevant));
  }
}

/// Lanes of `asking` with a service of measure k this month: word < the threshold at row + k
/// (service_threshold: 0xffffffff is "always"); the table is read for those lanes only.
PHSIM_AVX512 __mmask16 service_hit16(__mmask16 asking, __m512i row, std::uint32_t k, __m512i words,
                                     const std::uint32_t* service_thr) {
  const __m512i packed = _mm512_mask_i32gather_epi32(
      _mm512_setzero_si512(), asking, _mm512_add_epi32(row, _mm512_set1_epi32(static_cast<int>(k))), service_thr, 4);
  return static_cast<__mmask16>(asking & (_mm512_cmpeq_epi32_mask(packed, _mm512_set1_epi32(-1)) |
                                          _mm512_cmplt_epu32_mask(words, packed)));
}

/// What the measure walk reads of 16 quiet members (their MeasureContext, no event, and the
/// row of their service thresholds).
struct QuietMembers16 {
  __mmask16 enrolled, female;
  __m512i conditions, clinical, age_months, age_dec_months, row;
};

/// update_measure of measure k (spec `s`, not a follow-up) for the lanes of `active` of 16
/// members `c`, whose state bytes start at `states`: `words` are their service words of k,
/// `reliever_words` the reliever's.
PHSIM_AVX512_FUNCTION void walk_measure16(
    const MeasureSpec& s, std::uint32_t k, __mmask16 active, const QuietMembers16& c, std::uint8_t* states,
    const StepTablesView& t, __m512i words, __m512i reliever_words) {
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i state = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(active, states));
  // hit(): a service this month (a lambda would not take the function's target).
#define PHSIM_HIT(asking) service_hit16((asking), c.row, k, words, t.service_thr)
  __m512i next = state;
  switch (s.kind) {
    case MeasureKind::CountInWindow: {
      if (s.window == WindowKind::Lookback) {
        const __mmask16 offered = in_population16(s, active & c.enrolled, c.age_dec_months, c.female, c.conditions);
        const __m512i aged = _mm512_mask_add_epi32(state, _mm512_cmpneq_epi32_mask(state, _mm512_set1_epi32(kLookbackNone)),
                                                   state, one);
        next = _mm512_maskz_mov_epi32(static_cast<__mmask16>(~PHSIM_HIT(offered)), aged);
        break;
      }
      __m512i count = _mm512_and_si512(state, _mm512_set1_epi32(kCountMask));
      __m512i flags = _mm512_and_si512(state, _mm512_set1_epi32(kMilestoneMet | kMilestoneReached));
      if (s.anchor == Anchor::Milestone) {
        for (int j = 0; j < s.n_milestones; ++j) {
          const __mmask16 reached = _mm512_cmpeq_epi32_mask(c.age_months, _mm512_set1_epi32(s.milestones[j]));
          const __mmask16 met = _mm512_cmpge_epi32_mask(count, _mm512_set1_epi32(s.min_services));
          flags = _mm512_mask_mov_epi32(flags, reached,
                                        _mm512_mask_mov_epi32(_mm512_set1_epi32(kMilestoneReached), met,
                                                              _mm512_set1_epi32(kMilestoneReached | kMilestoneMet)));
          if (s.window == WindowKind::SinceBirthday) count = _mm512_maskz_mov_epi32(static_cast<__mmask16>(~reached), count);
        }
      }
      __mmask16 in_window = 0;
      switch (s.window) {
        case WindowKind::Year:
          in_window = in_population16(s, active, c.age_dec_months, c.female, c.conditions);
          break;
        case WindowKind::AgeMonths:
          in_window = static_cast<__mmask16>(active & _mm512_cmpge_epi32_mask(c.age_months, _mm512_set1_epi32(s.window_lo)) &
                                             _mm512_cmplt_epi32_mask(c.age_months, _mm512_set1_epi32(s.window_hi)));
          break;
        case WindowKind::SinceBirthday:
          if (s.n_milestones > 0) {
            in_window = _mm512_mask_cmplt_epi32_mask(active, c.age_months, _mm512_set1_epi32(s.milestones[s.n_milestones - 1]));
          }
          break;
        default:
          break;
      }
      const __mmask16 counting = PHSIM_HIT(static_cast<__mmask16>(
          in_window & c.enrolled & _mm512_cmplt_epi32_mask(count, _mm512_set1_epi32(kCountMask))));
      next = _mm512_or_si512(flags, _mm512_mask_add_epi32(count, counting, count, one));
      break;
    }
    case MeasureKind::Control: {
      const __mmask16 read = PHSIM_HIT(in_population16(s, active & c.enrolled, c.age_dec_months, c.female, c.conditions));
      const __mmask16 good = s.control == ControlState::BloodPressure
                                 ? _mm512_test_epi32_mask(c.clinical, _mm512_set1_epi32(kBpControlled))
                                 : _mm512_testn_epi32_mask(c.clinical, _mm512_set1_epi32(kA1cPoor));
      next = _mm512_mask_mov_epi32(state, read, _mm512_mask_mov_epi32(one, good, _mm512_set1_epi32(3)));
      break;
    }
    case MeasureKind::Ratio: {
      const __mmask16 eligible = in_population16(s, active & c.enrolled, c.age_dec_months, c.female, c.conditions);
      __m512i controller = _mm512_and_si512(state, _mm512_set1_epi32(0x0f));
      __m512i reliever = _mm512_srli_epi32(state, 4);
      const __mmask16 fill = PHSIM_HIT(_mm512_mask_cmplt_epi32_mask(eligible, controller, _mm512_set1_epi32(15)));
      controller = _mm512_mask_add_epi32(controller, fill, controller, one);
      const __mmask16 relieve = _mm512_mask_cmplt_epi32_mask(eligible, reliever, _mm512_set1_epi32(15)) &
                                below16(reliever_words, t.reliever_fill_thr);
      reliever = _mm512_mask_add_epi32(reliever, relieve, reliever, one);
      next = _mm512_mask_mov_epi32(state, eligible, _mm512_or_si512(_mm512_slli_epi32(reliever, 4), controller));
      break;
    }
    case MeasureKind::Followup:
      break;  // (walked lane by lane by the caller)
  }
  _mm512_mask_cvtepi32_storeu_epi8(states, active, next);
#undef PHSIM_HIT
}

/// quiet_walks: 16 slots at a time, the members' fields loaded once, then measure by measure.
PHSIM_AVX512_FUNCTION void quiet_walks_avx512(
    const MemberView& m, const StepTablesView& t, std::uint32_t seed, std::int32_t month, std::uint64_t begin,
    std::uint32_t n, const QuietLanes& q, const PhiloxBatch& services, const ServiceLanes& lanes) {
  constexpr std::uint32_t kReliever = kMaxMeasures;
  for (std::uint32_t j = 0; j < n; j += 16) {
    const std::uint64_t i = begin + j;
    const auto valid = static_cast<__mmask16>(n - j >= 16 ? 0xffffu : (1u << (n - j)) - 1u);
    const __m512i relevant = _mm512_maskz_loadu_epi32(valid, q.relevant + j);  // 0 unless quiet
    const __mmask16 walking = _mm512_test_epi32_mask(relevant, relevant);
    if (!walking) continue;
    std::uint32_t measures = static_cast<std::uint32_t>(_mm512_reduce_or_epi32(relevant));
    // The rows of the service thresholds: [contract][race][tier].
    alignas(64) std::int32_t row[16] = {};
    for (std::uint32_t l = 0; l < 16 && j + l < n; ++l) {
      if (!q.relevant[j + l]) continue;
      row[l] = static_cast<std::int32_t>(service_index(0, m.contract[i + l], m.race[i + l],
                                                       t.practice_tier[m.practice[i + l]], t.n_measures));
    }
    const __m512i birth = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(valid, m.birth_month + i));
    QuietMembers16 c;
    c.enrolled = _mm512_test_epi32_mask(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(valid, m.status + i)),
                                        _mm512_set1_epi32(kEnrolled));
    c.female = _mm512_cmpeq_epi32_mask(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(valid, m.sex + i)),
                                       _mm512_set1_epi32(static_cast<int>(Sex::Female)));
    c.conditions = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(valid, m.conditions + i));
    c.clinical = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(valid, m.clinical + i));
    c.age_months = _mm512_sub_epi32(_mm512_set1_epi32(month), birth);
    c.age_dec_months = _mm512_sub_epi32(_mm512_set1_epi32(month - month % 12 + 11), birth);
    c.row = _mm512_load_si512(row);
    const __m512i reliever_words = lanes.has(kReliever / 4, j)
                                       ? _mm512_loadu_si512(services.out[kReliever % 4] + lanes.lane(kReliever / 4, j))
                                       : _mm512_setzero_si512();
    do {
      const std::uint32_t k = lowest_set_bit(measures);
      measures &= measures - 1u;
      const MeasureSpec& s = t.measures[k];
      const __mmask16 active = _mm512_test_epi32_mask(relevant, _mm512_set1_epi32(static_cast<int>(1u << k)));
      std::uint8_t* const states = m.measure_state + k * m.stride + i;
      const __m512i words = _mm512_loadu_si512(services.out[k % 4] + lanes.lane(k / 4, j));
      if (s.kind == MeasureKind::Followup) {
        // Not in a quiet month's walk (no event); lane by lane all the same.
        for (std::uint32_t l = 0; l < 16; ++l) {
          if (!(active & (1u << l))) continue;
          TileServiceDraws draws(services, lanes, j + l, seed, m.member_id[i + l],
                                 static_cast<std::uint32_t>(month), t.rng_replicate);
          states[l] = update_measure(s, states[l], quiet_context(m, i + l, month),
                                     [&] { return service_threshold(t.service_thr[static_cast<std::uint32_t>(row[l]) + k]); },
                                     k, draws, t.reliever_fill_thr);
        }
        continue;
      }
      walk_measure16(s, k, active, c, states, t, words, reliever_words);
    } while (measures);
  }
}
#endif

}  // namespace

void quiet_months(const MemberView& m, const StepTablesView& t, std::int32_t month,
                  std::uint64_t begin, std::uint32_t n, const PhiloxBatch& dynamics,
                  const DynamicsLanes& lanes, QuietLanes& q, SimdLevel level) {
  if (!t.condition_change_bound_thr) {
    q.none(m.status + begin, n);
    return;
  }
  const bool intervening = t.iv.n != 0;
#if PHSIM_X86_SIMD
  if (level >= SimdLevel::Avx512 && best_simd_level() >= SimdLevel::Avx512) {
    quiet_avx512(m, t, month, begin, n, dynamics, lanes, intervening, q);
    return;
  }
#endif
  quiet_scalar(m, t, month, begin, n, dynamics, lanes, intervening, q);
}

bool quiet_walks(const MemberView& m, const StepTablesView& t, std::uint32_t seed, std::int32_t month,
                 std::uint64_t begin, std::uint32_t n, const QuietLanes& q, const PhiloxBatch& services,
                 const ServiceLanes& lanes, SimdLevel level) {
#if PHSIM_X86_SIMD
  if (level < SimdLevel::Avx512 || best_simd_level() < SimdLevel::Avx512) return false;
  for (std::uint32_t g = 0; g * kGroupSlots < n; ++g) {
    if (!q.group_relevant[g]) continue;
    for (std::uint32_t b = service_blocks(t, q.group_relevant[g]); b; b &= b - 1u) {
      if (lanes.at[lowest_set_bit(b)][g] == kNoLane) return false;
    }
  }
  quiet_walks_avx512(m, t, seed, month, begin, n, q, services, lanes);
  return true;
#else
  (void)m, (void)t, (void)seed, (void)month, (void)begin, (void)n, (void)q, (void)services, (void)lanes, (void)level;
  return false;
#endif
}

}  // namespace phsim
