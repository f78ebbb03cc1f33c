#pragma once
/// @file Member arrays in the backend's memory. Included only by sim/*.cu translation units,
/// which are compiled once per backend: thrust::device_vector is the OMP/TBB vector in the CPU
/// build and the CUDA vector in the CUDA build.
#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/host_vector.h>

#include <cstddef>
#include <new>
#include <vector>

#if THRUST_DEVICE_SYSTEM != THRUST_DEVICE_SYSTEM_CUDA
#include <sys/mman.h>

#include <thrust/device_ptr.h>
#include <thrust/device_reference.h>
#endif

#include "kernels/member.hpp"

namespace phsim {

/// Host vector -> device vector.
template <class T>
thrust::device_vector<T> to_device(const std::vector<T>& v) {
  return thrust::device_vector<T>(v.begin(), v.end());
}

/// Device vector -> host std::vector.
template <class T, class A>
std::vector<T> to_host(const thrust::device_vector<T, A>& v) {
  std::vector<T> out(v.size());
  thrust::copy(v.begin(), v.end(), out.begin());
  return out;
}

template <class T, class A>
T* raw(thrust::device_vector<T, A>& v) {
  return thrust::raw_pointer_cast(v.data());
}

template <class T, class A>
const T* raw(const thrust::device_vector<T, A>& v) {
  return thrust::raw_pointer_cast(v.data());
}

#if THRUST_DEVICE_SYSTEM != THRUST_DEVICE_SYSTEM_CUDA
/// CPU backends: memory for the member arrays in 2 MiB transparent huge pages where the kernel
/// offers them (THP "madvise" or "always"). The step and the year-end tally stream some 45
/// arrays at once, the tally sparsely: with 4 KiB pages they cost a TLB miss every few
/// thousand slots per array, and the first touch of the state a page fault per 4 KiB.
/// Arrays under kHugePageBytes use the ordinary allocator (a huge page would mostly be waste),
/// and so does every array under AddressSanitizer, which checks only what it allocates.
/// Changes no value: pages arrive zeroed either way and the elements are value-initialized.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kHugePagesForMembers = false;
#else
inline constexpr bool kHugePagesForMembers = true;
#endif
template <class T>
class HugePageAllocator {
 public:
  using value_type = T;
  using pointer = thrust::device_ptr<T>;
  using const_pointer = thrust::device_ptr<const T>;
  using reference = thrust::device_reference<T>;
  using const_reference = thrust::device_reference<const T>;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  template <class U>
  struct rebind {
    using other = HugePageAllocator<U>;
  };
  static constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  pointer allocate(size_type n) {
    const std::size_t bytes = n * sizeof(T);
    if (n > max_size()) throw std::bad_alloc();
    if (!huge(bytes)) return pointer(static_cast<T*>(::operator new(bytes)));
    // Map one page more than needed and unmap the ends: the region starts on a 2 MiB boundary.
    const std::size_t size = round_up(bytes), mapped = size + kHugePageBytes;
    void* const map = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) throw std::bad_alloc();
    auto* const base = static_cast<char*>(map);
    char* const start = base + (kHugePageBytes - reinterpret_cast<std::uintptr_t>(base) % kHugePageBytes) % kHugePageBytes;
    if (start > base) ::munmap(base, static_cast<std::size_t>(start - base));
    if (start + size < base + mapped) ::munmap(start + size, static_cast<std::size_t>(base + mapped - (start + size)));
#ifdef MADV_HUGEPAGE
    ::madvise(start, size, MADV_HUGEPAGE);  // a hint: without THP the pages stay small
#endif
    return pointer(reinterpret_cast<T*>(start));
  }

  void deallocate(pointer p, size_type n) {
    const std::size_t bytes = n * sizeof(T);
    if (!huge(bytes)) {
      ::operator delete(thrust::raw_pointer_cast(p));
    } else {
      ::munmap(thrust::raw_pointer_cast(p), round_up(bytes));
    }
  }

  size_type max_size() const { return (std::size_t{1} << 47) / sizeof(T); }

  bool operator==(const HugePageAllocator&) const { return true; }
  bool operator!=(const HugePageAllocator&) const { return false; }

 private:
  static bool huge(std::size_t bytes) { return kHugePagesForMembers && bytes >= kHugePageBytes; }
  static std::size_t round_up(std::size_t bytes) {
    return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  }
};

template <class T>
using MemberVector = thrust::device_vector<T, HugePageAllocator<T>>;
#else
template <class T>
using MemberVector = thrust::device_vector<T>;
#endif

/// The member arrays (one device vector per field of PHSIM_MEMBER_FIELDS; a field of extent E
/// holds E consecutive arrays of size() elements).
struct DeviceMembers {
#define PHSIM_DEVICE_FIELD(T, name, extent, doc) MemberVector<T> name;
  PHSIM_MEMBER_FIELDS(PHSIM_DEVICE_FIELD)
#undef PHSIM_DEVICE_FIELD
  std::uint64_t slots = 0;

  void resize(std::uint64_t n) {
    slots = n;
#define PHSIM_RESIZE_FIELD(T, name, extent, doc) name.resize(n * (extent));
    PHSIM_MEMBER_FIELDS(PHSIM_RESIZE_FIELD)
#undef PHSIM_RESIZE_FIELD
  }

  std::uint64_t size() const { return slots; }

  MemberView view() {
    MemberView v{};
#define PHSIM_VIEW_ASSIGN(T, name, extent, doc) v.name = raw(name);
    PHSIM_MEMBER_FIELDS(PHSIM_VIEW_ASSIGN)
#undef PHSIM_VIEW_ASSIGN
    v.stride = slots;
    return v;
  }
};

}  // namespace phsim
