# MPI detection for minidl's data-parallel training (core/dist.h, docs/distributed.md).
# MINIDL_MPI=AUTO turns MPI on when find_package(MPI COMPONENTS C) finds it (Debian:
# libopenmpi-dev); ON without MPI is a configure error; OFF never looks. Sets MINIDL_HAS_MPI.
#
# minidl_link_mpi() links the library against MPI's C library files, not the imported target
# MPI::MPI_C: the installed package then names plain files (like OpenBLAS), so a program that uses
# a static minidl needs no find_package(MPI) of its own, nor the C language enabled. mpi.h is
# seen by one source file only (core/dist/mpi.cpp); no public header includes it.
set(MINIDL_HAS_MPI OFF)
if(NOT MINIDL_MPI STREQUAL "OFF")
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_C_FOUND)
    set(MINIDL_HAS_MPI ON)
  elseif(MINIDL_MPI STREQUAL "ON")
    message(FATAL_ERROR "MINIDL_MPI=ON but MPI was not found (find_package(MPI COMPONENTS C)). "
                        "Install it (Debian: apt-get install libopenmpi-dev openmpi-bin) or "
                        "configure with -DMINIDL_MPI=OFF.")
  endif()
endif()

function(minidl_link_mpi target source)
  if(NOT MINIDL_HAS_MPI)
    return()
  endif()
  target_link_libraries(${target} PRIVATE ${MPI_C_LIBRARIES})
  # OMPI_SKIP_MPICXX / MPICH_SKIP_MPICXX: mpi.h is compiled as C++ here, without the deprecated
  # C++ bindings (which would need libmpi_cxx).
  set_property(SOURCE ${source} APPEND PROPERTY COMPILE_DEFINITIONS
               MINIDL_HAS_MPI=1 OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1 ${MPI_C_COMPILE_DEFINITIONS})
  set_property(SOURCE ${source} APPEND PROPERTY INCLUDE_DIRECTORIES ${MPI_C_INCLUDE_DIRS})
  if(MPI_C_COMPILE_OPTIONS)
    set_property(SOURCE ${source} APPEND PROPERTY COMPILE_OPTIONS ${MPI_C_COMPILE_OPTIONS})
  endif()
endfunction()

# For the tests: mpiexec (mpirun) and the flags it needs here. As root, Open MPI refuses to start
# without --allow-run-as-root; on a machine with fewer cores than ranks it needs --oversubscribe.
if(MINIDL_HAS_MPI AND MPIEXEC_EXECUTABLE)
  set(MINIDL_MPIEXEC_FLAGS "")
  execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE _minidl_mpiexec_version
                  ERROR_QUIET)
  if(_minidl_mpiexec_version MATCHES "Open MPI|OpenRTE")
    list(APPEND MINIDL_MPIEXEC_FLAGS --oversubscribe)
    execute_process(COMMAND id -u OUTPUT_VARIABLE _minidl_uid OUTPUT_STRIP_TRAILING_WHITESPACE
                    ERROR_QUIET)
    if(_minidl_uid STREQUAL "0")
      list(APPEND MINIDL_MPIEXEC_FLAGS --allow-run-as-root)
    endif()
  endif()
endif()
