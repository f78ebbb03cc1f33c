// The host's parallel helpers (sim/host_parallel.hpp): the radix sort gives what one stable
// sort gives on any number of threads (the slots' order must not depend on them); a loop body
// that throws on one item lets the others finish and the exception reaches the caller (it
// cannot leave an OpenMP region).
#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "sim/host_parallel.hpp"

namespace phsim {
namespace {

TEST(HostParallel, RadixSortEqualsOneStableSortOnAnyNumberOfThreads) {
  const int threads = omp_get_max_threads();
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{100003}}) {
    for (const int pattern : {0, 1, 2}) {
      std::mt19937_64 gen(n * 3 + static_cast<std::size_t>(pattern));
      std::vector<std::uint64_t> keys(n);
      for (auto& k : keys) {
        if (pattern == 0) k = gen();                                          // every bit
        if (pattern == 1) k = (gen() % 5) << 44 | (gen() % 300) << 11;       // order keys: few, equal
        if (pattern == 2) k = std::uint64_t{7} << 33;                       // all equal
      }
      std::vector<std::uint32_t> values(n);
      std::iota(values.begin(), values.end(), 0u);
      std::vector<std::uint32_t> want = values;
      std::stable_sort(want.begin(), want.end(), [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
      for (const int t : {1, 2, 3, 8}) {
        omp_set_num_threads(t);
        std::vector<std::uint64_t> k = keys, key_scratch(n);
        std::vector<std::uint32_t> v = values, value_scratch(n);
        parallel_radix_sort_by_key(k.data(), v.data(), n, key_scratch.data(), value_scratch.data());
        ASSERT_EQ(v, want) << "n " << n << " pattern " << pattern << " threads " << t;
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(k[i], keys[want[i]]);
      }
    }
  }
  omp_set_num_threads(threads);
}

TEST(HostParallel, ForRethrowsAnExceptionOfItsBody) {
  std::vector<int> done(100, 0);
  EXPECT_THROW(parallel_for_host(done.size(),
                                 [&](std::size_t i) {
                                   if (i == 37) throw std::runtime_error("item 37");
                                   done[i] = 1;
                                 }),
               std::runtime_error);
  EXPECT_EQ(std::count(done.begin(), done.end(), 1), 99);  // the loop finished the others
}

}  // namespace
}  // namespace phsim
