// Paths of the built binaries and the source tree, set by CMake.
#pragma once

namespace shaobing::testing {
inline constexpr const char* kShaobingdPath = SHAOBING_TEST_SHAOBINGD;
inline constexpr const char* kShaobingPath = SHAOBING_TEST_SHAOBING;
inline constexpr const char* kSourceDir = SHAOBING_TEST_SOURCE_DIR;
}  // namespace shaobing::testing
