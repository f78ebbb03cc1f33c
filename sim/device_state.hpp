#pragma once
/// @file Member arrays in the backend's memory. Included only by sim/*.cu translation units,
/// which are compiled once per backend: thrust::device_vector is the OMP/TBB vector in the CPU
/// build and the CUDA vector in the CUDA build.
#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/host_vector.h>

#include <vector>

#include "kernels/member.hpp"

namespace phsim {

/// Host vector -> device vector.
template <class T>
thrust::device_vector<T> to_device(const std::vector<T>& v) {
  return thrust::device_vector<T>(v.begin(), v.end());
}

/// Device vector -> host std::vector of element type Out (each element converted).
template <class Out, class T>
std::vector<Out> to_host_as(const thrust::device_vector<T>& v) {
  std::vector<Out> out(v.size());
  thrust::copy(v.begin(), v.end(), out.begin());
  return out;
}

/// Device vector -> host std::vector.
template <class T>
std::vector<T> to_host(const thrust::device_vector<T>& v) {
  return to_host_as<T>(v);
}

template <class T>
T* raw(thrust::device_vector<T>& v) {
  return thrust::raw_pointer_cast(v.data());
}

template <class T>
const T* raw(const thrust::device_vector<T>& v) {
  return thrust::raw_pointer_cast(v.data());
}

/// The member arrays (one device vector per field of PHSIM_MEMBER_FIELDS; a field of extent E
/// holds E consecutive arrays of size() elements).
struct DeviceMembers {
#define PHSIM_DEVICE_FIELD(T, name, extent, doc) thrust::device_vector<T> name;
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
