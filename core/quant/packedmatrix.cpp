// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/packedmatrix.h"

#include "quant/codebook.h"
#include "quant/rtn.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace lathe {

namespace {

int containerFor(int bits)
{
    return bits <= 3 ? bits : bits <= 4 ? 4 : 8;
}

// Code j of a group whose codes start at `group`.
int groupCode(const PackedMatrix &m, const std::uint8_t *group, std::int64_t j)
{
    if (m.containerBits == 3) {
        const std::int64_t lowBytes = m.lowPlaneBytes();
        const HighNibble h = threeBitHighNibble(lowBytes, j / 4);
        const int s = int(j % 4);
        return ((group[j / 4] >> (2 * s)) & 3)
            | (((group[lowBytes + h.byte] >> (h.shift + s)) & 1) << 2);
    }
    const std::int64_t perByte = 8 / m.containerBits;
    return (group[j / perByte] >> (int(j % perByte) * m.containerBits))
        & ((1 << m.containerBits) - 1);
}

void setGroupCode(const PackedMatrix &m, std::uint8_t *group, std::int64_t j, std::uint8_t v)
{
    if (m.containerBits == 3) {
        const std::int64_t lowBytes = m.lowPlaneBytes();
        const HighNibble h = threeBitHighNibble(lowBytes, j / 4);
        const int s = int(j % 4);
        group[j / 4] |= std::uint8_t((v & 3) << (2 * s));
        group[lowBytes + h.byte] |= std::uint8_t((v >> 2) << (h.shift + s));
        return;
    }
    const std::int64_t perByte = 8 / m.containerBits;
    group[j / perByte] |= std::uint8_t(v << (int(j % perByte) * m.containerBits));
}

} // namespace

HighNibble threeBitHighNibble(std::int64_t lowBytes, std::int64_t p)
{
    const std::int64_t runStart = p / 16 * 16;
    const std::int64_t half = std::min<std::int64_t>(16, lowBytes - runStart) / 2;
    const std::int64_t k = p - runStart;
    return { runStart / 2 + k % half, int(k / half) * 4 };
}

std::size_t PackedMatrix::storageBytes() const
{
    std::size_t bytes = codes.size();
    if (!scaleCodes.empty())
        bytes += scaleCodes.size() + scaleBlockScales.size() * sizeof(float) + sizeof(float);
    else
        bytes += scales.size() * sizeof(float);
    if (format.scheme == WeightScheme::Integer && !format.symmetric)
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
    return std::uint8_t(
        groupCode(*this, codes.data() + row * rowBytes + (col / group) * groupBytes, col % group));
}

at::Tensor PackedMatrix::dequantize() const
{
    return dequantizeRows(0, rows);
}

at::Tensor PackedMatrix::dequantizeRows(std::int64_t begin, std::int64_t end) const
{
    at::Tensor out = at::empty({ end - begin, cols }, at::kFloat);
    float *o = out.data_ptr<float>();
    for (std::int64_t r = begin; r < end; ++r) {
        const std::uint8_t *row = codes.data() + r * rowBytes;
        for (std::int64_t g = 0; g < groupsPerRow; ++g) {
            const float scale = scales[std::size_t(r * groupsPerRow + g)];
            const float zero = float(zeros[std::size_t(r * groupsPerRow + g)]);
            const std::int64_t n = std::min(group, cols - g * group);
            const std::uint8_t *codesOfGroup = row + g * groupBytes;
            for (std::int64_t j = 0; j < n; ++j) {
                const int u = groupCode(*this, codesOfGroup, j);
                // (u - zero) is exact in float; one multiply, as fakeQuantizeRtn does.
                *o++ = codebook.empty() ? (float(u) - zero) * scale : codebook[std::size_t(u)] * scale;
            }
        }
    }
    return out;
}

PackedMatrix packCodes(const WeightFormat &format, std::int64_t rows, std::int64_t cols,
    const at::Tensor &codesIn, const at::Tensor &scalesIn, const at::Tensor &zerosIn)
{
    PackedMatrix m;
    m.format = format;
    m.rows = rows;
    m.cols = cols;
    m.group = format.groupSize == 0 ? cols : std::min<std::int64_t>(format.groupSize, cols);
    m.groupsPerRow = (cols + m.group - 1) / m.group;
    m.groupStride = (m.group + 7) / 8 * 8;
    m.containerBits = containerFor(format.bits);
    m.groupBytes = m.groupStride * m.containerBits / 8;
    m.rowBytes = m.groupsPerRow * m.groupBytes;
    const bool codebook = format.scheme != WeightScheme::Integer;
    if (codebook)
        m.codebook = codebookValues(format);

    const std::int64_t groups = rows * m.groupsPerRow;
    if (codesIn.numel() != groups * m.group || scalesIn.numel() != groups
        || (!codebook && zerosIn.numel() != groups))
        throw InvalidArgument("packing " + format.name() + " codes: expected "
            + std::to_string(rows) + " x " + std::to_string(m.groupsPerRow) + " groups of "
            + std::to_string(m.group) + " codes with one scale each");
    const at::Tensor codes = codesIn.to(at::kByte).contiguous();
    const at::Tensor scales = scalesIn.to(at::kFloat).contiguous();
    const std::uint8_t *u = codes.data_ptr<std::uint8_t>();
    m.scales.assign(scales.data_ptr<float>(), scales.data_ptr<float>() + groups);
    // Codebook formats pad with the code of 0.0 (NF4's 7, E4M3's 0); integer ones with the zero.
    std::uint8_t codebookZero = 0;
    if (codebook)
        codebookZero = std::uint8_t(std::find(m.codebook.begin(), m.codebook.end(), 0.0f)
            - m.codebook.begin());
    if (codebook) {
        m.zeros.assign(std::size_t(groups), codebookZero);
    } else {
        const at::Tensor zeros = zerosIn.to(at::kByte).contiguous();
        const std::uint8_t *z = zeros.data_ptr<std::uint8_t>();
        m.zeros.assign(z, z + groups);
    }
    const int maxCode = (1 << format.bits) - 1;
    m.codes.assign(std::size_t(m.rows * m.rowBytes), 0);
    for (std::int64_t r = 0; r < m.rows; ++r)
        for (std::int64_t g = 0; g < m.groupsPerRow; ++g) {
            const std::uint8_t zero = m.zeros[std::size_t(r * m.groupsPerRow + g)];
            const std::int64_t n = std::min(m.group, cols - g * m.group);
            for (std::int64_t j = 0; j < m.groupStride; ++j) {
                // Past the group's columns (ragged last group, padding to a multiple of 8):
                // the code that decodes to 0.
                const std::uint8_t v = j < n ? u[(r * m.groupsPerRow + g) * m.group + j] : zero;
                if (v > maxCode)
                    throw InvalidArgument("packing " + format.name() + " codes: code "
                        + std::to_string(v) + " does not fit in " + std::to_string(format.bits)
                        + " bits");
                setGroupCode(m, m.codes.data() + r * m.rowBytes + g * m.groupBytes, j, v);
            }
        }
    return m;
}

PackedMatrix packRtn(const at::Tensor &weight, const WeightFormat &format)
{
    const RtnCodes q = rtnCodes(weight, format);
    return packCodes(format, weight.size(0), weight.size(1), q.codes, q.scales, q.zeros);
}

PackedMatrix packWeight(const at::Tensor &weight, const WeightFormat &format)
{
    return format.scheme == WeightScheme::Integer ? packRtn(weight, format)
                                                  : packCodebook(weight, format);
}

at::Tensor fakeQuantize(const at::Tensor &weight, const WeightFormat &format)
{
    if (format.scheme == WeightScheme::Integer)
        return fakeQuantizeRtn(weight, format);
    return packCodebook(weight, format).dequantize();
}

} // namespace lathe
