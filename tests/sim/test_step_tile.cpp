// The CPU's tiled step (sim/step_tile.hpp) must read exactly the random words of the
// member-by-member step: the batched Philox equals Random123 at every vector level this CPU
// runs, and the Service blocks queued for a member cover every word its measure walk reads.
// The members whose month quiet_months does give what StepMember::advance gives them.
// (That the whole step gives the same results is EngineDynamics.BatchedDrawsChangeNoResult.)
#include <gtest/gtest.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "io/reference_data_io.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/rng.hpp"
#include "sim/engine.hpp"
#include "sim/philox_batch.hpp"
#include "sim/quiet_month.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"
#include "sim/step_tile.hpp"

namespace phsim {
namespace {

std::vector<SimdLevel> levels_here() {
  std::vector<SimdLevel> out;
  for (const SimdLevel l : {SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512}) {
    if (l <= best_simd_level()) out.push_back(l);
  }
  return out;
}

TEST(PhiloxBatch, EveryLevelGivesTheBlocksOfPhilox) {
  std::mt19937 gen(12345);
  const auto word = [&gen]() { return static_cast<std::uint32_t>(gen()); };
  std::printf("vector levels run here: up to %s\n", simd_level_name(best_simd_level()));
  for (const SimdLevel level : levels_here()) {
    // Batch sizes around the 16- and 64-lane passes, up to the capacity.
    for (const std::size_t n : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17},
                                std::size_t{63}, std::size_t{64}, std::size_t{65}, std::size_t{200},
                                PhiloxBatch::kCapacity}) {
      PhiloxBatch b;
      const std::uint32_t seed = word();
      const RngStream stream = n % 2 ? RngStream::Service : RngStream::Dynamics;
      for (std::size_t j = 0; j < n; ++j) {
        // Extreme words in the first lanes, random ones after.
        const std::uint32_t edge = j % 2 ? 0xffffffffu : 0u;
        if (j < 4) {
          b.add(edge, edge, edge, edge);
        } else {
          b.add(word(), word(), word(), word() % 8);
        }
      }
      ASSERT_EQ(b.n, n);
      compute_philox_batch(b, seed, stream, level);
      int wrong = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const Philox rng(seed, stream, b.ctr[0][j], b.ctr[1][j], b.ctr[2][j]);
        const RandomBlock want = rng.block(b.ctr[3][j]), got = b.result(j);
        for (int w = 0; w < 4; ++w) wrong += want.v[w] != got.v[w];
      }
      EXPECT_EQ(wrong, 0) << simd_level_name(level) << ", " << n << " blocks";
    }
  }
}

TEST(PhiloxBatch, KnownAnswersOfRandom123) {
  // Random123's published known-answer vectors for philox4x32 with 10 rounds (kat_vectors):
  // counter, key, result. A batch has one key, so each vector is its own batch, computed in
  // lane 0 and in lane 37 (the second AVX-512 pass, the third AVX2 pass).
  struct Kat {
    std::uint32_t ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u},
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (const SimdLevel level : levels_here()) {
    for (const Kat& k : kats) {
      PhiloxBatch b;
      for (int j = 0; j < 40; ++j) b.add(k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]);
      compute_philox_batch(b, k.key[0], static_cast<RngStream>(k.key[1]), level);
      for (const int lane : {0, 37}) {
        for (int w = 0; w < 4; ++w) {
          EXPECT_EQ(b.out[w][lane], k.out[w]) << simd_level_name(level) << " lane " << lane << " word " << w;
        }
      }
    }
  }
}

/// Service words recorded by block (ServiceDraws' layout: measure k in block k / 4, the
/// reliever word in block kMaxMeasures / 4); every word is 0, so every service happens.
struct RecordingDraws {
  std::uint32_t blocks = 0;
  std::uint32_t word(std::uint32_t measure) {
    blocks |= 1u << (measure / 4);
    return 0;
  }
  std::uint32_t reliever_word() { return word(kMaxMeasures); }
};

/// The step tables of the embedded data (calibrated), viewed from the host.
struct EmbeddedStepTables {
  StepTables step;
  StepTablesView t;
  EmbeddedStepTables() {
    const ReferenceData d = load_embedded_reference_data();
    const ModelParameters params = read_model_parameters(d);
    const SynthesisTables tables = make_synthesis_tables(d, 1000, 0);
    step = make_step_tables(d, tables, params, calibrate_service_model(d, tables, params));
    t = step.scalars;
    t.measures = step.measures.data();
    t.service_thr = step.service_thr.data();
    t.practice_tier = step.practice_tier.data();
    t.measure_age_mask = step.measure_age_mask.data();
    t.measure_condition_mask = step.measure_condition_mask.data();
    t.death_thr = step.death_thr.data();
    t.death_serious_thr = step.death_serious_thr.data();
    t.conception_thr = step.conception_thr.data();
    t.condition_change_thr = step.condition_change_thr.data();
    t.incidence_thr = step.incidence_thr.data();
    t.default_thr = step.default_thr.data();
    t.contract_first = step.contract_first.data();
    t.contract_count = step.contract_count.data();
    t.choice_cum = step.choice_cum.data();
    t.default_cum = step.default_cum.data();
    t.aid_group_of_age = step.aid_group_of_age.data();
    t.aid_cum = step.aid_cum.data();
  }
};

/// Host member arrays of `slots` zeroed slots.
HostMembers zeroed_members(std::size_t slots) {
  HostMembers h;
#define PHSIM_ZEROED_SLOTS(T, name, extent, doc) h.name.assign((extent) * slots, T{});
  PHSIM_MEMBER_FIELDS(PHSIM_ZEROED_SLOTS)
#undef PHSIM_ZEROED_SLOTS
  return h;
}

TEST(ServiceBlocks, CoverEveryBlockTheMeasureWalkReads) {
  const EmbeddedStepTables e;
  const StepTables& step = e.step;
  StepTablesView t = e.t;
  t.reliever_fill_thr = kThresholdOne;  // relievers always filled: the reliever word is read
  ASSERT_NE(t.ratio_mask, 0u) << "the embedded measures include a Ratio measure (AMR)";

  HostMembers h = zeroed_members(1);
  const MemberView m = h.view();
  std::mt19937 gen(7);
  const std::uint32_t all = (1u << (kMaxMeasures / 4 + 1)) - 1u;
  int walks = 0, narrower = 0, reads = 0;
  for (int trial = 0; trial < 200000; ++trial) {
    MeasureWork w;
    w.ctx.age_months = static_cast<int>(gen() % (95 * 12));
    w.ctx.age_dec_months = w.ctx.age_months + static_cast<int>(gen() % 12);
    w.ctx.enrolled = gen() % 4 != 0;
    w.ctx.female = gen() % 2;
    w.ctx.conditions = static_cast<std::uint8_t>(gen() % 64);
    w.ctx.clinical = static_cast<std::uint8_t>(gen());
    w.ctx.events = static_cast<std::uint8_t>(gen() % 3 ? 0 : gen());
    w.relevant = relevant_measures(t, w.ctx);
    if (!w.relevant) continue;
    h.contract[0] = static_cast<std::uint16_t>(gen() % t.n_contracts);
    h.race[0] = static_cast<std::uint8_t>(gen() % kRaceCount);
    h.practice[0] = static_cast<std::uint16_t>(gen() % step.practice_tier.size());
    for (std::uint32_t k = 0; k < kMaxMeasures; ++k) {
      // States of every kind, small counts most often (room for another service).
      h.measure_state[k] = static_cast<std::uint8_t>(gen() % 2 ? gen() % 8 : gen());
    }
    RecordingDraws rec;
    update_member_measures(m, t, 0, w, rec);
    const std::uint32_t queued = service_blocks(t, w.relevant);
    ++walks;
    if (rec.blocks) ++reads;
    if (queued != all) ++narrower;
    ASSERT_EQ(rec.blocks & ~queued, 0u)
        << "trial " << trial << ": walk read blocks 0x" << std::hex << rec.blocks << ", queued 0x" << queued;
  }
  // The walks did read words, and the queue is narrower than every block for most members.
  EXPECT_GT(reads, walks / 2);
  EXPECT_GT(narrower, walks / 2);
}

/// A word just below or at `thr`, or any word: decisions near every threshold.
std::uint32_t word_near(std::mt19937& gen, std::uint64_t thr) {
  switch (gen() % 8) {
    case 0: return thr == 0 ? 0u : static_cast<std::uint32_t>(std::min<std::uint64_t>(thr - 1, 0xffffffffu) - gen() % 3);
    case 1: return static_cast<std::uint32_t>(std::min<std::uint64_t>(thr + gen() % 3, 0xffffffffu));
    default: return static_cast<std::uint32_t>(gen());
  }
}

TEST(QuietMonths, EveryLevelDoesWhatAdvanceDoes) {
  // Random members (ages around the aid-category birthdays, every pregnancy state, sums near
  // saturation) and words near the thresholds that decide each branch. At every vector level:
  // a member marked quiet must end with the arrays and measure work advance gives it, and
  // without an event; every other member must be left as it was. Both kinds must occur.
  const EmbeddedStepTables e;
  constexpr std::size_t kSlots = 3 * 64 + 17;
  std::mt19937 gen(2024);
  int quiet = 0, other = 0, quiet_enrolled = 0, quiet_enrolled_intervening = 0, quiet_block2 = 0;
  for (const bool intervening : {false, true}) {
    StepTablesView t = e.t;
    t.iv.n = intervening ? 1u : 0u;  // (no tables: only quiet members run advance here)
    for (int round = 0; round < 60; ++round) {
      // A July, or a January (a new measurement year as well).
      const std::int32_t kMonth = (2026 - 1900) * 12 + (round % 3 ? 6 : 0);
      HostMembers before = zeroed_members(kSlots);
      for (std::size_t i = 0; i < kSlots; ++i) {
        const std::uint32_t r = static_cast<std::uint32_t>(gen());
        before.member_id[i] = static_cast<std::uint32_t>(i + 1000 * round);
        before.status[i] = static_cast<std::uint8_t>(r % 8 == 0 ? 0 : (r & 0x0e) | kAlive);
        const int age_months = r % 5 == 0 ? (r % 2 ? 19 * 12 : 65 * 12) + static_cast<int>(gen() % 3) - 1
                                          : static_cast<int>(gen() % (125 * 12));
        before.birth_month[i] = static_cast<std::int16_t>(kMonth - age_months);
        before.sex[i] = static_cast<std::uint8_t>(gen() % 2);
        before.aid[i] = static_cast<std::uint8_t>(gen() % kAidCount);
        before.conditions[i] = static_cast<std::uint8_t>(gen() % 64);
        before.clinical[i] = static_cast<std::uint8_t>(gen() & 0x0f);
        before.pregnancy[i] = static_cast<std::uint8_t>((gen() % 2 ? gen() % 13 : 0) | (gen() % 2 ? 0x80 : 0));
        before.enrolled_months[i] = static_cast<std::uint16_t>(gen() & 0x3f);
        before.year_ed_visits[i] = static_cast<std::uint8_t>(gen() % 4 ? gen() % 5 : 255 - gen() % 2);
        before.year_cost_usd[i] = gen() % 4 ? gen() % 100000 : 0xffffffffu - gen() % 3000;
        before.year_capitation_cents[i] = gen() % 4 ? gen() % 1000000 : 0xffffffffu - gen() % 90000;
        before.year_inpatient_days[i] = static_cast<std::uint16_t>(gen() % 10);
        before.months_flushed[i] = static_cast<std::uint8_t>(gen() % 3);
        before.year_program_cost_cents[i] = gen() % 1000;
        for (std::uint32_t k = 0; k < kMaxMeasures; ++k) before.measure_state[k * kSlots + i] = static_cast<std::uint8_t>(gen());
      }
      const std::size_t begin = 64 * (gen() % 4);
      const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(kSlots - begin, 1 + gen() % 64));
      // Dynamics blocks 0, 1 and 2 of each slot, as step_tile lays them out.
      PhiloxBatch d{};
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::size_t i = begin + j;
        const int age = std::min((kMonth - before.birth_month[i]) / 12, kMaxAgeYears);
        const bool serious = before.conditions[i] & condition_bit(Condition::SeriousIllness);
        const bool enrolled = before.status[i] & kEnrolled;
        d.out[0][j] = word_near(gen, serious ? t.death_serious_thr[age] : t.death_thr[age]);
        d.out[1][j] = word_near(gen, enrolled ? t.disenroll_thr : t.reenroll_thr);
        d.out[2][j] = word_near(gen, t.condition_change_thr[condition_change_index(age, before.conditions[i])]);
        d.out[3][j] = word_near(gen, t.ed_thr[serious ? 4 : 0]);
        d.out[0][64 + j] = word_near(gen, t.inpatient_thr[serious ? 1 : 0]);
        d.out[1][64 + j] = word_near(gen, t.conception_thr[age]);
        d.out[2][64 + j] = word_near(gen, gen() % 2 ? t.bp_to_controlled_thr : t.bp_to_uncontrolled_thr);
        d.out[3][64 + j] = word_near(gen, gen() % 2 ? t.a1c_to_ok_thr : t.a1c_to_poor_thr);
        d.out[0][128 + j] = word_near(gen, t.ed_mental_health_thr);
        d.out[1][128 + j] = word_near(gen, t.ed_substance_use_thr);
        d.out[2][128 + j] = static_cast<std::uint32_t>(gen());
        d.out[3][128 + j] = static_cast<std::uint32_t>(gen());
      }
      // Blocks 0 and 1 of every group; block 2 of a group only where step_tile computes it (an
      // enrolled member with mental illness or substance use), or of every group half the time.
      DynamicsLanes lanes;
      for (std::uint32_t g = 0; g < DynamicsLanes::kGroups; ++g) {
        bool block2 = round % 2 == 0;
        for (std::uint32_t j = g * kGroupSlots; j < (g + 1) * kGroupSlots && j < n; ++j) {
          block2 |= (before.status[begin + j] & (kAlive | kEnrolled)) == (kAlive | kEnrolled) &&
                    (before.conditions[begin + j] &
                     (condition_bit(Condition::MentalIllness) | condition_bit(Condition::SubstanceUse)));
        }
        for (std::uint32_t b = 0; b < kTileDynamicsBlocks; ++b) {
          lanes.at[b][g] = b == 2 && !block2 ? kNoLane : static_cast<std::uint16_t>(64 * b + g * kGroupSlots);
        }
      }

      // What advance does to each slot, alone.
      HostMembers want = before;
      std::vector<MeasureWork> work(n);
      std::vector<unsigned long long> events(static_cast<std::size_t>(t.n_contracts) * kEventFieldCount);
      std::vector<int> had_event(n);
      const StepMember step{want.view(), &t, events.data(), 99u, kSlots, kMonth};

      for (const SimdLevel level : levels_here()) {
        HostMembers got = before;
        QuietLanes q;
        std::memset(&q, 0xab, sizeof q);
        quiet_months(got.view(), t, kMonth, begin, n, d, lanes, q, level);
        for (std::uint32_t j = 0; j < n; ++j) {
          const std::size_t i = begin + j;
          const std::string where = std::string(simd_level_name(level)) + ", slot " + std::to_string(i) +
                                    ", round " + std::to_string(round) + (intervening ? ", interventions" : "");
          ASSERT_LE(q.quiet[j], 1) << where;
          // The living slots left for advance, and each group's measures to walk.
          EXPECT_EQ((q.busy[j / kGroupSlots] >> (j % kGroupSlots)) & 1u,
                    !q.quiet[j] && (before.status[i] & kAlive) ? 1u : 0u) << where;
          EXPECT_EQ(q.relevant[j] & ~q.group_relevant[j / kGroupSlots], 0u) << where;
          if (!q.quiet[j]) {
            ++other;
#define PHSIM_EXPECT_UNCHANGED(T, name, extent, doc) \
  for (std::size_t x = 0; x < (extent); ++x) EXPECT_EQ(got.name[x * kSlots + i], before.name[x * kSlots + i]) << #name << ", " << where;
            PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_UNCHANGED)
#undef PHSIM_EXPECT_UNCHANGED
            continue;
          }
          ++quiet;
          if (before.status[i] & kEnrolled) ++(intervening ? quiet_enrolled_intervening : quiet_enrolled);
          if ((before.status[i] & kEnrolled) && (before.conditions[i] & (condition_bit(Condition::MentalIllness) |
                                                                        condition_bit(Condition::SubstanceUse)))) {
            ++quiet_block2;  // read block 2 for their ED visits
          }
          std::fill(events.begin(), events.end(), 0ull);
          DynamicsDraws draws(99u, want.member_id[i], kMonth, 0);
          draws.provide(0, d.result(j));
          draws.provide(1, d.result(64 + j));
          if (lanes.has(2, j)) draws.provide(2, d.result(128 + j));  // (else drawn if read: it must not be)
          const bool walks = step.advance(i, t, draws, work[j]);
          for (const unsigned long long v : events) EXPECT_EQ(v, 0ull) << "an event in a quiet month, " << where;
#define PHSIM_EXPECT_ADVANCED(T, name, extent, doc) \
  for (std::size_t x = 0; x < (extent); ++x) EXPECT_EQ(got.name[x * kSlots + i], want.name[x * kSlots + i]) << #name << ", " << where;
          PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_ADVANCED)
#undef PHSIM_EXPECT_ADVANCED
          EXPECT_EQ(q.relevant[j], work[j].relevant) << where;
          EXPECT_EQ(walks, q.relevant[j] != 0) << where;
          const MeasureContext c = quiet_context(got.view(), i, kMonth);
          EXPECT_EQ(work[j].reach, 0) << where;
          if (walks) {
            EXPECT_EQ(c.age_months, work[j].ctx.age_months) << where;
            EXPECT_EQ(c.age_dec_months, work[j].ctx.age_dec_months) << where;
            EXPECT_EQ(c.enrolled, work[j].ctx.enrolled) << where;
            EXPECT_EQ(c.female, work[j].ctx.female) << where;
            EXPECT_EQ(c.conditions, work[j].ctx.conditions) << where;
            EXPECT_EQ(c.clinical, work[j].ctx.clinical) << where;
            EXPECT_EQ(c.events, work[j].ctx.events) << where;
          }
          // Advance ran on `want` slot i only; undo it so the next level starts alike.
#define PHSIM_RESTORE(T, name, extent, doc) \
  for (std::size_t x = 0; x < (extent); ++x) want.name[x * kSlots + i] = before.name[x * kSlots + i];
          PHSIM_MEMBER_FIELDS(PHSIM_RESTORE)
#undef PHSIM_RESTORE
        }
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
  std::printf("quiet %d, other %d, quiet and enrolled %d\n", quiet, other, quiet_enrolled);
  EXPECT_GT(quiet, other / 4);
  EXPECT_GT(other, quiet / 4);
  EXPECT_GT(quiet_enrolled, quiet / 10);
  EXPECT_GT(quiet_block2, quiet_enrolled / 4);
  EXPECT_EQ(quiet_enrolled_intervening, 0) << "interventions may reach every enrolled member";
}

TEST(QuietWalks, EveryMeasureAsUpdateMemberMeasures) {
  // Random quiet members (ages at and around every milestone and window edge, every condition,
  // counts near saturation) with random measures to walk, follow-ups included, and service words
  // near each member's threshold: the vector walk (16 lanes with AVX-512, 8 with AVX2) must leave
  // every state byte of the whole vectors it walks as the walk of update_member_measures, member
  // by member, does, and the last slots untouched; and it must refuse a batch missing a block.
  // Without AVX2 it refuses every batch.
  if (best_simd_level() < SimdLevel::Avx2) GTEST_SKIP() << "no AVX2 on this CPU: the walks go one by one";
  const EmbeddedStepTables e;
  constexpr std::uint32_t kSlots = 3 * 64 + 17;
  std::vector<int> ages;  // months: every milestone and window edge, and the months around them
  for (std::uint32_t k = 0; k < e.t.n_measures; ++k) {
    const MeasureSpec& s = e.step.measures[k];
    for (const int a : {int{s.age_lo}, int{s.age_hi}, int{s.window_lo}, int{s.window_hi}, int{s.milestones[0]},
                        int{s.milestones[1]}, int{s.milestones[2]}}) {
      for (int d = -1; d <= 1; ++d) ages.push_back(std::max(0, a + d));
    }
  }
  std::mt19937 gen(77);
  // Some thresholds "always" (0xffffffff: 2^32), as an intervention can make them.
  std::vector<std::uint32_t> service_thr = e.step.service_thr;
  for (std::uint32_t& thr : service_thr) thr = gen() % 16 ? thr : 0xffffffffu;
  // States changed: CountInWindow by window (Year, AgeMonths, SinceBirthday, Lookback), Control,
  // Ratio. (A follow-up changes only in a month with an event.)
  std::vector<int> changed(6);
  const auto branch = [](const MeasureSpec& s) {
    return s.kind == MeasureKind::CountInWindow ? static_cast<int>(s.window) : s.kind == MeasureKind::Control ? 4 : 5;
  };
  int refused = 0;
  for (int round = 0; round < 120; ++round) {
    StepTablesView t = e.t;
    t.service_thr = service_thr.data();
    t.reliever_fill_thr = gen() % 8 ? gen() : kThresholdOne;
    const std::int32_t month = (2025 - 1900) * 12 + static_cast<std::int32_t>(gen() % 12);
    HostMembers before = zeroed_members(kSlots);
    QuietLanes q;
    const std::uint32_t measures = (1u << t.n_measures) - 1u;
    for (std::uint32_t i = 0; i < kSlots; ++i) {
      before.member_id[i] = i;
      before.status[i] = static_cast<std::uint8_t>(kAlive | (gen() % 4 ? kEnrolled : 0));
      const int age_months = gen() % 2 ? ages[gen() % ages.size()] : static_cast<int>(gen() % (100 * 12));
      // age_months is the age this month: born that many months before `month`.
      before.birth_month[i] = static_cast<std::int16_t>(month - age_months);
      before.sex[i] = static_cast<std::uint8_t>(gen() % 2);
      before.conditions[i] = static_cast<std::uint8_t>(gen() % 64);
      before.clinical[i] = static_cast<std::uint8_t>(gen() % 4);
      before.contract[i] = static_cast<std::uint16_t>(gen() % t.n_contracts);
      before.race[i] = static_cast<std::uint8_t>(gen() % kRaceCount);
      before.practice[i] = static_cast<std::uint16_t>(gen() % e.step.practice_tier.size());
      for (std::uint32_t k = 0; k < kMaxMeasures; ++k) {
        const std::uint32_t r = static_cast<std::uint32_t>(gen());
        // Lookback's "none" and its neighbour, any byte, small counts (near min_services), any count.
        const std::uint32_t v = r / 8;
        before.measure_state[k * kSlots + i] = static_cast<std::uint8_t>(
            r % 8 == 0 ? 255 - v % 2 : r % 8 == 1 ? v : r % 8 < 5 ? v % 8 | (v & 0xc0) : v % 70 | (r % 3 ? 0 : 0x40));
      }
    }
    const std::uint32_t begin = 64 * static_cast<std::uint32_t>(gen() % 4);
    const std::uint32_t n = std::min(kSlots - begin, 1 + static_cast<std::uint32_t>(gen() % 64));
    std::fill(std::begin(q.group_relevant), std::end(q.group_relevant), 0u);
    for (std::uint32_t j = 0; j < n; ++j) {
      const bool quiet = gen() % 5 != 0;
      q.quiet[j] = quiet ? 1 : 0;
      std::uint32_t relevant = measures & static_cast<std::uint32_t>(gen());
      if (gen() % 2) relevant &= ~t.followup_mask;  // (a quiet month has no follow-up to walk)
      q.relevant[j] = quiet ? relevant : 0u;
      q.group_relevant[j / kGroupSlots] |= q.relevant[j];
    }
    // Every Service block of every slot, words near the slot's thresholds.
    PhiloxBatch services{};
    ServiceLanes lanes;
    for (std::uint32_t b = 0; b < kServiceBlocks; ++b) {
      for (std::uint32_t g = 0; g < ServiceLanes::kGroups; ++g) lanes.at[b][g] = static_cast<std::uint16_t>(64 * b + g * kGroupSlots);
    }
    for (std::uint32_t j = 0; j < 64; ++j) {
      const std::uint32_t i = std::min(begin + j, kSlots - 1);
      const std::uint64_t row = service_index(0, before.contract[i], before.race[i],
                                              e.step.practice_tier[before.practice[i]], t.n_measures);
      for (std::uint32_t k = 0; k < kMaxMeasures; ++k) {
        const std::uint64_t thr = k < t.n_measures ? service_threshold(t.service_thr[row + k]) : 0;
        services.out[k % 4][lanes.lane(k / 4, j)] = word_near(gen, thr);
      }
      services.out[kMaxMeasures % 4][lanes.lane(kMaxMeasures / 4, j)] = word_near(gen, t.reliever_fill_thr);
    }
    services.n = 64 * kServiceBlocks;

    std::vector<SimdLevel> vector_levels;
    for (const SimdLevel level : levels_here()) {
      if (level != SimdLevel::Scalar) vector_levels.push_back(level);
    }
    if (round % 10 == 9) {
      // A block the walks read was not computed: refused, nothing changed.
      const std::uint32_t j = static_cast<std::uint32_t>(gen() % n);
      if (!q.relevant[j]) continue;
      ServiceLanes missing = lanes;
      missing.at[lowest_set_bit(service_blocks(t, q.relevant[j]))][j / kGroupSlots] = kNoLane;
      for (const SimdLevel level : vector_levels) {
        HostMembers got = before;
        EXPECT_EQ(quiet_walks(got.view(), t, 5u, month, begin, n, q, services, missing, level), 0u);
        EXPECT_EQ(got.measure_state, before.measure_state);
      }
      ++refused;
      continue;
    }
    HostMembers want = before;
    const MemberView w = want.view();
    for (std::uint32_t j = 0; j < n; ++j) {
      if (!q.relevant[j]) continue;
      const std::uint64_t i = begin + j;
      TileServiceDraws draws(services, lanes, j, 5u, before.member_id[i], static_cast<std::uint32_t>(month), 0);
      update_member_measures(w, t, i, MeasureWork{quiet_context(w, i, month), q.relevant[j], 0}, draws);
    }
    for (std::uint32_t k = 0; k < kMaxMeasures; ++k) {
      for (std::uint32_t i = 0; i < kSlots; ++i) {
        const std::size_t at = k * kSlots + i;
        if (k < t.n_measures && want.measure_state[at] != before.measure_state[at]) {
          EXPECT_NE(e.step.measures[k].kind, MeasureKind::Followup);
          ++changed[branch(e.step.measures[k])];
        }
      }
    }
    HostMembers scalar = before;  // (refused, nothing done)
    EXPECT_EQ(quiet_walks(scalar.view(), t, 5u, month, begin, n, q, services, lanes, SimdLevel::Scalar), 0u);
    EXPECT_EQ(scalar.measure_state, before.measure_state);
    for (const SimdLevel level : vector_levels) {
      HostMembers got = before;
      // The whole vectors walked; the last slots left to the caller, untouched.
      const std::uint32_t width = level == SimdLevel::Avx512 ? 16 : 8;
      const std::uint32_t walked = quiet_walks(got.view(), t, 5u, month, begin, n, q, services, lanes, level);
      ASSERT_EQ(walked, n - n % width) << simd_level_name(level);
      for (std::size_t at = 0; at < got.measure_state.size(); ++at) {
        const std::size_t slot = at % kSlots;
        const bool walked_here = slot >= begin && slot < begin + walked;
        ASSERT_EQ(got.measure_state[at], walked_here ? want.measure_state[at] : before.measure_state[at])
            << simd_level_name(level) << ", measure " << at / kSlots << ", slot " << at % kSlots << ", round "
            << round << ", state before " << int{before.measure_state[at]};
      }
    }
  }
  // Every kind of measure changed states, so every branch of the walk was compared.
  for (int b = 0; b < 6; ++b) EXPECT_GT(changed[b], 20) << "branch " << b;
  EXPECT_GT(refused, 5);
}

}  // namespace
}  // namespace phsim
