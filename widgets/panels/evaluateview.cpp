// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/evaluateview.h"

#include "api/loadedmodel.h"
#include "charts/histogramchart.h"
#include "charts/paretochart.h"
#include "charts/qcp.h"
#include "jobs/evaluatejob.h"
#include "jobs/jobrunner.h"
#include "models/varianttablemodel.h"
#include "settings.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace lathe::ui
{

namespace
{

constexpr int kHistogramBins = 60;
// KL divergences below this are rounding noise: they count with the zeros.
constexpr double kKldFloor = 1e-9;

bool writeText(const QString &path, const QString &text)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit()) {
        spdlog::warn("cannot write {}: {}", path.toStdString(), file.errorString().toStdString());
        return false;
    }
    return true;
}

} // namespace

EvaluateView::EvaluateView(JobRunner *runner, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("evaluateView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 8);
    layout->setSpacing(6);
    m_title = new QLabel(tr("Evaluate"), this);
    m_title->setObjectName(QStringLiteral("evaluateTitle"));
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    layout->addWidget(m_title);
    buildControls(this);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("evaluateSplitter"));
    split->setChildrenCollapsible(false);
    m_model = new VariantTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(VariantTableModel::SortRole);
    m_table = new QTableView(split);
    m_table->setObjectName(QStringLiteral("evaluateTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    QHeaderView *columns = m_table->horizontalHeader();
    columns->setHighlightSections(false);
    columns->setSectionResizeMode(VariantTableModel::NameColumn, QHeaderView::Stretch);
    for (int c = VariantTableModel::MethodColumn; c < VariantTableModel::ColumnCount; ++c)
        columns->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    columns->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);

    auto *charts = new QSplitter(Qt::Horizontal, split);
    charts->setChildrenCollapsible(false);
    auto *paretoBox = new QWidget(charts);
    auto *paretoLayout = new QVBoxLayout(paretoBox);
    paretoLayout->setContentsMargins(0, 0, 0, 0);
    m_xAxis = new QComboBox(paretoBox);
    m_xAxis->setObjectName(QStringLiteral("evaluateXAxis"));
    m_xAxis->addItem(tr("size (MB)"), SizeAxis);
    m_xAxis->addItem(tr("bits per weight"), BitsAxis);
    m_yAxis = new QComboBox(paretoBox);
    m_yAxis->setObjectName(QStringLiteral("evaluateYAxis"));
    m_yAxis->addItem(tr("mean KLD"), KldAxis);
    m_yAxis->addItem(tr("perplexity"), PerplexityAxis);
    auto *axes = new QHBoxLayout;
    axes->addWidget(new QLabel(tr("<b>Pareto</b>"), paretoBox));
    axes->addWidget(m_yAxis);
    axes->addWidget(new QLabel(tr("against"), paretoBox));
    axes->addWidget(m_xAxis);
    axes->addStretch(1);
    paretoLayout->addLayout(axes);
    m_pareto = new ParetoChart(paretoBox);
    m_pareto->setToolTip(tr("Lower left is better: smaller and closer to the original. The "
                            "dashed line joins the variants no other one beats on both."));
    paretoLayout->addWidget(m_pareto, 1);

    auto *histogramBox = new QWidget(charts);
    auto *histogramLayout = new QVBoxLayout(histogramBox);
    histogramLayout->setContentsMargins(0, 0, 0, 0);
    m_histogramNote = new QLabel(histogramBox);
    m_histogramNote->setObjectName(QStringLiteral("evaluateHistogramNote"));
    histogramLayout->addWidget(m_histogramNote);
    m_histogram = new HistogramChart(histogramBox);
    m_histogram->setExportName(QStringLiteral("kld-histogram"));
    histogramLayout->addWidget(m_histogram, 1);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    layout->addWidget(split, 1);

    // Read everything first: setting one control saves them all.
    const Settings settings;
    const int x = settings.paretoXAxis();
    const int y = settings.paretoYAxis();
    const QString file = settings.evaluationFile();
    const int windows = settings.evaluationWindows();
    const int ctx = settings.evaluationCtx();
    m_xAxis->setCurrentIndex(std::clamp(x, 0, m_xAxis->count() - 1));
    m_yAxis->setCurrentIndex(std::clamp(y, 0, m_yAxis->count() - 1));
    m_file->setText(file);
    m_windows->setValue(windows);
    m_ctx->setValue(ctx);

    for (QComboBox *combo : { m_xAxis, m_yAxis })
        connect(combo, &QComboBox::currentIndexChanged, this, [this] {
            saveSettings();
            updateCharts();
        });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        updateHistogram();
        updateCharts();
        Q_EMIT currentRowChanged(currentRow());
    });
    for (const QKeySequence &keys : { QKeySequence(Qt::CTRL | Qt::Key_Return),
             QKeySequence(Qt::CTRL | Qt::Key_Enter) }) {
        auto *shortcut = new QShortcut(keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, [this] {
            if (m_evaluate->isEnabled())
                evaluate();
        });
    }
    updateCharts();
    updateHistogram();
    updateControls();
}

EvaluateView::~EvaluateView() = default;

void EvaluateView::buildControls(QWidget *parent)
{
    m_file = new QLineEdit(parent);
    m_file->setObjectName(QStringLiteral("evaluateFile"));
    m_file->setPlaceholderText(tr("Built-in: generated stories unseen in calibration"));
    m_file->setClearButtonEnabled(true);
    m_file->setToolTip(tr("A UTF-8 text file; use text the calibration did not see. Empty: "
                          "stories generated by Lathe's demo corpus with their own seed."));
    m_browse = new QToolButton(parent);
    m_browse->setText(tr("Browse…"));
    m_windows = new QSpinBox(parent);
    m_windows->setObjectName(QStringLiteral("evaluateWindows"));
    m_windows->setRange(1, 10000);
    m_windows->setSuffix(tr(" windows"));
    m_windows->setToolTip(tr("Windows of the text to evaluate (more: smaller error bars)"));
    m_ctx = new QSpinBox(parent);
    m_ctx->setObjectName(QStringLiteral("evaluateCtx"));
    m_ctx->setRange(8, 32768);
    m_ctx->setSuffix(tr(" tokens"));
    m_ctx->setToolTip(tr("Tokens per window (at most the model's context); each window starts "
                         "at BOS and its second half is scored, as llama-perplexity does"));
    m_evaluate = new QPushButton(tr("Evaluate"), parent);
    m_evaluate->setObjectName(QStringLiteral("evaluateRun"));
    m_evaluate->setDefault(true);
    m_evaluate->setToolTip(tr("Measure the selected variants, or every variant not measured "
                              "yet when none is selected (Ctrl+Enter)"));
    m_cancel = new QPushButton(tr("Cancel"), parent);
    m_cancel->setObjectName(QStringLiteral("evaluateCancel"));
    m_export = new QPushButton(tr("Export…"), parent);
    m_export->setObjectName(QStringLiteral("evaluateExport"));
    m_export->setToolTip(tr("Save the table as CSV or JSON (JSON has every statistic)"));
    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("<b>Evaluation text</b>"), parent));
    row->addWidget(m_file, 1);
    row->addWidget(m_browse);
    row->addWidget(m_windows);
    row->addWidget(new QLabel(tr("×"), parent));
    row->addWidget(m_ctx);
    row->addSpacing(16);
    row->addWidget(m_evaluate);
    row->addWidget(m_cancel);
    row->addWidget(m_export);
    static_cast<QVBoxLayout *>(layout())->addLayout(row);

    m_progress = new QProgressBar(parent);
    m_progress->setObjectName(QStringLiteral("evaluateProgress"));
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(200);
    m_progress->setVisible(false);
    m_status = new QLabel(parent);
    m_status->setObjectName(QStringLiteral("evaluateStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_progress);
    statusRow->addWidget(m_status, 1);
    static_cast<QVBoxLayout *>(layout())->addLayout(statusRow);

    connect(m_browse, &QToolButton::clicked, this, &EvaluateView::browseEvaluationFile);
    connect(m_file, &QLineEdit::editingFinished, this, [this] { saveSettings(); });
    for (QSpinBox *s : { m_windows, m_ctx })
        connect(s, &QSpinBox::valueChanged, this, [this] { saveSettings(); });
    connect(m_evaluate, &QPushButton::clicked, this, &EvaluateView::evaluate);
    connect(m_cancel, &QPushButton::clicked, this, &EvaluateView::cancel);
    connect(m_export, &QPushButton::clicked, this, &EvaluateView::exportWithDialog);
}

void EvaluateView::setOriginal(std::shared_ptr<const lathe::LoadedModel> original)
{
    cancel();
    m_original = std::move(original);
    m_title->setText(m_original
            ? tr("Evaluate: %1").arg(QString::fromStdString(m_original->displayName()))
            : tr("Evaluate"));
    m_model->setOriginal(m_original);
    m_status->clear();
    setCurrentRow(0);
    updateCharts();
    updateHistogram();
    updateControls();
}

void EvaluateView::addVariant(std::shared_ptr<const lathe::LoadedModel> variant)
{
    m_model->addVariant(std::move(variant));
    updateCharts();
    updateControls();
}

int EvaluateView::currentRow() const
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    return current.isValid() ? m_proxy->mapToSource(current).row() : -1;
}

void EvaluateView::setCurrentRow(int row)
{
    if (row < 0 || row >= m_model->rowCount() || row == currentRow())
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    m_table->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QString EvaluateView::evaluationFile() const
{
    return m_file->text().trimmed();
}

void EvaluateView::setEvaluationFile(const QString &path)
{
    m_file->setText(path);
    saveSettings();
}

void EvaluateView::setWindows(int windows, int ctx)
{
    m_windows->setValue(windows);
    m_ctx->setValue(ctx);
}

lathe::EvaluationSettings EvaluateView::settings() const
{
    lathe::EvaluationSettings s;
    s.ctx = m_ctx->value();
    s.maxWindows = m_windows->value();
    return s;
}

void EvaluateView::setAxes(XAxis x, YAxis y)
{
    m_xAxis->setCurrentIndex(m_xAxis->findData(x));
    m_yAxis->setCurrentIndex(m_yAxis->findData(y));
}

bool EvaluateView::isRunning() const
{
    return std::any_of(m_jobs.begin(), m_jobs.end(),
        [](const QPointer<EvaluateJob> &job) { return job && !job->isDone(); });
}

void EvaluateView::evaluate()
{
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows()) {
        const int row = m_proxy->mapToSource(index).row();
        if (row > 0)
            rows.append(row);
    }
    if (rows.isEmpty()) {
        for (int row = 1; row < m_model->rowCount(); ++row)
            if (!m_model->isEvaluated(row))
                rows.append(row);
    }
    std::sort(rows.begin(), rows.end());
    evaluateRows(rows);
}

void EvaluateView::evaluateRows(const QList<int> &rows)
{
    if (!m_original || !m_original->runnable())
        return;
    saveSettings();
    m_failedOrCancelled = false;
    int queued = 0;
    for (int row : rows) {
        const auto variant = m_model->modelAt(row);
        if (row <= 0 || !variant)
            continue;
        EvaluateRequest request;
        request.base = m_original;
        request.variant = variant;
        request.evaluationFile = evaluationFile();
        request.settings = settings();
        auto *job = new EvaluateJob(std::move(request));
        const QString name = QString::fromStdString(variant->displayName());
        connect(job, &Job::progress, this, [this, name](int percent, const QString &message) {
            m_progress->setValue(percent);
            m_status->setText(tr("%1: %2").arg(name, message));
        });
        connect(job, &Job::done, this, [this, job] { onJobDone(job); });
        m_jobs.append(job);
        m_runner->start(job);
        ++queued;
    }
    if (queued == 0) {
        m_status->setText(tr("Every variant is evaluated; select one to measure it again."));
        return;
    }
    m_status->setText(tr("Waiting for the worker…"));
    updateControls();
    Q_EMIT evaluationStarted();
}

void EvaluateView::cancel()
{
    for (const QPointer<EvaluateJob> &job : std::as_const(m_jobs))
        if (job && !job->isDone())
            job->cancel();
}

void EvaluateView::onJobDone(EvaluateJob *job)
{
    const int row = m_model->rowOf(job->request().variant.get());
    switch (job->state()) {
    case Job::State::Finished: {
        auto result = job->takeResult();
        if (result && row > 0 && job->request().base == m_original) {
            m_model->setEvaluation(row, std::move(result));
            m_status->setText(
                tr("Evaluated %1 in %2 s.")
                    .arg(QString::fromStdString(job->request().variant->displayName()),
                        QLocale().toString(job->elapsedMs() / 1000.0, 'f', 1)));
            updateCharts();
            if (row == currentRow() || currentRow() <= 0)
                setCurrentRow(row);
            updateHistogram();
            Q_EMIT variantEvaluated(row);
        }
        break;
    }
    case Job::State::Failed:
        m_failedOrCancelled = true;
        spdlog::error("evaluation failed: {}", job->errorText().toStdString());
        m_status->setText(tr("Failed: %1").arg(job->errorText()));
        Q_EMIT evaluationFailed(job->errorText());
        break;
    case Job::State::Cancelled:
        m_failedOrCancelled = true;
        m_status->setText(tr("Cancelled. The results shown are unchanged."));
        Q_EMIT evaluationCancelled();
        break;
    default:
        break;
    }
    job->releaseModels();
    m_jobs.removeAll(QPointer<EvaluateJob>(job));
    if (!isRunning()) {
        m_jobs.clear();
        Q_EMIT evaluationsFinished();
    }
    updateControls();
}

void EvaluateView::updateCharts()
{
    const bool bits = m_xAxis->currentData().toInt() == BitsAxis;
    const bool ppl = m_yAxis->currentData().toInt() == PerplexityAxis;
    const int current = currentRow();
    QList<ParetoChart::Point> points;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        ParetoChart::Point pt;
        pt.label = m_model->index(row, VariantTableModel::NameColumn).data().toString();
        pt.x = bits ? m_model->bitsPerWeight(row) : m_model->megabytes(row);
        pt.y = ppl ? m_model->perplexity(row) : m_model->meanKld(row);
        pt.original = row == 0;
        pt.selected = row == current;
        points.append(pt);
    }
    m_pareto->setPoints(points, m_xAxis->currentText(), m_yAxis->currentText());
}

void EvaluateView::updateHistogram()
{
    const int row = currentRow();
    const auto evaluation = row > 0 ? m_model->evaluationAt(row) : nullptr;
    if (!evaluation || evaluation->comparison.tokenKld.empty()) {
        m_histogram->clear();
        m_histogramNote->setText(row > 0 ? tr("<b>KL divergence per token</b>: evaluate this "
                                              "variant to see it.")
                                         : tr("<b>KL divergence per token</b>: select an "
                                              "evaluated variant."));
        return;
    }
    // log10 of the per-token KLD: it spans many decades, and the tail is what hurts.
    const std::vector<float> &kld = evaluation->comparison.tokenKld;
    double lo = 0.0;
    double hi = -100.0;
    bool any = false;
    for (float v : kld) {
        if (v > kKldFloor) {
            const double l = std::log10(double(v));
            lo = any ? std::min(lo, l) : l;
            hi = any ? std::max(hi, l) : l;
            any = true;
        }
    }
    HistogramChart::Data data;
    data.logMagnitude = true;
    data.std = 0.0; // no outlier shading
    if (any) {
        if (hi - lo < 1e-6)
            hi = lo + 1.0;
        data.lo = lo;
        data.hi = hi;
        data.counts.assign(kHistogramBins, 0);
        for (float v : kld) {
            if (v <= kKldFloor) {
                ++data.zeros;
                continue;
            }
            const double f = (std::log10(double(v)) - lo) / (hi - lo);
            const int bin = std::clamp(static_cast<int>(f * kHistogramBins), 0, kHistogramBins - 1);
            ++data.counts[static_cast<std::size_t>(bin)];
        }
    } else {
        data.zeros = kld.size();
    }
    m_histogram->setData(data);
    m_histogram->plot()->xAxis->setLabel(tr("log10 KL divergence per token (nats)"));
    m_histogram->plot()->replot(QCustomPlot::rpQueuedReplot);
    const lathe::Distribution &d = evaluation->comparison.kld;
    m_histogramNote->setText(
        tr("<b>KL divergence per token</b> of %1: median %2, 99%: %3, max %4 nats over %5 "
           "tokens")
            .arg(m_model->index(row, VariantTableModel::NameColumn)
                     .data()
                     .toString()
                     .toHtmlEscaped(),
                QLocale().toString(d.percentiles.median, 'g', 3),
                QLocale().toString(d.percentiles.p99, 'g', 3), QLocale().toString(d.max, 'g', 3),
                QLocale().toString(qlonglong(kld.size()))));
}

void EvaluateView::updateControls()
{
    const bool running = isRunning();
    const bool runnable = m_original && m_original->runnable();
    m_evaluate->setEnabled(runnable && !running && m_model->rowCount() > 1);
    m_cancel->setEnabled(running);
    m_export->setEnabled(m_model->rowCount() > 0);
    m_progress->setVisible(running);
    if (!running)
        m_progress->setValue(0);
    if (!m_original)
        m_status->setText(tr("Open a model first."));
    else if (m_model->rowCount() <= 1 && !running && m_status->text().isEmpty())
        m_status->setText(tr("No variants yet: make one in the Compress mode."));
}

void EvaluateView::saveSettings() const
{
    Settings s;
    s.setEvaluationFile(evaluationFile());
    s.setEvaluationWindows(m_windows->value());
    s.setEvaluationCtx(m_ctx->value());
    s.setParetoXAxis(m_xAxis->currentIndex());
    s.setParetoYAxis(m_yAxis->currentIndex());
}

void EvaluateView::browseEvaluationFile()
{
    QString start = evaluationFile();
    if (start.isEmpty())
        start = QStandardPaths::writableLocation(QStandardPaths::HomeLocation);
    const QString path = QFileDialog::getOpenFileName(this, tr("Evaluation Text"), start,
        tr("Text files (*.txt *.raw *.md);;All files (*)"));
    if (!path.isEmpty())
        setEvaluationFile(path);
}

QString EvaluateView::csvText() const
{
    return m_model->csv();
}

QString EvaluateView::jsonText() const
{
    return m_model->json();
}

bool EvaluateView::exportCsv(const QString &path)
{
    return writeText(path, csvText());
}

bool EvaluateView::exportJson(const QString &path)
{
    return writeText(path, jsonText());
}

void EvaluateView::exportWithDialog()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    QString selected;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Evaluation"),
        dir + QStringLiteral("/variants.csv"), tr("CSV (*.csv);;JSON (*.json)"), &selected);
    if (path.isEmpty())
        return;
    const bool json = path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)
        || (selected.startsWith(QLatin1String("JSON"))
            && !path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive));
    const bool ok = json ? exportJson(path) : exportCsv(path);
    m_status->setText(ok ? tr("Saved %1").arg(QDir::toNativeSeparators(path))
                         : tr("Could not write %1").arg(QDir::toNativeSeparators(path)));
}

} // namespace lathe::ui
