#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Quick start: install what is missing, build, and run the whole test suite.
# Data tests read ../shared/data (override with LATHE_TEST_DATA); with LATHE_REQUIRE_DATA=1
# a missing data folder fails them instead of skipping them.
set -e
cd "$(dirname "$0")/.."
./scripts/build.sh
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "${LATHE_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" "$@"
