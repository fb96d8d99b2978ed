// SPDX-License-Identifier: GPL-3.0-or-later
// A round-to-nearest weight format in plain types (no libtorch), so the GUI can name and
// choose one: bits, group size, symmetric or not.
#pragma once

#include <string>

namespace lathe {

struct RtnFormat {
    int bits = 4;        // 2..8
    int groupSize = 128; // columns per scale; 0 = one scale per output channel (row)
    bool symmetric = true;
    // "int4 g128 sym", "int8 per-channel asym"
    std::string label() const;
};

} // namespace lathe
