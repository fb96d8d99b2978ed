// SPDX-License-Identifier: GPL-3.0-or-later
// The decode kernel for packed weights: y = W x straight from the codes and scales of a
// PackedMatrix, never materializing W in f32. Per group, sum_j (u_j - zero) x_j is formed with
// 8-wide vectors (codes widened and the zero taken off in integer registers) and added times
// the group's scale. Threaded over rows on the engine's pool; AVX2 and a baseline copy are
// chosen at load time.
#pragma once

#include "quant/packedmatrix.h"

namespace lathe {

// y[matrix.rows] = dequantize(matrix) x[matrix.cols].
void packedMatvec(const PackedMatrix &matrix, const float *x, float *y);

} // namespace lathe
