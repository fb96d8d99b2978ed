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

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QTextBrowser;
class QToolButton;

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

    // The settings the next run uses.
    lathe::RtnFormat format() const;
    void setFormat(const lathe::RtnFormat &format);
    QString calibrationFile() const;
    // Remembered in QSettings; empty means the built-in generated stories.
    void setCalibrationFile(const QString &path);
    lathe::ActivationStatsOptions windows() const;
    void setWindows(int samples, int ctx);
    void setParts(bool modules, bool blocks);
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

    QPushButton *runButton() const { return m_run; }
    QPushButton *cancelButton() const { return m_cancel; }
    QSpinBox *bitsSpin() const { return m_bits; }
    QComboBox *groupCombo() const { return m_group; }
    QCheckBox *symmetricCheck() const { return m_symmetric; }
    QComboBox *metricCombo() const { return m_metric; }
    QLabel *formatLabel() const { return m_formatLabel; }
    QLabel *statusLabel() const { return m_status; }
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
    void browseCalibrationFile();
    void exportWithDialog();

Q_SIGNALS:
    void runStarted();
    // A new result is on display (from a finished run or the cache).
    void resultShown();
    void runCancelled();
    void runFailed(const QString &message);

private:
    void buildControls(QWidget *box);
    void buildResults(QWidget *area);
    QString cacheKey() const;
    QString activationKey() const;
    void showResult(std::shared_ptr<const lathe::SensitivityResult> result);
    void updateCharts();
    void updateControls();
    void onJobProgress(int percent, const QString &message);
    void onJobDone(SensitivityJob *job);
    void saveSettings() const;
    void restoreSettings();

    JobRunner *m_runner = nullptr;
    std::shared_ptr<const lathe::LoadedModel> m_model;
    std::shared_ptr<const lathe::SensitivityResult> m_result;
    QPointer<SensitivityJob> m_job;
    QString m_jobKey;
    QString m_jobActivationKey;
    QHash<QString, std::shared_ptr<const lathe::SensitivityResult>> m_cache;
    QHash<QString, std::shared_ptr<const lathe::ActivationStats>> m_activationCache;

    QLabel *m_title = nullptr;
    QSpinBox *m_bits = nullptr;
    QComboBox *m_group = nullptr;
    QCheckBox *m_symmetric = nullptr;
    QLineEdit *m_calibration = nullptr;
    QToolButton *m_browse = nullptr;
    QSpinBox *m_samples = nullptr;
    QSpinBox *m_ctx = nullptr;
    QCheckBox *m_modules = nullptr;
    QCheckBox *m_blocks = nullptr;
    QCheckBox *m_proxyCheck = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
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
