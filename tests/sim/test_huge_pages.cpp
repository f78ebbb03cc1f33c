// The CPU backends' allocator of the member arrays (sim/device_state.hpp): 2 MiB-aligned
// regions advised for transparent huge pages, zeroed and value-initialized like any vector.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include <thrust/copy.h>
#include <thrust/count.h>
#include <thrust/equal.h>
#include <thrust/sequence.h>

#include "sim/device_state.hpp"

namespace phsim {
namespace {

constexpr std::size_t kHuge = HugePageAllocator<std::uint8_t>::kHugePageBytes;

std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

/// kB of AnonHugePages in the mapping of /proc/self/smaps that holds `p` (-1: not found).
long anon_huge_kb(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = address(p) >= lo && address(p) < hi;
      continue;
    }
    if (inside && line.rfind("AnonHugePages:", 0) == 0) return std::stol(line.substr(14));
  }
  return -1;
}

/// The kernel's THP mode: the bracketed word of /sys/kernel/mm/transparent_hugepage/enabled.
std::string thp_mode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string all;
  std::getline(f, all);
  const auto open = all.find('['), close = all.find(']');
  return open == std::string::npos || close == std::string::npos ? "" : all.substr(open + 1, close - open - 1);
}

TEST(HugePageAllocator, LargeArraysStartOnAHugePageAndAreZeroed) {
  if (!kHugePagesForMembers) GTEST_SKIP() << "the ordinary allocator under AddressSanitizer";
  const std::size_t n = 5 * kHuge / 4 + 12345;  // not a multiple of the page
  MemberVector<std::uint32_t> v(n);
  EXPECT_EQ(address(raw(v)) % kHuge, 0u);
  EXPECT_EQ(static_cast<std::size_t>(thrust::count(v.begin(), v.end(), 0u)), n);
  thrust::sequence(v.begin(), v.end(), 7u);
  EXPECT_EQ(v[0], 7u);
  EXPECT_EQ(v[n - 1], static_cast<std::uint32_t>(7 + n - 1));
}

TEST(HugePageAllocator, SmallArraysUseTheOrdinaryAllocator) {
  MemberVector<std::uint16_t> v(1000, 3);
  EXPECT_EQ(static_cast<std::size_t>(thrust::count(v.begin(), v.end(), std::uint16_t{3})), 1000u);
  EXPECT_LT(v.size() * sizeof(std::uint16_t), kHuge);
}

TEST(HugePageAllocator, ResizeAndCopyKeepValuesAcrossTheThreshold) {
  // Grows from an ordinary allocation to a huge one and back down: the content is kept.
  MemberVector<std::uint8_t> v(1000);
  thrust::sequence(v.begin(), v.end());
  v.resize(3 * kHuge);
  if (kHugePagesForMembers) {
    EXPECT_EQ(address(raw(v)) % kHuge, 0u);
  }
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{255}, std::size_t{999}}) {
    EXPECT_EQ(v[i], static_cast<std::uint8_t>(i)) << i;
  }
  EXPECT_EQ(static_cast<std::size_t>(thrust::count(v.begin() + 1000, v.end(), std::uint8_t{0})), 3 * kHuge - 1000);
  const MemberVector<std::uint8_t> copy = v;
  EXPECT_TRUE(thrust::equal(v.begin(), v.end(), copy.begin()));
  const std::vector<std::uint8_t> host = to_host(copy);
  EXPECT_EQ(host[999], static_cast<std::uint8_t>(999 % 256));
}

TEST(HugePageAllocator, TouchedLargeArraysLieInHugePagesWhenTheKernelOffersThem) {
  if (!kHugePagesForMembers) GTEST_SKIP() << "the ordinary allocator under AddressSanitizer";
  const std::string mode = thp_mode();
  if (mode != "madvise" && mode != "always") GTEST_SKIP() << "transparent huge pages: '" << mode << "'";
  MemberVector<std::uint8_t> v(8 * kHuge);  // value-initialization touches every page
  const long kb = anon_huge_kb(raw(v));
  ASSERT_GE(kb, 0) << "the array's mapping is not in /proc/self/smaps";
  // At least one of the eight 2 MiB pages (the kernel may fall back to small pages under
  // fragmentation; with 4 KiB pages only, there would be none).
  EXPECT_GE(kb, 2048) << "THP mode " << mode;
}

}  // namespace
}  // namespace phsim
