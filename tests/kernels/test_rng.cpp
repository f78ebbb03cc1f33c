// Tests of kernels/rng.hpp: known answers, thread-count invariance, uniformity, stream
// independence, and the integer Bernoulli/categorical helpers.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "kernels/rng.hpp"

namespace phsim {
namespace {

r123::Philox4x32::ctr_type ctr(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return {{a, b, c, d}};
}

// Published Random123 known-answer vectors for Philox4x32-10 (kat_vectors in the Random123
// distribution: counter, key -> output).
TEST(PhiloxKnownAnswer, MatchesRandom123Vectors) {
  struct Kat {
    std::uint32_t c[4], k[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const auto& kat : kats) {
    const r123::Philox4x32::key_type key = {{kat.k[0], kat.k[1]}};
    const auto out = r123::Philox4x32()(ctr(kat.c[0], kat.c[1], kat.c[2], kat.c[3]), key);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out.v[i], kat.out[i]) << "word " << i;

    // The project's wrapper maps (seed, stream, member, month, replicate, block) onto the same
    // key and counter words, so it must reproduce the vector too.
    const Philox wrapped(kat.k[0], static_cast<RngStream>(kat.k[1]), kat.c[0], kat.c[1], kat.c[2]);
    const RandomBlock b = wrapped.block(kat.c[3]);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(b.v[i], kat.out[i]) << "wrapped word " << i;
  }
}

TEST(Philox, NextWalksBlocksInOrder) {
  Philox rng(7, RngStream::Service, 11, 3, 2);
  const RandomBlock b0 = rng.block(0), b1 = rng.block(1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rng.next_u32(), b0.v[i]);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rng.next_u32(), b1.v[i]);
}

TEST(Philox, UniformIsStrictlyInsideUnitInterval) {
  EXPECT_GT(Philox::to_uniform(0u), 0.0);
  EXPECT_LT(Philox::to_uniform(0xffffffffu), 1.0);
  EXPECT_DOUBLE_EQ(Philox::to_uniform(0x80000000u), (2147483648.0 + 0.5) / 4294967296.0);
}

// Draw i of a long sequence, keyed by member id i (as the simulation does).
std::uint32_t draw_for(std::uint32_t member, RngStream stream = RngStream::Churn) {
  return Philox(20240101u, stream, member, 5u, 0u).block(0).v[0];
}

TEST(Philox, IdenticalAcrossThreadCounts) {
  constexpr int n = 1 << 20;
  auto run = [&](int threads) {
    std::vector<std::uint32_t> out(n);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 997)
    for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = draw_for(static_cast<std::uint32_t>(i));
    return out;
  };
  const auto one = run(1);
  EXPECT_EQ(one, run(2));
  EXPECT_EQ(one, run(3));
}

TEST(Philox, UniformityChiSquare) {
  constexpr int n = 1 << 21;
  constexpr int bins = 256;
  std::vector<double> count(bins, 0.0);
  for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(n); ++i) count[draw_for(i) >> 24] += 1;
  const double expected = static_cast<double>(n) / bins;
  double chi2 = 0.0;
  for (double c : count) {
    chi2 += (c - expected) * (c - expected) / expected;
    // Each bin is Binomial(n, 1/bins): within 5 standard deviations.
    EXPECT_LT(std::abs(c - expected), 5.0 * std::sqrt(expected * (1.0 - 1.0 / bins)));
  }
  // chi2 ~ chi-square(df = bins - 1): mean df, sd sqrt(2 df); accept within 5 sd.
  const double df = bins - 1;
  EXPECT_LT(std::abs(chi2 - df), 5.0 * std::sqrt(2.0 * df)) << "chi2 = " << chi2;
}

TEST(Philox, StreamsAndNeighboursAreUncorrelated) {
  constexpr int n = 1 << 20;
  auto correlation = [&](auto x_of, auto y_of) {
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(n); ++i) {
      const double x = Philox::to_uniform(x_of(i)), y = Philox::to_uniform(y_of(i));
      sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
    }
    const double cov = sxy / n - (sx / n) * (sy / n);
    return cov / std::sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
  };
  // For independent uniforms the sample correlation has sd 1/sqrt(n).
  const double tol = 5.0 / std::sqrt(static_cast<double>(n));
  EXPECT_LT(std::abs(correlation([](std::uint32_t i) { return draw_for(i, RngStream::Churn); },
                                 [](std::uint32_t i) { return draw_for(i, RngStream::Death); })),
            tol);
  EXPECT_LT(std::abs(correlation([](std::uint32_t i) { return draw_for(i); },
                                 [](std::uint32_t i) { return draw_for(i + 1); })),
            tol);
  EXPECT_LT(std::abs(correlation(
                [](std::uint32_t i) { return Philox(1, RngStream::Service, i, 0, 0).block(0).v[0]; },
                [](std::uint32_t i) { return Philox(1, RngStream::Service, i, 0, 1).block(0).v[0]; })),
            tol);
  // Different streams are different sequences, not shifted copies.
  std::set<std::uint32_t> a, b;
  for (std::uint32_t i = 0; i < 1000; ++i) a.insert(draw_for(i, RngStream::Churn));
  for (std::uint32_t i = 0; i < 1000; ++i) b.insert(draw_for(i, RngStream::Birth));
  std::size_t common = 0;
  for (auto x : a) common += b.count(x);
  EXPECT_LE(common, 2u);
}

TEST(ProbabilityThreshold, Edges) {
  EXPECT_EQ(probability_threshold(0.0), 0u);
  EXPECT_EQ(probability_threshold(-1.0), 0u);
  EXPECT_EQ(probability_threshold(std::nan("")), 0u);
  EXPECT_EQ(probability_threshold(1.0), kThresholdOne);
  EXPECT_EQ(probability_threshold(2.0), kThresholdOne);
  EXPECT_EQ(probability_threshold(0.5), 2147483648u);
  // p = 1 is always true, p = 0 never, even at the extreme words.
  EXPECT_TRUE(static_cast<std::uint64_t>(0xffffffffu) < probability_threshold(1.0));
  EXPECT_FALSE(static_cast<std::uint64_t>(0u) < probability_threshold(0.0));
}

TEST(ProbabilityThreshold, BernoulliFrequencyWithinSamplingError) {
  constexpr int n = 1 << 20;
  for (double p : {0.001, 0.05, 0.3, 0.5, 0.97}) {
    const std::uint64_t t = probability_threshold(p);
    int hits = 0;
    for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(n); ++i) {
      Philox rng(99, RngStream::Service, i, 0, 0);
      hits += rng.bernoulli(t);
    }
    const double phat = static_cast<double>(hits) / n;
    EXPECT_LT(std::abs(phat - p), 4.0 * std::sqrt(p * (1 - p) / n)) << "p = " << p;
  }
}

TEST(SampleCumulative, PicksFirstThresholdAboveDraw) {
  const std::uint64_t cum[] = {100, 100, 300, kThresholdOne};
  EXPECT_EQ(sample_cumulative(cum, 4, 0), 0u);
  EXPECT_EQ(sample_cumulative(cum, 4, 99), 0u);
  EXPECT_EQ(sample_cumulative(cum, 4, 100), 2u);  // category 1 has zero width
  EXPECT_EQ(sample_cumulative(cum, 4, 299), 2u);
  EXPECT_EQ(sample_cumulative(cum, 4, 300), 3u);
  EXPECT_EQ(sample_cumulative(cum, 4, 0xffffffffu), 3u);
  const std::uint64_t one[] = {kThresholdOne};
  EXPECT_EQ(sample_cumulative(one, 1, 12345), 0u);
}

// Against the definition, a linear scan, on random tables with zero-width categories, at every
// boundary and on random draws; and on tables that do not reach 2^32 (then the last category).
TEST(SampleCumulative, EqualsALinearScanOnRandomTables) {
  std::uint64_t tables = 0, draws = 0;
  for (std::uint32_t t = 0; t < 3000; ++t) {
    Philox rng(5, RngStream::Synthesis, t, 0, 0);
    const std::uint32_t n = 1 + rng.next_u32() % 70;
    const bool complete = t % 4 != 0;
    std::vector<std::uint64_t> cum(n);
    std::uint64_t acc = 0;
    for (std::uint32_t k = 0; k < n; ++k) {
      if (rng.next_u32() % 3) acc += rng.next_u32() % (1u << (rng.next_u32() % 28));  // often 0-width
      cum[k] = acc;
    }
    if (complete) cum[n - 1] = kThresholdOne;
    if (!complete && cum[n - 1] > 0xffffffffull) continue;
    std::vector<std::uint32_t> xs = {0u, 0xffffffffu};
    for (const std::uint64_t c : cum) {
      for (const std::uint64_t x : {c - 1, c, c + 1}) {
        if (x <= 0xffffffffull) xs.push_back(static_cast<std::uint32_t>(x));
      }
    }
    for (int j = 0; j < 50; ++j) xs.push_back(rng.next_u32());
    for (const std::uint32_t x : xs) {
      std::uint32_t want = n - 1;
      for (std::uint32_t k = 0; k < n; ++k) {
        if (x < cum[k]) {
          want = k;
          break;
        }
      }
      ASSERT_EQ(sample_cumulative(cum.data(), n, x), want) << "table " << t << " n " << n << " x " << x;
      ++draws;
    }
    ++tables;
  }
  EXPECT_GT(tables, 2500u);
  EXPECT_GT(draws, 100000u);
}

}  // namespace
}  // namespace phsim
