// phsim_warp_paths: how many distinct paths the lanes of a 32-slot warp take through the measure
// walk of the monthly step (update_member_measures), with the members in id order and grouped
// (kernels/member_order.hpp). A model of SIMT divergence computed on the CPU, for reading GPU
// timings against; it times nothing.
//
// Each live slot's walk visits the measures of its mask (age, sex, conditions, enrollment; the
// follow-up measures, which need an event, left out) in measure order. At walk step j the warp
// runs one pass per distinct measure among the lanes that have a j-th measure (lanes at the
// same measure run together, others wait). Reported per warp, averaged over warps: passes, and
// lane-steps per pass (the active lanes of a pass, 32 at best). "kinds" counts passes by
// distinct (kind, window) instead, the code path rather than the measure.
//
//   phsim_warp_paths [members] [months...]     (default: 1000000 members; 0 12 36 120 months)
#include <cstdio>
#include <cstdlib>
#include <set>
#include <vector>

#include "io/reference_data_io.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/measures.hpp"
#include "kernels/synthesis.hpp"
#include "sim/engine.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"

namespace {

using namespace phsim;

struct WarpFigures {
  double warps = 0, lanes = 0, lane_steps = 0, passes = 0, kind_passes = 0;
};

WarpFigures measure_walk(const HostMembers& h, const StepTables& step, std::int32_t month) {
  WarpFigures f;
  StepTablesView v = step.scalars;  // the masks relevant_measures reads, in host memory
  v.measure_age_mask = step.measure_age_mask.data();
  v.measure_condition_mask = step.measure_condition_mask.data();
  for (std::size_t w = 0; w + 32 <= h.size(); w += 32) {
    std::vector<std::uint32_t> walk[32], kinds[32];
    int alive = 0;
    for (int lane = 0; lane < 32; ++lane) {
      const std::size_t i = w + lane;
      if (!(h.status[i] & kAlive)) continue;
      ++alive;
      MeasureContext ctx{};  // no event this month: follow-ups are left out
      ctx.age_months = month - h.birth_month[i];
      ctx.female = h.sex[i] == static_cast<std::uint8_t>(Sex::Female);
      ctx.enrolled = (h.status[i] & kEnrolled) != 0;
      ctx.conditions = h.conditions[i];
      for (std::uint32_t relevant = relevant_measures(v, ctx); relevant; relevant &= relevant - 1u) {
        const std::uint32_t k = lowest_set_bit(relevant);
        walk[lane].push_back(k);
        kinds[lane].push_back(static_cast<std::uint32_t>(step.measures[k].kind) * 16 +
                              static_cast<std::uint32_t>(step.measures[k].window));
      }
      f.lane_steps += static_cast<double>(walk[lane].size());
    }
    if (!alive) continue;
    f.warps += 1;
    f.lanes += alive;
    for (std::size_t j = 0; j < kMaxMeasures; ++j) {
      std::set<std::uint32_t> measures, paths;
      for (int lane = 0; lane < 32; ++lane) {
        if (walk[lane].size() <= j) continue;
        measures.insert(walk[lane][j]);
        paths.insert(kinds[lane][j]);
      }
      f.passes += static_cast<double>(measures.size());
      f.kind_passes += static_cast<double>(paths.size());
    }
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t members = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  std::vector<int> months;
  for (int a = 2; a < argc; ++a) months.push_back(std::atoi(argv[a]));
  if (months.empty()) months = {0, 12, 36, 120};
  const ReferenceData data = load_embedded_reference_data();
  const ModelParameters params = read_model_parameters(data);
  const std::uint64_t pool = pool_members(members, params);
  const int years = (months.back() + 11) / 12 + 1;
  const SynthesisTables tables = make_synthesis_tables(data, members, pool);
  const StepTables step = make_step_tables(data, tables, params, calibrate_service_model(data, tables, params));
  const std::int32_t start = month_index(2024, 1);
  std::printf("%llu members, 32-slot warps; measure walk per warp: passes (active lanes per pass)\n",
              static_cast<unsigned long long>(members));
  std::printf("%-8s %7s %10s %18s %18s\n", "order", "months", "steps/lane", "by measure", "by kind/window");
  for (const bool grouped : {false, true}) {
    EngineOptions options;
    options.order_members = grouped;
    auto engine = make_engine(options);
    engine->synthesize(tables, population_layout(members, pool, years, params), 1, 1, start);
    engine->initialize_history({step}, make_history_tables(params));
    int done = 0;
    for (const int m : months) {
      for (; done < m; ++done) engine->step_month(start + done);
      const WarpFigures f = measure_walk(engine->download(), step, start + m);
      std::printf("%-8s %7d %10.2f %9.2f (%5.1f) %9.2f (%5.1f)\n", grouped ? "grouped" : "id", m,
                  f.lane_steps / f.lanes, f.passes / f.warps, f.lane_steps / f.passes,
                  f.kind_passes / f.warps, f.lane_steps / f.kind_passes);
    }
  }
  return 0;
}
