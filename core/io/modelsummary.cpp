// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/modelsummary.h"

#include "io/checkpoint.h"
#include "io/gguf.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lathe {

namespace {

namespace fs = std::filesystem;

std::string formatScaled(double value, const char *unit, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f %s", decimals, value, unit);
    return buf;
}

// model_type from a config.json that parseHfConfig rejected, so the summary can still say
// what the model is ("phi3") even though Lathe cannot run it.
std::string rawModelType(const fs::path &configPath)
{
    std::ifstream in(configPath, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    const auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_object()) {
        auto it = j.find("model_type");
        if (it != j.end() && it->is_string())
            return it->get<std::string>();
    }
    return {};
}

std::string formatDescription(const Checkpoint &ckpt)
{
    switch (ckpt.format()) {
    case CheckpointFormat::SafetensorsFolder: {
        const auto shards = ckpt.files().size();
        return "Hugging Face safetensors folder"
               + (shards > 1 ? " (" + std::to_string(shards) + " shards)" : std::string());
    }
    case CheckpointFormat::SafetensorsFile:
        return "safetensors file";
    case CheckpointFormat::Gguf:
        return "GGUF v" + std::to_string(ckpt.gguf() ? ckpt.gguf()->version() : 0);
    }
    return "unknown";
}

// "F32", or "BF16 (98.1%), F32 (1.9%)" for mixed checkpoints, largest share first.
std::string dtypeMix(const std::map<std::string, std::int64_t> &byDtype, std::int64_t total)
{
    std::vector<std::pair<std::string, std::int64_t>> v(byDtype.begin(), byDtype.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
    if (v.size() == 1)
        return v.front().first;
    std::string s;
    for (const auto &[name, count] : v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, " (%.1f%%)",
                      total > 0 ? 100.0 * static_cast<double>(count) / static_cast<double>(total)
                                : 0.0);
        s += (s.empty() ? "" : ", ") + name + buf;
    }
    return s;
}

} // namespace

std::string formatBytes(std::uint64_t bytes)
{
    const double b = static_cast<double>(bytes);
    if (bytes < 1000)
        return std::to_string(bytes) + " B";
    if (b < 1e6)
        return formatScaled(b / 1e3, "KB", 1);
    if (b < 1e9)
        return formatScaled(b / 1e6, "MB", 1);
    if (b < 1e12)
        return formatScaled(b / 1e9, "GB", 2);
    return formatScaled(b / 1e12, "TB", 2);
}

std::string formatCount(std::int64_t count)
{
    const double c = static_cast<double>(count);
    if (count < 1000)
        return std::to_string(count);
    if (c < 1e6)
        return formatScaled(c / 1e3, "K", 1);
    if (c < 1e9)
        return formatScaled(c / 1e6, "M", 1);
    if (c < 1e12)
        return formatScaled(c / 1e9, "B", 2);
    return formatScaled(c / 1e12, "T", 2);
}

bool naturalLess(const std::string &a, const std::string &b)
{
    std::size_t i = 0, j = 0;
    auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            // Compare the digit runs as numbers: skip leading zeros, then longer is larger.
            std::size_t ie = i, je = j;
            while (ie < a.size() && digit(a[ie]))
                ++ie;
            while (je < b.size() && digit(b[je]))
                ++je;
            std::size_t is = i, js = j;
            while (is + 1 < ie && a[is] == '0')
                ++is;
            while (js + 1 < je && b[js] == '0')
                ++js;
            if (ie - is != je - js)
                return ie - is < je - js;
            if (int c = a.compare(is, ie - is, b, js, je - js); c != 0)
                return c < 0;
            i = ie;
            j = je;
        } else {
            if (a[i] != b[j])
                return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
            ++i;
            ++j;
        }
    }
    if (a.size() - i != b.size() - j)
        return a.size() - i < b.size() - j;
    return a < b; // equal up to leading zeros: fall back to plain order
}

ModelSummary summarizeModel(const std::string &path, const ProgressFn &progress,
                            const CancelToken &cancel)
{
    reportProgress(progress, 0.0, "opening " + path);
    const auto ckpt = Checkpoint::open(path);
    cancel.throwIfCancelled();
    reportProgress(progress, 0.5, "reading the configuration");

    ModelSummary s;
    s.path = path;
    s.format = formatDescription(*ckpt);
    s.architecture = "unknown";
    if (ckpt->format() == CheckpointFormat::Gguf) {
        s.hasConfig = true;
        try {
            s.config = configFromGguf(*ckpt->gguf());
        } catch (const Error &e) {
            s.configError = e.what();
            if (auto arch = ckpt->gguf()->getString("general.architecture"))
                s.architecture = *arch;
        }
    } else {
        const fs::path configPath = fs::path(ckpt->folder()) / "config.json";
        std::error_code ec;
        s.hasConfig = fs::is_regular_file(configPath, ec);
        if (s.hasConfig) {
            try {
                s.config = loadHfConfig(ckpt->folder());
            } catch (const Error &e) {
                s.configError = e.what();
                if (auto type = rawModelType(configPath); !type.empty())
                    s.architecture = type;
            }
        }
    }
    if (s.config)
        s.architecture = architectureName(s.config->arch);
    cancel.throwIfCancelled();

    for (const auto &t : ckpt->tensors()) {
        TensorRow row{t.name, t.shape, dtypeName(t.dtype), t.numel(), t.nbytes};
        s.parameters += row.parameters;
        s.bytes += row.bytes;
        s.parametersByDtype[row.dtype] += row.parameters;
        s.tensors.push_back(std::move(row));
    }
    std::sort(s.tensors.begin(), s.tensors.end(),
              [](const TensorRow &a, const TensorRow &b) { return naturalLess(a.name, b.name); });

    auto &card = s.card;
    card.emplace_back("Architecture", s.architecture);
    card.emplace_back("Parameters", formatCount(s.parameters));
    if (s.config) {
        const auto &c = *s.config;
        card.emplace_back("Layers", std::to_string(c.numLayers));
        card.emplace_back("Hidden size", std::to_string(c.hiddenSize));
        card.emplace_back("Heads (q / kv)",
                          std::to_string(c.numHeads) + " / " + std::to_string(c.numKvHeads));
        card.emplace_back("FFN size", std::to_string(c.intermediateSize));
        card.emplace_back("Vocabulary", std::to_string(c.vocabSize));
        card.emplace_back("Context", std::to_string(c.maxPositions));
    }
    card.emplace_back("Data types", s.parametersByDtype.empty()
                                        ? std::string("none")
                                        : dtypeMix(s.parametersByDtype, s.parameters));
    card.emplace_back("Size", formatBytes(s.bytes));
    card.emplace_back("Format", s.format);
    card.emplace_back("Path", path);
    reportProgress(progress, 1.0, "done");
    return s;
}

} // namespace lathe
