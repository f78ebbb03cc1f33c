// Tests of sim/philox_lanes.hpp: the eight-counter Philox of the CPU backend gives, lane by
// lane, the words of Random123's Philox4x32-10 (known answers and random counters and keys).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include <Random123/philox.h>

#include "sim/philox_lanes.hpp"

namespace phsim::cpu {
namespace {

void expect_lanes_match_random123(PhiloxPath path, std::uint32_t k0, std::uint32_t k1,
                                  const PhiloxLanes& in) {
  PhiloxLanes out;
  philox_lanes(k0, k1, in, out, path);
  const r123::Philox4x32::key_type key = {{k0, k1}};
  for (int l = 0; l < kPhiloxLanes; ++l) {
    const r123::Philox4x32::ctr_type c = {{in.word[0][l], in.word[1][l], in.word[2][l], in.word[3][l]}};
    const auto want = r123::Philox4x32()(c, key);
    for (int w = 0; w < 4; ++w) {
      ASSERT_EQ(out.word[w][l], want.v[w]) << "lane " << l << " word " << w << " key " << k0 << "," << k1;
    }
  }
}

// Random123's published vectors (kat_vectors), one per lane, the lanes holding different ones.
TEST(PhiloxLanes, KnownAnswersInEveryLane) {
  const std::uint32_t c[3][4] = {{0, 0, 0, 0},
                                 {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                                 {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}};
  const std::uint32_t k[3][2] = {{0, 0}, {0xffffffff, 0xffffffff}, {0xa4093822, 0x299f31d0}};
  const std::uint32_t want[3][4] = {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                                    {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                                    {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
  for (const PhiloxPath path : {PhiloxPath::Best, PhiloxPath::Scalar}) {
    for (int v = 0; v < 3; ++v) {
      PhiloxLanes lanes;
      for (int l = 0; l < kPhiloxLanes; ++l) {
        for (int w = 0; w < 4; ++w) lanes.word[w][l] = c[v][w];
      }
      PhiloxLanes out;
      philox_lanes(k[v][0], k[v][1], lanes, out, path);
      for (int l = 0; l < kPhiloxLanes; ++l) {
        for (int w = 0; w < 4; ++w) EXPECT_EQ(out.word[w][l], want[v][w]) << "vector " << v << " lane " << l;
      }
    }
  }
}

// Products whose high words carry (all-ones multiplicands), counters differing in one word
// per lane, and 20,000 random counter sets: any lane or carry mistake shows up.
TEST(PhiloxLanes, RandomCountersAndKeysMatchRandom123) {
  std::mt19937 gen(12345);
  for (const PhiloxPath path : {PhiloxPath::Best, PhiloxPath::Scalar}) {
    PhiloxLanes lanes;
    for (int l = 0; l < kPhiloxLanes; ++l) {
      for (int w = 0; w < 4; ++w) lanes.word[w][l] = l == w ? 0xffffffffu : static_cast<std::uint32_t>(l);
    }
    expect_lanes_match_random123(path, 0xffffffffu, 0u, lanes);
    for (int trial = 0; trial < 20000; ++trial) {
      for (int l = 0; l < kPhiloxLanes; ++l) {
        for (int w = 0; w < 4; ++w) lanes.word[w][l] = static_cast<std::uint32_t>(gen());
      }
      expect_lanes_match_random123(path, static_cast<std::uint32_t>(gen()), static_cast<std::uint32_t>(gen()), lanes);
    }
  }
}

}  // namespace
}  // namespace phsim::cpu
