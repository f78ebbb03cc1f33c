// Unit tests of kernels/measures.hpp with hand-built members: each measure kind, window
// boundaries, milestones, continuous enrollment and year rollover. Service events are forced
// with thresholds 0 (never) or 2^32 (always), so every expectation is exact.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "kernels/measures.hpp"
#include "kernels/tally.hpp"

namespace phsim {
namespace {

constexpr std::uint64_t kNever = 0;
constexpr std::uint64_t kAlways = kThresholdOne;

MeasureSpec w30_6() {
  MeasureSpec s;
  s.kind = MeasureKind::CountInWindow;
  s.anchor = Anchor::Milestone;
  s.window = WindowKind::AgeMonths;
  s.window_lo = 0;
  s.window_hi = 15;
  s.n_milestones = 1;
  s.milestones[0] = 15;
  s.min_services = 6;
  return s;
}

MeasureContext ctx_at(int age_months, bool enrolled = true) {
  // Age at Dec 31 is irrelevant for milestone measures; keep it consistent anyway.
  return MeasureContext{age_months, age_months, enrolled, true, 0, 0, 0};
}

/// Runs a milestone measure from birth to `months` with services in the given ages.
std::uint8_t run_child(const MeasureSpec& s, int months, const std::set<int>& service_ages) {
  std::uint8_t state = 0;
  for (int a = 0; a <= months; ++a) {
    ServiceDraws draws(1, 1, static_cast<std::uint32_t>(a), 0);
    state = update_measure(s, state, ctx_at(a), service_ages.count(a) ? kAlways : kNever, 0, draws, kNever);
  }
  return state;
}

MeasureOutcome judge(const MeasureSpec& s, std::uint8_t state, bool ce = true, int age_dec = 0,
                     bool female = true, std::uint8_t conditions = 0) {
  return evaluate_measure(s, state, age_dec, female, conditions, ce);
}

TEST(CountInWindowMilestone, SixVisitsBefore15MonthsIsInNumerator) {
  const MeasureSpec s = w30_6();
  const std::uint8_t six = run_child(s, 15, {0, 1, 2, 4, 6, 9});
  EXPECT_EQ(judge(s, six).den, 1u);
  EXPECT_EQ(judge(s, six).num, 1u);
  const std::uint8_t five = run_child(s, 15, {0, 1, 2, 4, 6});
  EXPECT_EQ(judge(s, five).den, 1u);
  EXPECT_EQ(judge(s, five).num, 0u);
}

TEST(CountInWindowMilestone, WindowBoundaries) {
  const MeasureSpec s = w30_6();
  // A visit at 14 months counts; one at 15 months (the milestone month) does not.
  EXPECT_EQ(judge(s, run_child(s, 15, {0, 1, 2, 4, 6, 14})).num, 1u);
  EXPECT_EQ(judge(s, run_child(s, 15, {0, 1, 2, 4, 6, 15})).num, 0u);
  // Before the milestone the child is not in the denominator.
  EXPECT_EQ(judge(s, run_child(s, 14, {0, 1, 2, 4, 6, 9})).den, 0u);
  // W30-2: window [15, 30): a visit at 15 counts, one at 30 does not.
  MeasureSpec s2 = w30_6();
  s2.window_lo = 15;
  s2.window_hi = 30;
  s2.milestones[0] = 30;
  s2.min_services = 2;
  EXPECT_EQ(judge(s2, run_child(s2, 30, {15, 29})).num, 1u);
  EXPECT_EQ(judge(s2, run_child(s2, 30, {14, 29})).num, 0u);
  EXPECT_EQ(judge(s2, run_child(s2, 30, {16, 30})).num, 0u);
}

TEST(CountInWindowMilestone, ContinuousEnrollmentRequired) {
  const MeasureSpec s = w30_6();
  const std::uint8_t state = run_child(s, 15, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(judge(s, state, /*ce=*/false).den, 0u);
  EXPECT_EQ(judge(s, state, /*ce=*/false).num, 0u);
}

TEST(CountInWindowMilestone, NotEnrolledMonthsGetNoServices) {
  const MeasureSpec s = w30_6();
  std::uint8_t state = 0;
  for (int a = 0; a <= 15; ++a) {
    ServiceDraws draws(1, 1, static_cast<std::uint32_t>(a), 0);
    state = update_measure(s, state, ctx_at(a, /*enrolled=*/a >= 10), kAlways, 0, draws, kNever);
  }
  EXPECT_EQ(state & kCountMask, 5);  // ages 10..14
  EXPECT_EQ(judge(s, state).num, 0u);
}

TEST(CountInWindowSinceBirthday, DevelopmentalScreeningPerBirthday) {
  MeasureSpec s;
  s.anchor = Anchor::Milestone;
  s.window = WindowKind::SinceBirthday;
  s.n_milestones = 3;
  s.milestones[0] = 12;
  s.milestones[1] = 24;
  s.milestones[2] = 36;
  s.min_services = 1;
  // Screened at 11 months: met at the first birthday.
  EXPECT_EQ(judge(s, run_child(s, 12, {11})).num, 1u);
  // Screened at 11 months only: the counter restarts, so the second birthday is not met.
  const std::uint8_t at24 = run_child(s, 24, {11});
  EXPECT_EQ(judge(s, at24).den, 1u);
  EXPECT_EQ(judge(s, at24).num, 0u);
  // Screened at 13 months: met at 24.
  EXPECT_EQ(judge(s, run_child(s, 24, {13})).num, 1u);
  // A screening in the birthday month counts toward the next birthday, not this one.
  EXPECT_EQ(judge(s, run_child(s, 12, {12})).num, 0u);
}

TEST(NewYear, CarriesMultiYearWindowsAndClearsMilestoneFlags) {
  const MeasureSpec s = w30_6();
  const std::uint8_t state = run_child(s, 15, {0, 1, 2, 4, 6, 9});
  const std::uint8_t next = new_year_state(s, state);
  EXPECT_EQ(next & kCountMask, 6);
  EXPECT_EQ(next & (kMilestoneMet | kMilestoneReached), 0);
  MeasureSpec year;
  year.window = WindowKind::Year;
  EXPECT_EQ(new_year_state(year, 5), 0);
  MeasureSpec lookback;
  lookback.window = WindowKind::Lookback;
  EXPECT_EQ(new_year_state(lookback, 17), 17);
}

MeasureSpec year_measure(int lo_years, int hi_years, int k) {
  MeasureSpec s;
  s.window = WindowKind::Year;
  s.age_lo = static_cast<std::int16_t>(lo_years * 12);
  s.age_hi = static_cast<std::int16_t>(hi_years * 12 + 11);
  s.min_services = static_cast<std::uint8_t>(k);
  return s;
}

/// Runs a year-window or lookback measure over `months` months ending in December of a year in
/// which the member is `age_dec_years` old at Dec 31, with services in the given months
/// (0 = the first month run).
std::uint8_t run_adult(const MeasureSpec& s, int months, int age_dec_years, const std::set<int>& service_months,
                       std::uint8_t state = 0, std::uint8_t conditions = 0, std::uint8_t clinical = 0) {
  for (int t = 0; t < months; ++t) {
    const int months_to_dec = months - 1 - t;
    const int age_dec_of_that_year = age_dec_years * 12 - 12 * (months_to_dec / 12);
    const MeasureContext c{age_dec_of_that_year - (months_to_dec % 12), age_dec_of_that_year, true, true,
                           conditions, clinical, 0};
    ServiceDraws draws(3, 7, static_cast<std::uint32_t>(t), 0);
    state = update_measure(s, state, c, service_months.count(t) ? kAlways : kNever, 0, draws, kNever);
  }
  return state;
}

TEST(CountInWindowYear, AgeAtDecemberDecidesEligibility) {
  const MeasureSpec wcv = year_measure(3, 21, 1);
  EXPECT_EQ(judge(wcv, run_adult(wcv, 12, 3, {0}), true, 3 * 12).num, 1u);
  EXPECT_EQ(judge(wcv, run_adult(wcv, 12, 3, {}), true, 3 * 12).den, 1u);
  EXPECT_EQ(judge(wcv, run_adult(wcv, 12, 3, {}), true, 3 * 12).num, 0u);
  EXPECT_EQ(judge(wcv, run_adult(wcv, 12, 22, {5}), true, 22 * 12).den, 0u);  // too old
  EXPECT_EQ(judge(wcv, run_adult(wcv, 12, 2, {5}), true, 2 * 12 + 11).den, 0u);  // too young
  MeasureSpec tfl = year_measure(1, 20, 2);
  EXPECT_EQ(judge(tfl, run_adult(tfl, 12, 5, {1}), true, 60).num, 0u);
  EXPECT_EQ(judge(tfl, run_adult(tfl, 12, 5, {1, 11}), true, 60).num, 1u);
}

TEST(CountInWindowLookback, ScreeningWithinLookback) {
  MeasureSpec ccs = year_measure(21, 64, 1);
  ccs.window = WindowKind::Lookback;
  ccs.lookback_months = 36;
  ccs.sex = SexFilter::Female;
  // 48 months ending in December; a screening in month t is 47 - t months before December.
  std::uint8_t inside = kLookbackNone, outside = kLookbackNone;
  inside = run_adult(ccs, 48, 40, {12}, inside);   // 35 months before Dec: counts
  outside = run_adult(ccs, 48, 40, {11}, outside); // 36 months before Dec: does not
  EXPECT_EQ(inside, 35);
  EXPECT_EQ(judge(ccs, inside, true, 40 * 12).num, 1u);
  EXPECT_EQ(judge(ccs, outside, true, 40 * 12).num, 0u);
  EXPECT_EQ(judge(ccs, outside, true, 40 * 12).den, 1u);
  EXPECT_EQ(judge(ccs, inside, true, 40 * 12, /*female=*/false).den, 0u);
  EXPECT_EQ(judge(ccs, kLookbackNone, true, 40 * 12).num, 0u);
}

TEST(ContinuousEnrollment, AtMostOneMissingMonthAndEnrolledInDecember) {
  EXPECT_TRUE(continuously_enrolled(0x0fff));
  EXPECT_TRUE(continuously_enrolled(0x0fff & ~(1u << 5)));    // one-month gap
  EXPECT_TRUE(continuously_enrolled(0x0fff & ~1u));           // missed January
  EXPECT_FALSE(continuously_enrolled(0x0fff & ~(3u << 5)));   // two-month gap
  EXPECT_FALSE(continuously_enrolled(0x0fff & ~((1u << 2) | (1u << 7))));  // two gaps
  EXPECT_FALSE(continuously_enrolled(0x0fff & ~(1u << 11)));  // not enrolled on Dec 31
  EXPECT_FALSE(continuously_enrolled(0));
}

MeasureSpec followup(Trigger trigger, Trigger counted_at) {
  MeasureSpec s;
  s.kind = MeasureKind::Followup;
  s.window = WindowKind::Event;
  s.enrollment = EnrollmentRule::Event;
  s.trigger = trigger;
  s.counted_at = counted_at;
  s.age_lo = 0;
  s.age_hi = 120 * 12;
  return s;
}

std::uint8_t event(const MeasureSpec& s, std::uint8_t state, std::uint8_t events, bool success,
                   bool enrolled = true) {
  ServiceDraws draws(5, 9, 0, 0);
  const MeasureContext c{30 * 12, 30 * 12, enrolled, true, 0, 0, events};
  return update_measure(s, state, c, success ? kAlways : kNever, 0, draws, kNever);
}

TEST(Followup, EventsCountInDenominatorAndFollowUpsInNumerator) {
  const MeasureSpec fum = followup(Trigger::EdMentalHealth, Trigger::EdMentalHealth);
  std::uint8_t s = 0;
  s = event(fum, s, trigger_bit(Trigger::EdMentalHealth), true);
  s = event(fum, s, trigger_bit(Trigger::EdMentalHealth), false);
  s = event(fum, s, trigger_bit(Trigger::EdSubstanceUse), true);  // another measure's trigger
  s = event(fum, s, trigger_bit(Trigger::EdMentalHealth), true, /*enrolled=*/false);
  EXPECT_EQ(judge(fum, s).den, 2u);
  EXPECT_EQ(judge(fum, s).num, 1u);
}

TEST(Followup, PrenatalCareDecidedAtStartCountedAtDelivery) {
  const MeasureSpec pre = followup(Trigger::PrenatalStart, Trigger::Delivery);
  std::uint8_t timely = event(pre, 0, trigger_bit(Trigger::PrenatalStart), true);
  EXPECT_EQ(judge(pre, timely).den, 0u);  // nothing counted before delivery
  EXPECT_EQ(new_year_state(pre, timely) & kFollowupPending, kFollowupPending);  // survives Jan
  timely = event(pre, timely, trigger_bit(Trigger::Delivery), false);
  EXPECT_EQ(judge(pre, timely).den, 1u);
  EXPECT_EQ(judge(pre, timely).num, 1u);
  std::uint8_t late = event(pre, 0, trigger_bit(Trigger::PrenatalStart), false);
  late = event(pre, late, trigger_bit(Trigger::Delivery), true);
  EXPECT_EQ(judge(pre, late).den, 1u);
  EXPECT_EQ(judge(pre, late).num, 0u);
}

MeasureSpec control(ControlState cs, bool inverse) {
  MeasureSpec s;
  s.kind = MeasureKind::Control;
  s.control = cs;
  s.inverse = inverse;
  s.condition = cs == ControlState::BloodPressure ? Condition::Hypertension : Condition::Diabetes;
  s.age_lo = 18 * 12;
  s.age_hi = 85 * 12 + 11;
  return s;
}

TEST(Control, LastReadingDecides) {
  const MeasureSpec cbp = control(ControlState::BloodPressure, false);
  const std::uint8_t htn = condition_bit(Condition::Hypertension);
  // Controlled reading in March, uncontrolled reading in October: the last one decides.
  std::uint8_t s = run_adult(cbp, 3, 50, {2}, 0, htn, kBpControlled);
  EXPECT_EQ(judge(cbp, s, true, 600, true, htn).num, 1u);
  s = run_adult(cbp, 8, 50, {7}, s, htn, 0);
  EXPECT_EQ(judge(cbp, s, true, 600, true, htn).den, 1u);
  EXPECT_EQ(judge(cbp, s, true, 600, true, htn).num, 0u);
  // No reading: not controlled. No hypertension: not in the denominator.
  EXPECT_EQ(judge(cbp, 0, true, 600, true, htn).num, 0u);
  EXPECT_EQ(judge(cbp, 3, true, 600, true, 0).den, 0u);
}

TEST(Control, InverseCountsPoorControlAndMissingTests) {
  const MeasureSpec gsd = control(ControlState::HbA1c, true);
  const std::uint8_t dm = condition_bit(Condition::Diabetes);
  EXPECT_EQ(judge(gsd, 0, true, 600, true, dm).num, 1u);  // no test
  const std::uint8_t poor = run_adult(gsd, 12, 50, {4}, 0, dm, kA1cPoor);
  EXPECT_EQ(judge(gsd, poor, true, 600, true, dm).num, 1u);
  const std::uint8_t good = run_adult(gsd, 12, 50, {4}, 0, dm, 0);
  EXPECT_EQ(judge(gsd, good, true, 600, true, dm).den, 1u);
  EXPECT_EQ(judge(gsd, good, true, 600, true, dm).num, 0u);
}

TEST(Ratio, ControllerShareAtLeastHalf) {
  MeasureSpec amr;
  amr.kind = MeasureKind::Ratio;
  amr.condition = Condition::Asthma;
  amr.age_lo = 5 * 12;
  amr.age_hi = 64 * 12 + 11;
  const std::uint8_t asthma = condition_bit(Condition::Asthma);
  const auto state = [](int controller, int reliever) {
    return static_cast<std::uint8_t>((reliever << 4) | controller);
  };
  EXPECT_EQ(judge(amr, state(2, 2), true, 120, true, asthma).num, 1u);
  EXPECT_EQ(judge(amr, state(1, 2), true, 120, true, asthma).num, 0u);
  EXPECT_EQ(judge(amr, state(1, 2), true, 120, true, asthma).den, 1u);
  EXPECT_EQ(judge(amr, state(0, 0), true, 120, true, asthma).den, 0u);  // no fills
  // Fills accumulate: controller always, reliever never, over 4 months.
  std::uint8_t s = 0;
  for (int t = 0; t < 4; ++t) {
    ServiceDraws draws(1, 2, static_cast<std::uint32_t>(t), 0);
    const MeasureContext c{120, 120, true, true, asthma, 0, 0};
    s = update_measure(amr, s, c, kAlways, 0, draws, kNever);
  }
  EXPECT_EQ(s, state(4, 0));
}

TEST(Tally, MemberCountsIntoContractAndGroupCells) {
  // Two members of one replicate; measure 0 is W30-6 reached and met by member 0 only.
  std::vector<std::uint32_t> id = {0, 1};
  std::vector<std::uint16_t> contract = {1, 1}, practice = {0, 0}, inpatient = {3, 0};
  std::vector<std::uint8_t> county = {0, 0}, sex = {0, 1}, race = {2, 4}, language = {0, 0}, aid = {0, 0};
  std::vector<std::uint8_t> status = {kAlive | kEnrolled, kAlive | kEnrolled};
  std::vector<std::int16_t> birth = {100, 100};
  std::vector<std::uint16_t> enrolled = {0x0fff, 0x0ffe};
  std::vector<std::uint8_t> flushed = {0, 0}, conditions = {0, 0}, clinical = {0, 0}, preg = {0, 0},
                            ed = {2, 0};
  std::vector<std::uint32_t> cost = {500, 70}, capitation = {12000, 1100}, program = {0, 0};
  std::vector<std::uint8_t> mstate(2 * kMaxMeasures, 0);
  mstate[0] = kMilestoneReached | kMilestoneMet | 6;
  mstate[1] = kMilestoneReached | 3;
  const MemberView v{id.data(), contract.data(), county.data(), practice.data(), birth.data(),
                     sex.data(), race.data(), language.data(), aid.data(), status.data(),
                     enrolled.data(), flushed.data(), conditions.data(), clinical.data(), preg.data(),
                     ed.data(), inpatient.data(), cost.data(), capitation.data(), program.data(),
                     mstate.data(), 2};
  const MeasureSpec specs[1] = {w30_6()};
  const TallyShape shape{1, 2, 1, 1, 2, 115};
  std::vector<unsigned long long> measure(shape.measure_cells()), group(shape.group_cells()),
      events(shape.event_cells());
  LocalTallySink sink{{measure.data(), group.data(), events.data()}};
  const TallyMasks masks = make_tally_masks(specs, 1);
  const TallyMeasures measures{specs, &masks};
  for (std::uint64_t i = 0; i < 2; ++i) tally_member(v, measures, shape, i, sink);
  EXPECT_EQ(measure[shape.measure_cell(0, 1, 0)], 2u);
  EXPECT_EQ(measure[shape.measure_cell(0, 1, 0) + 1], 1u);
  EXPECT_EQ(group[shape.group_cell(0, 0, 0, 2) + 1], 1u);
  EXPECT_EQ(group[shape.group_cell(0, 0, 0, 4)], 1u);
  EXPECT_EQ(group[shape.group_cell(0, 0, 0, 4) + 1], 0u);
  EXPECT_EQ(events[shape.event_cell(0, 1) + kEvMemberMonths], 23u);
  EXPECT_EQ(events[shape.event_cell(0, 1) + kEvEdVisits], 2u);
  EXPECT_EQ(events[shape.event_cell(0, 1) + kEvInpatientDays], 3u);
  EXPECT_EQ(events[shape.event_cell(0, 1) + kEvCostUsd], 570u);
  EXPECT_EQ(events[shape.event_cell(0, 1) + kEvCapitationCents], 13100u);
  EXPECT_EQ(events[shape.event_cell(0, 0) + kEvMemberMonths], 0u);
}

TEST(TallyMasks, EachKindCountsOnlyWhereEvaluateCanCount) {
  MeasureSpec bcs = year_measure(52, 74, 1);
  bcs.sex = SexFilter::Female;
  const MeasureSpec specs[4] = {w30_6(), followup(Trigger::Delivery, Trigger::Delivery), bcs,
                                control(ControlState::BloodPressure, false)};
  const TallyMasks t = make_tally_masks(specs, 4);
  const std::uint8_t hypertension = condition_bit(Condition::Hypertension);
  // Not continuously enrolled: follow-up events only.
  EXPECT_EQ(t.countable(20, true, hypertension, false), 0b0010u);
  // W30-6 is reached at 15 months, so it counts at 15-26 months at Dec 31 (years 1 and 2),
  // for either sex.
  EXPECT_EQ(t.countable(14, true, 0, true), 0b0011u);  // year 1 includes 14 months
  EXPECT_EQ(t.countable(26, false, 0, true), 0b0011u);
  EXPECT_EQ(t.countable(11, false, 0, true), 0b0010u);
  EXPECT_EQ(t.countable(36, false, 0, true), 0b0010u);
  // Breast cancer screening: women 52-74 at Dec 31.
  EXPECT_EQ(t.countable(52 * 12, true, 0, true), 0b0110u);
  EXPECT_EQ(t.countable(52 * 12, false, 0, true), 0b0010u);
  EXPECT_EQ(t.countable(51 * 12 + 11, true, 0, true), 0b0010u);
  EXPECT_EQ(t.countable(74 * 12 + 11, true, 0, true), 0b0110u);
  EXPECT_EQ(t.countable(75 * 12, true, 0, true), 0b0010u);
  // Blood pressure control: hypertension, 18-85.
  EXPECT_EQ(t.countable(60 * 12, false, hypertension, true), 0b1010u);
  EXPECT_EQ(t.countable(60 * 12, false, condition_bit(Condition::Diabetes), true), 0b0010u);
  EXPECT_EQ(t.countable(86 * 12, false, hypertension, true), 0b0010u);
  // Ages beyond the table share its last row; negative ages its first.
  EXPECT_EQ(t.countable(200 * 12, true, hypertension, true), 0b0010u);
  EXPECT_EQ(t.countable(-3, true, 0, true), 0b0010u);
  // And wherever a year-end measure is not countable, every state evaluates to nothing. (A
  // milestone's state says it was reached, whatever the age; that it is reached only at its age
  // is the step's invariant, checked on whole runs by test_measure_masks.)
  for (int age = 0; age <= 130 * 12; age += 5) {
    for (int female = 0; female < 2; ++female) {
      for (std::uint8_t c = 0; c < 64; c += 3) {
        const std::uint32_t countable = t.countable(age, female != 0, c, true);
        for (std::uint32_t k = 2; k < 4; ++k) {
          if (countable & (1u << k)) continue;
          for (std::uint32_t state = 0; state < 256; ++state) {
            const MeasureOutcome o = evaluate_measure(specs[k], static_cast<std::uint8_t>(state), age,
                                                      female != 0, c, true);
            ASSERT_EQ(o.den, 0u) << "measure " << k << " age " << age << " state " << state;
          }
        }
      }
    }
  }
}

TEST(LowestSetBit, EveryBitAndMixedMasks) {
  for (std::uint32_t b = 0; b < 32; ++b) EXPECT_EQ(lowest_set_bit(1u << b), b);
  EXPECT_EQ(lowest_set_bit(0xffffffffu), 0u);
  EXPECT_EQ(lowest_set_bit(0x00a00000u), 21u);
  EXPECT_EQ(lowest_set_bit(0x80000000u | (1u << 23)), 23u);
}

}  // namespace
}  // namespace phsim
