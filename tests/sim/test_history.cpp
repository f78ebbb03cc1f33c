// The service history before the start (InitializeHistory) draws the enrollment chain only as
// far back as a member's measures ask and visits only the measures that have a history. The
// states it writes must equal those of the plain rule in kernels/history.hpp's header, computed
// here on the host for every member: the whole 48-month chain, every measure; on the CPU's
// tiles (sim/setup_tile.hpp) and member by member (InitializeHistory, as on a GPU).
#include <gtest/gtest.h>

#include "kernels/history.hpp"
#include "tests/sim/embedded_population.hpp"

namespace phsim {
namespace {

/// Bit j - 1: enrolled j months before the start, the chain run back from the member's status
/// over all kHistoryMonths months (words 12 .. 59 of the History stream).
std::uint64_t whole_chain(const Philox& rng, bool enrolled_now, int age_months,
                          const HistoryTables& h, const StepTablesView& scalars) {
  std::uint64_t bits = 0;
  bool in = enrolled_now;
  for (std::uint32_t j = 1; j <= kHistoryMonths; ++j) {
    const int age_then = age_months - static_cast<int>(j);
    if (age_then < 0) break;
    const std::uint32_t x = rng.block(3 + (j - 1) / 4).v[(j - 1) % 4];
    if (age_then + 1 <= static_cast<int>(kHistoryMonths)) {
      in = x < (in ? h.bridge_in_thr : h.bridge_out_thr)[static_cast<std::size_t>(age_then)];
    } else {
      in = in ? !(x < scalars.disenroll_thr) : x < scalars.reenroll_thr;
    }
    if (in) bits |= 1ull << (j - 1);
  }
  return bits;
}

/// The state of measure k at the start for one member: every measure and every month visited.
std::uint8_t reference_state(const MeasureSpec& s, std::uint32_t k, const Philox& rng,
                             std::uint64_t enrolled_before, std::uint64_t thr, int age_months,
                             bool female, std::uint8_t conditions, std::uint8_t preg) {
  const auto served = [&](std::uint32_t j) {
    if (j < 1 || j > kHistoryMonths || !((enrolled_before >> (j - 1)) & 1u)) return false;
    const std::uint32_t w = 4 * (16 + 16 * k) + (j - 1);
    return static_cast<std::uint64_t>(rng.block(w / 4).v[w % 4]) < thr;
  };
  if (s.kind == MeasureKind::CountInWindow && s.window == WindowKind::Lookback) {
    if (in_population(s, age_months - 1, female, conditions)) {
      for (std::uint32_t j = 1; j <= s.lookback_months; ++j) {
        if (served(j)) return static_cast<std::uint8_t>(j - 1);
      }
    }
    return kLookbackNone;
  }
  if (s.kind == MeasureKind::CountInWindow &&
      (s.window == WindowKind::AgeMonths || s.window == WindowKind::SinceBirthday)) {
    int lo = s.window_lo, hi = s.window_hi;
    if (s.window == WindowKind::SinceBirthday) {
      lo = age_months - 1 - (age_months - 1 + 12) % 12;
      hi = s.n_milestones ? s.milestones[s.n_milestones - 1] : 0;
    }
    int count = 0;
    for (int a = lo; a < age_months && a < hi; ++a) {
      count += served(static_cast<std::uint32_t>(age_months - a));
    }
    return static_cast<std::uint8_t>(count < kCountMask ? count : kCountMask);
  }
  if (s.kind == MeasureKind::Followup && s.trigger == Trigger::PrenatalStart && preg >= 1 &&
      preg <= kGestationMonths && in_population(s, age_months, female, conditions)) {
    return static_cast<std::uint64_t>(rng.block(16 + 16 * k).v[0]) < thr ? kFollowupPending : 0;
  }
  return 0;
}

/// The history's fields of every living member, drawn by an engine with `options` (the CPU's
/// tiles at a vector level, or member by member as the GPU does), against the plain rule.
void expect_states_of_the_whole_chain(const EngineOptions& options) {
  const EmbeddedPopulation p(30000, 2);
  const ReferenceData& d = p.d;
  const StepTables& step = p.step;
  const HistoryTables history = make_history_tables(p.params);
  const std::uint64_t members = p.members;
  const std::uint32_t seed = 41;
  const std::int32_t start = month_index(2024, 1);
  const HostMembers h = p.engine(options, seed, start)->download();
  const auto n = static_cast<std::uint32_t>(step.measures.size());

  std::uint64_t checked = 0, with_history = 0, nonzero_counts = 0, lookback_found = 0, pending = 0;
  for (std::uint64_t i = 0; i < h.status.size(); ++i) {
    if (!(h.status[i] & kAlive)) continue;
    const auto replicate = static_cast<std::uint32_t>(i / p.layout.capacity);
    const Philox rng(seed, RngStream::History, h.member_id[i], 0u, replicate);
    const int age_months = start - h.birth_month[i];
    const bool female = h.sex[i] == static_cast<std::uint8_t>(Sex::Female);
    const std::uint8_t preg = h.pregnancy[i] & kPregnancyStateMask;
    // Conditions at their prevalence by age (History words 0-5), pregnancy month 1 + x / h
    // when x < 12 h (word 7, h the conception threshold).
    const int years = std::min(age_months / 12, kMaxAgeYears);
    const std::uint32_t words[8] = {rng.block(0).v[0], rng.block(0).v[1], rng.block(0).v[2], rng.block(0).v[3],
                                    rng.block(1).v[0], rng.block(1).v[1], rng.block(1).v[2], rng.block(1).v[3]};
    std::uint8_t want_conditions = 0;
    for (int c = 0; c < kConditionCount; ++c) {
      if (words[c] < history.prevalence_thr[static_cast<std::size_t>(c * (kMaxAgeYears + 1) + years)]) {
        want_conditions |= static_cast<std::uint8_t>(1u << c);
      }
    }
    ASSERT_EQ(h.conditions[i], want_conditions) << "slot " << i;
    const std::uint64_t hz = female ? step.conception_thr[static_cast<std::size_t>(years)] : 0;
    ASSERT_EQ(preg, hz > 0 && words[7] < 12 * hz ? 1 + words[7] / hz : 0) << "slot " << i;
    const std::uint64_t enrolled_before =
        whole_chain(rng, (h.status[i] & kEnrolled) != 0, age_months, history, step.scalars);
    const std::uint32_t tier = step.practice_tier[h.practice[i]];
    bool any = false;
    for (std::uint32_t k = 0; k < n; ++k) {
      const MeasureSpec& s = step.measures[k];
      const std::uint64_t thr =
          service_threshold(step.service_thr[service_index(k, h.contract[i], h.race[i], tier, n)]);
      const std::uint8_t want =
          reference_state(s, k, rng, enrolled_before, thr, age_months, female, h.conditions[i], preg);
      const std::uint8_t got = h.measure_state[k * h.status.size() + i];
      ASSERT_EQ(got, want) << "slot " << i << " measure " << d.measures[k].id << " age " << age_months
                           << " months";
      ++checked;
      const bool lookback = s.window == WindowKind::Lookback;
      any |= lookback ? want != kLookbackNone : want != 0;
      lookback_found += lookback && want != kLookbackNone;
      nonzero_counts += !lookback && s.kind == MeasureKind::CountInWindow && want != 0;
      pending += s.kind == MeasureKind::Followup && want == kFollowupPending;
    }
    with_history += any;
  }
  // Every kind of history occurs, so each branch was compared.
  EXPECT_GT(checked, 2 * members * n / 2);
  EXPECT_GT(lookback_found, 1000u);
  EXPECT_GT(nonzero_counts, 1000u);
  EXPECT_GT(pending, 10u);
  EXPECT_GT(with_history, members / 4);
}

TEST(History, StatesEqualTheWholeChainWithEveryMeasureVisited) {
  expect_states_of_the_whole_chain(EngineOptions{Backend::Cpu, 2, 0});
}

TEST(History, MemberByMemberStatesEqualTheWholeChain) {
  EngineOptions options{Backend::Cpu, 2, 0};
  options.batched_draws = false;
  expect_states_of_the_whole_chain(options);
}

TEST(History, ScalarTilesStatesEqualTheWholeChain) {
  EngineOptions options{Backend::Cpu, 1, 0};
  options.max_simd = SimdLevel::Scalar;
  expect_states_of_the_whole_chain(options);
}

TEST(History, TilesAndMemberByMemberWriteTheSameFields) {
  const EmbeddedPopulation p(20000, 3);
  HostMembers out[2];
  for (int batched = 0; batched < 2; ++batched) {
    EngineOptions options{Backend::Cpu, 2, 0};
    options.batched_draws = batched != 0;
    out[batched] = p.engine(options, 7, month_index(2025, 1))->download();
  }
#define PHSIM_EXPECT_SAME_FIELD(T, name, extent, doc) \
  EXPECT_TRUE(out[0].name == out[1].name) << #name;
  PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_SAME_FIELD)
#undef PHSIM_EXPECT_SAME_FIELD
}

TEST(History, MaskHoldsTheMeasuresWithAHistoryBeforeTheStart) {
  const ReferenceData d = load_embedded_reference_data();
  const ModelParameters params = read_model_parameters(d);
  const SynthesisTables tables = make_synthesis_tables(d, 1000, 0);
  const StepTables step = make_step_tables(d, tables, params, calibrate_service_model(d, tables, params));
  const auto n = static_cast<std::uint32_t>(step.measures.size());
  const std::uint32_t mask = history_measure_mask(step.measures.data(), n);
  for (std::uint32_t k = 0; k < n; ++k) {
    // Counts in age windows and lookbacks, and the two prenatal follow-ups (not the
    // postpartum ones, which start at a delivery within the run).
    const std::string& id = d.measures[k].id;
    const bool expected = id == "W30-6" || id == "W30-2" || id == "CIS-10" || id == "IMA-2" ||
                          id == "LSC" || id == "DEV" || id == "BCS-E" || id == "CCS" ||
                          id == "PPC-Pre" || id == "PND-E";
    EXPECT_EQ(((mask >> k) & 1u) != 0, expected) << id;
  }
}

}  // namespace
}  // namespace phsim
