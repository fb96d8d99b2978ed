#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Makes the README's pictures: docs/screenshots/inspect.png, sensitivity.png, compress.png and
# evaluate.png, the Inspect, Sensitivity, Compress and Evaluate views of the demo model (two
# variants made and evaluated) in a 1600x1000 window, under a virtual X server
# (Xvfb) so it runs on a machine without a display. Uses the lathe binary in
# $LATHE_BUILD_DIR (default ./build), building it first when it is missing.
# Extra arguments go to lathe (another model instead of the demo model).
set -e
cd "$(dirname "$0")/.."
BUILD_DIR=${LATHE_BUILD_DIR:-build}
LATHE="$BUILD_DIR/app/gui/lathe"
[ -x "$LATHE" ] || ./scripts/build.sh
for tool in xvfb-run Xvfb; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
OUT=docs/screenshots
mkdir -p "$OUT"
# A fresh settings folder: the pictures must not depend on the user's window layout or
# remembered calibration file, and the user's settings must not change.
CONFIG=$(mktemp -d)
trap 'rm -rf "$CONFIG"' EXIT
XDG_CONFIG_HOME="$CONFIG" QT_QPA_PLATFORM=xcb \
    xvfb-run -a -s "-screen 0 1600x1000x24 -dpi 96 -nolisten tcp" \
    "$LATHE" --screenshots "$OUT" "$@"
for f in "$OUT/inspect.png" "$OUT/sensitivity.png" "$OUT/compress.png" "$OUT/evaluate.png"; do
    [ -f "$f" ] || { echo "missing $f" >&2; exit 1; }
    size=$(wc -c < "$f")
    echo "$f: $size bytes"
    [ "$size" -le 300000 ] || echo "warning: $f is larger than 300 KB" >&2
done
