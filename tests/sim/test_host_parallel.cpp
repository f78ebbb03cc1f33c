// The host's parallel loop (sim/host_parallel.hpp): a body that throws on one item lets the
// others finish and the exception reaches the caller (it cannot leave an OpenMP region).
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "sim/host_parallel.hpp"

namespace phsim {
namespace {

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
