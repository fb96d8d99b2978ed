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
    // "int4-g128", "int8" (per channel), "int3-g64-asym": the name parseRtnFormat reads.
    std::string name() const;
};

// Reads "int<bits>[-g<group>][-asym]" (bits 2..8; no group = per channel). Throws
// InvalidArgument saying what is expected.
RtnFormat parseRtnFormat(const std::string &name);

} // namespace lathe
