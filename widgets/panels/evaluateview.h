// SPDX-License-Identifier: GPL-3.0-or-later
// EvaluateView: the Evaluate mode. A table of the original and every variant made since the
// model was opened; "Evaluate" measures variants against the original on the same windows of
// an evaluation text (perplexity of both, KL divergence, same top token, decode speed) in
// worker jobs; a Pareto scatter of size against damage shows which variants are worth
// keeping, and a histogram shows the per-token KL divergence of the selected one. The table
// exports as CSV or JSON.
#pragma once

#include "api/compression.h"

#include <QList>
#include <QPointer>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QToolButton;

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class EvaluateJob;
class HistogramChart;
class JobRunner;
class ParetoChart;
class VariantTableModel;

class EvaluateView : public QWidget
{
    Q_OBJECT
public:
    enum XAxis { SizeAxis, BitsAxis };
    enum YAxis { KldAxis, PerplexityAxis };

    explicit EvaluateView(JobRunner *runner, QWidget *parent = nullptr);
    ~EvaluateView() override;

    // A newly opened model: its row only; running evaluations are cancelled.
    void setOriginal(std::shared_ptr<const lathe::LoadedModel> original);
    void addVariant(std::shared_ptr<const lathe::LoadedModel> variant);
    // Row 0 is the original, row i the i-th variant (the variant bar's order).
    int currentRow() const;
    void setCurrentRow(int row);

    QString evaluationFile() const;
    // Empty: generated stories unseen in training and calibration. Remembered.
    void setEvaluationFile(const QString &path);
    void setWindows(int windows, int ctx);
    lathe::EvaluationSettings settings() const;
    void setAxes(XAxis x, YAxis y);

    bool isRunning() const;
    QString csvText() const;
    QString jsonText() const;
    bool exportCsv(const QString &path);
    bool exportJson(const QString &path);

    VariantTableModel *tableModel() const { return m_model; }
    QTableView *tableView() const { return m_table; }
    ParetoChart *paretoChart() const { return m_pareto; }
    HistogramChart *kldHistogram() const { return m_histogram; }
    QPushButton *evaluateButton() const { return m_evaluate; }
    QPushButton *cancelButton() const { return m_cancel; }
    QLabel *statusLabel() const { return m_status; }
    QComboBox *xAxisCombo() const { return m_xAxis; }
    QComboBox *yAxisCombo() const { return m_yAxis; }

public Q_SLOTS:
    // The selected variants, or every variant not evaluated yet when none is selected.
    void evaluate();
    void evaluateRows(const QList<int> &rows);
    void cancel();
    void exportWithDialog();

Q_SIGNALS:
    void evaluationStarted();
    void variantEvaluated(int row);
    // The last queued evaluation ended (finished, failed or cancelled).
    void evaluationsFinished();
    void evaluationFailed(const QString &message);
    void evaluationCancelled();
    // The user selected another row (the main window selects that variant).
    void currentRowChanged(int row);

private:
    void buildControls(QWidget *parent);
    void onJobDone(EvaluateJob *job);
    void updateCharts();
    void updateHistogram();
    void updateControls();
    void saveSettings() const;
    void browseEvaluationFile();

    JobRunner *m_runner = nullptr;
    std::shared_ptr<const lathe::LoadedModel> m_original;
    QList<QPointer<EvaluateJob>> m_jobs;
    bool m_failedOrCancelled = false;

    QLabel *m_title = nullptr;
    QLineEdit *m_file = nullptr;
    QToolButton *m_browse = nullptr;
    QSpinBox *m_windows = nullptr;
    QSpinBox *m_ctx = nullptr;
    QPushButton *m_evaluate = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_export = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    VariantTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_table = nullptr;
    QComboBox *m_xAxis = nullptr;
    QComboBox *m_yAxis = nullptr;
    ParetoChart *m_pareto = nullptr;
    HistogramChart *m_histogram = nullptr;
    QLabel *m_histogramNote = nullptr;
};

} // namespace lathe::ui
