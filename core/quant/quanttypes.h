// SPDX-License-Identifier: GPL-3.0-or-later
// The one table of named weight formats and quantization methods (llama.cpp's QUANT_OPTIONS):
// the CLI's help and parser and the GUI's combo boxes and presets are generated from it, so a
// format added here shows up everywhere. Plain types only.
#pragma once

#include "quant/weightformat.h"

#include <string>
#include <vector>

namespace lathe {

struct QuantType {
    std::string name;        // WeightFormat::name(): "int4-g128"
    WeightFormat format;
    std::string scaleFormat; // how scales are stored: "f32 per 128 columns", ...
    std::string description; // one line for help text and tooltips
};

// Every named format, roughly from most to least bits.
const std::vector<QuantType> &quantTypes();
// nullptr when `name` is not in the table (parseWeightFormat still reads any int<bits>-g<n>).
const QuantType *findQuantType(const std::string &name);

enum class QuantMethod {
    Rtn,         // round to nearest (any format), optionally with clipping search
    Gptq,        // error-compensating rounding with the calibration Hessian (integer formats)
    Awq,         // activation-aware per-channel scaling, then round to nearest or GPTQ
    SmoothQuant, // W8A8: migrate activation outliers into the weights, int8 weights and
                 // int8 per-token activations (simulated)
};

struct QuantMethodInfo {
    QuantMethod method;
    std::string name;        // "rtn", "gptq", "awq", "smoothquant"
    bool needsCalibration;   // reads calibration text
    std::string description;
};
const std::vector<QuantMethodInfo> &quantMethods();
// Throws InvalidArgument listing the known names.
QuantMethod parseQuantMethod(const std::string &name);
std::string quantMethodName(QuantMethod method);

// Presets the Compress view offers ("W4 g128", "NF4", "W8A8 SmoothQuant", ...): a method and a
// format, with a short label.
struct QuantPreset {
    std::string label;
    QuantMethod method;
    std::string format; // a quantTypes() name
};
const std::vector<QuantPreset> &quantPresets();

// Multi-line help text listing the formats and methods (lathe-cli quantize --help).
std::string quantTypesHelp();

} // namespace lathe
