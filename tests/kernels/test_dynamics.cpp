// Unit tests of the fused monthly step (kernels/dynamics.hpp) and of newborn creation
// (kernels/newborn.hpp) with hand-built members and tables. Every threshold is 0 (never) unless
// a test sets it to kThresholdOne (always), so every expectation follows exactly from the rules
// documented in the headers.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/dynamics.hpp"
#include "kernels/newborn.hpp"
#include "kernels/tally.hpp"

namespace phsim {
namespace {

constexpr std::uint64_t kNever = 0;
constexpr std::uint64_t kAlways = kThresholdOne;
constexpr int kAges = kMaxAgeYears + 1;

/// Member arrays on the host: `slots` elements per field (extent arrays for measure_state).
struct Members {
#define PHSIM_TEST_FIELD(T, name, extent, doc) std::vector<T> name;
  PHSIM_MEMBER_FIELDS(PHSIM_TEST_FIELD)
#undef PHSIM_TEST_FIELD
  std::uint64_t slots = 0;

  explicit Members(std::uint64_t n) : slots(n) {
#define PHSIM_TEST_ASSIGN(T, name, extent, doc) name.assign(n * (extent), T{});
    PHSIM_MEMBER_FIELDS(PHSIM_TEST_ASSIGN)
#undef PHSIM_TEST_ASSIGN
  }

  MemberView view() {
    MemberView v{};
#define PHSIM_TEST_VIEW(T, name, extent, doc) v.name = name.data();
    PHSIM_MEMBER_FIELDS(PHSIM_TEST_VIEW)
#undef PHSIM_TEST_VIEW
    v.stride = slots;
    return v;
  }

  bool operator==(const Members&) const = default;
};

// Two counties: county 0 has contracts 0, 1, 2; county 1 has contracts 3, 4.
constexpr std::uint32_t kContracts = 5;
constexpr std::uint32_t kPractices = 6;
constexpr int kAidGroups = 3;  // < 19, 19..64, 65+

/// Small host tables; everything "never" until a test changes it.
struct Tables {
  std::vector<std::uint64_t> death = std::vector<std::uint64_t>(kAges, kNever);
  std::vector<std::uint64_t> death_serious = std::vector<std::uint64_t>(kAges, kNever);
  std::vector<std::uint64_t> conception = std::vector<std::uint64_t>(kAges, kNever);
  std::vector<std::uint64_t> default_thr = {kNever, kNever};
  std::vector<std::uint32_t> contract_first = {0, 3};
  std::vector<std::uint32_t> contract_count = {3, 2};
  // Choosing members in county 0 always pick contract 1, default assignment always contract 2;
  // in county 1 both pick contract 3.
  std::vector<std::uint64_t> choice_cum = {kNever, kAlways, kAlways, kAlways, kAlways};
  std::vector<std::uint64_t> default_cum = {kNever, kNever, kAlways, kAlways, kAlways};
  std::vector<std::uint64_t> incidence = std::vector<std::uint64_t>(kConditionCount * kAges, kNever);
  std::vector<MeasureSpec> measures;
  std::vector<std::uint32_t> service;
  std::vector<std::uint8_t> tier;
  std::vector<std::uint8_t> aid_group_of_age = std::vector<std::uint8_t>(kAges, 0);
  // Group 0: always Child; group 1: always AdultExpansion; group 2: always Aged.
  // Every measure may change for every member (the masks only skip work).
  std::vector<std::uint32_t> age_mask = std::vector<std::uint32_t>(kAges * 2, 0xffffffffu);
  std::vector<std::uint32_t> condition_mask = std::vector<std::uint32_t>(64, 0xffffffffu);
  std::vector<std::uint64_t> aid_cum = {kAlways, kAlways, kAlways, kAlways, kAlways,  //
                                        kNever,  kNever,  kAlways, kAlways, kAlways,  //
                                        kNever,  kNever,  kNever,  kNever,  kAlways};
  StepTablesView s{};

  Tables() {
    for (std::uint32_t p = 0; p < kPractices; ++p) tier.push_back(static_cast<std::uint8_t>(p % kPracticeTiers));
    for (int a = 0; a < kAges; ++a) aid_group_of_age[a] = a < 19 ? 0 : (a < 65 ? 1 : 2);
    for (auto& c : s.serious_type_cum) c = kAlways;
    s.inpatient_los_span = 1;
    s.n_contracts = kContracts;
  }

  /// Sets one measure (n_measures = 1) with the same service threshold in every cell.
  void set_measure(const MeasureSpec& spec, std::uint64_t service_thr) {
    measures = {spec};
    service.assign(static_cast<std::size_t>(kContracts) * kRaceCount * kPracticeTiers,
                   pack_service_threshold(service_thr));
  }

  StepTablesView view() {
    StepTablesView v = s;
    v.death_thr = death.data();
    v.death_serious_thr = death_serious.data();
    v.conception_thr = conception.data();
    v.default_thr = default_thr.data();
    v.contract_first = contract_first.data();
    v.contract_count = contract_count.data();
    v.choice_cum = choice_cum.data();
    v.default_cum = default_cum.data();
    v.incidence_thr = incidence.data();
    v.measures = measures.data();
    v.n_measures = static_cast<std::uint32_t>(measures.size());
    v.service_thr = service.data();
    v.practice_tier = tier.data();
    v.aid_group_of_age = aid_group_of_age.data();
    v.aid_cum = aid_cum.data();
    v.measure_age_mask = age_mask.data();
    v.measure_condition_mask = condition_mask.data();
    v.followup_mask = 0;
    return v;
  }

  /// The same tables for each of `replicates` replicates (the step reads tables[replicate]).
  const StepTablesView* views(std::uint64_t replicates) {
    per_replicate.assign(replicates, view());
    return per_replicate.data();
  }
  std::vector<StepTablesView> per_replicate;
};

/// Event cells [replicate][contract][field].
struct Events {
  std::vector<unsigned long long> cells;
  explicit Events(std::uint32_t replicates) : cells(static_cast<std::size_t>(replicates) * kContracts * kEventFieldCount, 0) {}
  unsigned long long at(std::uint32_t r, std::uint32_t contract, EventField f) const {
    return cells[(static_cast<std::size_t>(r) * kContracts + contract) * kEventFieldCount + f];
  }
  unsigned long long total() const {
    unsigned long long t = 0;
    for (auto c : cells) t += c;
    return t;
  }
};

const std::int32_t kJan2024 = month_index(2024, 1);
const std::int32_t kMar2024 = month_index(2024, 3);
const std::int32_t kApr2024 = month_index(2024, 4);

/// A living adult in slot i: age `age_years` years and 5 months at `month`, county 0,
/// contract 0, practice 1, enrolled unless told otherwise.
void put_member(Members& m, std::uint64_t i, std::int32_t month, int age_years, Sex sex,
                bool enrolled = true) {
  m.member_id[i] = static_cast<std::uint32_t>(100 + i);
  m.contract[i] = 0;
  m.county[i] = 0;
  m.practice[i] = 1;
  m.birth_month[i] = static_cast<std::int16_t>(month - age_years * 12 - 5);
  m.sex[i] = static_cast<std::uint8_t>(sex);
  m.race[i] = static_cast<std::uint8_t>(Race::Black);
  m.language[i] = static_cast<std::uint8_t>(Language::English);
  m.aid[i] = static_cast<std::uint8_t>(AidCategory::AdultExpansion);
  m.status[i] = static_cast<std::uint8_t>(kAlive | (enrolled ? kEnrolled : 0));
}

void step(Members& m, Tables& t, Events& e, std::uint64_t capacity, std::int32_t month,
          std::uint64_t i, std::uint32_t seed = 7) {
  const std::uint64_t replicates = (m.slots + capacity - 1) / capacity;
  StepMember{m.view(), t.views(replicates), e.cells.data(), seed, capacity, month}(i);
}

void step_all(Members& m, Tables& t, Events& e, std::uint64_t capacity, std::int32_t month,
              std::uint32_t seed = 7) {
  const std::uint64_t replicates = (m.slots + capacity - 1) / capacity;
  const StepMember f{m.view(), t.views(replicates), e.cells.data(), seed, capacity, month};
  for (std::uint64_t i = 0; i < m.slots; ++i) f(i);
}

// --- 1. Nothing happens with all-zero thresholds -------------------------------------------

TEST(StepMember, QuietMonthSetsEnrolledBitAndAddsBaseCost) {
  Members m(3);
  Tables t;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 321;
  t.s.base_cost_usd[static_cast<int>(AidCategory::Child)] = 99;
  put_member(m, 0, kMar2024, 40, Sex::Female);
  m.enrolled_months[0] = 0b011;
  m.months_flushed[0] = 1;
  m.year_ed_visits[0] = 4;
  m.year_inpatient_days[0] = 6;
  m.year_cost_usd[0] = 1000;
  m.conditions[0] = condition_bit(Condition::Asthma);
  m.clinical[0] = kBpControlled;
  put_member(m, 1, kMar2024, 30, Sex::Male, /*enrolled=*/false);
  m.enrolled_months[1] = 0b001;
  m.year_cost_usd[1] = 50;
  // Slot 2 is empty (status 0): the step must not touch it.
  m.member_id[2] = 0xffffffffu;
  m.year_cost_usd[2] = 17;
  m.enrolled_months[2] = 0b1;
  Events e(1);
  const Members before = m;
  step_all(m, t, e, 3, kMar2024);

  EXPECT_EQ(m.enrolled_months[0], 0b111);
  EXPECT_EQ(m.months_flushed[0], 1);
  EXPECT_EQ(m.year_ed_visits[0], 4);
  EXPECT_EQ(m.year_inpatient_days[0], 6);
  EXPECT_EQ(m.year_cost_usd[0], 1000u + 321u);
  EXPECT_EQ(m.status[0], kAlive | kEnrolled);
  EXPECT_EQ(m.conditions[0], condition_bit(Condition::Asthma));
  EXPECT_EQ(m.clinical[0], kBpControlled);
  EXPECT_EQ(m.pregnancy[0], 0);
  EXPECT_EQ(m.contract[0], 0);
  EXPECT_EQ(m.aid[0], before.aid[0]);
  // Not enrolled: no bit for March, no cost.
  EXPECT_EQ(m.enrolled_months[1], 0b001);
  EXPECT_EQ(m.year_cost_usd[1], 50u);
  EXPECT_EQ(m.status[1], kAlive);
  // Everything else is unchanged.
  Members expected = before;
  expected.enrolled_months[0] = 0b111;
  expected.year_cost_usd[0] = 1321;
  EXPECT_TRUE(m == expected);
  EXPECT_EQ(e.total(), 0u);
}

TEST(StepMember, JanuaryStartsNewYear) {
  Members m(1);
  Tables t;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 321;
  put_member(m, 0, kJan2024, 40, Sex::Female);
  m.enrolled_months[0] = 0x0fff;
  m.months_flushed[0] = 5;
  m.year_ed_visits[0] = 9;
  m.year_inpatient_days[0] = 3;
  m.year_cost_usd[0] = 12345;
  Events e(1);
  step(m, t, e, 1, kJan2024, 0);
  EXPECT_EQ(m.enrolled_months[0], 0b1);  // only January
  EXPECT_EQ(m.months_flushed[0], 0);
  EXPECT_EQ(m.year_ed_visits[0], 0);
  EXPECT_EQ(m.year_inpatient_days[0], 0);
  EXPECT_EQ(m.year_cost_usd[0], 321u);
  EXPECT_EQ(e.total(), 0u);  // the reset credits nothing (the tally did, after December)
}

TEST(StepMember, JanuaryResetsYearMeasureState) {
  Members m(1);
  Tables t;
  MeasureSpec year;
  year.window = WindowKind::Year;
  year.age_lo = 0;
  year.age_hi = 11;  // the 40-year-old is outside the population: no service counted
  t.set_measure(year, kAlways);
  put_member(m, 0, kJan2024, 40, Sex::Female);
  m.measure_state[0] = 5;
  Events e(1);
  step(m, t, e, 1, kJan2024, 0);
  EXPECT_EQ(m.measure_state[0], 0);
  // In March the state carries over.
  m.measure_state[0] = 5;
  step(m, t, e, 1, kMar2024, 0);
  EXPECT_EQ(m.measure_state[0], 5);
}

// --- 2. Death ----------------------------------------------------------------------------------

TEST(StepMember, DeathFlushesAccumulatorsToOwnReplicateAndContract) {
  // Two replicates of 3 slots; the member is slot 1 of replicate 1 (index 4), contract 1.
  Members m(6);
  Tables t;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 321;
  t.death.assign(kAges, kAlways);
  put_member(m, 4, kMar2024, 40, Sex::Male);
  m.contract[4] = 1;
  m.enrolled_months[4] = 0b011;
  m.months_flushed[4] = 1;
  m.year_ed_visits[4] = 3;
  m.year_inpatient_days[4] = 5;
  m.year_cost_usd[4] = 700;
  Events e(2);
  step(m, t, e, 3, kMar2024, 4);
  EXPECT_EQ(m.status[4], 0);
  EXPECT_EQ(m.member_id[4], 104u);        // the dead keep their id
  EXPECT_EQ(m.enrolled_months[4], 0b011);  // no bit for the month of death
  EXPECT_EQ(e.at(1, 1, kEvDeaths), 1u);
  EXPECT_EQ(e.at(1, 1, kEvMemberMonths), 1u);  // 2 enrolled months, 1 already flushed
  EXPECT_EQ(e.at(1, 1, kEvEdVisits), 3u);
  EXPECT_EQ(e.at(1, 1, kEvInpatientDays), 5u);
  EXPECT_EQ(e.at(1, 1, kEvCostUsd), 700u);    // no cost for the month of death
  EXPECT_EQ(e.total(), 1u + 1u + 3u + 5u + 700u);
  // The year-end tally skips the dead: nothing is counted twice.
  const TallyShape shape{2, kContracts, 2, 0, 3, month_index(2024, 12)};
  std::vector<unsigned long long> measure(1), group(1), events(shape.event_cells());
  LocalTallySink sink{{measure.data(), group.data(), events.data()}};
  const TallyMasks no_measures;
  tally_member(m.view(), TallyMeasures{nullptr, &no_measures}, shape, 4, sink);
  for (auto v : events) EXPECT_EQ(v, 0u);
}

TEST(StepMember, DeathThresholdByAgeAndSeriousIllness) {
  Members m(4);
  Tables t;
  t.death[40] = kAlways;
  t.death_serious[50] = kAlways;
  put_member(m, 0, kMar2024, 40, Sex::Male);  // dies (general table)
  put_member(m, 1, kMar2024, 41, Sex::Male);  // survives
  put_member(m, 2, kMar2024, 40, Sex::Male);  // serious illness: the serious table says no
  m.conditions[2] = condition_bit(Condition::SeriousIllness);
  put_member(m, 3, kMar2024, 50, Sex::Male);  // serious illness at 50: dies
  m.conditions[3] = condition_bit(Condition::SeriousIllness);
  Events e(1);
  step_all(m, t, e, 4, kMar2024);
  EXPECT_EQ(m.status[0], 0);
  EXPECT_EQ(m.status[1], kAlive | kEnrolled);
  EXPECT_EQ(m.status[2], kAlive | kEnrolled);
  EXPECT_EQ(m.status[3], 0);
  EXPECT_EQ(e.at(0, 0, kEvDeaths), 2u);
}

TEST(StepMember, DeathAfterDisenrollmentStillCreditsEarlierEnrolledMonths) {
  // flush_year_accumulators is documented as "used ... at death", and tally_member skips the
  // dead as "already flushed": months, ED visits and cost accrued while enrolled earlier in the
  // year must reach the contract even when the member is not enrolled on the day of death.
  Members m(1);
  Tables t;
  t.death.assign(kAges, kAlways);
  put_member(m, 0, kApr2024, 40, Sex::Male, /*enrolled=*/false);
  m.contract[0] = 2;
  m.enrolled_months[0] = 0b011;  // enrolled January and February, left in March
  m.year_ed_visits[0] = 1;
  m.year_cost_usd[0] = 400;
  Events e(1);
  step(m, t, e, 1, kApr2024, 0);
  EXPECT_EQ(m.status[0], 0);
  EXPECT_EQ(e.at(0, 2, kEvMemberMonths), 2u);
  EXPECT_EQ(e.at(0, 2, kEvEdVisits), 1u);
  EXPECT_EQ(e.at(0, 2, kEvCostUsd), 400u);
}

// --- 3. Enrollment churn and plan choice -------------------------------------------------------

TEST(StepMember, DisenrollmentClearsEnrollmentAndDefaultFlag) {
  Members m(1);
  Tables t;
  t.s.disenroll_thr = kAlways;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 321;
  t.s.ed_thr[0] = kAlways;  // utilization needs enrollment: none this month
  put_member(m, 0, kMar2024, 40, Sex::Female);
  m.status[0] |= kDefaultAssigned;
  m.contract[0] = 1;
  m.enrolled_months[0] = 0b011;
  Events e(1);
  step(m, t, e, 1, kMar2024, 0);
  EXPECT_EQ(m.status[0], kAlive);
  EXPECT_EQ(m.enrolled_months[0], 0b011);
  EXPECT_EQ(m.year_cost_usd[0], 0u);
  EXPECT_EQ(m.year_ed_visits[0], 0);
  EXPECT_EQ(m.contract[0], 1);
  EXPECT_EQ(e.at(0, 1, kEvDisenrolled), 1u);
  EXPECT_EQ(e.total(), 1u);
}

/// A not-enrolled member of contract 0 who was enrolled in January and February.
void put_returning_member(Members& m, std::uint64_t i) {
  put_member(m, i, kApr2024, 40, Sex::Female, /*enrolled=*/false);
  m.enrolled_months[i] = 0b011;
  m.months_flushed[i] = 0;
  m.year_ed_visits[i] = 2;
  m.year_inpatient_days[i] = 4;
  m.year_cost_usd[i] = 300;
}

TEST(StepMember, ReenrollmentByDefaultFlushesOldContractFirst) {
  Members m(1);
  Tables t;
  t.s.reenroll_thr = kAlways;
  t.default_thr = {kAlways, kAlways};
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 321;
  put_returning_member(m, 0);
  Events e(1);
  step(m, t, e, 1, kApr2024, 0);
  EXPECT_EQ(m.contract[0], 2);  // default_cum of county 0 always picks contract 2
  EXPECT_EQ(m.status[0], kAlive | kEnrolled | kDefaultAssigned);
  EXPECT_EQ(m.enrolled_months[0], 0b1011);
  EXPECT_EQ(m.months_flushed[0], 2);
  EXPECT_EQ(m.year_ed_visits[0], 0);
  EXPECT_EQ(m.year_inpatient_days[0], 0);
  EXPECT_EQ(m.year_cost_usd[0], 321u);  // April's base cost, for the new contract
  // Old contract: the accumulators of January and February.
  EXPECT_EQ(e.at(0, 0, kEvMemberMonths), 2u);
  EXPECT_EQ(e.at(0, 0, kEvEdVisits), 2u);
  EXPECT_EQ(e.at(0, 0, kEvInpatientDays), 4u);
  EXPECT_EQ(e.at(0, 0, kEvCostUsd), 300u);
  EXPECT_EQ(e.at(0, 0, kEvDefaultAssigned), 0u);
  // New contract: the default assignment.
  EXPECT_EQ(e.at(0, 2, kEvDefaultAssigned), 1u);
  EXPECT_EQ(e.at(0, 2, kEvChosePlan), 0u);
  EXPECT_EQ(e.at(0, 2, kEvMemberMonths), 0u);
  EXPECT_EQ(e.total(), 2u + 2u + 4u + 300u + 1u);
  // The year-end tally credits only April to the new contract.
  const TallyShape shape{1, kContracts, 2, 0, 1, month_index(2024, 12)};
  std::vector<unsigned long long> measure(1), group(1), events(shape.event_cells());
  LocalTallySink sink{{measure.data(), group.data(), events.data()}};
  const TallyMasks no_measures;
  tally_member(m.view(), TallyMeasures{nullptr, &no_measures}, shape, 0, sink);
  EXPECT_EQ(events[shape.event_cell(0, 2) + kEvMemberMonths], 1u);
  EXPECT_EQ(events[shape.event_cell(0, 2) + kEvCostUsd], 321u);
  EXPECT_EQ(events[shape.event_cell(0, 0) + kEvMemberMonths], 0u);
}

TEST(StepMember, ReenrollmentByChoicePicksFromChoiceShares) {
  Members m(1);
  Tables t;
  t.s.reenroll_thr = kAlways;
  put_returning_member(m, 0);
  m.status[0] |= kDefaultAssigned;  // a stale flag is cleared by a choice
  Events e(1);
  step(m, t, e, 1, kApr2024, 0);
  EXPECT_EQ(m.contract[0], 1);  // choice_cum of county 0 always picks contract 1
  EXPECT_EQ(m.status[0], kAlive | kEnrolled);
  EXPECT_EQ(e.at(0, 0, kEvMemberMonths), 2u);
  EXPECT_EQ(e.at(0, 0, kEvCostUsd), 300u);
  EXPECT_EQ(e.at(0, 1, kEvChosePlan), 1u);
  EXPECT_EQ(e.at(0, 1, kEvDefaultAssigned), 0u);
  EXPECT_EQ(e.total(), 2u + 2u + 4u + 300u + 1u);
}

TEST(StepMember, ReenrollmentIntoSameContractDoesNotFlush) {
  Members m(1);
  Tables t;
  t.s.reenroll_thr = kAlways;
  t.choice_cum = {kAlways, kAlways, kAlways, kAlways, kAlways};  // county 0: contract 0
  put_returning_member(m, 0);
  Events e(1);
  step(m, t, e, 1, kApr2024, 0);
  EXPECT_EQ(m.contract[0], 0);
  EXPECT_EQ(m.months_flushed[0], 0);
  EXPECT_EQ(m.year_ed_visits[0], 2);
  EXPECT_EQ(m.year_cost_usd[0], 300u);
  EXPECT_EQ(m.enrolled_months[0], 0b1011);
  EXPECT_EQ(e.at(0, 0, kEvChosePlan), 1u);
  EXPECT_EQ(e.total(), 1u);
}

TEST(StepMember, ReenrollmentStaysInOwnCounty) {
  // County 1 owns contracts 3 and 4; a member of contract 4 choosing picks contract 3, a
  // member of replicate 1 counts in replicate 1's cells.
  Members m(2);
  Tables t;
  t.s.reenroll_thr = kAlways;
  put_member(m, 1, kApr2024, 30, Sex::Male, /*enrolled=*/false);
  m.county[1] = 1;
  m.contract[1] = 4;
  Events e(2);
  step(m, t, e, 1, kApr2024, 1);
  EXPECT_EQ(m.contract[1], 3);
  EXPECT_EQ(m.county[1], 1);
  EXPECT_EQ(e.at(1, 3, kEvChosePlan), 1u);
  EXPECT_EQ(e.total(), 1u);
}

// --- 4. Pregnancy --------------------------------------------------------------------------------

TEST(StepMember, PregnancyDeliveryAndPostpartum) {
  Members m(2);
  Tables t;
  for (int a = 15; a <= 44; ++a) t.conception[a] = kAlways;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 100;
  t.s.delivery_los_days = 3;
  t.s.delivery_cost_usd = 5000;
  t.s.inpatient_day_cost_usd = 800;
  const std::int32_t start = month_index(2024, 2);
  put_member(m, 0, start, 25, Sex::Female);
  put_member(m, 1, start, 25, Sex::Male);
  Events e(1);
  std::int32_t month = start;
  step_all(m, t, e, 2, month);
  EXPECT_EQ(m.pregnancy[0], 1);
  for (int k = 0; k < 8; ++k) step_all(m, t, e, 2, ++month);
  EXPECT_EQ(m.pregnancy[0], kGestationMonths);
  EXPECT_EQ(e.at(0, 0, kEvBirths), 0u);
  EXPECT_FALSE(m.status[0] & kDeliveredThisMonth);

  const std::uint32_t cost_before = m.year_cost_usd[0];
  const std::uint16_t days_before = m.year_inpatient_days[0];
  step_all(m, t, e, 2, ++month);  // November: delivery
  EXPECT_EQ(m.pregnancy[0], kGestationMonths + 1);
  EXPECT_EQ(m.status[0], kAlive | kEnrolled | kDeliveredThisMonth);
  EXPECT_EQ(e.at(0, 0, kEvBirths), 1u);
  EXPECT_EQ(m.year_inpatient_days[0], days_before + 3);
  EXPECT_EQ(m.year_cost_usd[0], cost_before + 100u + 5000u + 3u * 800u);

  step_all(m, t, e, 2, ++month);
  EXPECT_EQ(m.pregnancy[0], 11);
  EXPECT_EQ(m.status[0], kAlive | kEnrolled);  // the flag lasts one month
  step_all(m, t, e, 2, ++month);                // January 2025
  EXPECT_EQ(m.pregnancy[0], kPostpartumLast);
  step_all(m, t, e, 2, ++month);
  EXPECT_EQ(m.pregnancy[0], 0);  // no conception in the month postpartum ends
  step_all(m, t, e, 2, ++month);
  EXPECT_EQ(m.pregnancy[0], 1);
  EXPECT_EQ(e.at(0, 0, kEvBirths), 1u);
  // A man never conceives, whatever the table says.
  EXPECT_EQ(m.pregnancy[1], 0);
  EXPECT_EQ(m.status[1], kAlive | kEnrolled);
}

TEST(StepMember, DeliveryWhileNotEnrolledCountsNoBirth) {
  Members m(1);
  Tables t;
  t.s.delivery_los_days = 3;
  t.s.delivery_cost_usd = 5000;
  put_member(m, 0, kApr2024, 25, Sex::Female, /*enrolled=*/false);
  m.pregnancy[0] = kGestationMonths;
  Events e(1);
  step(m, t, e, 1, kApr2024, 0);
  EXPECT_EQ(m.pregnancy[0], kGestationMonths + 1);
  EXPECT_EQ(m.status[0], kAlive);
  EXPECT_EQ(m.year_inpatient_days[0], 0);
  EXPECT_EQ(m.year_cost_usd[0], 0u);
  EXPECT_EQ(e.total(), 0u);
}

TEST(StepMember, PregnancySpareBitIsKept) {
  Members m(1);
  Tables t;
  put_member(m, 0, kApr2024, 25, Sex::Female);
  m.pregnancy[0] = 0x80 | 4;
  Events e(1);
  step(m, t, e, 1, kApr2024, 0);
  EXPECT_EQ(m.pregnancy[0], 0x80 | 5);
}

// --- 5. Conditions -----------------------------------------------------------------------------

TEST(StepMember, AtMostOneConditionOnsetPerMonth) {
  Members m(1);
  Tables t;
  const int age = 40;
  t.incidence[(static_cast<int>(Condition::Asthma) - 1) * kAges + age] = kAlways;
  t.incidence[(static_cast<int>(Condition::Diabetes) - 1) * kAges + age] = kAlways;
  put_member(m, 0, kMar2024, age, Sex::Female);
  Events e(1);
  step(m, t, e, 1, kMar2024, 0);
  EXPECT_EQ(m.conditions[0], condition_bit(Condition::Asthma));
  step(m, t, e, 1, kApr2024, 0);  // asthma present (no remission): diabetes is next
  EXPECT_EQ(m.conditions[0], condition_bit(Condition::Asthma) | condition_bit(Condition::Diabetes));
  EXPECT_EQ(m.clinical[0] & kA1cPoor, 0);  // a1c_poor_thr = 0: starts below 9%
  EXPECT_EQ(e.total(), 0u);
}

TEST(StepMember, OnsetUsesIncidenceAtMemberAge) {
  Members m(2);
  Tables t;
  t.incidence[(static_cast<int>(Condition::Hypertension) - 1) * kAges + 60] = kAlways;
  t.s.bp_controlled_thr = kAlways;
  put_member(m, 0, kMar2024, 60, Sex::Male);
  put_member(m, 1, kMar2024, 59, Sex::Male);
  Events e(1);
  step_all(m, t, e, 2, kMar2024);
  EXPECT_EQ(m.conditions[0], condition_bit(Condition::Hypertension));
  EXPECT_EQ(m.clinical[0], kBpControlled);  // new hypertension: controlled at the steady state
  EXPECT_EQ(m.conditions[1], 0);
}

TEST(StepMember, RemissionClearsPresentCondition) {
  Members m(1);
  Tables t;
  t.s.remission_thr[static_cast<int>(Condition::MentalIllness) - 1] = kAlways;
  put_member(m, 0, kMar2024, 40, Sex::Female);
  m.conditions[0] = condition_bit(Condition::MentalIllness) | condition_bit(Condition::Asthma);
  Events e(1);
  step(m, t, e, 1, kMar2024, 0);
  EXPECT_EQ(m.conditions[0], condition_bit(Condition::Asthma));
}

// --- 6. Utilization ----------------------------------------------------------------------------

TEST(StepMember, EdVisitByRiskClassAddsVisitAndCost) {
  Members m(3);
  Tables t;
  t.s.ed_thr[0] = kAlways;  // risk class 0 only
  t.s.ed_cost_usd = 900;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 100;
  put_member(m, 0, kMar2024, 40, Sex::Female);
  put_member(m, 1, kMar2024, 40, Sex::Female);
  m.conditions[1] = condition_bit(Condition::SubstanceUse);  // risk class 2: ed_thr[2] = 0
  put_member(m, 2, kMar2024, 40, Sex::Female, /*enrolled=*/false);
  m.year_ed_visits[0] = 254;
  Events e(1);
  step_all(m, t, e, 3, kMar2024);
  EXPECT_EQ(m.year_ed_visits[0], 255);
  EXPECT_EQ(m.year_cost_usd[0], 100u + 900u);
  EXPECT_EQ(m.year_ed_visits[1], 0);
  EXPECT_EQ(m.year_cost_usd[1], 100u);
  EXPECT_EQ(m.year_ed_visits[2], 0);
  EXPECT_EQ(m.year_cost_usd[2], 0u);
  // The count saturates at 255.
  step_all(m, t, e, 3, kApr2024);
  EXPECT_EQ(m.year_ed_visits[0], 255);
  EXPECT_EQ(e.total(), 0u);  // utilization is accumulated on the member, not the counters
}

MeasureSpec fum() {
  MeasureSpec s;
  s.kind = MeasureKind::Followup;
  s.window = WindowKind::Event;
  s.enrollment = EnrollmentRule::Event;
  s.trigger = Trigger::EdMentalHealth;
  s.counted_at = Trigger::EdMentalHealth;
  s.age_lo = 6 * 12;
  s.age_hi = 120 * 12;
  return s;
}

TEST(StepMember, MentalHealthEdVisitTriggersFollowup) {
  Members m(2);
  Tables t;
  const int mental = 1;  // risk class: mental illness only
  t.s.ed_thr[mental] = kAlways;
  t.s.ed_mental_health_thr = kAlways;
  t.s.ed_cost_usd = 900;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 100;
  t.set_measure(fum(), kAlways);
  put_member(m, 0, kMar2024, 40, Sex::Female);
  m.conditions[0] = condition_bit(Condition::MentalIllness);
  put_member(m, 1, kMar2024, 40, Sex::Female);  // no mental illness: risk class 0, never
  Events e(1);
  step_all(m, t, e, 2, kMar2024);
  EXPECT_EQ(m.year_ed_visits[0], 2);
  EXPECT_EQ(m.year_cost_usd[0], 100u + 2u * 900u);
  const std::uint8_t state = m.measure_state[0 * m.slots + 0];
  EXPECT_EQ(state & 0x0f, 1);         // denominator: one event
  EXPECT_EQ((state >> 4) & 0x07, 1);  // numerator: followed up
  EXPECT_EQ(state, 0x11);
  EXPECT_EQ(m.year_ed_visits[1], 0);
  EXPECT_EQ(m.measure_state[0 * m.slots + 1], 0);
}

TEST(StepMember, MentalHealthEdVisitWithoutFollowup) {
  Members m(1);
  Tables t;
  t.s.ed_mental_health_thr = kAlways;  // general ED visit never
  t.set_measure(fum(), kNever);
  put_member(m, 0, kMar2024, 40, Sex::Female);
  m.conditions[0] = condition_bit(Condition::MentalIllness);
  Events e(1);
  step(m, t, e, 1, kMar2024, 0);
  EXPECT_EQ(m.year_ed_visits[0], 1);
  EXPECT_EQ(m.measure_state[0], 0x01);
}

TEST(StepMember, InpatientStayAndSeriousIllnessCost) {
  Members m(1);
  Tables t;
  t.s.inpatient_thr[1] = kAlways;  // with serious illness
  t.s.inpatient_los_span = 1;      // length of stay 1 + (x mod 1) = 1 day
  t.s.inpatient_day_cost_usd = 800;
  t.s.serious_monthly_cost_usd = 2000;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 100;
  put_member(m, 0, kMar2024, 40, Sex::Female);
  m.conditions[0] = condition_bit(Condition::SeriousIllness);
  Events e(1);
  step(m, t, e, 1, kMar2024, 0);
  EXPECT_EQ(m.year_inpatient_days[0], 1);
  EXPECT_EQ(m.year_cost_usd[0], 100u + 2000u + 800u);
}

// --- Aging ---------------------------------------------------------------------------------------

TEST(StepMember, AidCategoryRedrawnAt19And65Only) {
  Members m(3);
  Tables t;
  put_member(m, 0, kMar2024, 18, Sex::Female);
  m.birth_month[0] = static_cast<std::int16_t>(kMar2024 - 19 * 12);  // 19 this month
  m.aid[0] = static_cast<std::uint8_t>(AidCategory::Child);
  put_member(m, 1, kMar2024, 64, Sex::Female);
  m.birth_month[1] = static_cast<std::int16_t>(kMar2024 - 65 * 12);  // 65 this month
  put_member(m, 2, kMar2024, 19, Sex::Female);  // 19 years and 5 months: no change
  m.aid[2] = static_cast<std::uint8_t>(AidCategory::Child);
  Events e(1);
  step_all(m, t, e, 3, kMar2024);
  EXPECT_EQ(m.aid[0], static_cast<std::uint8_t>(AidCategory::AdultExpansion));
  EXPECT_EQ(m.aid[1], static_cast<std::uint8_t>(AidCategory::Aged));
  EXPECT_EQ(m.aid[2], static_cast<std::uint8_t>(AidCategory::Child));
}

// --- Per-replicate tables and capitation ----------------------------------------------------

TEST(StepMember, EachReplicateReadsItsOwnTables) {
  // Two replicates of one slot each; only replicate 1's tables say "die".
  Members m(2);
  Tables quiet, deadly;
  deadly.death.assign(kAges, kAlways);
  put_member(m, 0, kMar2024, 40, Sex::Male);
  put_member(m, 1, kMar2024, 40, Sex::Male);
  const StepTablesView views[2] = {quiet.view(), deadly.view()};
  Events e(2);
  const StepMember f{m.view(), views, e.cells.data(), 7, 1, kMar2024};
  f(0);
  f(1);
  EXPECT_EQ(m.status[0], kAlive | kEnrolled);
  EXPECT_EQ(m.status[1], 0);
  EXPECT_EQ(e.at(0, 0, kEvDeaths), 0u);
  EXPECT_EQ(e.at(1, 0, kEvDeaths), 1u);
}

TEST(StepMember, CapitationAccruesPerEnrolledMonthAndIsFlushed) {
  Members m(2);
  Tables t;
  t.s.capitation_cents[static_cast<int>(AidCategory::AdultExpansion)] = 45678;
  t.s.capitation_cents[static_cast<int>(AidCategory::Child)] = 11111;
  put_member(m, 0, kMar2024, 40, Sex::Male);
  put_member(m, 1, kMar2024, 40, Sex::Male, /*enrolled=*/false);
  Events e(1);
  step_all(m, t, e, 2, kMar2024);
  EXPECT_EQ(m.year_capitation_cents[0], 45678u);
  EXPECT_EQ(m.year_capitation_cents[1], 0u);
  step_all(m, t, e, 2, kApr2024);
  EXPECT_EQ(m.year_capitation_cents[0], 2u * 45678u);
  EXPECT_EQ(e.total(), 0u);
  // Saturates at 2^32 - 1.
  m.year_capitation_cents[0] = 0xffffffffu - 10;
  step_all(m, t, e, 2, kApr2024 + 1);
  EXPECT_EQ(m.year_capitation_cents[0], 0xffffffffu);
  // Death flushes it into the contract's capitation counter.
  m.year_capitation_cents[0] = 1000;
  t.death.assign(kAges, kAlways);
  step_all(m, t, e, 2, kApr2024 + 2);
  EXPECT_EQ(e.at(0, 0, kEvCapitationCents), 1000u);
  // January starts a new year.
  Members j(1);
  put_member(j, 0, kJan2024, 40, Sex::Male);
  j.year_capitation_cents[0] = 777;
  Tables tj;
  tj.s.capitation_cents[static_cast<int>(AidCategory::AdultExpansion)] = 5;
  Events ej(1);
  step(j, tj, ej, 1, kJan2024, 0);
  EXPECT_EQ(j.year_capitation_cents[0], 5u);
}

// --- 7. Determinism ------------------------------------------------------------------------------

TEST(StepMember, SameSeedSameOutcomeDifferentSeedDiffers) {
  constexpr std::uint64_t n = 1000;
  Members start(n);
  Tables t;
  const std::uint64_t half = probability_threshold(0.5);
  t.death.assign(kAges, half);
  t.death_serious.assign(kAges, half);
  t.conception.assign(kAges, half);
  t.incidence.assign(t.incidence.size(), half / kConditionCount);
  t.default_thr = {half, half};
  t.choice_cum = {half, kAlways, kAlways, half, kAlways};
  t.default_cum = {kNever, half, kAlways, kNever, kAlways};
  t.s.disenroll_thr = half;
  t.s.reenroll_thr = half;
  for (auto& x : t.s.ed_thr) x = half;
  t.s.inpatient_thr[0] = t.s.inpatient_thr[1] = half;
  t.s.inpatient_los_span = 5;
  t.s.ed_cost_usd = 900;
  t.s.base_cost_usd[static_cast<int>(AidCategory::AdultExpansion)] = 100;
  for (std::uint64_t i = 0; i < n; ++i) {
    put_member(start, i, kMar2024, 20 + static_cast<int>(i % 40), i % 2 ? Sex::Male : Sex::Female,
               i % 3 != 0);
    start.member_id[i] = static_cast<std::uint32_t>(i);
  }
  const auto run = [&](std::uint32_t seed, Events& e) {
    Members m = start;
    for (std::int32_t month = kMar2024; month < kMar2024 + 3; ++month) step_all(m, t, e, 500, month, seed);
    return m;
  };
  Events ea(2), eb(2), ec(2);
  const Members a = run(11, ea);
  const Members b = run(11, eb);
  const Members c = run(12, ec);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(ea.cells, eb.cells);
  EXPECT_FALSE(a.status == c.status);
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == start);
}

// --- 8. Newborns ---------------------------------------------------------------------------------

TEST(InitNewborn, CopiesMotherAndStartsEnrolled) {
  // Two replicates of 4 slots: mothers in slot 0 of replicate 0 (index 0) and replicate 1
  // (index 4); newborns into the free slot 3 of each.
  Members m(8);
  Tables t;
  t.s.newborn_female_thr = kAlways;
  MeasureSpec year;  // services in the year for ages 0..24 months at Dec 31
  year.window = WindowKind::Year;
  year.age_lo = 0;
  year.age_hi = 24;
  t.set_measure(year, kAlways);
  const std::int32_t may = month_index(2024, 5);
  for (std::uint64_t mother : {0ull, 4ull}) {
    put_member(m, mother, may, 28, Sex::Female);
    m.contract[mother] = 2;
    m.practice[mother] = 5;
    m.race[mother] = static_cast<std::uint8_t>(Race::AsianPacificIslander);
    m.language[mother] = static_cast<std::uint8_t>(Language::Vietnamese);
    m.conditions[mother] = condition_bit(Condition::Diabetes);
    m.pregnancy[mother] = kGestationMonths + 1;
    m.status[mother] |= kDeliveredThisMonth;
  }
  m.status[4] |= kDefaultAssigned;
  // Stale contents of the free slots must all be overwritten.
  for (std::uint64_t s : {3ull, 7ull}) {
    m.member_id[s] = 0xffffffffu;
    m.year_cost_usd[s] = 999;
    m.year_ed_visits[s] = 9;
    m.year_inpatient_days[s] = 9;
    m.months_flushed[s] = 9;
    m.conditions[s] = 0x3f;
    m.clinical[s] = 0xff;
    m.pregnancy[s] = 5;
    m.aid[s] = static_cast<std::uint8_t>(AidCategory::Aged);
    for (int k = 0; k < kMaxMeasures; ++k) m.measure_state[k * m.slots + s] = 0x77;
  }
  const std::vector<std::uint64_t> mothers = {0, 4}, slots = {3, 7};
  const std::vector<std::uint32_t> ids = {500, 600};
  const InitNewborn f{m.view(), t.views(2), mothers.data(), slots.data(), ids.data(), 7, 4, may};
  f(0);
  f(1);
  for (std::size_t k = 0; k < 2; ++k) {
    const std::uint64_t i = slots[k], mother = mothers[k];
    EXPECT_EQ(m.member_id[i], ids[k]);
    EXPECT_EQ(m.contract[i], 2);
    EXPECT_EQ(m.county[i], 0);
    EXPECT_EQ(m.practice[i], 5);
    EXPECT_EQ(m.race[i], static_cast<std::uint8_t>(Race::AsianPacificIslander));
    EXPECT_EQ(m.language[i], static_cast<std::uint8_t>(Language::Vietnamese));
    EXPECT_EQ(m.aid[i], static_cast<std::uint8_t>(AidCategory::Child));
    EXPECT_EQ(m.birth_month[i], may);
    EXPECT_EQ(m.sex[i], static_cast<std::uint8_t>(Sex::Female));
    EXPECT_EQ(m.enrolled_months[i], 1u << 4);
    EXPECT_EQ(m.months_flushed[i], 0);
    EXPECT_EQ(m.conditions[i], 0);
    EXPECT_EQ(m.clinical[i], 0);
    EXPECT_EQ(m.pregnancy[i], 0);
    EXPECT_EQ(m.year_ed_visits[i], 0);
    EXPECT_EQ(m.year_inpatient_days[i], 0);
    EXPECT_EQ(m.year_cost_usd[i], 0u);
    EXPECT_EQ(m.measure_state[0 * m.slots + i], 1);  // the birth month's service
    for (int j = 1; j < kMaxMeasures; ++j) EXPECT_EQ(m.measure_state[j * m.slots + i], 0) << j;
    // The mother is unchanged.
    EXPECT_EQ(m.pregnancy[mother], kGestationMonths + 1);
  }
  EXPECT_EQ(m.status[3], kAlive | kEnrolled);
  EXPECT_EQ(m.status[7], kAlive | kEnrolled | kDefaultAssigned);
}

TEST(InitNewborn, SexFromNewbornFemaleThreshold) {
  Members m(2);
  Tables t;
  t.s.newborn_female_thr = kNever;
  const std::int32_t may = month_index(2024, 5);
  put_member(m, 0, may, 28, Sex::Female);
  m.status[0] |= kDeliveredThisMonth;
  const std::vector<std::uint64_t> mothers = {0}, slots = {1};
  const std::vector<std::uint32_t> ids = {42};
  InitNewborn{m.view(), t.views(2), mothers.data(), slots.data(), ids.data(), 7, 2, may}(0);
  EXPECT_EQ(m.sex[1], static_cast<std::uint8_t>(Sex::Male));
  EXPECT_EQ(m.status[1], kAlive | kEnrolled);
}

TEST(InitNewborn, UsesTablesOfNewbornsReplicate) {
  // Replicate 0's tables say "male", replicate 1's "female"; one newborn in each.
  Members m(4);
  Tables boys, girls;
  girls.s.newborn_female_thr = kAlways;
  const std::int32_t may = month_index(2024, 5);
  put_member(m, 0, may, 28, Sex::Female);
  put_member(m, 2, may, 28, Sex::Female);
  const StepTablesView views[2] = {boys.view(), girls.view()};
  const std::vector<std::uint64_t> mothers = {0, 2}, slots = {1, 3};
  const std::vector<std::uint32_t> ids = {42, 43};
  const InitNewborn f{m.view(), views, mothers.data(), slots.data(), ids.data(), 7, 2, may};
  f(0);
  f(1);
  EXPECT_EQ(m.sex[1], static_cast<std::uint8_t>(Sex::Male));
  EXPECT_EQ(m.sex[3], static_cast<std::uint8_t>(Sex::Female));
}

TEST(InitNewborn, NewbornThenStepsLikeAnyMember) {
  // The month after birth: the February bit joins the January one; the base cost of a child
  // is due for both enrolled months (the birth month's at birth).
  Members m(2);
  Tables t;
  t.s.base_cost_usd[static_cast<int>(AidCategory::Child)] = 250;
  put_member(m, 0, kJan2024, 28, Sex::Female);
  m.status[0] |= kDeliveredThisMonth;
  const std::vector<std::uint64_t> mothers = {0}, slots = {1};
  const std::vector<std::uint32_t> ids = {42};
  InitNewborn{m.view(), t.views(2), mothers.data(), slots.data(), ids.data(), 7, 2, kJan2024}(0);
  Events e(1);
  step_all(m, t, e, 2, kJan2024 + 1);
  EXPECT_EQ(m.enrolled_months[1], 0b11);
  EXPECT_EQ(m.year_cost_usd[1], 2 * 250u);
  EXPECT_EQ(m.status[0], kAlive | kEnrolled);  // the mother's delivery flag is cleared
}

}  // namespace
}  // namespace phsim
