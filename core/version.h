// The version of the minidl library a program runs with.
#pragma once

namespace minidl {

/// The library's version, "MAJOR.MINOR.PATCH" (for example "0.2.0"): the project's version in the
/// top-level CMakeLists.txt, the one minidl.pc and the CMake package's version file carry. With a
/// shared libminidl it is the version of the library loaded at run time, which may be newer than
/// the headers the program was compiled with. While MAJOR is 0, a new MINOR may change the API.
const char* version();

}  // namespace minidl
