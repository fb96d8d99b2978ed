// SPDX-License-Identifier: GPL-3.0-or-later
// SensitivityJob: measures how much each linear module and each decoder block of a model
// suffers from one compression format, on the worker thread. First the activation statistics
// that feed the fast proxy (skipped when the caller passes ones it already has), then the
// sensitivity measurement itself; one progress bar across both, with the time left appended
// to the message. After finished(), takeResult() hands the result over exactly once.
#pragma once

#include "analysis/activationstats.h"
#include "analysis/sensitivity.h"
#include "jobs/job.h"

#include <memory>
#include <string>

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

struct SensitivityRequest {
    std::shared_ptr<const lathe::LoadedModel> model;
    // UTF-8 text file to calibrate on; empty: generated demo stories (builtInCalibrationText).
    QString calibrationFile;
    lathe::ActivationStatsOptions windows; // samples x ctx tokens
    lathe::SensitivityOptions options;
    bool proxy = true; // compute activation statistics for the proxy column
    // Activation statistics from an earlier run on the same model, text and windows.
    std::shared_ptr<const lathe::ActivationStats> activations;
};

class SensitivityJob : public Job
{
    Q_OBJECT
public:
    explicit SensitivityJob(SensitivityRequest request, QObject *parent = nullptr);
    ~SensitivityJob() override;

    const SensitivityRequest &request() const { return m_request; }
    // GUI thread, after finished(): the result; later calls return nullptr.
    std::shared_ptr<const lathe::SensitivityResult> takeResult();
    // GUI thread, after finished(): the activation statistics used for the proxy (computed or
    // passed in), or nullptr without a proxy. Kept so the next run can reuse them.
    std::shared_ptr<const lathe::ActivationStats> activations() const;

    // About enough generated story text (Lathe's demo corpus, a seed unseen in training) for
    // `samples` windows of `ctx` tokens: calibration that needs no file.
    static std::string builtInCalibrationText(int samples, int ctx);
    // "0:41", "12:05", "1:02:03".
    static std::string formatDuration(double seconds);

protected:
    void run(const lathe::ProgressFn &progress, const lathe::CancelToken &cancel) override;
    void discardResult() override;

private:
    std::string calibrationText() const;

    SensitivityRequest m_request;
    // Written by run(), read after complete().
    std::shared_ptr<const lathe::SensitivityResult> m_result;
    std::shared_ptr<const lathe::ActivationStats> m_activations;
};

} // namespace lathe::ui
