// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/quanttypes.h"

#include "util/error.h"

#include <cstdio>

namespace lathe {

namespace {

// How the format stores its scales, from the format itself so the text cannot drift.
std::string scaleFormatOf(const WeightFormat &f)
{
    const std::string where
        = f.groupSize == 0 ? "per output row" : "per " + std::to_string(f.groupSize) + " columns";
    switch (f.scheme) {
    case WeightScheme::Nf4:
        return f.doubleQuant ? "8-bit absmax " + where + ", one f32 per 256 of them"
                             : "f32 absmax " + where;
    case WeightScheme::Fp8E4M3:
        return "f32 scale " + where;
    case WeightScheme::Integer:
        break;
    }
    return f.symmetric ? "f32 scale " + where : "f32 scale + 8-bit zero point " + where;
}

QuantType entry(const std::string &name, const std::string &description)
{
    QuantType t;
    t.format = parseWeightFormat(name);
    t.name = t.format.name();
    t.scaleFormat = scaleFormatOf(t.format);
    t.description = description;
    return t;
}

} // namespace

const std::vector<QuantType> &quantTypes()
{
    // int5/int6 are left out on purpose: their codes sit in 8-bit containers, so they cost as
    // much as int8 (parseWeightFormat still reads them).
    static const std::vector<QuantType> types {
        entry("int8", "8-bit integers, one scale per row: nearly lossless, 4x smaller than f32"),
        entry("fp8-e4m3",
            "8-bit floats (E4M3, simulated), one scale per row: like int8, kinder to outliers"),
        entry("int4-g32", "4-bit integers, a scale per 32 columns: the safest 4-bit choice"),
        entry("int4-g64", "4-bit integers, a scale per 64 columns: between g32 and g128"),
        entry("int4-g128", "4-bit integers, a scale per 128 columns: the common 4-bit default"),
        entry("int4-g128-asym",
            "4-bit integers with a zero point per 128 columns: fits skewed weights better"),
        entry("nf4", "4-bit normal-float levels (QLoRA), absmax per 64 columns"),
        entry("nf4-g128", "NF4 with absmax per 128 columns: int4-g128's size, often less loss"),
        entry("nf4-dq", "NF4 with 8-bit scales (double quantization): about 0.4 bits less"),
        entry("int3-g32", "3-bit integers, a scale per 32 columns: the safest 3-bit choice"),
        entry("int3-g64", "3-bit integers, a scale per 64 columns: lossy, 3.5 bits per weight"),
        entry("int3-g128", "3-bit integers, a scale per 128 columns: lossier, 3.25 bits"),
        entry("int2-g32", "2-bit integers, a scale per 32 columns: experimental, heavy loss"),
        entry("int2-g64", "2-bit integers, a scale per 64 columns: experimental, heaviest loss"),
    };
    return types;
}

const QuantType *findQuantType(const std::string &name)
{
    for (const QuantType &t : quantTypes())
        if (t.name == name)
            return &t;
    return nullptr;
}

const std::vector<QuantMethodInfo> &quantMethods()
{
    static const std::vector<QuantMethodInfo> methods {
        { QuantMethod::Rtn, "rtn", false,
            "round to nearest, any format; optional clipping search (MSE-optimal scales)" },
        { QuantMethod::Gptq, "gptq", true,
            "GPTQ: rounds column by column, correcting the error with the calibration Hessian "
            "(integer formats)" },
        { QuantMethod::Awq, "awq", true,
            "AWQ: scales salient input channels found on calibration text, then rounds" },
        { QuantMethod::SmoothQuant, "smoothquant", true,
            "SmoothQuant W8A8: moves activation outliers into the weights; int8 weights and "
            "int8 per-token activations (simulated)" },
    };
    return methods;
}

QuantMethod parseQuantMethod(const std::string &name)
{
    std::string known;
    for (const QuantMethodInfo &m : quantMethods()) {
        if (m.name == name)
            return m.method;
        known += (known.empty() ? "" : ", ") + m.name;
    }
    throw InvalidArgument("'" + name + "' is not a quantization method; expected one of " + known);
}

std::string quantMethodName(QuantMethod method)
{
    for (const QuantMethodInfo &m : quantMethods())
        if (m.method == method)
            return m.name;
    return "rtn";
}

const std::vector<QuantPreset> &quantPresets()
{
    static const std::vector<QuantPreset> presets {
        { "W8 per-channel", QuantMethod::Rtn, "int8" },
        { "FP8 E4M3", QuantMethod::Rtn, "fp8-e4m3" },
        { "W8A8 SmoothQuant", QuantMethod::SmoothQuant, "int8" },
        { "W4 g32", QuantMethod::Rtn, "int4-g32" },
        { "W4 g128", QuantMethod::Rtn, "int4-g128" },
        { "W4 g128 asym", QuantMethod::Rtn, "int4-g128-asym" },
        { "NF4", QuantMethod::Rtn, "nf4" },
        { "NF4 double-quant", QuantMethod::Rtn, "nf4-dq" },
        { "W4 g128 GPTQ", QuantMethod::Gptq, "int4-g128" },
        { "W4 g128 AWQ", QuantMethod::Awq, "int4-g128" },
        { "W3 g64", QuantMethod::Rtn, "int3-g64" },
        { "W3 g64 GPTQ", QuantMethod::Gptq, "int3-g64" },
        { "W3 g64 AWQ", QuantMethod::Awq, "int3-g64" },
        { "W2 g32 GPTQ", QuantMethod::Gptq, "int2-g32" },
    };
    return presets;
}

std::string quantTypesHelp()
{
    // Bits per weight depend on the row length (a ragged last group costs a whole scale):
    // quoted for 4096-column rows, as in a 7B model.
    std::string out = "Formats (bits per weight for 4096-column rows, scales included):\n";
    char line[256];
    for (const QuantType &t : quantTypes()) {
        std::snprintf(line, sizeof line, "  %-15s %5.2f  %s\n", t.name.c_str(),
            t.format.bitsPerWeight(4096), t.description.c_str());
        out += line;
    }
    out += "  Any int<bits>[-g<group>][-asym] (bits 2..8), nf4[-g<group>][-dq] and "
           "fp8-e4m3[-g<group>] is accepted too.\n";
    out += "Methods:\n";
    for (const QuantMethodInfo &m : quantMethods()) {
        std::snprintf(line, sizeof line, "  %-12s %s%s\n", m.name.c_str(), m.description.c_str(),
            m.needsCalibration ? " [needs --calib]" : "");
        out += line;
    }
    return out;
}

} // namespace lathe
