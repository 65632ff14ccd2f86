# Cross-compiling shaobing for ARM64 (aarch64) Debian/Ubuntu/Armbian edge boxes
# with Debian's cross toolchain:
#   apt-get install g++-aarch64-linux-gnu
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install libpaho-mqttpp-dev:arm64 libopencv-dev:arm64 libsqlite3-dev:arm64 \
#       libyaml-cpp-dev:arm64 libspdlog-dev:arm64 libsystemd-dev:arm64 libssl-dev:arm64 ...
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#       -DSHAOBING_BUILD_TESTS=OFF -DSHAOBING_BUILD_BENCH=OFF
# See docs/deployment.md for how far this was verified.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Debian multiarch: arm64 libraries and their CMake/pkg-config files live
# under /usr/lib/aarch64-linux-gnu; headers are shared in /usr/include.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# The .deb's architecture follows the target.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
