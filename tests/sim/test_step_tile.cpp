// The CPU's tiled step (sim/step_tile.hpp) must read exactly the random words of the
// member-by-member step: the batched Philox equals Random123 at every vector level this CPU
// runs, and the Service blocks queued for a member cover every word its measure walk reads.
// (That the whole step gives the same results is EngineDynamics.BatchedDrawsChangeNoResult.)
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "io/reference_data_io.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/rng.hpp"
#include "sim/engine.hpp"
#include "sim/philox_batch.hpp"
#include "sim/population.hpp"
#include "sim/runner.hpp"
#include "sim/step_tables.hpp"
#include "sim/step_tile.hpp"

namespace phsim {
namespace {

std::vector<SimdLevel> levels_here() {
  std::vector<SimdLevel> out;
  for (const SimdLevel l : {SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512}) {
    if (l <= best_simd_level()) out.push_back(l);
  }
  return out;
}

TEST(PhiloxBatch, EveryLevelGivesTheBlocksOfPhilox) {
  std::mt19937 gen(12345);
  const auto word = [&gen]() { return static_cast<std::uint32_t>(gen()); };
  std::printf("vector levels run here: up to %s\n", simd_level_name(best_simd_level()));
  for (const SimdLevel level : levels_here()) {
    // Batch sizes around the 16- and 64-lane passes, up to the capacity.
    for (const std::size_t n : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17},
                                std::size_t{63}, std::size_t{64}, std::size_t{65}, std::size_t{200},
                                PhiloxBatch::kCapacity}) {
      PhiloxBatch b;
      const std::uint32_t seed = word();
      const RngStream stream = n % 2 ? RngStream::Service : RngStream::Dynamics;
      for (std::size_t j = 0; j < n; ++j) {
        // Extreme words in the first lanes, random ones after.
        const std::uint32_t edge = j % 2 ? 0xffffffffu : 0u;
        if (j < 4) {
          b.add(edge, edge, edge, edge);
        } else {
          b.add(word(), word(), word(), word() % 8);
        }
      }
      ASSERT_EQ(b.n, n);
      compute_philox_batch(b, seed, stream, level);
      int wrong = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const Philox rng(seed, stream, b.ctr[0][j], b.ctr[1][j], b.ctr[2][j]);
        const RandomBlock want = rng.block(b.ctr[3][j]), got = b.result(j);
        for (int w = 0; w < 4; ++w) wrong += want.v[w] != got.v[w];
      }
      EXPECT_EQ(wrong, 0) << simd_level_name(level) << ", " << n << " blocks";
    }
  }
}

TEST(PhiloxBatch, KnownAnswersOfRandom123) {
  // Random123's published known-answer vectors for philox4x32 with 10 rounds (kat_vectors):
  // counter, key, result. A batch has one key, so each vector is its own batch, computed in
  // lane 0 and in lane 37 (the second AVX-512 pass, the third AVX2 pass).
  struct Kat {
    std::uint32_t ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u},
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (const SimdLevel level : levels_here()) {
    for (const Kat& k : kats) {
      PhiloxBatch b;
      for (int j = 0; j < 40; ++j) b.add(k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]);
      compute_philox_batch(b, k.key[0], static_cast<RngStream>(k.key[1]), level);
      for (const int lane : {0, 37}) {
        for (int w = 0; w < 4; ++w) {
          EXPECT_EQ(b.out[w][lane], k.out[w]) << simd_level_name(level) << " lane " << lane << " word " << w;
        }
      }
    }
  }
}

/// Service words recorded by block (ServiceDraws' layout: measure k in block k / 4, the
/// reliever word in block kMaxMeasures / 4); every word is 0, so every service happens.
struct RecordingDraws {
  std::uint32_t blocks = 0;
  std::uint32_t word(std::uint32_t measure) {
    blocks |= 1u << (measure / 4);
    return 0;
  }
  std::uint32_t reliever_word() { return word(kMaxMeasures); }
};

TEST(ServiceBlocks, CoverEveryBlockTheMeasureWalkReads) {
  const ReferenceData d = load_embedded_reference_data();
  const ModelParameters params = read_model_parameters(d);
  const SynthesisTables tables = make_synthesis_tables(d, 1000, 0);
  StepTables step = make_step_tables(d, tables, params, calibrate_service_model(d, tables, params));
  StepTablesView t = step.scalars;
  t.measures = step.measures.data();
  t.service_thr = step.service_thr.data();
  t.practice_tier = step.practice_tier.data();
  t.measure_age_mask = step.measure_age_mask.data();
  t.measure_condition_mask = step.measure_condition_mask.data();
  t.reliever_fill_thr = kThresholdOne;  // relievers always filled: the reliever word is read
  ASSERT_NE(t.ratio_mask, 0u) << "the embedded measures include a Ratio measure (AMR)";

  HostMembers h;
#define PHSIM_ONE_SLOT(T, name, extent, doc) h.name.assign(extent, T{});
  PHSIM_MEMBER_FIELDS(PHSIM_ONE_SLOT)
#undef PHSIM_ONE_SLOT
  const MemberView m = h.view();
  std::mt19937 gen(7);
  const std::uint32_t all = (1u << (kMaxMeasures / 4 + 1)) - 1u;
  int walks = 0, narrower = 0, reads = 0;
  for (int trial = 0; trial < 200000; ++trial) {
    MeasureWork w;
    w.ctx.age_months = static_cast<int>(gen() % (95 * 12));
    w.ctx.age_dec_months = w.ctx.age_months + static_cast<int>(gen() % 12);
    w.ctx.enrolled = gen() % 4 != 0;
    w.ctx.female = gen() % 2;
    w.ctx.conditions = static_cast<std::uint8_t>(gen() % 64);
    w.ctx.clinical = static_cast<std::uint8_t>(gen());
    w.ctx.events = static_cast<std::uint8_t>(gen() % 3 ? 0 : gen());
    w.relevant = relevant_measures(t, w.ctx);
    if (!w.relevant) continue;
    h.contract[0] = static_cast<std::uint16_t>(gen() % t.n_contracts);
    h.race[0] = static_cast<std::uint8_t>(gen() % kRaceCount);
    h.practice[0] = static_cast<std::uint16_t>(gen() % step.practice_tier.size());
    for (std::uint32_t k = 0; k < kMaxMeasures; ++k) {
      // States of every kind, small counts most often (room for another service).
      h.measure_state[k] = static_cast<std::uint8_t>(gen() % 2 ? gen() % 8 : gen());
    }
    RecordingDraws rec;
    update_member_measures(m, t, 0, w, rec);
    const std::uint32_t queued = service_blocks(t, w.relevant);
    ++walks;
    if (rec.blocks) ++reads;
    if (queued != all) ++narrower;
    ASSERT_EQ(rec.blocks & ~queued, 0u)
        << "trial " << trial << ": walk read blocks 0x" << std::hex << rec.blocks << ", queued 0x" << queued;
  }
  // The walks did read words, and the queue is narrower than every block for most members.
  EXPECT_GT(reads, walks / 2);
  EXPECT_GT(narrower, walks / 2);
}

}  // namespace
}  // namespace phsim
