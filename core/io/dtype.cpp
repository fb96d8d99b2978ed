// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/dtype.h"

#include <array>
#include <limits>

namespace lathe {

namespace {
struct DTypeInfo {
    DType type;
    const char *name;
    std::int64_t blockElements;
    std::size_t blockBytes;
};

// Block sizes of the ggml formats follow the GGUF specification's block layouts.
constexpr std::array<DTypeInfo, 27> kInfo{{
    {DType::F32, "F32", 1, 4},       {DType::F16, "F16", 1, 2},
    {DType::BF16, "BF16", 1, 2},     {DType::F64, "F64", 1, 8},
    {DType::I8, "I8", 1, 1},         {DType::U8, "U8", 1, 1},
    {DType::I16, "I16", 1, 2},       {DType::U16, "U16", 1, 2},
    {DType::I32, "I32", 1, 4},       {DType::U32, "U32", 1, 4},
    {DType::I64, "I64", 1, 8},       {DType::U64, "U64", 1, 8},
    {DType::Bool, "BOOL", 1, 1},     {DType::F8_E4M3, "F8_E4M3", 1, 1},
    {DType::F8_E5M2, "F8_E5M2", 1, 1},
    {DType::Q4_0, "Q4_0", 32, 18},   {DType::Q4_1, "Q4_1", 32, 20},
    {DType::Q5_0, "Q5_0", 32, 22},   {DType::Q5_1, "Q5_1", 32, 24},
    {DType::Q8_0, "Q8_0", 32, 34},   {DType::Q8_1, "Q8_1", 32, 36},
    {DType::Q2_K, "Q2_K", 256, 84},  {DType::Q3_K, "Q3_K", 256, 110},
    {DType::Q4_K, "Q4_K", 256, 144}, {DType::Q5_K, "Q5_K", 256, 176},
    {DType::Q6_K, "Q6_K", 256, 210}, {DType::Q8_K, "Q8_K", 256, 292},
}};

const DTypeInfo &info(DType t)
{
    for (const auto &i : kInfo)
        if (i.type == t)
            return i;
    return kInfo[0];
}
} // namespace

std::string dtypeName(DType t) { return info(t).name; }

std::optional<DType> dtypeFromSafetensors(const std::string &name)
{
    for (const auto &i : kInfo)
        if (i.blockElements == 1 && name == i.name)
            return i.type;
    return std::nullopt;
}

std::int64_t dtypeBlockElements(DType t) { return info(t).blockElements; }
std::size_t dtypeBlockBytes(DType t) { return info(t).blockBytes; }

bool dtypeIsFloat(DType t)
{
    return t == DType::F32 || t == DType::F16 || t == DType::BF16 || t == DType::F64
           || t == DType::F8_E4M3 || t == DType::F8_E5M2;
}

bool dtypeIsQuantized(DType t) { return info(t).blockElements > 1; }

std::optional<std::size_t> dtypeStorageBytes(DType t, std::uint64_t elements)
{
    const auto &i = info(t);
    const std::uint64_t blocks = elements / static_cast<std::uint64_t>(i.blockElements);
    if (blocks > std::numeric_limits<std::size_t>::max() / i.blockBytes)
        return std::nullopt;
    return static_cast<std::size_t>(blocks * i.blockBytes);
}

} // namespace lathe
