#pragma once
// Compares two results files as "the same results": every variable and dimension bit for bit
// and every root attribute except those that describe how, not what, was computed.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "io/hdf5_file.hpp"
#include "sim/errors.hpp"

namespace phsim::testing {

/// Every variable and dimension bit for bit, and every root attribute but the creation time
/// and the thread count.
inline void expect_identical_files(const std::filesystem::path& a_path,
                                   const std::filesystem::path& b_path) {
  const ResultsReader a(a_path.string()), b(b_path.string());
  ASSERT_EQ(a.variables(), b.variables());
  ASSERT_EQ(a.dimensions(), b.dimensions());
  for (const auto& d : a.dimensions()) {
    ASSERT_EQ(a.shape(d), b.shape(d)) << d;
    try {
      EXPECT_EQ(a.labels(d), b.labels(d)) << d;
    } catch (const IoError&) {
      EXPECT_EQ(a.read_int64(d), b.read_int64(d)) << d;
    }
  }
  std::size_t cells = 0;
  for (const auto& v : a.variables()) {
    ASSERT_EQ(a.shape(v), b.shape(v)) << v;
    try {
      EXPECT_EQ(a.read_int64(v), b.read_int64(v)) << v;
      cells += a.read_int64(v).size();
    } catch (const IoError&) {
      const auto x = a.read_float64(v), y = b.read_float64(v);
      ASSERT_EQ(x.size(), y.size());
      EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)), 0) << v;
      cells += x.size();
    }
  }
  EXPECT_GT(cells, 10000u);
  Attributes aa = a.root_attributes(), ba = b.root_attributes();
  for (const char* k : {"created_utc", "threads"}) {
    aa.erase(k);
    ba.erase(k);
  }
  EXPECT_EQ(aa.size(), ba.size());
  for (const auto& [k, v] : aa) {
    ASSERT_TRUE(ba.count(k)) << k;
    EXPECT_TRUE(v == ba.at(k)) << k;
  }
}

}  // namespace phsim::testing
