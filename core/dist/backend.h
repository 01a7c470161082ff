// Internal: what core/dist/context.cpp asks of the MPI backend (core/dist/mpi.cpp, the one file
// that includes mpi.h). In a build without MPI these report that MPI is absent.
#pragma once

#include <memory>

#include "core/dist.h"

namespace minidl::dist::detail {

/// True when this build includes the MPI backend.
bool mpi_compiled_in();
/// MPI_Init_thread (funneled: only the thread that trains calls MPI), then a communicator over
/// MPI_COMM_WORLD; fills *world (local rank and size from the ranks sharing this machine).
/// Throws minidl::Error when MPI is not compiled in or fails to start.
std::unique_ptr<Communicator> mpi_start(World* world);
/// MPI_Finalize (after the communicator is gone).
void mpi_stop();

}  // namespace minidl::dist::detail
