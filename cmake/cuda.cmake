# CUDA detection for minidl. MINIDL_CUDA=AUTO turns CUDA on when nvcc is found (on PATH or under
# /usr/local/cuda); ON without nvcc is a configure error; OFF never looks. Sets MINIDL_HAS_CUDA.
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
    set(MINIDL_HAS_CUDA ON)
  elseif(MINIDL_CUDA STREQUAL "ON")
    message(FATAL_ERROR "MINIDL_CUDA=ON but nvcc was not found (looked on PATH, in $CUDACXX and "
                        "/usr/local/cuda/bin). Install the CUDA Toolkit or configure with -DMINIDL_CUDA=OFF.")
  endif()
endif()
