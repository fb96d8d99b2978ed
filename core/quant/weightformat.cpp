// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/weightformat.h"

#include "util/error.h"

#include <algorithm>
#include <regex>

namespace lathe {

namespace {

std::string groupLabel(int groupSize)
{
    return groupSize == 0 ? std::string("per-channel") : "g" + std::to_string(groupSize);
}

} // namespace

std::string WeightFormat::label() const
{
    switch (scheme) {
    case WeightScheme::Nf4:
        return "nf4 " + groupLabel(groupSize) + (doubleQuant ? " double-quant" : "");
    case WeightScheme::Fp8E4M3:
        return "fp8-e4m3 " + groupLabel(groupSize);
    case WeightScheme::Integer:
        break;
    }
    return "int" + std::to_string(bits) + " " + groupLabel(groupSize)
        + (symmetric ? " sym" : " asym");
}

std::string WeightFormat::name() const
{
    switch (scheme) {
    case WeightScheme::Nf4: {
        std::string s = groupSize == 64 ? "nf4" : "nf4-" + groupLabel(groupSize);
        return doubleQuant ? s + "-dq" : s;
    }
    case WeightScheme::Fp8E4M3:
        return groupSize == 0 ? "fp8-e4m3" : "fp8-e4m3-g" + std::to_string(groupSize);
    case WeightScheme::Integer:
        break;
    }
    std::string s = "int" + std::to_string(bits);
    if (groupSize > 0)
        s += "-g" + std::to_string(groupSize);
    return symmetric ? s : s + "-asym";
}

double WeightFormat::bitsPerWeight(long long cols) const
{
    if (cols <= 0)
        return 0.0;
    const long long group = groupSize == 0 ? cols : std::min<long long>(groupSize, cols);
    const long long groups = (cols + group - 1) / group;
    const long long stride = (group + 7) / 8 * 8;
    const int container = bits <= 4 ? bits : 8; // see PackedMatrix::containerBits
    double bytes = double(groups * stride * container) / 8.0;
    if (scheme == WeightScheme::Nf4 && doubleQuant)
        bytes += double(groups) * (1.0 + 4.0 / 256.0); // 8-bit scale + its share of an f32
    else
        bytes += double(groups) * 4.0; // f32 scale
    if (scheme == WeightScheme::Integer && !symmetric)
        bytes += double(groups); // u8 zero point
    return bytes * 8.0 / double(cols);
}

WeightFormat parseWeightFormat(const std::string &name)
{
    static const std::regex integer("int([2-8])(?:-g([1-9][0-9]{0,5}))?(-asym)?");
    static const std::regex nf4("nf4(?:-g([1-9][0-9]{0,5}))?(-dq)?");
    static const std::regex fp8("fp8-e4m3(?:-g([1-9][0-9]{0,5}))?");
    std::smatch m;
    WeightFormat f;
    if (std::regex_match(name, m, integer)) {
        f.bits = std::stoi(m[1].str());
        f.groupSize = m[2].matched ? std::stoi(m[2].str()) : 0;
        f.symmetric = !m[3].matched;
    } else if (std::regex_match(name, m, nf4)) {
        f.scheme = WeightScheme::Nf4;
        f.bits = 4;
        f.groupSize = m[1].matched ? std::stoi(m[1].str()) : 64;
        f.doubleQuant = m[2].matched;
    } else if (std::regex_match(name, m, fp8)) {
        f.scheme = WeightScheme::Fp8E4M3;
        f.bits = 8;
        f.groupSize = m[1].matched ? std::stoi(m[1].str()) : 0;
    } else {
        throw InvalidArgument("'" + name + "' is not a weight format; expected "
            "int<bits>[-g<group>][-asym] with bits 2..8 (e.g. int8, int4-g32, int3-g64-asym), "
            "nf4[-g<group>][-dq] or fp8-e4m3[-g<group>]");
    }
    return f;
}

} // namespace lathe
