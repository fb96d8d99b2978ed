// SPDX-License-Identifier: GPL-3.0-or-later
// A plain description of a model on disk (container, config, tensors, totals, a short
// "model card"), for the CLI `info` command and the GUI. No libtorch types.
#pragma once

#include "io/modelconfig.h"
#include "util/progress.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lathe {

struct TensorRow {
    std::string name;
    std::vector<std::int64_t> shape;
    std::string dtype;
    std::int64_t parameters = 0;
    std::uint64_t bytes = 0;
};

struct ModelSummary {
    std::string path;
    std::string format;      // "Hugging Face safetensors folder (2 shards)", "GGUF v3", ...
    bool hasConfig = false;  // a config was found (config.json, or GGUF metadata)
    std::string configError; // why the config could not be read; empty when fine
    std::optional<ModelConfig> config;
    std::string architecture; // "llama", ..., or "unknown"
    std::int64_t parameters = 0; // aliased (tied) tensors counted once
    std::uint64_t bytes = 0;
    std::map<std::string, std::int64_t> parametersByDtype;
    std::vector<TensorRow> tensors; // natural order: layers.2 before layers.10
    // Ordered key/value lines for a model card (Architecture, Parameters, Layers, ...).
    std::vector<std::pair<std::string, std::string>> card;
};

// Opens the checkpoint at `path` (see Checkpoint::open) and describes it. Throws what
// Checkpoint::open throws; a missing or unreadable config is reported in the summary.
ModelSummary summarizeModel(const std::string &path, const ProgressFn &progress = {},
                            const CancelToken &cancel = {});

// "812 B", "2.6 MB", "4.37 GB" (decimal units).
std::string formatBytes(std::uint64_t bytes);
// "512", "656.0 K", "135.1 M", "1.10 B".
std::string formatCount(std::int64_t count);
// Ordering for tensor names that compares digit runs as numbers.
bool naturalLess(const std::string &a, const std::string &b);

} // namespace lathe
