#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian (bookworm) packages Lathe needs to build and test, if missing.
set -e
PKGS="cmake g++ make ninja-build ccache pkg-config
qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libgl-dev libqt6svg6 qt6-svg-dev
libqcustomplot-dev libqcustomplot2.1-qt6
libtorch-dev libopenblas0-pthread
libspdlog-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
libpcre2-dev libutf8proc-dev libsentencepiece-dev
xvfb xauth"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "Installing:$missing" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
