// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/sensitivityjob.h"

#include "analysis/linearmodules.h"
#include "api/loadedmodel.h"
#include "api/modelanalysis.h"
#include "corpus/storycorpus.h"
#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace lathe::ui
{

SensitivityJob::SensitivityJob(SensitivityRequest request, QObject *parent)
    : Job(tr("Sensitivity %1").arg(QString::fromStdString(request.options.format.label())), parent)
    , m_request(std::move(request))
{
    setObjectName(QStringLiteral("sensitivityJob"));
}

SensitivityJob::~SensitivityJob() = default;

std::shared_ptr<const lathe::SensitivityResult> SensitivityJob::takeResult()
{
    return std::exchange(m_result, nullptr);
}

std::shared_ptr<const lathe::ActivationStats> SensitivityJob::activations() const
{
    return m_activations;
}

std::string SensitivityJob::builtInCalibrationText(int samples, int ctx)
{
    lathe::StoryCorpusOptions options;
    // The demo model was trained on seed 1: other seeds give stories it has not seen.
    options.seed = 20261123;
    // Generous: a small BPE vocabulary averages 3-4 bytes per token.
    options.targetChars = static_cast<std::size_t>(std::max(1, samples))
            * static_cast<std::size_t>(std::max(1, ctx)) * 12
        + 4096;
    options.arithmeticShare = 0.0;
    options.chatShare = 0.0;
    std::string text;
    for (const std::string &doc : lathe::generateStoryCorpus(options)) {
        text += doc;
        text += "\n\n";
    }
    return text;
}

std::string SensitivityJob::formatDuration(double seconds)
{
    const long total = std::lround(std::max(0.0, seconds));
    const long h = total / 3600;
    const long m = (total / 60) % 60;
    const long s = total % 60;
    char buffer[32];
    if (h > 0)
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", h, m, s);
    else
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld", m, s);
    return buffer;
}

std::string SensitivityJob::calibrationText() const
{
    if (m_request.calibrationFile.isEmpty())
        return builtInCalibrationText(m_request.windows.samples, m_request.windows.ctx);
    const std::string path = m_request.calibrationFile.toStdString();
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw lathe::IoError("cannot open the calibration text " + path);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw lathe::IoError("cannot read the calibration text " + path);
    return buffer.str();
}

void SensitivityJob::run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel)
{
    if (!m_request.model)
        throw lathe::InvalidArgument("no model is open");
    const lathe::LoadedModel &model = *m_request.model;

    // One forward pass over the calibration windows per part measured, plus the original's
    // and (for the proxy) the activation statistics': split the bar in that proportion.
    double parts = 1.0;
    if (const auto &config = model.summary().config) {
        const std::vector<lathe::LinearModule> modules = lathe::linearModules(*config);
        std::set<std::int64_t> layers;
        for (const lathe::LinearModule &m : modules)
            layers.insert(m.layer);
        parts += (m_request.options.modules ? static_cast<double>(modules.size()) : 0.0)
            + (m_request.options.blocks ? static_cast<double>(layers.size()) : 0.0);
    }
    const bool needActivations = m_request.proxy && !m_request.activations;
    const double activationShare = needActivations ? 1.0 / (parts + 1.0) : 0.0;

    // Append the time left, from the rate so far, so the Jobs dock shows an ETA.
    const auto start = std::chrono::steady_clock::now();
    const auto report = [&](double fraction, const std::string &message) {
        const double elapsed
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::string text = message;
        if (fraction > 0.02 && fraction < 1.0 && elapsed > 0.5)
            text += " · " + formatDuration(elapsed * (1.0 - fraction) / fraction) + " left";
        lathe::reportProgress(progress, fraction, text);
    };

    report(0.0, "reading the calibration text");
    const std::string text = calibrationText();
    cancel.throwIfCancelled();

    std::shared_ptr<const lathe::ActivationStats> activations = m_request.activations;
    if (needActivations) {
        const auto stage = [&](double f, const std::string &message) {
            report(activationShare * f, "activation statistics: " + message);
        };
        activations = std::make_shared<const lathe::ActivationStats>(
            lathe::modelActivationStats(model, text, m_request.windows, stage, cancel));
    }
    cancel.throwIfCancelled();

    const auto stage = [&](double f, const std::string &message) {
        report(activationShare + (1.0 - activationShare) * f, message);
    };
    auto result = std::make_shared<const lathe::SensitivityResult>(lathe::modelSensitivity(model,
        text, m_request.windows, m_request.options, activations.get(), stage, cancel));
    m_activations = m_request.proxy ? std::move(activations) : nullptr;
    m_result = std::move(result);
}

void SensitivityJob::discardResult()
{
    m_result.reset();
}

} // namespace lathe::ui
