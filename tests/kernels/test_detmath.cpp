// kernels/detmath.hpp against the C library.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/detmath.hpp"

namespace phsim {
namespace {

TEST(DetMath, ExpMatchesLibmToRounding) {
  double worst = 0;
  for (double x = -60; x <= 60; x += 0.001) {
    const double rel = std::abs(det_exp(x) - std::exp(x)) / std::exp(x);
    worst = std::max(worst, rel);
  }
  EXPECT_LT(worst, 1e-15);
  EXPECT_EQ(det_exp(0.0), 1.0);
  EXPECT_NEAR(det_exp(700.0) / std::exp(700.0), 1.0, 1e-14);
  EXPECT_EQ(det_exp(800.0), det_exp(700.0));  // clamped
  EXPECT_GT(det_exp(-800.0), 0.0);
}

TEST(DetMath, LogisticIsSymmetricAndBounded) {
  for (double x = -30; x <= 30; x += 0.37) {
    const double p = det_logistic(x);
    EXPECT_GT(p, 0.0);
    EXPECT_LE(p, 1.0);
    EXPECT_NEAR(p + det_logistic(-x), 1.0, 1e-15);
    EXPECT_NEAR(p, 1.0 / (1.0 + std::exp(-x)), 1e-15);
  }
  EXPECT_EQ(det_logistic(0.0), 0.5);
}

}  // namespace
}  // namespace phsim
