// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/tensorview.h"

#include "io/ggmlquants.h"
#include "util/error.h"
#include "util/halffloat.h"

#include <cstring>

namespace lathe {

void toFloat32(const TensorView &view, float *out)
{
    toFloat32Range(view, 0, view.numel(), out);
}

void toFloat32Range(const TensorView &view, std::int64_t first, std::int64_t count, float *out)
{
    const std::int64_t n = count;
    const std::int64_t block = dtypeBlockElements(view.dtype);
    if (first < 0 || count < 0 || first + count > view.numel() || first % block != 0
        || (count % block != 0 && first + count != view.numel()))
        throw InvalidArgument("tensor '" + view.name + "': element range " + std::to_string(first)
                              + "+" + std::to_string(count) + " is outside the tensor or not "
                              "on block boundaries");
    const std::uint8_t *src = view.data + first / block * std::int64_t(dtypeBlockBytes(view.dtype));
    switch (view.dtype) {
    case DType::F32:
        std::memcpy(out, src, static_cast<std::size_t>(n) * 4);
        return;
    case DType::F64:
        for (std::int64_t i = 0; i < n; ++i) {
            double d;
            std::memcpy(&d, src + i * 8, 8);
            out[i] = static_cast<float>(d);
        }
        return;
    case DType::F16:
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t h;
            std::memcpy(&h, src + i * 2, 2);
            out[i] = f16ToFloat(h);
        }
        return;
    case DType::BF16:
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t h;
            std::memcpy(&h, src + i * 2, 2);
            out[i] = bf16ToFloat(h);
        }
        return;
    default:
        break;
    }
    if (dtypeIsQuantized(view.dtype)) {
        dequantizeGgml(view.dtype, src, out, n);
        return;
    }
    throw UnsupportedError("tensor '" + view.name + "' has dtype " + dtypeName(view.dtype)
                           + ", which cannot be converted to f32");
}

std::vector<float> toFloat32(const TensorView &view)
{
    std::vector<float> out(static_cast<std::size_t>(view.numel()));
    toFloat32(view, out.data());
    return out;
}

} // namespace lathe
