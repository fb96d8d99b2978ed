// SPDX-License-Identifier: GPL-3.0-or-later
#include "api/modelanalysis.h"

#include "api/loadedmodel.h"
#include "io/checkpoint.h"
#include "model/model.h"
#include "model/transformer.h"
#include "text/tokenizerloader.h"
#include "util/error.h"

namespace lathe {

namespace {

// The engine model already maps the checkpoint; a model the engine cannot run is opened again
// (mapping is cheap) so its tensors can still be inspected.
std::shared_ptr<const Checkpoint> checkpointOf(const LoadedModel &model)
{
    if (const auto engine = model.model())
        if (auto checkpoint = engine->checkpoint())
            return checkpoint;
    return Checkpoint::open(model.path());
}

std::shared_ptr<const Model> runnableModel(const LoadedModel &model)
{
    if (!model.runnable())
        throw UnsupportedError(model.displayName() + " cannot run: " + model.notRunnableReason());
    return model.model();
}

std::vector<std::vector<std::int32_t>> windows(
    const LoadedModel &model, const std::string &text, const ActivationStatsOptions &options)
{
    const auto tokenizer = loadTokenizer(model.path());
    return calibrationSequences(*tokenizer, text, options.samples, options.ctx);
}

} // namespace

WeightStats tensorWeightStats(const LoadedModel &model, const std::string &name,
    const WeightStatsOptions &options, const CancelToken &cancel)
{
    const auto checkpoint = checkpointOf(model);
    const TensorView *tensor = checkpoint->find(name);
    if (!tensor)
        throw InvalidArgument(model.displayName() + " has no tensor named '" + name + "'");
    return computeWeightStats(*tensor, options, cancel);
}

std::vector<WeightStats> allWeightStats(const LoadedModel &model,
    const WeightStatsOptions &options, const ProgressFn &progress, const CancelToken &cancel)
{
    return computeAllWeightStats(*checkpointOf(model), options, progress, cancel);
}

ActivationStats modelActivationStats(const LoadedModel &model, const std::string &calibrationText,
    const ActivationStatsOptions &options, const ProgressFn &progress, const CancelToken &cancel)
{
    const Transformer transformer(runnableModel(model));
    return computeActivationStats(
        transformer, windows(model, calibrationText, options), options, progress, cancel);
}

SensitivityResult modelSensitivity(const LoadedModel &model, const std::string &calibrationText,
    const ActivationStatsOptions &windowOptions, const SensitivityOptions &options,
    const ActivationStats *activations, const ProgressFn &progress, const CancelToken &cancel)
{
    const auto engine = runnableModel(model);
    return computeSensitivity(engine, windows(model, calibrationText, windowOptions), options,
        activations, progress, cancel);
}

} // namespace lathe
