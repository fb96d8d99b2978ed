// SPDX-License-Identifier: GPL-3.0-or-later
// A weight format in plain types (no libtorch), so the CLI and the GUI can name and choose one:
// the number grid (integers, NF4's normal-float levels or FP8 E4M3 values), bits, how many input
// columns share a scale, symmetric or not. The named formats users pick from are listed in
// quanttypes.h; any int<bits>[-g<group>][-asym] is accepted too.
#pragma once

#include <string>

namespace lathe {

enum class WeightScheme {
    Integer, // scale * (u - zero), u in [0, 2^bits - 1]
    Nf4,     // scale * NF4[u]: 16 levels at the quantiles of a normal distribution, scale = absmax
    Fp8E4M3, // scale * E4M3[u]: the 8-bit float grid (max 448), simulated in f32
};

struct WeightFormat {
    WeightScheme scheme = WeightScheme::Integer;
    int bits = 4;          // Integer: 2..8; Nf4: 4; Fp8E4M3: 8
    int groupSize = 128;   // columns per scale; 0 = one scale per output channel (row)
    bool symmetric = true; // Integer only (the codebook schemes are symmetric)
    bool doubleQuant = false; // Nf4 only: the scales themselves stored as 8-bit codes with one
                              // f32 scale per 256 groups (QLoRA's double quantization)

    // "int4 g128 sym", "int8 per-channel asym", "nf4 g64 double-quant", "fp8-e4m3 per-channel"
    std::string label() const;
    // The name parseWeightFormat reads: "int4-g128", "int8" (per channel), "int3-g64-asym",
    // "nf4" (= g64), "nf4-g128", "nf4-dq", "fp8-e4m3" (per channel), "fp8-e4m3-g128".
    std::string name() const;
    // Bits per weight for a row of `cols` columns, scales and zero points included, as
    // PackedMatrix::bitsPerWeight() counts them for such a matrix.
    double bitsPerWeight(long long cols) const;
    bool operator==(const WeightFormat &other) const = default;
};

// Reads a format name (see WeightFormat::name). Throws InvalidArgument saying what is expected.
WeightFormat parseWeightFormat(const std::string &name);

} // namespace lathe
