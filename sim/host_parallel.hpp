#pragma once
/// @file Host-side loops over independent items (replicates' tables) on the OpenMP threads,
/// and a stable sort of 64-bit keys on them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <vector>
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace phsim {

/// The number of host threads parallel_for_host uses (1 without OpenMP).
inline std::size_t host_threads() {
#if defined(_OPENMP)
  return static_cast<std::size_t>(std::max(1, omp_get_max_threads()));
#else
  return 1;
#endif
}

/// Calls f(i) for every i in [0, n), on the host's OpenMP threads (in turn without OpenMP). The
/// calls must be independent. If any throws, the loop finishes and one of the exceptions is
/// rethrown (an exception cannot leave an OpenMP region).
template <class F>
void parallel_for_host(std::size_t n, F&& f) {
  std::exception_ptr error;
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1)
#endif
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
    try {
      f(static_cast<std::size_t>(i));
    } catch (...) {
#if defined(_OPENMP)
#pragma omp critical(phsim_parallel_for_host)
#endif
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

/// Sorts values[0, n) by keys[0, n), equal keys in their order (stable), on the host's OpenMP
/// threads: a least-significant-digit radix sort, 11 bits a pass up to the highest bit any key
/// has set (a pass whose digit all keys share is skipped). In each pass each thread counts and
/// then moves its own contiguous part, the parts in order, so the result is that of one stable
/// sort whatever the number of threads. Scratch: n keys and n values (`key_scratch`, `value_scratch`).
template <class V>
void parallel_radix_sort_by_key(std::uint64_t* keys, V* values, std::size_t n, std::uint64_t* key_scratch,
                                V* value_scratch) {
  constexpr int kDigitBits = 11;
  constexpr std::size_t kDigits = std::size_t{1} << kDigitBits;
  const std::size_t parts = std::max<std::size_t>(1, std::min(host_threads(), n / 4096));
  const auto part_begin = [&](std::size_t p) { return n / parts * p + std::min(p, n % parts); };
  std::uint64_t any = 0;
  for (std::size_t i = 0; i < n; ++i) any |= keys[i];
  std::vector<std::size_t> count(parts * kDigits);
  std::uint64_t* key_from = keys;
  V* value_from = values;
  std::uint64_t* key_to = key_scratch;
  V* value_to = value_scratch;
  for (int shift = 0; shift < 64 && (any >> shift) != 0; shift += kDigitBits) {
    // Each part's keys of each digit, and then where they go: digits in order, parts in order
    // within a digit.
    std::fill(count.begin(), count.end(), 0);
    parallel_for_host(parts, [&](std::size_t p) {
      std::size_t* c = &count[p * kDigits];
      for (std::size_t i = part_begin(p); i < part_begin(p + 1); ++i) {
        ++c[(key_from[i] >> shift) & (kDigits - 1)];
      }
    });
    std::size_t next = 0, used = 0;
    for (std::size_t digit = 0; digit < kDigits; ++digit) {
      const std::size_t before = next;
      for (std::size_t p = 0; p < parts; ++p) {
        const std::size_t c = count[p * kDigits + digit];
        count[p * kDigits + digit] = next;
        next += c;
      }
      used += next != before;
    }
    if (used <= 1) continue;  // every key has this digit: the order stays
    parallel_for_host(parts, [&](std::size_t p) {
      std::size_t* c = &count[p * kDigits];
      for (std::size_t i = part_begin(p); i < part_begin(p + 1); ++i) {
        const std::size_t to = c[(key_from[i] >> shift) & (kDigits - 1)]++;
        key_to[to] = key_from[i];
        value_to[to] = value_from[i];
      }
    });
    std::swap(key_from, key_to);
    std::swap(value_from, value_to);
  }
  if (key_from != keys) {
    parallel_for_host(parts, [&](std::size_t p) {
      std::copy(key_from + part_begin(p), key_from + part_begin(p + 1), keys + part_begin(p));
      std::copy(value_from + part_begin(p), value_from + part_begin(p + 1), values + part_begin(p));
    });
  }
}

}  // namespace phsim
