// Quiet months (sim/quiet_month.hpp): the dynamics a lane at a time in plain C++ (the
// reference, and the path of CPUs without AVX2) or a vector of lanes at a time
// (sim/quiet_lanes.inc: 16 with AVX-512, 8 with AVX2), chosen at run time like the Philox
// batch; each test mirrors a line of StepMember::advance (kernels/dynamics.hpp) for a member
// whose month turns out quiet. The measure walks of quiet members a vector at a time,
// mirroring update_measure (kernels/measures.hpp); without AVX2 they go member by member.
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
  if (below(x[2], t.condition_change_thr[condition_change_index(age, conditions)])) return false;
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

/// quiet_lane of slot begin + j, with its outputs in `q` (a group's fields start at its first
/// slot).
void quiet_slot(const MemberView& m, const StepTablesView& t, std::int32_t month, std::uint64_t begin,
                std::uint32_t j, const PhiloxBatch& d, const DynamicsLanes& lanes, bool intervening, QuietLanes& q) {
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

/// update_measure of measure k of quiet slot i (slot j of the tile), whose service thresholds
/// start at `row`.
void walk_quiet_measure(const MemberView& m, const StepTablesView& t, std::uint32_t seed, std::int32_t month,
                        std::uint64_t i, std::uint32_t j, std::uint32_t k, std::uint32_t row,
                        const PhiloxBatch& services, const ServiceLanes& lanes) {
  TileServiceDraws draws(services, lanes, j, seed, m.member_id[i], static_cast<std::uint32_t>(month), t.rng_replicate);
  std::uint8_t& state = m.measure_state[k * m.stride + i];
  state = update_measure(t.measures[k], state, quiet_context(m, i, month),
                         [&] { return service_threshold(t.service_thr[row + k]); }, k, draws, t.reliever_fill_thr);
}

#define PHSIM_LANES_CODE "sim/quiet_lanes.inc"
#include "sim/simd_levels.inc"
#undef PHSIM_LANES_CODE

/// Lanes per vector of `level` on this CPU (1: lane by lane).
std::uint32_t vector_lanes(SimdLevel level) {
#if PHSIM_X86_SIMD
  switch (simd_level_at_most(level)) {
    case SimdLevel::Avx512: return Avx512Lanes::kLanes;
    case SimdLevel::Avx2: return Avx2Lanes::kLanes;
    case SimdLevel::Scalar: break;
  }
#endif
  (void)level;
  return 1;
}

}  // namespace

void quiet_months(const MemberView& m, const StepTablesView& t, std::int32_t month,
                  std::uint64_t begin, std::uint32_t n, const PhiloxBatch& dynamics,
                  const DynamicsLanes& lanes, QuietLanes& q, SimdLevel level) {
  if (!t.condition_change_thr) {
    q.none(m.status + begin, n);
    return;
  }
  const bool intervening = t.iv.n != 0;
  const std::uint32_t width = vector_lanes(level), whole = width > 1 ? n - n % width : 0;
#if PHSIM_X86_SIMD
  if (width == Avx512Lanes::kLanes) avx512::quiet_vector(m, t, month, begin, n, dynamics, lanes, intervening, q);
  if (width == Avx2Lanes::kLanes) avx2::quiet_vector(m, t, month, begin, n, dynamics, lanes, intervening, q);
#endif
  for (std::uint32_t j = whole; j < n; ++j) quiet_slot(m, t, month, begin, j, dynamics, lanes, intervening, q);
}

std::uint32_t quiet_walks(const MemberView& m, const StepTablesView& t, std::uint32_t seed, std::int32_t month,
                          std::uint64_t begin, std::uint32_t n, const QuietLanes& q, const PhiloxBatch& services,
                          const ServiceLanes& lanes, SimdLevel level) {
  const std::uint32_t width = vector_lanes(level);
  if (width == 1) return 0;
  for (std::uint32_t g = 0; g * kGroupSlots < n; ++g) {
    if (!q.group_relevant[g]) continue;
    for (std::uint32_t b = service_blocks(t, q.group_relevant[g]); b; b &= b - 1u) {
      if (lanes.at[lowest_set_bit(b)][g] == kNoLane) return 0;
    }
  }
#if PHSIM_X86_SIMD
  if (width == Avx512Lanes::kLanes) avx512::quiet_walks_vector(m, t, seed, month, begin, n, q, services, lanes);
  if (width == Avx2Lanes::kLanes) avx2::quiet_walks_vector(m, t, seed, month, begin, n, q, services, lanes);
#else
  (void)m, (void)seed, (void)month, (void)begin, (void)services;  // (no vector level: width is 1)
#endif
  return n - n % width;
}

}  // namespace phsim
