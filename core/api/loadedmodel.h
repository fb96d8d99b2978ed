// SPDX-License-Identifier: GPL-3.0-or-later
// LoadedModel: the GUI's handle on an opened model, in plain types only (no libtorch, no Qt):
// what the model is (ModelSummary: card, tensors, totals) and whether the engine can run it.
// The engine's objects stay behind a pimpl so widget code never sees a libtorch header.
#pragma once

#include "api/variantinfo.h"
#include "io/modelsummary.h"
#include "util/progress.h"

#include <memory>
#include <string>

namespace lathe
{

class Model;

class LoadedModel
{
public:
    // Describes the model at `path` (HF folder, .safetensors or .gguf) and, when it has a usable
    // config, loads its weights into the engine. Throws lathe::Error naming the file when the
    // checkpoint cannot be read, CancelledError when `cancel` is set. A model whose tensors can
    // be read but which the engine cannot run (no config, unsupported architecture, a missing
    // tensor) still loads: runnable() is false and notRunnableReason() says why, so the user
    // can inspect it anyway.
    static std::shared_ptr<LoadedModel> load(
        const std::string &path, const ProgressFn &progress = {}, const CancelToken &cancel = {});
    // A compressed variant of `base` (engine model `variant`, which shares base's tensors): the
    // summary is base's with the size totals of the variant; displayName() is info.name.
    static std::shared_ptr<LoadedModel> fromVariant(const LoadedModel &base,
        std::shared_ptr<const Model> variant, VariantInfo info);
    ~LoadedModel();
    LoadedModel(const LoadedModel &) = delete;
    LoadedModel &operator=(const LoadedModel &) = delete;

    const std::string &path() const;
    // The name users know the model by: its folder or file name.
    std::string displayName() const;
    const ModelSummary &summary() const;
    // True when a config is present and the engine loaded the weights.
    bool runnable() const;
    // Empty when runnable(); otherwise a sentence for the user.
    const std::string &notRunnableReason() const;
    // Engine model for core code (generation, evaluation); nullptr unless runnable().
    std::shared_ptr<const Model> model() const;
    // Set for variants made by fromVariant(); nullptr for a model opened from disk.
    const VariantInfo *variantInfo() const;

private:
    LoadedModel();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace lathe
