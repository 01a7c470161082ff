# CUDA detection for minidl. MINIDL_CUDA=AUTO turns CUDA on when nvcc is found (on PATH or under
# /usr/local/cuda); ON without nvcc is a configure error; OFF never looks. Sets MINIDL_HAS_CUDA,
# and tells the test executable that it may call the CUDA kernels directly.
set(MINIDL_HAS_CUDA OFF)
if(NOT MINIDL_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER)
    find_program(MINIDL_NVCC nvcc HINTS ENV CUDACXX PATHS /usr/local/cuda/bin NO_CACHE)
    if(MINIDL_NVCC)
      set(CMAKE_CUDA_COMPILER ${MINIDL_NVCC})
    endif()
  endif()
  if(CMAKE_CUDA_COMPILER)
    # Build machines usually have no GPU to detect: default to a fixed list that includes Hopper (90).
    # 75/86 cover Turing and Ampere laptops; 90 also embeds PTX so newer GPUs can JIT it.
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "75-real;86-real;90" CACHE STRING "CUDA architectures" FORCE)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(CMAKE_CUDA_STANDARD 17)  # CMake 3.25 knows no CUDA 20 flags for nvcc
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    string(APPEND CMAKE_CUDA_FLAGS " -Xcompiler=-Wall,-Wextra")  # host-side warnings, as for C++
    set(MINIDL_HAS_CUDA ON)
    # tests/cuda/test_cuda_kernels.cpp calls each CUDA kernel beside its CPU twin, so it must know
    # at compile time that the kernels exist. The test target is made later (tests/), hence the
    # call deferred to the end of the top-level CMakeLists.
    function(minidl_cuda_mark_tests)
      if(TARGET minidl_tests)
        target_compile_definitions(minidl_tests PRIVATE MINIDL_TEST_CUDA_KERNELS=1)
      endif()
    endfunction()
    cmake_language(DEFER CALL minidl_cuda_mark_tests)
  elseif(MINIDL_CUDA STREQUAL "ON")
    message(FATAL_ERROR "MINIDL_CUDA=ON but nvcc was not found (looked on PATH, in $CUDACXX and "
                        "/usr/local/cuda/bin). Install the CUDA Toolkit or configure with -DMINIDL_CUDA=OFF.")
  endif()
endif()
