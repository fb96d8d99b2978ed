#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs missing Debian packages, then configures and builds Lathe into ./build.
# Extra arguments are passed to CMake's configure step (e.g. -DLATHE_GUI=OFF).
set -e
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR=${LATHE_BUILD_DIR:-build}
# Lets ccache reuse objects between clones of the repository in different folders.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(pwd)}"
# Without these, ccache refuses every compile that uses a precompiled header.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
