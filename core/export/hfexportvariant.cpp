// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/hfexportvariant.h"

#include "io/checkpoint.h"
#include "io/safetensorswriter.h"
#include "model/model.h"
#include "model/modelspec.h"
#include "quant/packedmatrix.h"
#include "util/atomicfile.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace lathe {

namespace {

using Json = nlohmann::ordered_json;

// Files a Hugging Face folder keeps its tokenizer and chat template in.
const char *const kTokenizerFiles[] = { "tokenizer.json", "tokenizer_config.json",
    "special_tokens_map.json", "tokenizer.model", "chat_template.jinja" };

std::string quoted(const fs::path &p) { return "'" + p.string() + "'"; }

fs::path normalized(const fs::path &p)
{
    std::error_code ec;
    fs::path out = fs::weakly_canonical(fs::absolute(p), ec);
    return ec ? fs::absolute(p).lexically_normal() : out;
}

// True when `inner` is `outer` or lies below it.
bool isWithin(const fs::path &inner, const fs::path &outer)
{
    auto o = outer.begin();
    auto i = inner.begin();
    for (; o != outer.end(); ++o, ++i) {
        if (o->empty())
            continue; // trailing separator
        if (i == inner.end() || *i != *o)
            return false;
    }
    return true;
}

std::string architectureClass(Architecture arch)
{
    switch (arch) {
    case Architecture::Llama:
        return "LlamaForCausalLM";
    case Architecture::Mistral:
        return "MistralForCausalLM";
    case Architecture::Qwen2:
        return "Qwen2ForCausalLM";
    case Architecture::Qwen3:
        return "Qwen3ForCausalLM";
    case Architecture::Gpt2:
        return "GPT2LMHeadModel";
    }
    return "LlamaForCausalLM";
}

std::string torchDtype(DType dtype)
{
    return dtype == DType::BF16 ? "bfloat16" : dtype == DType::F16 ? "float16" : "float32";
}

Json idList(const std::vector<std::int64_t> &ids)
{
    if (ids.size() == 1)
        return ids.front();
    return Json(ids);
}

// config.json: the source's own (every field it had, e.g. rope scaling details), with the
// fields an export changes; generated from the config when the source had none (GGUF).
Json configJson(const Model &model, const fs::path &sourceFolder, DType dtype, bool tied)
{
    const ModelConfig &c = model.config();
    const fs::path source = sourceFolder / "config.json";
    std::error_code ec;
    Json j;
    if (!sourceFolder.empty() && fs::is_regular_file(source, ec)) {
        std::ifstream in(source);
        j = Json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            throw FormatError(quoted(source) + " is not a JSON object");
        j.erase("quantization_config");
        // The shape fields come from the model: structured pruning changes them.
        j["hidden_size"] = c.hiddenSize;
        j["intermediate_size"] = c.intermediateSize;
        j["num_hidden_layers"] = c.numLayers;
        j["num_attention_heads"] = c.numHeads;
        j["num_key_value_heads"] = c.numKvHeads;
        if (j.contains("head_dim") || c.headDim * c.numHeads != c.hiddenSize)
            j["head_dim"] = c.headDim;
        if (c.slidingWindow > 0 && j.contains("max_window_layers"))
            j["max_window_layers"] = c.slidingWindowFromLayer;
    } else {
        j["architectures"] = { architectureClass(c.arch) };
        j["model_type"] = c.modelType.empty() ? architectureName(c.arch) : c.modelType;
        j["hidden_size"] = c.hiddenSize;
        j["intermediate_size"] = c.intermediateSize;
        j["num_hidden_layers"] = c.numLayers;
        j["num_attention_heads"] = c.numHeads;
        j["num_key_value_heads"] = c.numKvHeads;
        j["head_dim"] = c.headDim;
        j["max_position_embeddings"] = c.maxPositions;
        j["vocab_size"] = c.vocabSize;
        j["rms_norm_eps"] = c.normEps;
        j["rope_theta"] = c.ropeTheta;
        if (c.ropeScaling.type.empty()) {
            j["rope_scaling"] = nullptr;
        } else {
            Json r;
            r["rope_type"] = c.ropeScaling.type;
            r["factor"] = c.ropeScaling.factor;
            if (c.ropeScaling.type == "llama3") {
                r["low_freq_factor"] = c.ropeScaling.lowFreqFactor;
                r["high_freq_factor"] = c.ropeScaling.highFreqFactor;
                r["original_max_position_embeddings"] = c.ropeScaling.originalMaxPositions;
            }
            j["rope_scaling"] = r;
        }
        j["hidden_act"] = c.hiddenAct;
        j["attention_bias"] = c.attentionBias;
        j["mlp_bias"] = c.mlpBias;
        if (c.slidingWindow > 0) {
            j["sliding_window"] = c.slidingWindow;
            if (c.arch != Architecture::Mistral) {
                j["use_sliding_window"] = true;
                j["max_window_layers"] = c.slidingWindowFromLayer;
            }
        }
        if (!c.bosTokenIds.empty())
            j["bos_token_id"] = idList(c.bosTokenIds);
        if (!c.eosTokenIds.empty())
            j["eos_token_id"] = idList(c.eosTokenIds);
        j["use_cache"] = true;
    }
    j["tie_word_embeddings"] = tied;
    j["torch_dtype"] = torchDtype(dtype);
    return j;
}

Json generationJson(const Model &model, const fs::path &sourceFolder)
{
    const fs::path source = sourceFolder / "generation_config.json";
    std::error_code ec;
    if (!sourceFolder.empty() && fs::is_regular_file(source, ec)) {
        std::ifstream in(source);
        Json j = Json::parse(in, nullptr, false);
        if (!j.is_discarded() && j.is_object())
            return j;
    }
    const ModelConfig &c = model.config();
    const GenerationDefaults &g = c.generation;
    Json j = Json::object(); // "{}" when there is nothing to say, never "null"
    if (!c.bosTokenIds.empty())
        j["bos_token_id"] = idList(c.bosTokenIds);
    if (!c.eosTokenIds.empty())
        j["eos_token_id"] = idList(c.eosTokenIds);
    if (g.doSample)
        j["do_sample"] = *g.doSample;
    if (g.temperature)
        j["temperature"] = *g.temperature;
    if (g.topK)
        j["top_k"] = *g.topK;
    if (g.topP)
        j["top_p"] = *g.topP;
    if (g.minP)
        j["min_p"] = *g.minP;
    if (g.repetitionPenalty)
        j["repetition_penalty"] = *g.repetitionPenalty;
    if (g.maxNewTokens)
        j["max_new_tokens"] = *g.maxNewTokens;
    return j;
}

// The dtype the source stored its weights in (the most common float dtype), F32 when unknown.
DType sourceDtype(const Model &model)
{
    const auto ckpt = model.checkpoint();
    if (!ckpt)
        return DType::F32;
    std::map<DType, std::size_t> bytes;
    for (const TensorView &t : ckpt->tensors())
        if (t.dtype == DType::F32 || t.dtype == DType::F16 || t.dtype == DType::BF16)
            bytes[t.dtype] += t.nbytes;
    DType best = DType::F32;
    std::size_t most = 0;
    for (const auto &[dtype, n] : bytes)
        if (n > most) {
            most = n;
            best = dtype;
        }
    return best;
}

at::ScalarType scalarType(DType dtype)
{
    return dtype == DType::BF16 ? at::kBFloat16 : dtype == DType::F16 ? at::kHalf : at::kFloat;
}

// The tensors to write, f32, by HF name; `tied` says whether the head is the embedding.
std::vector<std::pair<std::string, at::Tensor>> exportTensors(const Model &model, bool tied)
{
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const TensorSpec &spec : tensorSpecs(model.config())) {
        if (spec.name == "lm_head.weight" && tied)
            continue;
        if (const auto packed = model.findPacked(spec.name)) {
            out.emplace_back(spec.name, packed->dequantize());
        } else if (const at::Tensor *t = model.findWeight(spec.name)) {
            out.emplace_back(spec.name, *t);
        } else if (!spec.optional) {
            throw InvalidArgument("the model has no tensor '" + spec.name + "' to export");
        }
    }
    return out;
}

std::string readmeText(const Model &model, DType dtype)
{
    std::ostringstream s;
    s << "# Exported by Lathe\n\n";
    const std::string source = model.path().empty() ? std::string("a model built in memory")
                                                    : "`" + model.path() + "`";
    s << "Weights of " << source << " as a Hugging Face folder (" << torchDtype(dtype)
      << ").\n";
    if (!model.packedWeights().empty()) {
        std::map<std::string, int> formats;
        for (const auto &[name, p] : model.packedWeights())
            ++formats[p->format.name()];
        s << "\nThis is a compressed variant: " << model.packedWeights().size()
          << " linear weights were quantized (";
        bool first = true;
        for (const auto &[name, count] : formats) {
            s << (first ? "" : ", ") << count << " x " << name;
            first = false;
        }
        s << ") and are stored here dequantized, so any tool that reads Hugging Face "
             "checkpoints runs them with exactly the quantized values.\n";
    }
    if (!model.int8Activations().empty())
        s << "\n**Note:** this variant was made with SmoothQuant (W8A8): its " << model.int8Activations().size()
          << " quantized modules also round their input activations to int8 per token. A "
             "plain Hugging Face folder cannot express that, so this folder holds the smoothed "
             "weights (int8 values, scales folded into the norms) and runs the activations in "
             "full precision; its outputs differ slightly from the variant Lathe evaluated.\n";
    return s.str();
}

void writeText(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
        throw IoError("cannot write " + quoted(path));
}

void writeFolder(const Model &model, const fs::path &dir, const fs::path &sourceFolder,
    bool copyTokenizer, const HfExportOptions &options, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const bool tied = model.lmHeadTied();
    std::vector<std::pair<std::string, at::Tensor>> tensors = exportTensors(model, tied);

    DType dtype = DType::F32;
    if (options.dtype == "f32") {
        dtype = DType::F32;
    } else if (options.dtype == "bf16") {
        dtype = DType::BF16;
    } else if (options.dtype == "f16") {
        dtype = DType::F16;
    } else if (options.dtype == "source") {
        dtype = sourceDtype(model);
        if (dtype != DType::F32) {
            // Quantized values (a scale times a small integer) rarely fit a 16-bit float.
            for (const auto &[name, t] : tensors)
                if (!at::equal(t.to(scalarType(dtype)).to(at::kFloat), t)) {
                    spdlog::warn("export: '{}' is not exactly representable in {}; writing f32",
                        name, dtypeName(dtype));
                    dtype = DType::F32;
                    break;
                }
        }
    } else {
        throw InvalidArgument("export dtype '" + options.dtype
            + "' is not one of: source, f32, bf16, f16");
    }

    SafetensorsWriter writer;
    writer.setMetadata("format", "pt");
    writer.setMetadata("exported_by", "lathe");
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        cancel.throwIfCancelled();
        const auto &[name, tensor] = tensors[i];
        reportProgress(progress, 0.9 * double(i) / double(tensors.size()), "writing " + name);
        const at::Tensor t = tensor.to(scalarType(dtype)).contiguous();
        std::vector<std::int64_t> shape(t.sizes().begin(), t.sizes().end());
        const auto *p = static_cast<const std::uint8_t *>(t.data_ptr());
        const std::size_t n = std::size_t(t.numel()) * std::size_t(t.element_size());
        writer.addTensor(name, dtype, shape, std::vector<std::uint8_t>(p, p + n));
    }
    cancel.throwIfCancelled();
    reportProgress(progress, 0.9, "writing model.safetensors");
    writer.write((dir / "model.safetensors").string());

    writeText(dir / "config.json", configJson(model, sourceFolder, dtype, tied).dump(2) + "\n");
    writeText(dir / "generation_config.json", generationJson(model, sourceFolder).dump(2) + "\n");
    if (copyTokenizer) {
        for (const char *file : kTokenizerFiles) {
            std::error_code ec;
            const fs::path from = sourceFolder / file;
            if (fs::is_regular_file(from, ec)) {
                fs::copy_file(from, dir / file, fs::copy_options::overwrite_existing, ec);
                if (ec)
                    throw IoError("cannot copy " + quoted(from) + ": " + ec.message());
            }
        }
    }
    writeText(dir / "README.md", readmeText(model, dtype));
    for (const auto &[name, contents] : options.extraFiles) {
        if (name.empty() || fs::path(name).filename() != fs::path(name))
            throw InvalidArgument("extra export file '" + name + "' must be a plain file name");
        writeText(dir / name, contents);
    }
}

fs::path siblingName(const fs::path &target, const std::string &tag)
{
    static std::atomic<int> counter { 0 };
    return target.parent_path()
        / ("." + target.filename().string() + "." + tag + "-" + std::to_string(::getpid()) + "-"
            + std::to_string(counter++));
}

} // namespace

void exportHfFolder(const Model &model, const std::string &outDir, const HfExportOptions &options,
    const ProgressFn &progress, const CancelToken &cancel)
{
    if (model.config().arch == Architecture::Gpt2)
        throw UnsupportedError("exporting GPT-2 models is not supported yet");
    if (outDir.empty())
        throw InvalidArgument("the export needs a target folder");
    const fs::path target = normalized(outDir);
    if (target.filename().empty() || target == target.root_path())
        throw InvalidArgument("cannot export into " + quoted(target));

    const auto ckpt = model.checkpoint();
    fs::path sourceFolder;
    if (ckpt)
        sourceFolder = normalized(ckpt->folder());
    if (!sourceFolder.empty() && isWithin(sourceFolder, target))
        throw InvalidArgument("refusing to export into " + quoted(target)
            + ": it is (or holds) the source model's folder " + quoted(sourceFolder));
    std::error_code ec;
    const bool exists = fs::exists(target, ec);
    if (exists && !options.overwrite)
        throw InvalidArgument(quoted(target) + " already exists; choose a new folder or allow "
                                               "overwriting it");
    if (exists && !fs::is_directory(target, ec))
        throw InvalidArgument(quoted(target) + " exists and is not a folder");

    fs::create_directories(target.parent_path(), ec);
    if (ec)
        throw IoError("cannot create " + quoted(target.parent_path()) + ": " + ec.message());
    const fs::path temp = siblingName(target, "lathe-export");
    if (!fs::create_directory(temp, ec) || ec)
        throw IoError("cannot create " + quoted(temp) + ": "
            + (ec ? ec.message() : std::string("it exists")));

    const bool copyTokenizer = ckpt && ckpt->format() != CheckpointFormat::Gguf;
    if (ckpt && !copyTokenizer)
        spdlog::warn("export: the tokenizer of '{}' lives in the GGUF file and is not copied",
            model.path());
    if (!model.int8Activations().empty())
        spdlog::warn("export: {} modules quantize their activations to int8 (SmoothQuant); a "
                     "Hugging Face folder cannot express that, so the smoothed weights are "
                     "written and the activations stay f32 (see README.md)",
            model.int8Activations().size());
    try {
        writeFolder(model, temp, sourceFolder, copyTokenizer, options, progress, cancel);
        if (exists) {
            const fs::path old = siblingName(target, "lathe-old");
            fs::rename(target, old);
            try {
                fs::rename(temp, target);
            } catch (...) {
                fs::rename(old, target, ec);
                throw;
            }
            fs::remove_all(old, ec);
        } else {
            fs::rename(temp, target);
        }
    } catch (const fs::filesystem_error &e) {
        fs::remove_all(temp, ec);
        throw IoError("cannot write " + quoted(target) + ": " + e.code().message());
    } catch (...) {
        fs::remove_all(temp, ec);
        throw;
    }
    reportProgress(progress, 1.0, "exported " + target.string());
}

} // namespace lathe
