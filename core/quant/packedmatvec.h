// SPDX-License-Identifier: GPL-3.0-or-later
// The decode kernel for packed weights: y = W x straight from the codes and scales of a
// PackedMatrix, never materializing W in f32. Codes are widened in vector registers, the zero
// point taken off in integers (or, for NF4/FP8, the code looked up in the codebook with a
// register permute), and multiplied with x in f32 group by group; each group's
// dot product is added times its scale. Several rows are processed together so x is loaded
// once for all of them. Decode is memory-bound for f32 weights, so reading 2-8 bit codes
// instead of 32-bit floats is what makes a compressed model decode faster. Threaded over rows
// on the engine's pool; an AVX-512, an AVX2 and a portable path are chosen at run time.
#pragma once

#include "quant/packedmatrix.h"

#include <string>

namespace lathe {

enum class PackedMatvecPath { Auto, Scalar, Avx2, Avx512 };

// The path Auto resolves to on this CPU.
PackedMatvecPath packedMatvecBestPath();
// Whether this CPU (and build) can run `path`.
bool packedMatvecSupported(PackedMatvecPath path);
std::string packedMatvecPathName(PackedMatvecPath path);

// y[matrix.rows] = dequantize(matrix) x[matrix.cols], within float rounding (the sums run in
// another order). Throws UnsupportedError for a path this CPU cannot run.
void packedMatvec(const PackedMatrix &matrix, const float *x, float *y,
                  PackedMatvecPath path = PackedMatvecPath::Auto);

} // namespace lathe
