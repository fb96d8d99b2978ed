// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/model.h"

#include "io/checkpoint.h"
#include "io/gguf.h"
#include "io/ggufnames.h"
#include "model/modelspec.h"
#include "quant/packedmatrix.h"
#include "util/error.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <set>

namespace lathe {

namespace fs = std::filesystem;

namespace {

std::string quoted(const std::string &s) { return "'" + s + "'"; }

std::string shapeText(const std::vector<std::int64_t> &shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::vector<std::int64_t> tensorShape(const at::Tensor &t)
{
    return std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end());
}

void checkShape(const std::string &name, const std::vector<std::int64_t> &actual,
                const std::vector<std::int64_t> &needed, const std::string &where)
{
    if (actual != needed)
        throw FormatError("tensor " + quoted(name) + " has shape " + shapeText(actual)
                          + " but the config needs " + shapeText(needed) + " (" + where + ")");
}

// The stored view of an HF-named tensor: safetensors by name or alias (GPT-2 checkpoints
// exist with and without the "transformer." prefix), GGUF through the llama.cpp name map.
class ViewLookup {
public:
    ViewLookup(const Checkpoint &ckpt, const ModelConfig &config) : m_ckpt(ckpt)
    {
        if (ckpt.format() != CheckpointFormat::Gguf)
            return;
        for (const TensorView &v : ckpt.tensors())
            if (auto mapped = mapGgufTensorName(v.name, config))
                m_gguf[mapped->hfName] = {&v, mapped->permuteHeads};
    }

    const TensorView *find(const std::string &hfName) const
    {
        if (m_ckpt.format() == CheckpointFormat::Gguf) {
            auto it = m_gguf.find(hfName);
            return it == m_gguf.end() ? nullptr : it->second.view;
        }
        if (const TensorView *v = m_ckpt.find(hfName))
            return v;
        const std::string prefix = "transformer.";
        if (hfName.rfind(prefix, 0) == 0)
            return m_ckpt.find(hfName.substr(prefix.size()));
        return nullptr;
    }

    // Heads over which llama.cpp permuted this tensor's rows (0: not permuted).
    std::int64_t permuteHeads(const std::string &hfName) const
    {
        auto it = m_gguf.find(hfName);
        return it == m_gguf.end() ? 0 : it->second.permuteHeads;
    }

private:
    struct GgufEntry {
        const TensorView *view = nullptr;
        std::int64_t permuteHeads = 0;
    };
    const Checkpoint &m_ckpt;
    std::map<std::string, GgufEntry> m_gguf;
};

// f32 data aligned for floats stays a view of the mapping (the deleter keeps the checkpoint
// alive); anything else is converted once. Views are never written to: the mapping is
// read-only and weights are shared with variants.
at::Tensor tensorFromView(const TensorView &view, const std::shared_ptr<const Checkpoint> &ckpt)
{
    const std::vector<std::int64_t> &shape = view.shape;
    const bool aligned = reinterpret_cast<std::uintptr_t>(view.data) % alignof(float) == 0;
    if (view.dtype == DType::F32 && aligned) {
        void *data = const_cast<std::uint8_t *>(view.data);
        return at::from_blob(
            data, shape, [ckpt](void *) {}, at::TensorOptions().dtype(at::kFloat));
    }
    at::Tensor t = at::empty(shape, at::kFloat);
    toFloat32(view, t.data_ptr<float>());
    return t;
}

// GGUF files from llama.cpp's converters store q/k rows permuted for its rope layout.
// `t` may be a view of the read-only mapping, so the result is always a fresh tensor.
at::Tensor unpermuted(const at::Tensor &t, std::int64_t heads)
{
    const at::Tensor src = t.contiguous();
    at::Tensor out = at::empty_like(src);
    const std::int64_t rows = src.size(0);
    const std::int64_t cols = src.dim() == 2 ? src.size(1) : 1;
    unpermuteQkRows(src.data_ptr<float>(), out.data_ptr<float>(), rows, cols, heads);
    return out;
}

void addTied(std::map<std::string, at::Tensor> &weights, const ModelConfig &c)
{
    const std::string embed = embeddingName(c);
    if (c.tieWordEmbeddings || !weights.count("lm_head.weight"))
        weights["lm_head.weight"] = weights.at(embed);
}

} // namespace

std::shared_ptr<Model> Model::load(const std::string &path, const ProgressFn &progress,
                                   const CancelToken &cancel)
{
    std::shared_ptr<const Checkpoint> ckpt = Checkpoint::open(path);
    ModelConfig config;
    if (ckpt->format() == CheckpointFormat::Gguf) {
        config = configFromGguf(*ckpt->gguf());
        if (config.arch == Architecture::Gpt2)
            throw UnsupportedError("GPT-2 models in GGUF files are not supported yet ("
                                   + quoted(path) + "); load the Hugging Face folder instead");
    } else {
        std::error_code ec;
        if (!fs::is_regular_file(fs::path(ckpt->folder()) / "config.json", ec))
            throw FormatError("there is no config.json next to " + quoted(path)
                              + "; a config.json (the model's Hugging Face configuration) is "
                                "needed to run it");
        config = loadHfConfig(ckpt->folder());
    }
    normalizeConfig(config, path);

    auto model = std::shared_ptr<Model>(new Model);
    model->m_path = path;
    model->m_checkpoint = ckpt;

    const ViewLookup lookup(*ckpt, config);
    const std::vector<TensorSpec> specs = tensorSpecs(config);
    std::size_t done = 0;
    for (const TensorSpec &spec : specs) {
        cancel.throwIfCancelled();
        reportProgress(progress, static_cast<double>(done) / static_cast<double>(specs.size()),
                       "loading " + spec.name);
        ++done;
        const TensorView *view = lookup.find(spec.name);
        if (!view) {
            // A bias the config does not insist on, or a head tied to the embedding.
            if (spec.optional || spec.name == "lm_head.weight")
                continue;
            throw FormatError("tensor " + quoted(spec.name) + " is missing from " + quoted(path)
                              + " (a " + config.modelType + " model with "
                              + std::to_string(config.numLayers) + " layers needs it)");
        }
        checkShape(spec.name, view->shape, spec.shape, quoted(path));
        at::Tensor t = tensorFromView(*view, ckpt);
        if (const std::int64_t heads = lookup.permuteHeads(spec.name))
            t = unpermuted(t, heads);
        model->m_weights[spec.name] = t;
    }
    addTied(model->m_weights, config);
    model->m_config = std::move(config);
    reportProgress(progress, 1.0, "loaded " + std::to_string(specs.size()) + " tensors");
    return model;
}

std::shared_ptr<Model> Model::fromWeights(ModelConfig config,
                                          std::map<std::string, at::Tensor> weights,
                                          const std::shared_ptr<const Model> &source)
{
    normalizeConfig(config, "(in memory)");
    auto model = std::shared_ptr<Model>(new Model);
    if (source) {
        model->m_path = source->m_path;
        model->m_checkpoint = source->m_checkpoint;
    }
    for (const TensorSpec &spec : tensorSpecs(config)) {
        auto it = weights.find(spec.name);
        if (it == weights.end()) {
            if (spec.optional || spec.name == "lm_head.weight")
                continue;
            throw InvalidArgument("tensor " + quoted(spec.name) + " is missing from the weights "
                                  "given for a " + config.modelType + " model");
        }
        checkShape(spec.name, tensorShape(it->second), spec.shape, "weights given in memory");
        at::Tensor t = it->second;
        if (t.scalar_type() != at::kFloat || !t.is_contiguous())
            t = t.to(at::kFloat).contiguous();
        model->m_weights[spec.name] = t;
    }
    addTied(model->m_weights, config);
    model->m_config = std::move(config);
    return model;
}

std::shared_ptr<Model> Model::withPackedWeights(const std::shared_ptr<const Model> &base,
    std::map<std::string, std::shared_ptr<const PackedMatrix>> packed)
{
    VariantChanges changes;
    changes.packed = std::move(packed);
    return variant(base, std::move(changes));
}

std::shared_ptr<Model> Model::variant(const std::shared_ptr<const Model> &base,
    VariantChanges changes)
{
    if (!base)
        throw InvalidArgument("a compressed variant needs a base model");
    if (base->config().arch == Architecture::Gpt2)
        throw InvalidArgument("compressed variants are not supported for GPT-2 models yet");
    auto model = std::shared_ptr<Model>(new Model(*base));
    for (auto &[name, tensor] : changes.replaced) {
        const at::Tensor *old = base->findWeight(name);
        if (!old)
            throw InvalidArgument(quoted(name) + " is not a tensor of the base model");
        if (!tensor.defined() || tensor.scalar_type() != at::kFloat || !tensor.is_contiguous()
            || tensor.sizes() != old->sizes())
            throw InvalidArgument("the replacement for " + quoted(name)
                + " must be a contiguous f32 tensor of the base model's shape");
        model->m_weights[name] = tensor;
    }
    for (auto &[name, matrix] : changes.packed) {
        if (name == embeddingName(model->m_config))
            throw InvalidArgument("the embedding " + quoted(name)
                + " cannot be packed: the forward pass looks it up by row");
        const at::Tensor *f32 = base->findWeight(name);
        if (!f32 || f32->dim() != 2)
            throw InvalidArgument(quoted(name) + " is not a weight matrix of the base model");
        if (!matrix || matrix->rows != f32->size(0) || matrix->cols != f32->size(1))
            throw InvalidArgument("the packed " + quoted(name) + " does not have the base "
                + "model's shape [" + std::to_string(f32->size(0)) + ", "
                + std::to_string(f32->size(1)) + "]");
        model->m_weights.erase(name);
        model->m_packed[name] = std::move(matrix);
    }
    for (const std::string &name : changes.int8Activations) {
        if (!model->findWeight(name) && !model->findPacked(name))
            throw InvalidArgument(quoted(name) + " is not a weight matrix of the base model");
        model->m_int8Activations.insert(name);
    }
    return model;
}

std::shared_ptr<const PackedMatrix> Model::findPacked(const std::string &name) const
{
    auto it = m_packed.find(name);
    return it == m_packed.end() ? nullptr : it->second;
}

const at::Tensor &Model::weight(const std::string &name) const
{
    if (const at::Tensor *t = findWeight(name))
        return *t;
    throw InvalidArgument("the model has no tensor " + quoted(name));
}

const at::Tensor *Model::findWeight(const std::string &name) const
{
    auto it = m_weights.find(name);
    return it == m_weights.end() ? nullptr : &it->second;
}

std::int64_t Model::parameterCount() const
{
    std::set<const void *> seen;
    std::int64_t n = 0;
    for (const auto &[name, t] : m_weights)
        if (seen.insert(t.data_ptr()).second)
            n += t.numel();
    for (const auto &[name, p] : m_packed)
        n += p->rows * p->cols;
    return n;
}

std::size_t Model::weightBytes() const
{
    std::set<const void *> seen;
    std::size_t bytes = 0;
    for (const auto &[name, t] : m_weights)
        if (seen.insert(t.data_ptr()).second)
            bytes += static_cast<std::size_t>(t.numel()) * sizeof(float);
    for (const auto &[name, p] : m_packed)
        bytes += p->storageBytes();
    return bytes;
}

bool Model::lmHeadTied() const
{
    const at::Tensor *head = findWeight("lm_head.weight");
    const at::Tensor *embed = findWeight(embeddingName(m_config));
    return head && embed && head->data_ptr() == embed->data_ptr();
}

} // namespace lathe
