// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli bench --packed`: a round-to-nearest variant (any format parseWeightFormat reads:
// int<bits>[-g<group>][-asym], nf4, fp8-e4m3, ...) of the benchmarked model with its
// linear weights packed (embeddings, norms and the output head shared with the original),
// timed on the same prompt right after the original.
#pragma once

#include "quant/weightformat.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace lathe {
class Model;
}

namespace lathe::cli {

class ProgressLine;

// JSON: format, bits_per_weight (packed matrices, scales included), weight_bytes (the
// variant's whole model), pack_seconds, kernel (the packed kernel's instruction-set path),
// prefill_tokens_per_s, decode_tokens_per_s, decode_speedup (over `f32DecodeTokensPerSecond`).
nlohmann::ordered_json benchPackedVariant(const std::shared_ptr<Model> &base,
    const WeightFormat &format, const std::vector<std::int32_t> &prompt, std::int64_t gen,
    double f32DecodeTokensPerSecond, ProgressLine &progress);

} // namespace lathe::cli
