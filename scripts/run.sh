#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Quick start: install what is missing, build, and start the workbench.
# Arguments are passed to lathe (a model folder or file to open); without any, the workbench
# opens on the bundled demo model.
set -e
cd "$(dirname "$0")/.."
./scripts/build.sh
[ $# -gt 0 ] || set -- demo
exec "${LATHE_BUILD_DIR:-build}/app/gui/lathe" "$@"
