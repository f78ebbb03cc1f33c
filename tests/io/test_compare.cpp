// Paired scenario comparison (io/compare.hpp) and the replicate summaries of measure rates, on
// small results files written by hand, with every expected number worked out here.
#include "io/compare.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"
#include "sim/errors.hpp"

namespace phsim {
namespace {

namespace fs = std::filesystem;

constexpr double kTol = 1e-9;
constexpr double kT975df2 = 4.302652729749462;  // t(0.975, 2) = 0.95 / sqrt(2 * 0.975 * 0.025)

// The file: scenarios {base, alt}, R replicates, years {2024, 2025}, counties {A, B}, plans
// {P, Q}, measures {M1, M2}.
//
// Denominators are 1000 except: county B has no plan Q (0) and does not measure M2 (0); cell
// (A, Q, M2) is empty in replicate 1 (0).
// Numerators: M1: (A,P) 40 + r, (A,Q) 50, (B,P) 60; M2: (A,P) 20 + r, (A,Q) 30. The alt scenario
// adds 30 k_r to (A, P, M1) in 2025 only; nothing else in the tallies differs.
// Money per county-plan cell: capitation 1000; quality effort 10 (alt, 2025, (A,P): 10 + e_r);
// intervention cost 0 (alt, 2025, (A,P): 100 (r + 1)); practice incentive 0 (alt, 2025, (A,Q):
// 6). e_r = 60 for r = 2, else 30.
//
// k_r: R = 3: {1, 2, 4}; otherwise (7 r mod R) + 1, a shuffled 1..R when R and 7 are coprime.
int k_of(int r, int R) {
  if (R == 3) {
    static const int k3[] = {1, 2, 4};
    return k3[r];
  }
  return (7 * r) % R + 1;
}
double e_of(int r) { return r == 2 ? 60.0 : 30.0; }

std::int64_t den_of(int r, int c, int p, int m) {
  if (c == 1 && (p == 1 || m == 1)) return 0;
  if (m == 1 && c == 0 && p == 1 && r == 1) return 0;
  return 1000;
}

std::int64_t num_of(int s, int r, int y, int c, int p, int m, int R) {
  if (den_of(r, c, p, m) == 0) return 0;
  if (m == 0) {
    std::int64_t v = c == 0 && p == 0 ? 40 + r : c == 0 ? 50 : 60;
    if (s == 1 && y == 1 && c == 0 && p == 0) v += 30 * k_of(r, R);
    return v;
  }
  return c == 0 && p == 0 ? 20 + r : 30;
}

/// Writes the file; with `summaries`, also the summary variables.
void write_file(const std::string& path, int R, bool summaries = true) {
  ResultsWriter w(path);
  w.add_dimension("scenario", std::vector<std::string>{"base", "alt"});
  std::vector<std::int64_t> reps;
  for (int r = 0; r < R; ++r) reps.push_back(r);
  w.add_dimension("replicate", reps);
  w.add_dimension("year", std::vector<std::int64_t>{2024, 2025});
  w.add_dimension("county", std::vector<std::string>{"A", "B"});
  w.add_dimension("plan", std::vector<std::string>{"P", "Q"});
  w.add_dimension("measure", std::vector<std::string>{"M1", "M2"});
  std::vector<std::int64_t> num, den;
  std::vector<double> capitation, effort, intervention, practice;
  for (int s = 0; s < 2; ++s) {
    for (int r = 0; r < R; ++r) {
      for (int y = 0; y < 2; ++y) {
        for (int c = 0; c < 2; ++c) {
          for (int p = 0; p < 2; ++p) {
            const bool changed = s == 1 && y == 1 && c == 0;
            capitation.push_back(1000.0);
            effort.push_back(changed && p == 0 ? 10.0 + e_of(r) : 10.0);
            intervention.push_back(changed && p == 0 ? 100.0 * (r + 1) : 0.0);
            practice.push_back(changed && p == 1 ? 6.0 : 0.0);
            for (int m = 0; m < 2; ++m) {
              num.push_back(num_of(s, r, y, c, p, m, R));
              den.push_back(den_of(r, c, p, m));
            }
          }
        }
      }
    }
  }
  const std::vector<std::string> sryc = {"scenario", "replicate", "year", "county", "plan"};
  const std::vector<std::string> srycpm = {"scenario", "replicate", "year", "county", "plan",
                                           "measure"};
  w.write("measure_numerator", srycpm, num);
  w.write("measure_denominator", srycpm, den);
  w.write("capitation_usd", sryc, capitation);
  w.write("quality_effort_cost_usd", sryc, effort);
  w.write("intervention_cost_usd", sryc, intervention);
  w.write("practice_incentive_usd", sryc, practice);
  if (summaries) {
    write_rate_summaries(w, num, den, {2, static_cast<std::size_t>(R), 2, 2, 2, 2});
  }
  w.commit();
}

class CompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = fs::temp_directory_path() /
            ("phsim_compare_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string file(const std::string& name) const { return (m_dir / name).string(); }
  fs::path m_dir;
};

const CompareRow& find_row(const CompareResult& res, std::int64_t year, const std::string& group,
                           const std::string& quantity) {
  for (const auto& row : res.rows) {
    if (row.year == year && row.group == group && row.quantity == quantity) return row;
  }
  throw std::runtime_error("no row " + std::to_string(year) + " '" + group + "' " + quantity);
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

/// Student-t half width by hand: t · sd / √n with the sample sd.
double t_half(const std::vector<double>& v, double t) {
  const double m = mean_of(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return t * std::sqrt(ss / (static_cast<double>(v.size()) - 1)) / std::sqrt(static_cast<double>(v.size()));
}

TEST(StudentT, QuantilesMatchTables) {
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706204736174696, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 2), kT975df2, 1e-12);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.7764451051977987, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.2281388519649385, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 18), 2.10092204024096, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.025, 4), -2.7764451051977987, 1e-9);
  EXPECT_EQ(student_t_quantile(0.5, 7), 0.0);
}

TEST(SummarizeDifferences, MethodDependsOnReplicates) {
  const auto one = summarize_differences({2.5});
  EXPECT_EQ(one.method, IntervalMethod::None);
  EXPECT_EQ(one.mean, 2.5);
  EXPECT_TRUE(std::isnan(one.low) && std::isnan(one.high));

  // {1, 2, 4}: mean 7/3, deviations -4/3, -1/3, 5/3, sample variance (42/9)/2 = 7/3.
  const auto three = summarize_differences({1, 2, 4});
  EXPECT_EQ(three.method, IntervalMethod::StudentT);
  EXPECT_EQ(three.n, 3u);
  const double half = kT975df2 * std::sqrt(7.0 / 3.0) / std::sqrt(3.0);
  EXPECT_NEAR(three.mean, 7.0 / 3.0, kTol);
  EXPECT_NEAR(three.low, 7.0 / 3.0 - half, kTol);
  EXPECT_NEAR(three.high, 7.0 / 3.0 + half, kTol);

  // NaN values are left out: {1, NaN, 3} is summarized as {1, 3} (t with 1 df).
  const auto gap = summarize_differences({1, std::nan(""), 3});
  EXPECT_EQ(gap.n, 2u);
  EXPECT_NEAR(gap.mean, 2.0, kTol);
  EXPECT_NEAR(gap.high, 2.0 + 12.706204736174696 * std::sqrt(2.0) / std::sqrt(2.0), 1e-9);

  // 25 values 25, 24, ..., 1: h = 24 · 0.025 = 0.6 → 1.6; h = 23.4 → 24.4.
  std::vector<double> v;
  for (int i = 25; i >= 1; --i) v.push_back(i);
  const auto many = summarize_differences(v);
  EXPECT_EQ(many.method, IntervalMethod::Percentile);
  EXPECT_NEAR(many.mean, 13.0, kTol);
  EXPECT_NEAR(many.low, 1.6, kTol);
  EXPECT_NEAR(many.high, 24.4, kTol);

  // 19 values still use t; 20 use percentiles.
  EXPECT_EQ(summarize_differences(std::vector<double>(19, 1.0)).method, IntervalMethod::StudentT);
  EXPECT_EQ(summarize_differences(std::vector<double>(20, 1.0)).method, IntervalMethod::Percentile);
  EXPECT_TRUE(std::isnan(summarize_differences({}).mean));
}

TEST_F(CompareTest, ThreeReplicatesStatewideUseTheTInterval) {
  write_file(file("r3.h5"), 3);
  const CompareResult res = compare_results(file("r3.h5"), {"base", "alt", "", "none"});
  EXPECT_EQ(res.replicates, 3u);
  EXPECT_EQ(res.method, IntervalMethod::StudentT);
  EXPECT_TRUE(res.has_intervention_cost);
  EXPECT_EQ(res.money_variables, (std::vector<std::string>{"capitation_usd", "quality_effort_cost_usd",
                                                           "intervention_cost_usd",
                                                           "practice_incentive_usd"}));
  // Per year: 2 rates, 4 money variables, 2 event counts, 2 costs per event.
  ASSERT_EQ(res.rows.size(), 20u);
  const std::vector<std::string> order = {
      "rate M1 (%)",          "rate M2 (%)",
      "capitation_usd",       "quality_effort_cost_usd",
      "intervention_cost_usd", "practice_incentive_usd",
      "numerator events M1",  "numerator events M2",
      "USD per additional event M1", "USD per additional event M2"};
  for (std::size_t i = 0; i < res.rows.size(); ++i) {
    EXPECT_EQ(res.rows[i].year, i < 10 ? 2024 : 2025) << i;
    EXPECT_EQ(res.rows[i].group, "") << i;
    EXPECT_EQ(res.rows[i].quantity, order[i % 10]) << i;
  }

  // 2024: the scenarios are identical.
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(res.rows[i].difference.mean, 0.0) << res.rows[i].quantity;
    EXPECT_EQ(res.rows[i].difference.low, 0.0) << res.rows[i].quantity;
    EXPECT_EQ(res.rows[i].difference.high, 0.0) << res.rows[i].quantity;
  }
  // Statewide M1 in 2024: (150 + r) / 3000 → 5.0, 5.0333, 5.0667 % → mean 5.0333 %.
  const auto& m1_2024 = find_row(res, 2024, "", "rate M1 (%)");
  EXPECT_NEAR(m1_2024.base_mean, 100.0 * 151.0 / 3000.0, kTol);
  EXPECT_NEAR(m1_2024.alt_mean, 100.0 * 151.0 / 3000.0, kTol);
  // No numerator change in 2024: cost per event is undefined.
  EXPECT_TRUE(std::isnan(find_row(res, 2024, "", "USD per additional event M1").difference.mean));

  // 2025, M1: alt adds 30 k_r = {30, 60, 120} events to a statewide denominator of 3000, so the
  // paired differences are k_r = {1, 2, 4} percentage points.
  const auto& m1 = find_row(res, 2025, "", "rate M1 (%)");
  const double half = kT975df2 * std::sqrt(7.0 / 3.0) / std::sqrt(3.0);
  EXPECT_NEAR(m1.base_mean, 100.0 * 151.0 / 3000.0, kTol);
  EXPECT_NEAR(m1.alt_mean, 100.0 * (151.0 + 70.0) / 3000.0, kTol);
  EXPECT_NEAR(m1.difference.mean, 7.0 / 3.0, kTol);
  EXPECT_NEAR(m1.difference.low, 7.0 / 3.0 - half, kTol);
  EXPECT_NEAR(m1.difference.high, 7.0 / 3.0 + half, kTol);
  EXPECT_EQ(m1.difference.method, IntervalMethod::StudentT);
  EXPECT_EQ(m1.difference.n, 3u);

  // M2: replicate 1 has only (A, P): rates 50/2000, 21/1000, 52/2000 = 2.5, 2.1, 2.6 %.
  const auto& m2 = find_row(res, 2025, "", "rate M2 (%)");
  EXPECT_NEAR(m2.base_mean, 2.4, kTol);
  EXPECT_NEAR(m2.alt_mean, 2.4, kTol);
  EXPECT_EQ(m2.difference.mean, 0.0);
  EXPECT_EQ(m2.difference.low, 0.0);
  EXPECT_EQ(m2.difference.high, 0.0);

  // Events: Δ = {30, 60, 120}: mean 70, sample sd 30 √(7/3).
  const auto& ev = find_row(res, 2025, "", "numerator events M1");
  EXPECT_NEAR(ev.base_mean, 151.0, kTol);
  EXPECT_NEAR(ev.alt_mean, 221.0, kTol);
  EXPECT_NEAR(ev.difference.mean, 70.0, kTol);
  EXPECT_NEAR(ev.difference.high, 70.0 + 30.0 * half, 1e-9);

  // Money: capitation unchanged (4 cells × 1000); effort +e_r = {30, 30, 60}; intervention
  // 100 (r + 1); practice incentive 6.
  const auto& cap = find_row(res, 2025, "", "capitation_usd");
  EXPECT_EQ(cap.base_mean, 4000.0);
  EXPECT_EQ(cap.difference.mean, 0.0);
  const auto& effort = find_row(res, 2025, "", "quality_effort_cost_usd");
  EXPECT_NEAR(effort.base_mean, 40.0, kTol);
  EXPECT_NEAR(effort.alt_mean, 80.0, kTol);
  EXPECT_NEAR(effort.difference.mean, 40.0, kTol);
  // {30, 30, 60}: mean 40, deviations -10, -10, 20, sample variance 300.
  EXPECT_NEAR(effort.difference.low, 40.0 - kT975df2 * std::sqrt(300.0 / 3.0), 1e-9);
  const auto& inter = find_row(res, 2025, "", "intervention_cost_usd");
  EXPECT_NEAR(inter.difference.mean, 200.0, kTol);
  EXPECT_NEAR(inter.difference.high, 200.0 + kT975df2 * 100.0 / std::sqrt(3.0), 1e-9);
  EXPECT_NEAR(find_row(res, 2025, "", "practice_incentive_usd").difference.mean, 6.0, kTol);

  // Cost per additional event: Δcost = 100 (r + 1) + 6 + e_r = {136, 236, 366} over
  // Δevents {30, 60, 120}.
  const std::vector<double> ratio = {136.0 / 30.0, 236.0 / 60.0, 366.0 / 120.0};
  const auto& cpe = find_row(res, 2025, "", "USD per additional event M1");
  EXPECT_EQ(cpe.kind, CompareKind::CostPerEvent);
  EXPECT_TRUE(std::isnan(cpe.base_mean) && std::isnan(cpe.alt_mean));
  EXPECT_NEAR(cpe.difference.mean, mean_of(ratio), kTol);
  EXPECT_NEAR(cpe.difference.low, mean_of(ratio) - t_half(ratio, kT975df2), kTol);
  EXPECT_NEAR(cpe.difference.high, mean_of(ratio) + t_half(ratio, kT975df2), kTol);
  // M2's numerator does not change: n/a.
  const auto& cpe2 = find_row(res, 2025, "", "USD per additional event M2");
  EXPECT_TRUE(std::isnan(cpe2.difference.mean));
  EXPECT_EQ(cpe2.difference.method, IntervalMethod::None);

  // Swapping base and alt negates the differences.
  const CompareResult rev = compare_results(file("r3.h5"), {"alt", "base", "", "none"});
  EXPECT_NEAR(find_row(rev, 2025, "", "rate M1 (%)").difference.mean, -7.0 / 3.0, kTol);
}

TEST_F(CompareTest, TwentyFiveReplicatesUsePercentiles) {
  write_file(file("r25.h5"), 25);
  const CompareResult res = compare_results(file("r25.h5"), {"base", "alt", "M1", "none"});
  EXPECT_EQ(res.method, IntervalMethod::Percentile);
  // --measure M1: 1 rate, 4 money, 1 events, 1 cost per event per year.
  ASSERT_EQ(res.rows.size(), 14u);
  for (const auto& row : res.rows) EXPECT_EQ(row.variable.find("M2"), std::string::npos);

  // k_r = 7 r mod 25 + 1 runs over 1..25: differences 1..25 pp, mean 13; percentiles: sorted
  // x_i = i + 1, h = 24 · 0.025 = 0.6 → 1.6, h = 24 · 0.975 = 23.4 → 24.4.
  const auto& m1 = find_row(res, 2025, "", "rate M1 (%)");
  EXPECT_EQ(m1.difference.method, IntervalMethod::Percentile);
  EXPECT_NEAR(m1.difference.mean, 13.0, kTol);
  EXPECT_NEAR(m1.difference.low, 1.6, kTol);
  EXPECT_NEAR(m1.difference.high, 24.4, kTol);
  // Base: (150 + r) / 3000, r = 0..24 → mean (150 + 12) / 30 %.
  EXPECT_NEAR(m1.base_mean, 162.0 / 30.0, kTol);
  const auto& ev = find_row(res, 2025, "", "numerator events M1");
  EXPECT_NEAR(ev.difference.low, 30.0 * 1.6, kTol);
  EXPECT_NEAR(ev.difference.high, 30.0 * 24.4, kTol);
  // intervention cost 100 (r + 1): 100..2500, percentiles 100 · 1.6 and 100 · 24.4.
  const auto& inter = find_row(res, 2025, "", "intervention_cost_usd");
  EXPECT_NEAR(inter.difference.mean, 1300.0, kTol);
  EXPECT_NEAR(inter.difference.low, 160.0, kTol);
  EXPECT_NEAR(inter.difference.high, 2440.0, kTol);

  // Cost per event: (100 (r + 1) + 6 + e_r) / (30 k_r), percentiles of the 25 ratios.
  std::vector<double> ratio;
  for (int r = 0; r < 25; ++r) ratio.push_back((100.0 * (r + 1) + 6.0 + e_of(r)) / (30.0 * k_of(r, 25)));
  std::sort(ratio.begin(), ratio.end());
  const auto& cpe = find_row(res, 2025, "", "USD per additional event M1");
  EXPECT_EQ(cpe.difference.method, IntervalMethod::Percentile);
  EXPECT_NEAR(cpe.difference.mean, mean_of(ratio), kTol);
  EXPECT_NEAR(cpe.difference.low, ratio[0] + 0.6 * (ratio[1] - ratio[0]), kTol);
  EXPECT_NEAR(cpe.difference.high, ratio[23] + 0.4 * (ratio[24] - ratio[23]), kTol);
}

TEST_F(CompareTest, GroupsByCountyAndPlan) {
  write_file(file("r3.h5"), 3);
  const CompareResult county = compare_results(file("r3.h5"), {"base", "alt", "", "county"});
  // 2 years × 2 counties × 10 quantities.
  ASSERT_EQ(county.rows.size(), 40u);
  EXPECT_EQ(county.rows[0].group, "A");
  EXPECT_EQ(county.rows[10].group, "B");
  EXPECT_EQ(county.rows[20].group, "A");
  EXPECT_EQ(county.rows[20].year, 2025);
  // County A, 2025: denominator 2000, so the differences are 30 k_r / 20 = 1.5 k_r pp.
  const auto& a = find_row(county, 2025, "A", "rate M1 (%)");
  EXPECT_NEAR(a.difference.mean, 1.5 * 7.0 / 3.0, kTol);
  EXPECT_NEAR(a.difference.high, 1.5 * 7.0 / 3.0 + 1.5 * kT975df2 * std::sqrt(7.0 / 3.0) / std::sqrt(3.0), kTol);
  EXPECT_NEAR(a.base_mean, 100.0 * (90.0 + 1.0) / 2000.0, kTol);
  // County B: only (B, P) for M1 (60 / 1000), unchanged.
  const auto& b = find_row(county, 2025, "B", "rate M1 (%)");
  EXPECT_NEAR(b.base_mean, 6.0, kTol);
  EXPECT_EQ(b.difference.mean, 0.0);
  // County B measures no M2: every denominator is 0 → no value, no interval.
  const auto& b2 = find_row(county, 2025, "B", "rate M2 (%)");
  EXPECT_TRUE(std::isnan(b2.base_mean) && std::isnan(b2.alt_mean) && std::isnan(b2.difference.mean));
  EXPECT_EQ(b2.difference.n, 0u);
  EXPECT_EQ(b2.difference.method, IntervalMethod::None);
  // Money by county: capitation 2 plans × 1000 in each county.
  EXPECT_EQ(find_row(county, 2025, "B", "capitation_usd").base_mean, 2000.0);
  // Every cost change is in county A: same ratios as statewide; none in B (Δevents 0 → n/a).
  const std::vector<double> ratio = {136.0 / 30.0, 236.0 / 60.0, 366.0 / 120.0};
  EXPECT_NEAR(find_row(county, 2025, "A", "USD per additional event M1").difference.mean,
              mean_of(ratio), kTol);
  EXPECT_TRUE(std::isnan(find_row(county, 2025, "B", "USD per additional event M1").difference.mean));

  const CompareResult plan = compare_results(file("r3.h5"), {"base", "alt", "", "plan"});
  ASSERT_EQ(plan.rows.size(), 40u);
  // Plan P: (A, P) + (B, P), denominator 2000 → 1.5 k_r pp.
  EXPECT_NEAR(find_row(plan, 2025, "P", "rate M1 (%)").difference.mean, 1.5 * 7.0 / 3.0, kTol);
  // Plan Q: (A, Q) only, 50 / 1000, unchanged.
  const auto& q = find_row(plan, 2025, "Q", "rate M1 (%)");
  EXPECT_NEAR(q.base_mean, 5.0, kTol);
  EXPECT_EQ(q.difference.mean, 0.0);
  // Plan Q's M2 is empty in replicate 1: the mean is over replicates 0 and 2 (t with 1 df).
  const auto& q2 = find_row(plan, 2025, "Q", "rate M2 (%)");
  EXPECT_EQ(q2.difference.n, 2u);
  EXPECT_NEAR(q2.base_mean, 3.0, kTol);
  // Plan P's cost change excludes the practice incentive (paid in plan Q): 100 (r + 1) + e_r.
  const std::vector<double> ratio_p = {130.0 / 30.0, 230.0 / 60.0, 360.0 / 120.0};
  const auto& cpe = find_row(plan, 2025, "P", "USD per additional event M1");
  EXPECT_NEAR(cpe.difference.mean, mean_of(ratio_p), kTol);
  EXPECT_NEAR(cpe.difference.low, mean_of(ratio_p) - t_half(ratio_p, kT975df2), kTol);
  EXPECT_TRUE(std::isnan(find_row(plan, 2025, "Q", "USD per additional event M1").difference.mean));
}

TEST_F(CompareTest, OneReplicateHasNoInterval) {
  write_file(file("r1.h5"), 1);
  const CompareResult res = compare_results(file("r1.h5"), {"base", "alt", "M1", "none"});
  EXPECT_EQ(res.method, IntervalMethod::None);
  const auto& m1 = find_row(res, 2025, "", "rate M1 (%)");
  // R = 1: k_0 = 1 → 1 pp.
  EXPECT_NEAR(m1.difference.mean, 1.0, kTol);
  EXPECT_TRUE(std::isnan(m1.difference.low) && std::isnan(m1.difference.high));
  const std::string table = format_compare_table(res);
  EXPECT_NE(table.find("n/a (one replicate)"), std::string::npos) << table;
  EXPECT_NE(table.find("n/a"), std::string::npos);
}

TEST_F(CompareTest, FormatsTableAndCsv) {
  write_file(file("r3.h5"), 3);
  const CompareResult res = compare_results(file("r3.h5"), {"base", "alt", "", "county"});
  const std::string table = format_compare_table(res);
  EXPECT_NE(table.find("alt 'alt' - base 'base'"), std::string::npos) << table;
  EXPECT_NE(table.find("t(0.975, 2)"), std::string::npos) << table;
  EXPECT_NE(table.find("year  county  quantity"), std::string::npos) << table;
  EXPECT_NE(table.find("rate M1 (%)"), std::string::npos);
  // County A 2025 M1: base 4.550, alt 8.050, difference 3.500.
  EXPECT_NE(table.find("4.550"), std::string::npos) << table;
  EXPECT_NE(table.find("3.500"), std::string::npos) << table;

  const std::string csv = format_compare_csv(res);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "year,county,quantity,kind,variable,base_mean,alt_mean,difference_mean,interval_low,"
            "interval_high,replicates,interval_method");
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')), res.rows.size() + 1);
  // County A 2025 M1 at full precision: base 4.55, alt 8.05, difference 3.5, t interval.
  const std::string key = "2025,A,rate M1 (%),rate_percent,M1,";
  const auto pos = csv.find(key);
  ASSERT_NE(pos, std::string::npos) << csv;
  std::vector<std::string> fields;
  std::string line = csv.substr(pos + key.size(), csv.find('\n', pos) - pos - key.size()) + ",";
  for (std::size_t b = 0, e; (e = line.find(',', b)) != std::string::npos; b = e + 1) {
    fields.push_back(line.substr(b, e - b));
  }
  ASSERT_EQ(fields.size(), 7u) << line;
  EXPECT_NEAR(std::stod(fields[0]), 4.55, 1e-12);
  EXPECT_NEAR(std::stod(fields[1]), 8.05, 1e-12);
  EXPECT_NEAR(std::stod(fields[2]), 3.5, 1e-12);
  const double half = 1.5 * kT975df2 * std::sqrt(7.0 / 3.0) / std::sqrt(3.0);
  EXPECT_NEAR(std::stod(fields[3]), 3.5 - half, 1e-12);
  EXPECT_NEAR(std::stod(fields[4]), 3.5 + half, 1e-12);
  EXPECT_EQ(fields[5], "3");
  EXPECT_EQ(fields[6], "t");
  EXPECT_NE(csv.find("2025,B,rate M2 (%),rate_percent,M2,n/a,n/a,n/a,n/a,n/a,0,none"),
            std::string::npos) << csv;
  EXPECT_NE(csv.find(",3,t\n"), std::string::npos);
}

TEST_F(CompareTest, Errors) {
  write_file(file("r3.h5"), 3);
  const auto message = [&](const CompareOptions& o) -> std::string {
    try {
      compare_results(file("r3.h5"), o);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no UsageError)";
  };
  const std::string unknown = message({"base", "nope", "", "none"});
  EXPECT_NE(unknown.find("--alt: no scenario 'nope'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("base, alt"), std::string::npos) << unknown;
  const std::string same = message({"base", "base", "", "none"});
  EXPECT_NE(same.find("same"), std::string::npos) << same;
  EXPECT_NE(same.find("--base and --alt"), std::string::npos) << same;
  const std::string measure = message({"base", "alt", "M9", "none"});
  EXPECT_NE(measure.find("--measure: no measure 'M9'"), std::string::npos) << measure;
  EXPECT_NE(measure.find("M1, M2"), std::string::npos) << measure;
  EXPECT_NE(message({"base", "alt", "", "zip"}).find("--by"), std::string::npos);

  // A file without a scenario dimension.
  {
    ResultsWriter w(file("flat.h5"));
    w.add_dimension("year", std::vector<std::int64_t>{2024});
    w.write("x", {"year"}, std::vector<double>{1.0});
    w.commit();
  }
  try {
    compare_results(file("flat.h5"), {"base", "alt", "", "none"});
    ADD_FAILURE() << "no IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no 'scenario' dimension"), std::string::npos) << e.what();
  }
  EXPECT_THROW(compare_results(file("missing.h5"), {"base", "alt", "", "none"}), IoError);
}

TEST_F(CompareTest, SummaryVariables) {
  write_file(file("r3.h5"), 3);
  const ResultsReader r(file("r3.h5"));
  const std::vector<std::string> sycpm = {"scenario", "year", "county", "plan", "measure"};
  for (const char* v : {"measure_rate_mean", "measure_rate_p025", "measure_rate_p975"}) {
    EXPECT_EQ(r.dims_of(v), sycpm) << v;
    const Attributes a = r.attributes(v);
    EXPECT_EQ(std::get<std::string>(a.at("percentile_method")),
              "linear interpolation between order statistics");
    EXPECT_TRUE(a.count("long_name")) << v;
  }
  EXPECT_EQ(r.dims_of("measure_rate_statewide"),
            (std::vector<std::string>{"scenario", "replicate", "year", "measure"}));
  EXPECT_TRUE(r.attributes("measure_rate_statewide").count("long_name"));
  const auto mean = r.read_float64("measure_rate_mean");
  const auto p025 = r.read_float64("measure_rate_p025");
  const auto p975 = r.read_float64("measure_rate_p975");
  const auto state = r.read_float64("measure_rate_statewide");
  ASSERT_EQ(mean.size(), 2u * 2 * 2 * 2 * 2);
  ASSERT_EQ(state.size(), 2u * 3 * 2 * 2);
  const auto at = [](int s, int y, int c, int p, int m) {
    return static_cast<std::size_t>((((s * 2 + y) * 2 + c) * 2 + p) * 2 + m);
  };
  // base 2024 (A, P, M1): 0.040, 0.041, 0.042 → mean 0.041; h = 0.05 → 0.04005; h = 1.95 →
  // 0.04195.
  EXPECT_NEAR(mean[at(0, 0, 0, 0, 0)], 0.041, 1e-15);
  EXPECT_NEAR(p025[at(0, 0, 0, 0, 0)], 0.04005, 1e-15);
  EXPECT_NEAR(p975[at(0, 0, 0, 0, 0)], 0.04195, 1e-15);
  // alt 2025 (A, P, M1): (40 + r + 30 k_r) / 1000 = 0.070, 0.101, 0.162: mean 0.111,
  // p025 0.070 + 0.05 · 0.031 = 0.07155, p975 0.101 + 0.95 · 0.061 = 0.15895.
  EXPECT_NEAR(mean[at(1, 1, 0, 0, 0)], 0.111, 1e-15);
  EXPECT_NEAR(p025[at(1, 1, 0, 0, 0)], 0.07155, 1e-15);
  EXPECT_NEAR(p975[at(1, 1, 0, 0, 0)], 0.15895, 1e-15);
  // (A, Q, M2): replicate 1 has denominator 0 and is skipped: 0.030, 0.030.
  EXPECT_EQ(mean[at(0, 0, 0, 1, 1)], 0.03);
  EXPECT_EQ(p025[at(0, 0, 0, 1, 1)], 0.03);
  EXPECT_EQ(p975[at(0, 0, 0, 1, 1)], 0.03);
  // (B, Q, *) and (B, *, M2): every denominator 0 → NaN.
  for (int s = 0; s < 2; ++s) {
    for (int y = 0; y < 2; ++y) {
      for (const auto& [p, m] : {std::pair{1, 0}, std::pair{1, 1}, std::pair{0, 1}}) {
        EXPECT_TRUE(std::isnan(mean[at(s, y, 1, p, m)]));
        EXPECT_TRUE(std::isnan(p025[at(s, y, 1, p, m)]));
        EXPECT_TRUE(std::isnan(p975[at(s, y, 1, p, m)]));
      }
    }
  }
  // Statewide (scenario, replicate, year, measure): base r = 2, 2024, M1: 152 / 3000;
  // alt r = 2, 2025, M1: (152 + 120) / 3000; base r = 1, M2: 21 / 1000.
  const auto st = [](int s, int rep, int y, int m) {
    return static_cast<std::size_t>(((s * 3 + rep) * 2 + y) * 2 + m);
  };
  EXPECT_EQ(state[st(0, 2, 0, 0)], 152.0 / 3000.0);
  EXPECT_EQ(state[st(1, 2, 1, 0)], 272.0 / 3000.0);
  EXPECT_EQ(state[st(0, 1, 0, 1)], 21.0 / 1000.0);
  EXPECT_EQ(state[st(0, 0, 0, 1)], 50.0 / 2000.0);
}

// Every cell against its definition, on a shape of several blocks of cells (the last one short),
// several scenarios and years, and denominators of 0 that drop a replicate from a cell.
TEST(RateSummaries, EveryCellIsTheMeanAndPercentilesOfItsReplicatesRates) {
  const RateShape sh{2, 7, 3, 5, 4, 9};  // scenarios, replicates, years, counties, plans, measures
  const std::size_t cpm = sh.counties * sh.plans * sh.measures;
  const std::size_t total = sh.scenarios * sh.replicates * sh.years * cpm;
  std::vector<std::int64_t> num(total), den(total);
  std::uint64_t x = 12345;
  for (std::size_t i = 0; i < total; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    den[i] = static_cast<std::int64_t>((x >> 33) % 50);  // 0 in one case of 50
    num[i] = den[i] > 0 ? static_cast<std::int64_t>((x >> 13) % static_cast<std::uint64_t>(den[i] + 1)) : 0;
  }
  const RateSummaries out = compute_rate_summaries(num, den, sh);
  const auto percentile = [](std::vector<double> v, double q) {  // linear between order statistics
    std::sort(v.begin(), v.end());
    const double h = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(h);
    return lo + 1 < v.size() ? v[lo] + (h - static_cast<double>(lo)) * (v[lo + 1] - v[lo]) : v[lo];
  };
  int skipped = 0;
  for (std::size_t s = 0; s < sh.scenarios; ++s) {
    for (std::size_t y = 0; y < sh.years; ++y) {
      for (std::size_t c = 0; c < cpm; ++c) {
        std::vector<double> rates;
        double sum = 0;
        for (std::size_t r = 0; r < sh.replicates; ++r) {
          const std::size_t i = ((s * sh.replicates + r) * sh.years + y) * cpm + c;
          if (den[i] == 0) {
            ++skipped;
            continue;
          }
          rates.push_back(static_cast<double>(num[i]) / static_cast<double>(den[i]));
          sum += rates.back();
        }
        const std::size_t o = (s * sh.years + y) * cpm + c;
        if (rates.empty()) {
          EXPECT_TRUE(std::isnan(out.mean[o]) && std::isnan(out.p025[o]) && std::isnan(out.p975[o]));
          continue;
        }
        EXPECT_EQ(out.mean[o], sum / static_cast<double>(rates.size())) << o;
        EXPECT_NEAR(out.p025[o], percentile(rates, 0.025), 1e-15) << o;
        EXPECT_NEAR(out.p975[o], percentile(rates, 0.975), 1e-15) << o;
      }
    }
  }
  EXPECT_GT(skipped, 0);  // the case of a skipped replicate was met
}

TEST(RateSummaries, OneReplicateAllEqualTheRate) {
  // 1 scenario, 1 replicate, 1 year, 1 county, 2 plans, 1 measure: 3/8 and 0/0.
  const RateSummaries s = compute_rate_summaries({3, 0}, {8, 0}, {1, 1, 1, 1, 2, 1});
  EXPECT_EQ(s.mean[0], 0.375);
  EXPECT_EQ(s.p025[0], 0.375);
  EXPECT_EQ(s.p975[0], 0.375);
  EXPECT_TRUE(std::isnan(s.mean[1]) && std::isnan(s.p025[1]) && std::isnan(s.p975[1]));
  EXPECT_EQ(s.statewide[0], 3.0 / 8.0);
  const RateSummaries none = compute_rate_summaries({0}, {0}, {1, 1, 1, 1, 1, 1});
  EXPECT_TRUE(std::isnan(none.statewide[0]));
}

}  // namespace
}  // namespace phsim
