// SPDX-License-Identifier: GPL-3.0-or-later
#include "api/loadedmodel.h"

#include "model/model.h"
#include "util/error.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <optional>

namespace lathe
{

struct LoadedModel::Impl {
    ModelSummary summary;
    std::shared_ptr<const Model> model;
    std::string notRunnableReason;
    std::optional<VariantInfo> variant;
};

LoadedModel::LoadedModel()
    : m_impl(std::make_unique<Impl>())
{
}

LoadedModel::~LoadedModel() = default;

std::shared_ptr<LoadedModel> LoadedModel::load(
    const std::string &path, const ProgressFn &progress, const CancelToken &cancel)
{
    cancel.throwIfCancelled();
    std::shared_ptr<LoadedModel> loaded(new LoadedModel);
    Impl &d = *loaded->m_impl;

    // Reading the header and config is quick; loading engine weights is the long part, so the
    // summary gets the first 10 % of the progress bar.
    constexpr double kSummaryShare = 0.1;
    const ProgressFn summaryProgress
        = [&](double f, const std::string &m) { reportProgress(progress, f * kSummaryShare, m); };
    d.summary = summarizeModel(path, summaryProgress, cancel);
    cancel.throwIfCancelled();
    spdlog::info("opened {}: {} tensors, {} parameters, {}", path, d.summary.tensors.size(),
        formatCount(d.summary.parameters), formatBytes(d.summary.bytes));

    if (!d.summary.hasConfig) {
        d.notRunnableReason = "No config.json was found beside the weights, so Lathe can list "
                              "the tensors but cannot run the model.";
    } else if (!d.summary.config) {
        d.notRunnableReason = d.summary.configError.empty()
            ? std::string("The model's configuration could not be read.")
            : d.summary.configError;
    } else {
        const ProgressFn engineProgress = [&](double f, const std::string &m) {
            reportProgress(progress, kSummaryShare + f * (1.0 - kSummaryShare), m);
        };
        try {
            d.model = Model::load(path, engineProgress, cancel);
        } catch (const CancelledError &) {
            throw;
        } catch (const Error &e) {
            // The tensors are readable, so the model stays open for inspection.
            d.notRunnableReason = e.what();
        }
    }
    if (!d.notRunnableReason.empty())
        spdlog::warn("{} cannot run in Lathe: {}", path, d.notRunnableReason);
    reportProgress(progress, 1.0, "done");
    return loaded;
}

std::shared_ptr<LoadedModel> LoadedModel::fromVariant(
    const LoadedModel &base, std::shared_ptr<const Model> variant, VariantInfo info)
{
    if (!variant)
        throw InvalidArgument("a variant of " + base.displayName() + " needs an engine model");
    std::shared_ptr<LoadedModel> loaded(new LoadedModel);
    Impl &d = *loaded->m_impl;
    // The same tensors by name and the same config: only the sizes change.
    d.summary = base.summary();
    d.summary.bytes = info.weightBytes ? info.weightBytes : variant->weightBytes();
    d.model = std::move(variant);
    d.variant = std::move(info);
    return loaded;
}

const std::string &LoadedModel::path() const
{
    return m_impl->summary.path;
}

std::string LoadedModel::displayName() const
{
    if (m_impl->variant)
        return m_impl->variant->name;
    std::filesystem::path p = std::filesystem::path(m_impl->summary.path).lexically_normal();
    if (p.filename().empty()) // "models/foo/" -> "models/foo"
        p = p.parent_path();
    const std::string name = p.filename().string();
    return name.empty() ? m_impl->summary.path : name;
}

const ModelSummary &LoadedModel::summary() const
{
    return m_impl->summary;
}

bool LoadedModel::runnable() const
{
    return m_impl->model != nullptr;
}

const std::string &LoadedModel::notRunnableReason() const
{
    return m_impl->notRunnableReason;
}

std::shared_ptr<const Model> LoadedModel::model() const
{
    return m_impl->model;
}

const VariantInfo *LoadedModel::variantInfo() const
{
    return m_impl->variant ? &*m_impl->variant : nullptr;
}

} // namespace lathe
