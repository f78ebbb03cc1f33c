// Tests of sim/population.* and the synthesis pass of the engine (kernels/synthesis.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>

#include "io/reference_data_io.hpp"
#include "kernels/rng.hpp"
#include "kernels/synthesis.hpp"
#include "sim/engine.hpp"
#include "sim/errors.hpp"
#include "sim/population.hpp"

namespace phsim {
namespace {

/// A three-county data set built by hand (independent of the embedded CSVs).
ReferenceData tiny_data() {
  ReferenceData d;
  d.origin = "tiny";
  d.counties = {{"A", "06001", "r", PlanModel::TwoPlan, 600, "2024-06", "", ""},
                {"B", "06003", "r", PlanModel::COHS, 300, "2024-06", "", ""},
                {"C", "06005", "r", PlanModel::SinglePlan, 100, "2024-06", "", ""}};
  d.plans = {{"P1", ""}, {"P2", ""}, {"P3", ""}};
  d.contracts = {{0, 0, "", 150, "", "", ""}, {0, 1, "", 50, "", "", ""},
                 {1, 2, "", 1000, "", "", ""}, {2, 0, "", 7, "", "", ""}};
  return d;
}

TEST(StratifiedRanges, CountsAreRoundedShares) {
  const ReferenceData d = tiny_data();
  // N = 1000: counties get 600/300/100; county A splits 150:50 -> 450/150.
  EXPECT_EQ(stratified_contract_ranges(d, 1000),
            (std::vector<std::uint64_t>{0, 450, 600, 900, 1000}));
  // N = 7: county boundaries round(7 * {0, .6, .9, 1}) = {0, 4, 6, 7}; A's 4 split 3:1.
  EXPECT_EQ(stratified_contract_ranges(d, 7), (std::vector<std::uint64_t>{0, 3, 4, 6, 7}));
  // N = 1: everything in the first contract of the largest cumulative share.
  const auto one = stratified_contract_ranges(d, 1);
  EXPECT_EQ(one.front(), 0u);
  EXPECT_EQ(one.back(), 1u);
}

TEST(StratifiedRanges, CountyWithMembersButNoPlanIsAnError) {
  ReferenceData d = tiny_data();
  d.contracts[3].enrollment = 0;  // county C keeps 100 enrollees but no plan has members
  try {
    stratified_contract_ranges(d, 1000);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("'C'"), std::string::npos) << e.what();
  }
}

// stratum_of against its definition (the last k with begin[k] <= i; 0 when none), on random
// range starts with empty ranges, at every boundary.
TEST(StratumOf, EqualsALinearScanOnRandomRanges) {
  std::uint64_t checked = 0;
  for (std::uint32_t t = 0; t < 2000; ++t) {
    Philox rng(6, RngStream::Synthesis, t, 0, 0);
    const std::uint32_t n = 1 + rng.next_u32() % 300;
    std::vector<std::uint64_t> begin(n);
    std::uint64_t acc = t % 5 == 0 ? 1 + rng.next_u32() % 100 : 0;  // sometimes begin[0] > 0
    for (std::uint32_t k = 0; k < n; ++k) {
      begin[k] = acc;
      if (rng.next_u32() % 4) acc += rng.next_u32() % 1000;  // a quarter of the ranges empty
    }
    std::vector<std::uint64_t> is = {0, acc, acc + 7};
    for (const std::uint64_t b : begin) {
      is.push_back(b);
      is.push_back(b + 1);
      if (b > 0) is.push_back(b - 1);
    }
    for (const std::uint64_t i : is) {
      std::uint32_t want = 0;
      for (std::uint32_t k = 0; k < n; ++k) {
        if (begin[k] <= i) want = k;
      }
      ASSERT_EQ(stratum_of(begin.data(), n, i), want) << "ranges " << t << " n " << n << " i " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 500000u);
}

TEST(CumulativeThresholds, ProportionalAndEndsAtOne) {
  EXPECT_EQ(cumulative_thresholds({1, 1, 2}),
            (std::vector<std::uint64_t>{1ull << 30, 1ull << 31, kThresholdOne}));
  // Trailing zero weights can never be drawn: the last positive category ends at 2^32.
  EXPECT_EQ(cumulative_thresholds({3, 1, 0, 0}),
            (std::vector<std::uint64_t>{3ull << 30, kThresholdOne, kThresholdOne, kThresholdOne}));
  EXPECT_EQ(cumulative_thresholds({5}), (std::vector<std::uint64_t>{kThresholdOne}));
}

class SynthesisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_data = new ReferenceData(load_embedded_reference_data()); }
  static void TearDownTestSuite() { delete s_data; }
  static HostMembers synthesize(std::uint64_t members, std::uint32_t replicates,
                                std::uint32_t seed, int threads) {
    auto engine = make_engine(EngineOptions{Backend::Cpu, threads, 0});
    engine->synthesize(make_synthesis_tables(*s_data, members), PopulationLayout{members, 0, members},
                       seed, replicates, month_index(2024, 1));
    return engine->download();
  }
  static ReferenceData* s_data;
};
ReferenceData* SynthesisTest::s_data = nullptr;

/// |observed - n p| within 4 binomial standard deviations.
void expect_binomial(double observed, double n, double p, const std::string& what) {
  EXPECT_LE(std::abs(observed - n * p), 4.0 * std::sqrt(n * p * (1 - p)) + 1e-9)
      << what << ": observed " << observed << ", expected " << n * p;
}

TEST_F(SynthesisTest, CountyAndPlanCountsFollowEnrollment) {
  constexpr std::uint64_t n = 200000;
  const HostMembers m = synthesize(n, 1, 7, 0);
  ASSERT_EQ(m.size(), n);
  const ReferenceData& d = *s_data;
  std::vector<double> county(d.counties.size()), contract(d.contracts.size());
  for (std::size_t i = 0; i < n; ++i) {
    county[m.county[i]] += 1;
    contract[m.contract[i]] += 1;
    ASSERT_EQ(d.contracts[m.contract[i]].county, m.county[i]);
  }
  const double total = static_cast<double>(d.total_enrollment());
  for (std::size_t c = 0; c < d.counties.size(); ++c) {
    // Stratified placement: within one member of N x share (stronger than sampling error).
    EXPECT_LE(std::abs(county[c] - n * d.counties[c].enrollment / total), 1.0) << d.counties[c].name;
    double plan_total = 0;
    for (const auto& k : d.contracts) plan_total += k.county == static_cast<int>(c) ? k.enrollment : 0;
    for (std::size_t k = 0; k < d.contracts.size(); ++k) {
      if (d.contracts[k].county != static_cast<int>(c)) continue;
      EXPECT_LE(std::abs(contract[k] - county[c] * d.contracts[k].enrollment / plan_total), 1.0)
          << d.counties[c].name << " / " << d.plans[d.contracts[k].plan].name;
    }
  }
}

TEST_F(SynthesisTest, AttributesFollowMarginals) {
  constexpr std::uint64_t n = 400000;
  const HostMembers m = synthesize(n, 1, 11, 0);
  const ReferenceData& d = *s_data;
  const int start = month_index(2024, 1);

  // Statewide marginals from population.csv.
  std::map<std::string, double> race_share, age_share;
  for (const auto& s : d.population) {
    if (s.dimension == "race") race_share[s.category] = s.share_percent / 100.0;
    if (s.dimension == "age_band" && s.given.empty()) age_share[s.category] = s.share_percent / 100.0;
  }
  std::vector<double> race(kRaceCount);
  for (std::size_t i = 0; i < n; ++i) race[m.race[i]] += 1;
  for (int r = 0; r < kRaceCount; ++r) {
    expect_binomial(race[r], n, race_share.at(std::string(kRaceNames[r])), std::string(kRaceNames[r]));
  }
  for (const auto& [band, share] : age_share) {
    const int lo = std::stoi(band.substr(0, band.find('-')));
    const int hi = std::stoi(band.substr(band.find('-') + 1));
    double count = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const int age = age_years(m.birth_month[i], start);
      count += age >= lo && age <= hi;
    }
    expect_binomial(count, n, share, "age band " + band);
  }
  // Children are children, the aged are old.
  for (std::size_t i = 0; i < n; ++i) {
    const int age = age_years(m.birth_month[i], start);
    if (m.aid[i] == static_cast<std::uint8_t>(AidCategory::Child)) {
      ASSERT_LE(age, 18);
    }
    if (m.aid[i] == static_cast<std::uint8_t>(AidCategory::Aged)) {
      ASSERT_GE(age, 65);
    }
    ASSERT_EQ(m.status[i], kAlive | kEnrolled);
  }
}

TEST_F(SynthesisTest, PracticesBelongToTheMembersCounty) {
  const HostMembers m = synthesize(50000, 1, 3, 0);
  const SynthesisTables t = make_synthesis_tables(*s_data, 50000);
  for (std::size_t i = 0; i < m.size(); ++i) {
    ASSERT_EQ(t.practices.at(m.practice[i]).county, m.county[i]) << "member " << i;
  }
}

TEST_F(SynthesisTest, SameSeedSameMembersAcrossThreadCounts) {
  const HostMembers a = synthesize(100003, 2, 42, 1);
  const HostMembers b = synthesize(100003, 2, 42, 2);
  const HostMembers c = synthesize(100003, 2, 43, 2);
#define PHSIM_EXPECT_FIELD_EQ(T, name, extent, doc) EXPECT_EQ(a.name, b.name) << #name;
  PHSIM_MEMBER_FIELDS(PHSIM_EXPECT_FIELD_EQ)
#undef PHSIM_EXPECT_FIELD_EQ
  EXPECT_NE(a.birth_month, c.birth_month);  // another seed is another population
  EXPECT_EQ(a.contract, c.contract);        // ... but the same stratified placement
}

TEST_F(SynthesisTest, EdgeSizesAndReplicateLayout) {
  for (std::uint64_t n : {1ull, 31ull, 32ull, 33ull, 1025ull}) {
    const HostMembers m = synthesize(n, 3, 5, 2);
    ASSERT_EQ(m.size(), 3 * n);
    for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m.member_id[i], i % n);
    // Replicates share placement but draw their own attributes.
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(m.contract[i], m.contract[n + i]);
  }
  const HostMembers big = synthesize(2000, 2, 5, 2);
  std::size_t same = 0;
  for (std::size_t i = 0; i < 2000; ++i) same += big.birth_month[i] == big.birth_month[2000 + i];
  EXPECT_LT(same, 200u);
}

TEST_F(SynthesisTest, PoolAndFreeSlots) {
  // 1000 enrolled + 300 pool members in segments of 1400 slots: the pool is alive but not
  // enrolled, with its own stratified placement; the last 100 slots are free.
  constexpr std::uint64_t enrolled = 1000, pool = 300, capacity = 1400;
  auto engine = make_engine(EngineOptions{Backend::Cpu, 2, 0});
  engine->synthesize(make_synthesis_tables(*s_data, enrolled, pool),
                     PopulationLayout{enrolled, pool, capacity}, 9, 2, month_index(2024, 1));
  const HostMembers m = engine->download();
  ASSERT_EQ(m.size(), 2 * capacity);
  for (std::size_t r = 0; r < 2; ++r) {
    for (std::size_t i = 0; i < capacity; ++i) {
      const std::uint8_t s = m.status[r * capacity + i];
      if (i < enrolled) {
        ASSERT_EQ(s, kAlive | kEnrolled);
      } else if (i < enrolled + pool) {
        ASSERT_EQ(s, kAlive);
      } else {
        ASSERT_EQ(s, 0);
      }
    }
  }
  const auto counts = engine->count_enrolled(s_data->contracts.size());
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}), 2 * 1000);
}

TEST_F(SynthesisTest, BytesPerMemberWithinTarget) {
  EXPECT_LE(kBytesPerMember, 64u);
  // member_id 4, contract 2, county 1, practice 2, birth_month 2, sex/race/language/aid/status
  // 1 each, enrolled_months 2, months_flushed 1, conditions/clinical/pregnancy/ED 1 each,
  // inpatient days 2, cost 4, capitation 4, program cost 4, one state byte per measure slot.
  EXPECT_EQ(kBytesPerMember, 4u + 2 + 1 + 2 + 2 + 5 * 1 + 2 + 1 + 4 * 1 + 2 + 4 + 4 + 4 + kMaxMeasures);
}

}  // namespace
}  // namespace phsim
