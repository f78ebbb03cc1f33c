# One source, two backends (DESIGN.md §3).
#
# phsim_add_backends(SOURCES a.cu ... [CPU_SOURCES x.cpp ...] [CUDA_SOURCES y.cu ...] LINK libs...)
# builds every SOURCES file twice (CPU_SOURCES/CUDA_SOURCES go to one backend only):
#   phsim_backend_cpu   g++ as C++, Thrust device system OMP (or TBB), namespace phsim::cpu
#   phsim_backend_cuda  nvcc, Thrust device system CUDA, namespace phsim::cuda (when CUDA is on)
# g++ never sees the .cu files directly: the CPU library compiles one generated wrapper
# `#include "<abs path>.cu"` per source, so the same text reaches both compilers.
function(phsim_add_backends)
  cmake_parse_arguments(ARG "" "" "SOURCES;CPU_SOURCES;CUDA_SOURCES;LINK" ${ARGN})

  set(cpu_sources)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    get_filename_component(stem "${src}" NAME_WE)
    set(wrapper "${CMAKE_BINARY_DIR}/backend_cpu/${stem}_cpu.cpp")
    file(CONFIGURE OUTPUT "${wrapper}"
         CONTENT "// Generated: compiles ${src} for the CPU backend.\n#include \"${abs}\"\n")
    list(APPEND cpu_sources "${wrapper}")
  endforeach()

  add_library(phsim_backend_cpu STATIC ${cpu_sources} ${ARG_CPU_SOURCES})
  target_compile_definitions(phsim_backend_cpu PRIVATE PHSIM_BACKEND_NS=cpu
    THRUST_HOST_SYSTEM=THRUST_HOST_SYSTEM_CPP)
  if(PHSIM_CPU_SYSTEM STREQUAL "TBB")
    target_compile_definitions(phsim_backend_cpu PRIVATE
      THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_TBB PHSIM_CPU_TBB=1)
    target_link_libraries(phsim_backend_cpu PUBLIC TBB::tbb)
  else()
    target_compile_definitions(phsim_backend_cpu PRIVATE
      THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_OMP)
  endif()
  target_include_directories(phsim_backend_cpu SYSTEM PRIVATE ${PHSIM_THRUST_INCLUDE})
  target_link_libraries(phsim_backend_cpu PUBLIC OpenMP::OpenMP_CXX ${ARG_LINK}
                        PRIVATE phsim_warnings)
  set_target_properties(phsim_backend_cpu PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(PHSIM_SANITIZE)
    # Thrust 1.17 (thrust/detail/reference.h) binds a reference through a null execution-policy
    # pointer it never dereferences; UBSan's null check would stop every Thrust call.
    # Source-level options come after the target's and its interfaces' on the command line.
    set_source_files_properties(${cpu_sources} ${ARG_CPU_SOURCES} TARGET_DIRECTORY phsim_backend_cpu
                                PROPERTIES COMPILE_OPTIONS "-fno-sanitize=null")
  endif()

  if(PHSIM_HAVE_CUDA)
    add_library(phsim_backend_cuda STATIC ${ARG_SOURCES} ${ARG_CUDA_SOURCES})
    set_source_files_properties(${ARG_SOURCES} ${ARG_CUDA_SOURCES} PROPERTIES LANGUAGE CUDA)
    target_compile_definitions(phsim_backend_cuda PRIVATE PHSIM_BACKEND_NS=cuda
      EIGEN_NO_CUDA THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_CUDA)
    target_compile_options(phsim_backend_cuda PRIVATE
      $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr --extended-lambda>)
    target_link_libraries(phsim_backend_cuda PUBLIC CUDA::cudart_static ${ARG_LINK}
                          PRIVATE phsim_warnings)
    set_target_properties(phsim_backend_cuda PROPERTIES
      CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}"
      CUDA_SEPARABLE_COMPILATION OFF POSITION_INDEPENDENT_CODE ON)
  endif()
endfunction()
