// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchpacked.h"

#include "benchspeed.h"
#include "clicommon.h"

#include "model/model.h"
#include "model/transformer.h"
#include "quant/packedmatrix.h"
#include "quant/packedmatvec.h"
#include "quant/rtn.h"

#include <chrono>
#include <map>
#include <string>

namespace lathe::cli {

nlohmann::ordered_json benchPackedVariant(const std::shared_ptr<Model> &base,
    const WeightFormat &format, const std::vector<std::int32_t> &prompt, std::int64_t gen,
    double f32DecodeTokensPerSecond, ProgressLine &progress)
{
    const std::string label = format.name();
    progress.update(0.0, label + ": packing");
    const auto start = std::chrono::steady_clock::now();
    std::map<std::string, std::shared_ptr<const PackedMatrix>> packed;
    std::size_t packedBytes = 0;
    std::int64_t packedWeights = 0;
    for (const auto &[name, w] : base->weights()) {
        // The decoder's linear layers; the embedding and the output head stay f32, as a
        // compression recipe leaves them by default.
        if (w.dim() != 2 || name.find("_proj.weight") == std::string::npos)
            continue;
        cancelToken().throwIfCancelled();
        auto matrix = std::make_shared<PackedMatrix>(packWeight(w, format));
        packedBytes += matrix->storageBytes();
        packedWeights += w.numel();
        packed[name] = std::move(matrix);
    }
    const auto variant = Model::withPackedWeights(base, std::move(packed));
    const double packSeconds = secondsSince(start);

    const Transformer transformer(variant);
    const SpeedResult speed = measureSpeed(transformer, prompt, gen, progress, label.c_str());
    nlohmann::ordered_json j;
    j["format"] = label;
    j["bits_per_weight"] =
        packedWeights > 0 ? double(packedBytes) * 8.0 / double(packedWeights) : 0.0;
    j["weight_bytes"] = variant->weightBytes();
    j["pack_seconds"] = packSeconds;
    j["kernel"] = packedMatvecPathName(packedMatvecBestPath());
    j["prefill_tokens_per_s"] = speed.prefillTokensPerSecond();
    j["decode_tokens_per_s"] = speed.decodeTokensPerSecond();
    j["decode_speedup"] = f32DecodeTokensPerSecond > 0
        ? speed.decodeTokensPerSecond() / f32DecodeTokensPerSecond
        : 0.0;
    return j;
}

} // namespace lathe::cli
