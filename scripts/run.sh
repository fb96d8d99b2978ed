#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Quick start: install what is missing, build, and start the workbench.
# Arguments are passed to lathe (e.g. a model folder or file to open).
set -e
cd "$(dirname "$0")/.."
./scripts/build.sh
exec "${LATHE_BUILD_DIR:-build}/app/gui/lathe" "$@"
