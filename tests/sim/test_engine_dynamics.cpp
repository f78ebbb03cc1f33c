// Unit tests of the CPU engine's month loop over decades on the embedded reference data:
// segment growth and newborn slots, member ids, contracts within counties, year accounting of
// member-months, and identical results for 1 and 2 threads.
//
// Slot bookkeeping (sim/engine.cu, kernels/synthesis.hpp, kernels/newborn.hpp): each replicate
// fills its segment from slot 0 upward and never reuses a slot. Synthesis gives slot s the
// member id s; a newborn takes the replicate's next free slot and its next id, both starting at
// enrolled + pool. The used slots are a prefix of the segment, holding the ids 0 .. used - 1
// once each (the dead keep their id with status 0); unused slots hold id 0xffffffff. The engine
// reorders the used slots (kernels/member_order.hpp) after the history; without that, slot s
// holds id s.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "io/reference_data_io.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/member_order.hpp"
#include "kernels/synthesis.hpp"
#include "kernels/step_tables.hpp"
#include "sim/engine.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"

namespace phsim {
namespace {

constexpr std::uint64_t kMembers = 3000;
constexpr std::uint32_t kReplicates = 2;
constexpr int kYears = 30;
constexpr int kStartYear = 2024;
constexpr std::uint32_t kSeed = 20240611;
constexpr std::uint32_t kNoMember = 0xffffffffu;  ///< member_id of a slot never used

/// Everything one long run produces.
struct LongRun {
  std::uint64_t initial_size = 0;  ///< engine->size() after synthesis
  std::uint64_t final_size = 0;
  HostMembers start;               ///< after initialize_history
  std::vector<HostMembers> year_end;  ///< after each December's step and tally
  std::vector<YearTallies> tallies;
};

/// Tables shared by every run (built once: calibration is the slow part).
struct RunSetup {
  ReferenceData data;
  ModelParameters params;
  std::uint64_t pool = 0;
  SynthesisTables tables;
  StepTables step;
  HistoryTables history;
  PopulationLayout layout;

  RunSetup() : data(load_embedded_reference_data()) {
    params = read_model_parameters(data);
    pool = pool_members(kMembers, params);
    tables = make_synthesis_tables(data, kMembers, pool);
    step = make_step_tables(data, tables, params, calibrate_service_model(data, tables, params));
    history = make_history_tables(params);
    // Deliberately tight: 16 free slots per replicate, so newborns force the segments to grow.
    layout = PopulationLayout{kMembers, pool, kMembers + pool + 16};
  }

  std::uint64_t initial_per_replicate() const { return layout.enrolled + layout.pool; }

  LongRun run(int threads, bool order_members = true, std::uint64_t order_chunk_slots = 1ull << 24,
              bool batched_draws = true, SimdLevel max_simd = SimdLevel::Avx512) const {
    LongRun out;
    auto engine = make_engine(
        EngineOptions{Backend::Cpu, threads, 0, order_members, order_chunk_slots, batched_draws, max_simd});
    engine->synthesize(tables, layout, kSeed, kReplicates, month_index(kStartYear, 1));
    out.initial_size = engine->size();
    engine->initialize_history({step}, history);
    out.start = engine->download();
    for (int y = 0; y < kYears; ++y) {
      for (int m = 1; m <= 12; ++m) engine->step_month(month_index(kStartYear + y, m));
      out.tallies.push_back(engine->tally_year(month_index(kStartYear + y, 12)));
      out.year_end.push_back(engine->download());
    }
    out.final_size = engine->size();
    return out;
  }
};

class EngineDynamics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_setup = std::make_unique<RunSetup>();
    s_one = std::make_unique<LongRun>(s_setup->run(1));
  }
  static void TearDownTestSuite() {
    s_one.reset();
    s_setup.reset();
  }

  static std::unique_ptr<RunSetup> s_setup;
  static std::unique_ptr<LongRun> s_one;  ///< the run with 1 thread, shared by the tests

  static const ReferenceData& data() { return s_setup->data; }
  static std::size_t contracts() { return data().contracts.size(); }

  /// Slots per replicate of a download.
  static std::uint64_t capacity(const HostMembers& h) { return h.size() / kReplicates; }

  /// Number of slots of replicate r ever used: the length of the prefix holding member ids.
  static std::uint64_t used_slots(const HostMembers& h, std::uint32_t r) {
    const std::uint64_t cap = capacity(h);
    std::uint64_t s = 0;
    while (s < cap && h.member_id[r * cap + s] != kNoMember) ++s;
    return s;
  }

  static bool alive(const HostMembers& h, std::uint32_t r, std::uint64_t s) {
    return (h.status[r * capacity(h) + s] & kAlive) != 0;
  }

  /// Sum of one event field over the contracts of replicate r.
  static std::int64_t event_sum(const YearTallies& t, std::uint32_t r, EventField f) {
    std::int64_t sum = 0;
    for (std::size_t k = 0; k < contracts(); ++k) sum += t.events[(r * contracts() + k) * kEventFieldCount + f];
    return sum;
  }
};

/// Every member array of `a` equals that of `b`, slot by slot (year -1: the start).
void expect_same_slots(const HostMembers& a, const HostMembers& b, int year) {
#define PHSIM_EXPECT_FIELD_EQ(T, name, extent, doc) \
  EXPECT_TRUE(a.name == b.name) << "field " #name " differs in year " << year;
  PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_FIELD_EQ)
#undef PHSIM_EXPECT_FIELD_EQ
}

std::unique_ptr<RunSetup> EngineDynamics::s_setup;
std::unique_ptr<LongRun> EngineDynamics::s_one;

TEST_F(EngineDynamics, SegmentsGrowAndNewbornsFillSlotsInOrder) {
  const LongRun& run = *s_one;
  EXPECT_EQ(run.initial_size, (kMembers + s_setup->pool + 16) * kReplicates);
  EXPECT_GT(run.final_size, run.initial_size);
  ASSERT_EQ(run.year_end.back().size(), run.final_size);

  const std::uint64_t initial = s_setup->initial_per_replicate();
  for (std::uint32_t r = 0; r < kReplicates; ++r) {
    EXPECT_EQ(used_slots(run.start, r), initial);
    std::uint64_t prev_used = initial;
    std::int64_t births = 0;
    for (int y = 0; y < kYears; ++y) {
      const HostMembers& h = run.year_end[y];
      const std::uint64_t cap = capacity(h), used = used_slots(h, r);
      // Every slot past the used prefix is empty: no living member, no member id.
      for (std::uint64_t s = used; s < cap; ++s) {
        ASSERT_EQ(h.status[r * cap + s], 0) << "replicate " << r << " slot " << s << " year " << y;
        ASSERT_EQ(h.member_id[r * cap + s], kNoMember) << "replicate " << r << " slot " << s << " year " << y;
      }
      // The used prefix holds the ids 0 .. used - 1, each once: newborns took the next ids.
      std::vector<bool> seen(used, false);
      for (std::uint64_t s = 0; s < used; ++s) {
        const std::uint32_t id = h.member_id[r * cap + s];
        ASSERT_LT(id, used) << "replicate " << r << " slot " << s << " year " << y;
        ASSERT_FALSE(seen[id]) << "id " << id << " twice, replicate " << r << " year " << y;
        seen[id] = true;
      }
      // Newborns this year = slots newly used this year.
      const std::int64_t year_births = event_sum(run.tallies[y], r, kEvBirths);
      EXPECT_EQ(static_cast<std::int64_t>(used - prev_used), year_births) << "replicate " << r << " year " << y;
      births += year_births;
      prev_used = used;
    }
    // Over the whole run: slots holding a member (living or dead) minus the initial pool equals
    // the births tallied over the years.
    const HostMembers& last = run.year_end.back();
    std::uint64_t holding = 0;
    for (std::uint64_t s = 0; s < capacity(last); ++s) {
      const std::uint64_t i = r * capacity(last) + s;
      if (last.status[i] != 0 || last.member_id[i] != kNoMember) ++holding;
    }
    EXPECT_EQ(static_cast<std::int64_t>(holding - initial), births) << "replicate " << r;
    EXPECT_GT(births, 0);  // the run is long enough for the check to mean something
  }
}

TEST_F(EngineDynamics, LiveMembersHaveUniqueIdsAndContractsOfTheirCounty) {
  const LongRun& run = *s_one;
  const SynthesisTables& t = s_setup->tables;
  for (int y = 0; y < kYears; ++y) {
    const HostMembers& h = run.year_end[y];
    const std::uint64_t cap = capacity(h);
    for (std::uint32_t r = 0; r < kReplicates; ++r) {
      std::set<std::uint32_t> ids;
      std::uint64_t live = 0;
      for (std::uint64_t s = 0; s < cap; ++s) {
        const std::uint64_t i = r * cap + s;
        if (!(h.status[i] & kAlive)) continue;
        ++live;
        ids.insert(h.member_id[i]);
        ASSERT_LT(h.contract[i], contracts());
        ASSERT_EQ(data().contracts[h.contract[i]].county, static_cast<int>(h.county[i]))
            << "year " << y << " replicate " << r << " slot " << s;
        ASSERT_GE(h.practice[i], t.practice_begin[h.county[i]]);
        ASSERT_LT(h.practice[i], t.practice_begin[h.county[i]] + t.practice_count[h.county[i]]);
        // Status flags other than kAlive only on the living, default flag only when enrolled.
        if (h.status[i] & kDefaultAssigned) {
          ASSERT_TRUE(h.status[i] & kEnrolled);
        }
      }
      EXPECT_EQ(ids.size(), live) << "year " << y << " replicate " << r;
      EXPECT_GT(live, 0u);
    }
  }
}

TEST_F(EngineDynamics, OneAndTwoThreadsGiveIdenticalState) {
  const LongRun b = s_setup->run(2);  // engines run one after the other (threads are global)
  const LongRun& a = *s_one;
  EXPECT_EQ(a.final_size, b.final_size);
  ASSERT_EQ(a.year_end.size(), b.year_end.size());
  for (std::size_t y = 0; y < a.year_end.size(); ++y) {
    expect_same_slots(a.year_end[y], b.year_end[y], static_cast<int>(y));
    EXPECT_EQ(a.tallies[y].measure, b.tallies[y].measure) << "year " << y;
    EXPECT_EQ(a.tallies[y].group, b.tallies[y].group) << "year " << y;
    EXPECT_EQ(a.tallies[y].events, b.tallies[y].events) << "year " << y;
  }
}

/// Slots of `after` (replicate r) whose members died during the year: alive in `before` or born
/// since (an id `before` does not hold), and not alive in `after`. Members are matched by id, as
/// the engine reorders slots.
std::vector<std::uint64_t> died_in_year(const HostMembers& before, const HostMembers& after,
                                        std::uint32_t r, std::uint64_t used_before,
                                        std::uint64_t used_after) {
  const std::uint64_t cap_before = before.size() / kReplicates, cap_after = after.size() / kReplicates;
  std::vector<bool> alive_before(used_after, false);  // by id; ids of `before` are < used_before
  for (std::uint64_t s = 0; s < used_before; ++s) {
    const std::uint64_t i = r * cap_before + s;
    alive_before[before.member_id[i]] = (before.status[i] & kAlive) != 0;
  }
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = 0; s < used_after; ++s) {
    const std::uint64_t i = r * cap_after + s;
    const std::uint32_t id = after.member_id[i];
    const bool was = id >= used_before || alive_before[id];
    const bool is = after.status[i] & kAlive;
    if (was && !is) out.push_back(s);
  }
  return out;
}

TEST_F(EngineDynamics, MemberMonthsBoundedByMembersAliveInTheYear) {
  const LongRun& run = *s_one;
  for (int y = 0; y < kYears; ++y) {
    const HostMembers& before = y == 0 ? run.start : run.year_end[y - 1];
    const HostMembers& after = run.year_end[y];
    for (std::uint32_t r = 0; r < kReplicates; ++r) {
      const std::uint64_t cap = capacity(after);
      std::int64_t live = 0;
      for (std::uint64_t s = 0; s < cap; ++s) live += alive(after, r, s) ? 1 : 0;
      const auto died = died_in_year(before, after, r, used_slots(before, r), used_slots(after, r));
      const auto n_died = static_cast<std::int64_t>(died.size());
      const std::int64_t member_months = event_sum(run.tallies[y], r, kEvMemberMonths);
      EXPECT_GT(member_months, 0);
      EXPECT_LE(member_months, 12 * (live + n_died)) << "year " << y << " replicate " << r;
      // Deaths are counted for members enrolled at death, a subset of those who died.
      EXPECT_LE(event_sum(run.tallies[y], r, kEvDeaths), n_died) << "year " << y << " replicate " << r;
    }
  }
}

TEST_F(EngineDynamics, MemberMonthsEqualEnrolledMonthsOfTheYear) {
  // Every enrolled month of the year is a member-month of some contract exactly once: those of
  // members alive at year end (credited at plan changes and by the tally) and those of members
  // who died during the year (credited at death; a dead member keeps enrolled_months as of the
  // month of death, and January's reset runs before the death draw).
  const LongRun& run = *s_one;
  for (int y = 0; y < kYears; ++y) {
    const HostMembers& before = y == 0 ? run.start : run.year_end[y - 1];
    const HostMembers& after = run.year_end[y];
    for (std::uint32_t r = 0; r < kReplicates; ++r) {
      const std::uint64_t cap = capacity(after);
      std::int64_t live_months = 0, dead_months = 0;
      for (std::uint64_t s = 0; s < cap; ++s) {
        if (alive(after, r, s)) live_months += months_enrolled(after.enrolled_months[r * cap + s]);
      }
      for (const auto s : died_in_year(before, after, r, used_slots(before, r), used_slots(after, r))) {
        dead_months += months_enrolled(after.enrolled_months[r * cap + s]);
      }
      EXPECT_EQ(event_sum(run.tallies[y], r, kEvMemberMonths), live_months + dead_months)
          << "year " << y << " replicate " << r << " (live " << live_months << ", dead " << dead_months << ")";
    }
  }
}

TEST_F(EngineDynamics, SlotsFollowTheOrderKeyAfterTheHistory) {
  HostMembers start = s_one->start;
  const MemberView v = start.view();
  const std::int32_t month = month_index(kStartYear, 1);
  const std::uint64_t cap = capacity(start);
  for (std::uint32_t r = 0; r < kReplicates; ++r) {
    std::uint64_t previous = 0, groups = 0, ties = 0;
    for (std::uint64_t s = 0; s < cap; ++s) {
      const std::uint64_t key = member_order_key(v, r * cap + s, cap, r, month);
      ASSERT_LE(previous, key) << "replicate " << r << " slot " << s;
      if (s > 0 && key >> 27 != previous >> 27) ++groups;  // enrollment, sex, age, conditions
      // A stable sort of the synthesized order (ids ascending): equal keys keep it. With the
      // keys, this fixes the layout: the slots are where a sort after the history puts them.
      if (s > 0 && key == previous && (v.status[r * cap + s] & kAlive)) {
        ASSERT_LT(v.member_id[r * cap + s - 1], v.member_id[r * cap + s]) << "replicate " << r << " slot " << s;
        ++ties;
      }
      previous = key;
    }
    EXPECT_GT(ties, 20u) << "replicate " << r;
    // The key separates real groups: a few hundred (age × sex × enrollment × conditions).
    EXPECT_GT(groups, 200u) << "replicate " << r;
  }
}

TEST_F(EngineDynamics, WithoutOrderingSlotsHoldTheirOwnIds) {
  const LongRun b = s_setup->run(1, false);
  for (std::size_t y = 0; y < b.year_end.size(); y += 10) {
    const HostMembers& h = b.year_end[y];
    for (std::uint32_t r = 0; r < kReplicates; ++r) {
      const std::uint64_t used = used_slots(h, r);
      for (std::uint64_t s = 0; s < used; ++s) ASSERT_EQ(h.member_id[r * capacity(h) + s], s);
    }
  }
}

TEST_F(EngineDynamics, SortingReplicateByReplicateLaysOutTheSameSlots) {
  // order_members sorts chunks of replicates; at the full enrollment a segment exceeds a chunk
  // and each replicate is sorted alone. That must give the very slots of one chunk for all.
  const LongRun& a = *s_one;
  const LongRun b = s_setup->run(1, true, 1);
  ASSERT_EQ(a.year_end.size(), b.year_end.size());
  for (int y = -1; y < kYears; y += 10) {
    expect_same_slots(y < 0 ? a.start : a.year_end[y], y < 0 ? b.start : b.year_end[y], y);
  }
  EXPECT_EQ(a.tallies.back().measure, b.tallies.back().measure);
}

TEST_F(EngineDynamics, SynthesisWritesExactlyTheFieldsItLists) {
  // The first sort moves only kSynthesizedFields; every other field must still be zero then.
  auto engine = make_engine(EngineOptions{Backend::Cpu, 1, 0});
  engine->synthesize(s_setup->tables, s_setup->layout, kSeed, kReplicates, month_index(kStartYear, 1));
  const HostMembers h = engine->download();
  const auto nonzero = [](const auto& v) {
    return std::any_of(v.begin(), v.end(), [](auto x) { return x != 0; });
  };
#define PHSIM_EXPECT_SYNTHESIZED(T, name, extent, doc) \
  EXPECT_EQ(nonzero(h.name), is_synthesized_field(#name)) << "field " #name;
  PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_SYNTHESIZED)
#undef PHSIM_EXPECT_SYNTHESIZED
}

/// Slot of each member id of replicate r (ids are below the used count).
std::vector<std::uint64_t> slot_of_id(const HostMembers& h, std::uint32_t r, std::uint64_t used) {
  const std::uint64_t cap = h.size() / kReplicates;
  std::vector<std::uint64_t> slot(used, ~0ull);
  for (std::uint64_t s = 0; s < used; ++s) slot[h.member_id[r * cap + s]] = r * cap + s;
  return slot;
}

TEST_F(EngineDynamics, OrderingMembersChangesNoResult) {
  // The same run with the slots left in id order: every tally and, member by member, every
  // field must be identical; only the slots differ.
  const LongRun& a = *s_one;
  const LongRun b = s_setup->run(1, false);
  ASSERT_EQ(a.year_end.size(), b.year_end.size());
  std::uint64_t moved = 0;
  for (std::size_t y = 0; y < a.year_end.size(); ++y) {
    EXPECT_EQ(a.tallies[y].measure, b.tallies[y].measure) << "year " << y;
    EXPECT_EQ(a.tallies[y].group, b.tallies[y].group) << "year " << y;
    EXPECT_EQ(a.tallies[y].events, b.tallies[y].events) << "year " << y;
    const HostMembers& ha = a.year_end[y];
    const HostMembers& hb = b.year_end[y];
    ASSERT_EQ(ha.size(), hb.size()) << "year " << y;
    const std::uint64_t n = ha.size();
    for (std::uint32_t r = 0; r < kReplicates; ++r) {
      const std::uint64_t used = used_slots(ha, r);
      ASSERT_EQ(used, used_slots(hb, r)) << "year " << y << " replicate " << r;
      const auto sa = slot_of_id(ha, r, used), sb = slot_of_id(hb, r, used);
      for (std::uint64_t id = 0; id < used; ++id) {
        const std::uint64_t i = sa[id], j = sb[id];
        moved += i != j ? 1 : 0;
#define PHSIM_EXPECT_MEMBER_EQ(T, name, extent, doc)                                        \
        for (std::uint64_t e = 0; e < (extent); ++e) {                                     \
          ASSERT_EQ(ha.name[e * n + i], hb.name[e * n + j])                                 \
              << "field " #name "[" << e << "] of member " << id << ", replicate " << r << ", year " << y; \
        }
        PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_MEMBER_EQ)
#undef PHSIM_EXPECT_MEMBER_EQ
      }
    }
  }
  EXPECT_GT(moved, 1000u);  // the orders really differ
}

TEST_F(EngineDynamics, BatchedDrawsChangeNoResult) {
  // The CPU steps a tile of slots at a time (sim/step_tile.hpp): random blocks, quiet months
  // and their measure walks together. Drawn member by member instead (as on a GPU), with 2
  // threads, every tally and every slot of every year must be identical; and so at every
  // lower vector level this CPU runs (the tiles' replicates straddle: 16 spare slots each).
  const LongRun b = s_setup->run(2, true, 1ull << 24, false);
  for (const SimdLevel level : {SimdLevel::Avx512, SimdLevel::Avx2, SimdLevel::Scalar}) {
    if (level > best_simd_level()) continue;
    const LongRun a = level == SimdLevel::Avx512 ? *s_one : s_setup->run(1, true, 1ull << 24, true, level);
    ASSERT_EQ(a.year_end.size(), b.year_end.size());
    for (std::size_t y = 0; y < a.year_end.size(); ++y) {
      EXPECT_EQ(a.tallies[y].measure, b.tallies[y].measure) << simd_level_name(level) << ", year " << y;
      EXPECT_EQ(a.tallies[y].group, b.tallies[y].group) << simd_level_name(level) << ", year " << y;
      EXPECT_EQ(a.tallies[y].events, b.tallies[y].events) << simd_level_name(level) << ", year " << y;
      expect_same_slots(a.year_end[y], b.year_end[y], static_cast<int>(y));
    }
  }
}

}  // namespace
}  // namespace phsim
