// The CPU's year-end tally a vector of members at a time (sim/tally_lanes.inc: 16 with AVX-512,
// 8 with AVX2) must add exactly what tally_member adds member by member.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "io/reference_data_io.hpp"
#include "sim/engine.hpp"
#include "sim/tally_cpu.hpp"

namespace phsim::cpu {
namespace {

TEST(TallySlots, VectorsAddWhatTallyMemberAdds) {
  if (best_simd_level() < SimdLevel::Avx2) GTEST_SKIP() << "no AVX2 on this CPU: the tally goes member by member";
  const ReferenceData data = load_embedded_reference_data();
  std::vector<MeasureSpec> specs;
  for (const auto& m : data.measures) specs.push_back(m.spec);
  const TallyMasks masks = make_tally_masks(specs.data(), static_cast<std::uint32_t>(specs.size()));
  const TallyMeasures measures{specs.data(), &masks};
  // 3 replicates of 1000 slots: vectors of 16 span replicates (vectors of 8 do not), and ranges
  // end mid-vector.
  const TallyShape shape{3, static_cast<std::uint32_t>(data.contracts.size()),
                         static_cast<std::uint32_t>(data.counties.size()), static_cast<std::uint32_t>(specs.size()),
                         1000, (2025 - 1900) * 12 + 11};
  const std::uint64_t slots = 3 * shape.capacity;
  // Ages at Dec 31: every measure's bounds and milestones, and the months around them.
  std::vector<int> ages;
  for (const MeasureSpec& s : specs) {
    for (const int a : {int{s.age_lo}, int{s.age_hi}, int{s.milestones[0]}, int{s.milestones[1]},
                        int{s.milestones[2]}, s.milestones[0] + 11}) {
      for (int d = -1; d <= 1; ++d) ages.push_back(a + d);
    }
  }
  std::mt19937 gen(31);
  HostMembers h;
#define PHSIM_ZEROED(T, name, extent, doc) h.name.assign((extent) * slots, T{});
  PHSIM_MEMBER_FIELDS(PHSIM_ZEROED)
#undef PHSIM_ZEROED
  const std::uint16_t enrollment[] = {0x0fff, 0x0ffe, 0x0bff, 0x07ff, 0x0ff0, 0x0000, 0x0800, 0x0fef};
  int added = 0;
  for (int round = 0; round < 20; ++round) {
    for (std::uint64_t i = 0; i < slots; ++i) {
      h.status[i] = static_cast<std::uint8_t>(gen() % 10 == 0 ? 0 : kAlive | (gen() % 2 ? kEnrolled : 0));
      h.contract[i] = static_cast<std::uint16_t>(gen() % shape.contracts);
      h.county[i] = static_cast<std::uint8_t>(gen() % shape.counties);
      h.race[i] = static_cast<std::uint8_t>(gen() % kRaceCount);
      h.sex[i] = static_cast<std::uint8_t>(gen() % 2);
      h.conditions[i] = static_cast<std::uint8_t>(gen() % 64);
      h.clinical[i] = static_cast<std::uint8_t>(gen());
      const int age_dec = gen() % 2 ? ages[gen() % ages.size()] : static_cast<int>(gen() % (125 * 12)) - 2;
      h.birth_month[i] = static_cast<std::int16_t>(shape.december - age_dec);
      h.enrolled_months[i] = gen() % 4 ? enrollment[gen() % 8] : static_cast<std::uint16_t>(gen() & 0x0fff);
      h.months_flushed[i] = static_cast<std::uint8_t>(gen() % 3);
      h.year_ed_visits[i] = static_cast<std::uint8_t>(gen() % 4);
      h.year_cost_usd[i] = gen() % 5000;
      for (std::uint32_t k = 0; k < kMaxMeasures; ++k) h.measure_state[k * slots + i] = static_cast<std::uint8_t>(gen());
    }
    const MemberView m = h.view();
    const std::uint64_t begin = gen() % 40, end = slots - gen() % 40;
    std::vector<unsigned long long> want[3], got[3];
    for (int a = 0; a < 3; ++a) {
      const std::size_t size = a == 0 ? shape.measure_cells() : a == 1 ? shape.group_cells() : shape.event_cells();
      want[a].assign(size, 0ull);
      got[a].assign(size, 0ull);
    }
    LocalTallySink scalar{{want[0].data(), want[1].data(), want[2].data()}};
    tally_slots(m, measures, shape, begin, end, scalar, SimdLevel::Scalar);
    for (const SimdLevel level : {SimdLevel::Avx2, SimdLevel::Avx512}) {
      if (level > best_simd_level()) continue;
      for (int a = 0; a < 3; ++a) std::fill(got[a].begin(), got[a].end(), 0ull);
      LocalTallySink wide{{got[0].data(), got[1].data(), got[2].data()}};
      tally_slots(m, measures, shape, begin, end, wide, level);
      for (int a = 0; a < 3; ++a) {
        ASSERT_EQ(got[a], want[a]) << simd_level_name(level) << ", array " << a << ", round " << round;
      }
    }
    for (int a = 0; a < 3; ++a) {
      for (const unsigned long long v : want[a]) added += v != 0;
    }
  }
  // Most cells received something: the comparison is not of empty arrays.
  EXPECT_GT(added, 20 * static_cast<int>(shape.measure_cells() / 2));
}

}  // namespace
}  // namespace phsim::cpu
