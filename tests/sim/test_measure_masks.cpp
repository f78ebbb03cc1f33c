// The step skips measures that cannot change for a member in a month (age, sex, conditions,
// no trigger event). Skipping must not change any tally: a run with the masks and a run with
// every measure processed give identical year-end tallies.
#include <gtest/gtest.h>

#include "kernels/tally.hpp"
#include "tests/sim/embedded_population.hpp"

namespace phsim {
namespace {

std::vector<YearTallies> run_two_years(bool masks) {
  const ReferenceData d = load_embedded_reference_data();
  const ModelParameters params = read_model_parameters(d);
  const std::uint64_t members = 40000, pool = pool_members(members, params);
  const SynthesisTables tables = make_synthesis_tables(d, members, pool);
  StepTables step = make_step_tables(d, tables, params, calibrate_service_model(d, tables, params));
  if (!masks) {
    std::fill(step.measure_age_mask.begin(), step.measure_age_mask.end(), 0xffffffffu);
    std::fill(step.measure_condition_mask.begin(), step.measure_condition_mask.end(), 0xffffffffu);
    step.scalars.followup_mask = 0;
  }
  auto engine = make_engine(EngineOptions{Backend::Cpu, 2, 0});
  engine->synthesize(tables, population_layout(members, pool, 2, params), 13, 2, month_index(2024, 1));
  engine->initialize_history({step}, make_history_tables(params));
  std::vector<YearTallies> out;
  for (int y = 0; y < 2; ++y) {
    for (int m = 1; m <= 12; ++m) engine->step_month(month_index(2024 + y, m));
    out.push_back(engine->tally_year(month_index(2024 + y, 12)));
  }
  return out;
}

TEST(MeasureMasks, SkippingUnchangeableMeasuresLeavesEveryTallyEqual) {
  const auto with = run_two_years(true), without = run_two_years(false);
  ASSERT_EQ(with.size(), without.size());
  for (std::size_t y = 0; y < with.size(); ++y) {
    EXPECT_EQ(with[y].measure, without[y].measure) << "year " << y;
    EXPECT_EQ(with[y].group, without[y].group) << "year " << y;
    EXPECT_EQ(with[y].events, without[y].events) << "year " << y;
  }
  // And the masks do skip work: some measure is outside them for a 40-year-old man.
  const ReferenceData d = load_embedded_reference_data();
  const ModelParameters params = read_model_parameters(d);
  const SynthesisTables tables = make_synthesis_tables(d, 1000, 0);
  const StepTables step = make_step_tables(d, tables, params, calibrate_service_model(d, tables, params));
  const std::uint32_t all = (1u << d.measures.size()) - 1;
  EXPECT_NE(step.measure_age_mask[40 * 2 + 0], all);
}

// The year-end tally reads only the measures a member can count in (TallyMeasures). Its
// tallies equal those of every measure evaluated for every member, computed here on the host
// from the downloaded members, in each of three years (milestones reached in every month of
// the year, members aging across every bound).
/// Three years of `members` x `replicates` on `threads`: each year-end tally equals every
/// measure evaluated for every member slot by slot (tally_member into one set of arrays).
void expect_tally_equals_every_measure_of_every_member(std::uint64_t members, std::uint32_t replicates,
                                                       int threads) {
  const EmbeddedPopulation p(members, replicates);
  const ReferenceData& d = p.d;
  const StepTables& step = p.step;
  const PopulationLayout& layout = p.layout;
  auto engine = p.engine(EngineOptions{Backend::Cpu, threads, 0}, 29, month_index(2024, 1));
  const auto n = static_cast<std::uint32_t>(step.measures.size());
  TallyMasks all;
  all.any_enrollment = (1u << n) - 1u;  // every measure for every member
  const TallyMeasures every{step.measures.data(), &all};
  std::uint64_t counted = 0;
  for (int y = 0; y < 3; ++y) {
    for (int m = 1; m <= 12; ++m) engine->step_month(month_index(2024 + y, m));
    HostMembers h = engine->download();
    const MemberView v = h.view();
    const TallyShape shape{replicates, static_cast<std::uint32_t>(d.contracts.size()),
                           static_cast<std::uint32_t>(d.counties.size()), n, layout.capacity,
                           month_index(2024 + y, 12)};
    std::vector<unsigned long long> measure(shape.measure_cells()), group(shape.group_cells()),
        events(shape.event_cells());
    LocalTallySink sink{{measure.data(), group.data(), events.data()}};
    for (std::uint64_t i = 0; i < h.size(); ++i) tally_member(v, every, shape, i, sink);
    const YearTallies tallies = engine->tally_year(month_index(2024 + y, 12));
    EXPECT_EQ(tallies.measure, std::vector<std::int64_t>(measure.begin(), measure.end())) << "year " << y;
    EXPECT_EQ(tallies.group, std::vector<std::int64_t>(group.begin(), group.end())) << "year " << y;
    for (const auto c : measure) counted += c;
  }
  EXPECT_GT(counted, 3u * p.members);  // the comparison is over real counts
}

// Replicates of many chunks each, shared by two threads.
TEST(TallyMasks, YearEndTallyEqualsEveryMeasureEvaluatedForEveryMember) {
  expect_tally_equals_every_measure_of_every_member(40000, 2, 2);
}

// Many replicates of one chunk each, more threads than cores.
TEST(TallyMasks, YearEndTallyOfManySmallReplicatesEqualsEveryMeasureOfEveryMember) {
  expect_tally_equals_every_measure_of_every_member(1500, 9, 3);
}

}  // namespace
}  // namespace phsim
