// SPDX-License-Identifier: GPL-3.0-or-later
// SensitivityView: the Sensitivity mode. Choose a compression format (round-to-nearest bits,
// group size, symmetric) and calibration windows, run the measurement in a worker job, and see
// which linear modules and decoder blocks it hurts most: bars per module and per block, a
// sortable table, a layer x module-kind heatmap, the format used, and a short explanation of
// the numbers for a newcomer. Results are kept per model and settings for the session and
// export as JSON or CSV.
#pragma once

#include "analysis/activationstats.h"
#include "analysis/sensitivity.h"
#include "panels/sensitivitycharts.h"
#include "panels/sensitivitycontrols.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTextBrowser;

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class JobRunner;
class SensitivityJob;
class SensitivityTableModel;

class SensitivityView : public QWidget
{
    Q_OBJECT
public:
    using Metric = SensitivityCharts::Metric;

    explicit SensitivityView(JobRunner *runner, QWidget *parent = nullptr);
    ~SensitivityView() override;

    void setModel(std::shared_ptr<const lathe::LoadedModel> model);
    std::shared_ptr<const lathe::LoadedModel> model() const { return m_model; }

    // The settings the next run uses (see SensitivityControls).
    lathe::WeightFormat format() const { return m_controls->format(); }
    void setFormat(const lathe::WeightFormat &format) { m_controls->setFormat(format); }
    QString calibrationFile() const { return m_controls->calibrationFile(); }
    // Remembered in QSettings; empty means the built-in generated stories.
    void setCalibrationFile(const QString &path) { m_controls->setCalibrationFile(path); }
    lathe::ActivationStatsOptions windows() const { return m_controls->windows(); }
    void setWindows(int samples, int ctx) { m_controls->setWindows(samples, ctx); }
    void setParts(bool modules, bool blocks) { m_controls->setParts(modules, blocks); }
    void setMetric(Metric metric);
    Metric metric() const;

    // The result on display (nullptr before the first run).
    std::shared_ptr<const lathe::SensitivityResult> result() const { return m_result; }
    bool isRunning() const;
    SensitivityJob *currentJob() const;
    // Results held for this session (one per model and settings).
    int cachedResultCount() const { return static_cast<int>(m_cache.size()); }

    // The shown result as sensitivityCsv / sensitivityToJson text; empty without one.
    QString csvText() const;
    QString jsonText() const;
    bool exportCsv(const QString &path);
    bool exportJson(const QString &path);

    SensitivityControls *controls() const { return m_controls; }
    QPushButton *runButton() const { return m_controls->runButton(); }
    QPushButton *cancelButton() const { return m_controls->cancelButton(); }
    QComboBox *metricCombo() const { return m_metric; }
    QLabel *formatLabel() const { return m_formatLabel; }
    QLabel *statusLabel() const { return m_controls->statusLabel(); }
    QTextBrowser *noteView() const { return m_note; }
    SensitivityTableModel *tableModel() const { return m_tableModel; }
    QSortFilterProxyModel *tableProxy() const { return m_proxy; }
    QTableView *tableView() const { return m_table; }
    SensitivityCharts *charts() const { return m_charts; }
    BarChart *moduleBars() const { return m_charts->moduleBars(); }
    BarChart *blockBars() const { return m_charts->blockBars(); }
    HeatmapChart *heatmap() const { return m_charts->heatmap(); }

public Q_SLOTS:
    // Starts a run with the current settings, or shows the cached result for them at once.
    void run();
    // Cancels the running job (the result on display stays).
    void cancel();
    void exportWithDialog();

Q_SIGNALS:
    void runStarted();
    // A new result is on display (from a finished run or the cache).
    void resultShown();
    void runCancelled();
    void runFailed(const QString &message);

private:
    void buildResults(QWidget *area);
    QString cacheKey() const;
    QString activationKey() const;
    void showResult(std::shared_ptr<const lathe::SensitivityResult> result);
    void updateCharts();
    void updateControls();
    void onJobProgress(int percent, const QString &message);
    void onJobDone(SensitivityJob *job);

    JobRunner *m_runner = nullptr;
    std::shared_ptr<const lathe::LoadedModel> m_model;
    std::shared_ptr<const lathe::SensitivityResult> m_result;
    QPointer<SensitivityJob> m_job;
    QString m_jobKey;
    QString m_jobActivationKey;
    QHash<QString, std::shared_ptr<const lathe::SensitivityResult>> m_cache;
    QHash<QString, std::shared_ptr<const lathe::ActivationStats>> m_activationCache;

    QLabel *m_title = nullptr;
    SensitivityControls *m_controls = nullptr;
    QLabel *m_formatLabel = nullptr;
    QComboBox *m_metric = nullptr;
    QPushButton *m_export = nullptr;
    SensitivityCharts *m_charts = nullptr;
    QTableView *m_table = nullptr;
    SensitivityTableModel *m_tableModel = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTextBrowser *m_note = nullptr;
};

} // namespace lathe::ui
