// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/packedmatrix.h"

#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace lathe {

namespace {

int containerFor(int bits)
{
    return bits <= 2 ? 2 : bits <= 4 ? 4 : 8;
}

} // namespace

std::size_t PackedMatrix::storageBytes() const
{
    std::size_t bytes = codes.size() + scales.size() * sizeof(float);
    if (!format.symmetric)
        bytes += zeros.size();
    return bytes;
}

double PackedMatrix::bitsPerWeight() const
{
    const double weights = double(rows) * double(cols);
    return weights > 0 ? double(storageBytes()) * 8.0 / weights : 0.0;
}

std::uint8_t PackedMatrix::code(std::int64_t row, std::int64_t col) const
{
    const std::int64_t index = (col / group) * groupStride + col % group;
    const std::int64_t perByte = 8 / containerBits;
    const std::uint8_t byte = codes[std::size_t(row * rowBytes + index / perByte)];
    const int shift = int(index % perByte) * containerBits;
    return std::uint8_t((byte >> shift) & ((1 << containerBits) - 1));
}

at::Tensor PackedMatrix::dequantize() const
{
    return dequantizeRows(0, rows);
}

at::Tensor PackedMatrix::dequantizeRows(std::int64_t begin, std::int64_t end) const
{
    at::Tensor out = at::empty({ end - begin, cols }, at::kFloat);
    float *o = out.data_ptr<float>();
    const std::int64_t perByte = 8 / containerBits;
    const int mask = (1 << containerBits) - 1;
    for (std::int64_t r = begin; r < end; ++r) {
        const std::uint8_t *row = codes.data() + r * rowBytes;
        for (std::int64_t g = 0; g < groupsPerRow; ++g) {
            const float scale = scales[std::size_t(r * groupsPerRow + g)];
            const float zero = float(zeros[std::size_t(r * groupsPerRow + g)]);
            const std::int64_t n = std::min(group, cols - g * group);
            for (std::int64_t j = 0; j < n; ++j) {
                const std::int64_t index = g * groupStride + j;
                const int u = (row[index / perByte] >> (int(index % perByte) * containerBits)) & mask;
                // (u - zero) is exact in float; one multiply, as fakeQuantizeRtn does.
                *o++ = (float(u) - zero) * scale;
            }
        }
    }
    return out;
}

PackedMatrix packRtn(const at::Tensor &weight, const RtnFormat &format)
{
    const RtnCodes q = rtnCodes(weight, format);
    PackedMatrix m;
    m.format = format;
    m.rows = weight.size(0);
    m.cols = weight.size(1);
    m.group = q.group;
    m.groupsPerRow = q.codes.size(1);
    m.groupStride = (m.group + 7) / 8 * 8;
    m.containerBits = containerFor(format.bits);
    m.rowBytes = m.groupsPerRow * m.groupStride * m.containerBits / 8;

    const at::Tensor codes = q.codes.to(at::kByte).contiguous();
    const at::Tensor zeros = q.zeros.to(at::kByte).contiguous();
    const at::Tensor scales = q.scales.contiguous();
    const std::uint8_t *u = codes.data_ptr<std::uint8_t>();
    const std::uint8_t *z = zeros.data_ptr<std::uint8_t>();
    m.scales.assign(scales.data_ptr<float>(), scales.data_ptr<float>() + scales.numel());
    m.zeros.assign(z, z + zeros.numel());
    m.codes.assign(std::size_t(m.rows * m.rowBytes), 0);
    const std::int64_t perByte = 8 / m.containerBits;
    for (std::int64_t r = 0; r < m.rows; ++r)
        for (std::int64_t g = 0; g < m.groupsPerRow; ++g) {
            const std::uint8_t zero = z[r * m.groupsPerRow + g];
            for (std::int64_t j = 0; j < m.groupStride; ++j) {
                // Past the group's codes (padding to a multiple of 8): the zero code.
                const std::uint8_t v = j < m.group ? u[(r * m.groupsPerRow + g) * m.group + j] : zero;
                const std::int64_t index = g * m.groupStride + j;
                m.codes[std::size_t(r * m.rowBytes + index / perByte)]
                    |= std::uint8_t(v << (int(index % perByte) * m.containerBits));
            }
        }
    return m;
}

} // namespace lathe
