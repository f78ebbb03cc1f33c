#pragma once
// A small synthesized population on the embedded reference data, for tests of the engine: the
// reference data, the model parameters, the synthesis and step tables (calibrated), and the
// layout of `members` enrolled members (and their pool) in each of `replicates` replicates.
#include <cstdint>
#include <memory>

#include "io/reference_data_io.hpp"
#include "sim/engine.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"

namespace phsim {

struct EmbeddedPopulation {
  ReferenceData d = load_embedded_reference_data();
  ModelParameters params = read_model_parameters(d);
  std::uint64_t members, pool;
  std::uint32_t replicates;
  SynthesisTables tables;
  StepTables step;
  PopulationLayout layout;

  EmbeddedPopulation(std::uint64_t enrolled, std::uint32_t replicate_count)
      : members(enrolled),
        pool(pool_members(enrolled, params)),
        replicates(replicate_count),
        tables(make_synthesis_tables(d, members, pool)),
        step(make_step_tables(d, tables, params, calibrate_service_model(d, tables, params))),
        layout(population_layout(members, pool, replicates, params)) {}

  /// An engine with `options` holding the population synthesized with `seed` at `start` and
  /// its history before the start drawn.
  std::unique_ptr<Engine> engine(const EngineOptions& options, std::uint32_t seed, std::int32_t start) const {
    auto e = make_engine(options);
    e->synthesize(tables, layout, seed, replicates, start);
    e->initialize_history({step}, make_history_tables(params));
    return e;
  }
};

}  // namespace phsim
