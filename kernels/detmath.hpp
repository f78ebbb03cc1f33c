#pragma once
/// @file Deterministic exp and logistic for device code: only IEEE +, -, *, / and exact
/// scaling by powers of two, so g++ (-ffp-contract=off) and nvcc (--fmad=false) produce the same
/// bits. Used where a probability must be computed per member on the device (intervention
/// effects); everything else is precomputed on the host into integer thresholds.
#include <cmath>

#include "kernels/platform.hpp"

namespace phsim {

/// e^x for |x| <= 700 (clamped outside), relative error below 1e-15.
PHSIM_HD inline double det_exp(double x) {
  if (x > 700.0) x = 700.0;
  if (x < -700.0) x = -700.0;
  // x = n ln2 + r, |r| <= ln2 / 2 (Cody-Waite: ln2_hi has trailing zero bits, so n * ln2_hi is
  // exact for |n| < 2^11).
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double n = floor(x * kInvLn2 + 0.5);
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  // Taylor series to r^14 / 14!, Horner form (truncation error < 1e-17 for |r| <= 0.35).
  double p = 1.0 / 87178291200.0;  // 1/14!
  p = p * r + 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return ldexp(p, static_cast<int>(n));  // exact scaling by 2^n
}

/// 1 / (1 + e^-x).
PHSIM_HD inline double det_logistic(double x) { return 1.0 / (1.0 + det_exp(-x)); }

}  // namespace phsim
