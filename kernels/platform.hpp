#pragma once
/// @file Portability macros for code compiled by both g++ (CPU backend) and nvcc (CUDA backend).
///
/// CCCL 3 does not define `__host__`/`__device__` for g++, so the project owns its macro.

#if defined(__CUDACC__)
#define PHSIM_HD __host__ __device__
#define PHSIM_FORCEINLINE __forceinline__
#else
#define PHSIM_HD
#define PHSIM_FORCEINLINE inline __attribute__((always_inline))
#endif
