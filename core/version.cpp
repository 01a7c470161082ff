// minidl::version() (version.h). MINIDL_VERSION comes from project(minidl VERSION ...) and is
// defined for this one file only, so that a new version recompiles nothing else.
#include "core/version.h"

#ifndef MINIDL_VERSION
#error "MINIDL_VERSION must be defined by the build (CMakeLists.txt)"
#endif

namespace minidl {

const char* version() { return MINIDL_VERSION; }

}  // namespace minidl
