// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/sensitivityview.h"

#include "analysis/linearmodules.h"
#include "api/loadedmodel.h"
#include "jobs/jobrunner.h"
#include "jobs/sensitivityjob.h"
#include "models/sensitivitytablemodel.h"
#include "panels/sensitivitycharts.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTextBrowser>
#include <QToolButton>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

#include <cmath>

namespace lathe::ui
{

namespace
{

const char *const kCalibrationKey = "sensitivity/calibrationFile";
const char *const kBitsKey = "sensitivity/bits";
const char *const kGroupKey = "sensitivity/groupSize";
const char *const kSymmetricKey = "sensitivity/symmetric";
const char *const kSamplesKey = "sensitivity/samples";
const char *const kCtxKey = "sensitivity/ctx";

QString noteHtml()
{
    return SensitivityView::tr(
        "<p><b>What this measures.</b> Each row compresses <i>only</i> that linear module (or, "
        "for a block, all the linear modules of one decoder layer) to the chosen format, keeps "
        "everything else original, and runs the calibration text through the model.</p>"
        "<p><b>Δ perplexity</b>: how much the perplexity rises. Perplexity is how surprised the "
        "model is by the text (lower is better); +0.01 on a base of 2 is harmless, +0.5 is "
        "damage you will notice in its answers.</p>"
        "<p><b>Mean KL</b>: how far the compressed model's next-token probabilities move away "
        "from the original's, averaged over every token, in nats (0 = the same predictions). "
        "It sees small changes that perplexity averages away, so it is the best column to rank "
        "by.</p>"
        "<p><b>Proxy</b>: the squared rounding error of the weights, weighted by how strongly "
        "the calibration activations use each input channel. It needs no forward pass, so it "
        "scales to big models; trust it alone only where its ranking agrees with mean KL "
        "(Spearman ρ above).</p>"
        "<p><b>How to use it.</b> Sort by mean KL: the modules at the top are the fragile ones. "
        "Keep them at higher precision (more bits or a smaller group) and compress the ones at "
        "the bottom harder. The block bars show which layers matter most as a whole. Lower the "
        "bits to see which parts break first.</p>");
}

} // namespace

SensitivityView::SensitivityView(JobRunner *runner, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("sensitivityView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 8);
    layout->setSpacing(6);

    m_title = new QLabel(tr("Sensitivity"), this);
    m_title->setObjectName(QStringLiteral("sensitivityTitle"));
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    layout->addWidget(m_title);

    auto *controls = new QWidget(this);
    buildControls(controls);
    layout->addWidget(controls);

    auto *results = new QWidget(this);
    buildResults(results);
    layout->addWidget(results, 1);

    // Ctrl+Enter runs the mode's action, as everywhere in the window.
    for (const QKeySequence &keys : { QKeySequence(Qt::CTRL | Qt::Key_Return),
             QKeySequence(Qt::CTRL | Qt::Key_Enter) }) {
        auto *shortcut = new QShortcut(keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, [this] {
            if (m_run->isEnabled())
                run();
        });
    }

    restoreSettings();
    updateControls();
}

SensitivityView::~SensitivityView() = default;

void SensitivityView::buildControls(QWidget *box)
{
    auto *grid = new QGridLayout(box);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(4);

    // Row 0: the format.
    auto *formatTitle = new QLabel(tr("<b>Format</b> round to nearest:"), box);
    m_bits = new QSpinBox(box);
    m_bits->setObjectName(QStringLiteral("sensitivityBits"));
    m_bits->setRange(2, 8);
    m_bits->setValue(4);
    m_bits->setSuffix(tr(" bits"));
    m_bits->setToolTip(tr("Bits per weight: 2 to 8. Fewer bits, more damage."));
    m_group = new QComboBox(box);
    m_group->setObjectName(QStringLiteral("sensitivityGroup"));
    m_group->addItem(tr("per channel"), 0);
    for (int g : { 32, 64, 128 })
        m_group->addItem(tr("group %1").arg(g), g);
    m_group->setCurrentIndex(3);
    m_group->setToolTip(tr("How many weights share one scale: one per output channel (row), or "
                           "one per group of 32, 64 or 128 columns. Smaller groups, less error."));
    m_symmetric = new QCheckBox(tr("symmetric"), box);
    m_symmetric->setObjectName(QStringLiteral("sensitivitySymmetric"));
    m_symmetric->setChecked(true);
    m_symmetric->setToolTip(tr("Symmetric: levels centred on zero (scale only). Unchecked: a "
                               "zero point too, which fits skewed weights better."));
    m_modules = new QCheckBox(tr("modules"), box);
    m_modules->setObjectName(QStringLiteral("sensitivityModules"));
    m_modules->setChecked(true);
    m_modules->setToolTip(tr("Measure each linear module on its own"));
    m_blocks = new QCheckBox(tr("blocks"), box);
    m_blocks->setObjectName(QStringLiteral("sensitivityBlocks"));
    m_blocks->setChecked(true);
    m_blocks->setToolTip(tr("Measure each decoder block (all its linear modules at once)"));
    m_proxyCheck = new QCheckBox(tr("proxy"), box);
    m_proxyCheck->setObjectName(QStringLiteral("sensitivityProxy"));
    m_proxyCheck->setChecked(true);
    m_proxyCheck->setToolTip(tr("Also compute activation statistics for the fast proxy column"));

    auto *formatRow = new QHBoxLayout;
    formatRow->addWidget(formatTitle);
    formatRow->addWidget(m_bits);
    formatRow->addWidget(m_group);
    formatRow->addWidget(m_symmetric);
    formatRow->addSpacing(16);
    formatRow->addWidget(new QLabel(tr("<b>Measure</b>"), box));
    formatRow->addWidget(m_modules);
    formatRow->addWidget(m_blocks);
    formatRow->addWidget(m_proxyCheck);
    formatRow->addStretch(1);
    grid->addLayout(formatRow, 0, 0);

    // Row 1: calibration.
    m_calibration = new QLineEdit(box);
    m_calibration->setObjectName(QStringLiteral("sensitivityCalibration"));
    m_calibration->setPlaceholderText(tr("Built-in: generated demo stories"));
    m_calibration->setClearButtonEnabled(true);
    m_calibration->setToolTip(tr("A UTF-8 text file, split into windows of the model's tokens. "
                                 "Empty: stories generated by Lathe's demo corpus."));
    m_browse = new QToolButton(box);
    m_browse->setObjectName(QStringLiteral("sensitivityBrowse"));
    m_browse->setText(tr("Browse…"));
    m_samples = new QSpinBox(box);
    m_samples->setObjectName(QStringLiteral("sensitivitySamples"));
    m_samples->setRange(1, 1024);
    m_samples->setValue(8);
    m_samples->setSuffix(tr(" windows"));
    m_samples->setToolTip(tr("Calibration windows (more: steadier numbers, longer run)"));
    m_ctx = new QSpinBox(box);
    m_ctx->setObjectName(QStringLiteral("sensitivityCtx"));
    m_ctx->setRange(8, 32768);
    m_ctx->setValue(128);
    m_ctx->setSuffix(tr(" tokens"));
    m_ctx->setToolTip(tr("Tokens per window"));
    m_run = new QPushButton(tr("Run"), box);
    m_run->setObjectName(QStringLiteral("sensitivityRun"));
    m_run->setToolTip(tr("Measure the sensitivity with these settings (Ctrl+Enter)"));
    m_run->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"), box);
    m_cancel->setObjectName(QStringLiteral("sensitivityCancel"));

    auto *calibRow = new QHBoxLayout;
    calibRow->addWidget(new QLabel(tr("<b>Calibration</b>"), box));
    calibRow->addWidget(m_calibration, 1);
    calibRow->addWidget(m_browse);
    calibRow->addWidget(m_samples);
    calibRow->addWidget(new QLabel(tr("×"), box));
    calibRow->addWidget(m_ctx);
    calibRow->addSpacing(16);
    calibRow->addWidget(m_run);
    calibRow->addWidget(m_cancel);
    grid->addLayout(calibRow, 1, 0);

    // Row 2: progress.
    m_progress = new QProgressBar(box);
    m_progress->setObjectName(QStringLiteral("sensitivityProgress"));
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(220);
    m_progress->setTextVisible(true);
    m_status = new QLabel(box);
    m_status->setObjectName(QStringLiteral("sensitivityStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_progress);
    statusRow->addWidget(m_status, 1);
    grid->addLayout(statusRow, 2, 0);

    connect(m_run, &QPushButton::clicked, this, &SensitivityView::run);
    connect(m_cancel, &QPushButton::clicked, this, &SensitivityView::cancel);
    connect(m_browse, &QToolButton::clicked, this, &SensitivityView::browseCalibrationFile);
    connect(m_calibration, &QLineEdit::editingFinished, this, [this] { saveSettings(); });
    connect(m_modules, &QCheckBox::toggled, this, &SensitivityView::updateControls);
    connect(m_blocks, &QCheckBox::toggled, this, &SensitivityView::updateControls);
}

void SensitivityView::buildResults(QWidget *area)
{
    auto *layout = new QVBoxLayout(area);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    m_formatLabel = new QLabel(area);
    m_formatLabel->setObjectName(QStringLiteral("sensitivityFormat"));
    m_formatLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_metric = new QComboBox(area);
    m_metric->setObjectName(QStringLiteral("sensitivityMetric"));
    m_metric->addItem(tr("Mean KL"), SensitivityCharts::MeanKl);
    m_metric->addItem(tr("Δ perplexity"), SensitivityCharts::DeltaPerplexity);
    m_metric->addItem(tr("Proxy"), SensitivityCharts::Proxy);
    m_metric->setToolTip(tr("What the bars and the heatmap show"));
    m_export = new QPushButton(tr("Export…"), area);
    m_export->setObjectName(QStringLiteral("sensitivityExport"));
    m_export->setToolTip(tr("Save the result as JSON or CSV"));
    auto *header = new QHBoxLayout;
    header->addWidget(m_formatLabel, 1);
    header->addWidget(new QLabel(tr("Charts show"), area));
    header->addWidget(m_metric);
    header->addWidget(m_export);
    layout->addLayout(header);

    auto *split = new QSplitter(Qt::Horizontal, area);
    split->setObjectName(QStringLiteral("sensitivitySplitter"));
    split->setChildrenCollapsible(false);
    layout->addWidget(split, 1);

    m_charts = new SensitivityCharts(split);

    auto *side = new QSplitter(Qt::Vertical, split);
    m_tableModel = new SensitivityTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_tableModel);
    m_proxy->setSortRole(SensitivityTableModel::SortRole);
    m_table = new QTableView(side);
    m_table->setObjectName(QStringLiteral("sensitivityTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    // "model.layers.0…q_proj": both the layer and the kind stay readable in a narrow column.
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    QHeaderView *columns = m_table->horizontalHeader();
    columns->setHighlightSections(false);
    columns->setSectionResizeMode(SensitivityTableModel::NameColumn, QHeaderView::Stretch);
    for (int c = SensitivityTableModel::LayerColumn; c < SensitivityTableModel::ColumnCount; ++c)
        columns->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    columns->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);
    m_note = new QTextBrowser(side);
    m_note->setObjectName(QStringLiteral("sensitivityNote"));
    m_note->setHtml(noteHtml());
    m_note->setOpenLinks(false);
    side->setSizes({ 450, 300 });

    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({ 900, 600 });

    connect(m_metric, &QComboBox::currentIndexChanged, this, &SensitivityView::updateCharts);
    connect(m_export, &QPushButton::clicked, this, &SensitivityView::exportWithDialog);
}

void SensitivityView::setModel(std::shared_ptr<const lathe::LoadedModel> model)
{
    if (model == m_model)
        return;
    m_model = std::move(model);
    m_title->setText(m_model
            ? tr("Sensitivity: %1").arg(QString::fromStdString(m_model->displayName()))
            : tr("Sensitivity"));
    // A result for this model and these settings from earlier in the session, or nothing.
    showResult(m_model ? m_cache.value(cacheKey()) : nullptr);
    updateControls();
}

lathe::RtnFormat SensitivityView::format() const
{
    lathe::RtnFormat f;
    f.bits = m_bits->value();
    f.groupSize = m_group->currentData().toInt();
    f.symmetric = m_symmetric->isChecked();
    return f;
}

void SensitivityView::setFormat(const lathe::RtnFormat &format)
{
    m_bits->setValue(format.bits);
    const int index = m_group->findData(format.groupSize);
    if (index >= 0)
        m_group->setCurrentIndex(index);
    m_symmetric->setChecked(format.symmetric);
}

QString SensitivityView::calibrationFile() const
{
    return m_calibration->text().trimmed();
}

void SensitivityView::setCalibrationFile(const QString &path)
{
    m_calibration->setText(path);
    saveSettings();
}

lathe::ActivationStatsOptions SensitivityView::windows() const
{
    lathe::ActivationStatsOptions w;
    w.samples = m_samples->value();
    w.ctx = m_ctx->value();
    return w;
}

void SensitivityView::setWindows(int samples, int ctx)
{
    m_samples->setValue(samples);
    m_ctx->setValue(ctx);
}

void SensitivityView::setParts(bool modules, bool blocks)
{
    m_modules->setChecked(modules);
    m_blocks->setChecked(blocks);
}

void SensitivityView::setMetric(Metric metric)
{
    m_metric->setCurrentIndex(m_metric->findData(metric));
}

SensitivityView::Metric SensitivityView::metric() const
{
    return static_cast<Metric>(m_metric->currentData().toInt());
}

SensitivityJob *SensitivityView::currentJob() const
{
    return m_job;
}

bool SensitivityView::isRunning() const
{
    return m_job && !m_job->isDone();
}

QString SensitivityView::activationKey() const
{
    // The file's time stamp too: an edited calibration text is a different calibration.
    const QString file = calibrationFile();
    const QString stamp = file.isEmpty()
        ? QString()
        : QString::number(QFileInfo(file).lastModified().toMSecsSinceEpoch());
    return QStringLiteral("%1|%2|%3|%4|%5")
        .arg(m_model ? QString::fromStdString(m_model->path()) : QString(), file, stamp)
        .arg(m_samples->value())
        .arg(m_ctx->value());
}

QString SensitivityView::cacheKey() const
{
    return QStringLiteral("%1|%2|%3%4%5")
        .arg(activationKey(), QString::fromStdString(format().label()))
        .arg(m_modules->isChecked() ? 'm' : '-')
        .arg(m_blocks->isChecked() ? 'b' : '-')
        .arg(m_proxyCheck->isChecked() ? 'p' : '-');
}

void SensitivityView::run()
{
    if (!m_model || !m_model->runnable() || isRunning())
        return;
    if (!m_modules->isChecked() && !m_blocks->isChecked())
        return;
    saveSettings();
    const QString key = cacheKey();
    if (auto cached = m_cache.value(key)) {
        showResult(std::move(cached));
        m_status->setText(tr("Shown from this session's results (same model and settings)."));
        Q_EMIT resultShown();
        return;
    }

    SensitivityRequest request;
    request.model = m_model;
    request.calibrationFile = calibrationFile();
    request.windows = windows();
    request.options.format = format();
    request.options.modules = m_modules->isChecked();
    request.options.blocks = m_blocks->isChecked();
    request.proxy = m_proxyCheck->isChecked();
    m_jobActivationKey = activationKey();
    if (request.proxy)
        request.activations = m_activationCache.value(m_jobActivationKey);
    m_jobKey = key;

    auto *job = new SensitivityJob(std::move(request));
    m_job = job;
    connect(job, &Job::progress, this, &SensitivityView::onJobProgress);
    connect(job, &Job::done, this, [this, job] { onJobDone(job); });
    connect(job, &Job::cancelRequested, this, [this] {
        m_status->setText(tr("Cancelling…"));
        updateControls();
    });
    spdlog::info("sensitivity of {} with {} on {} x {} tokens", m_model->displayName(),
        format().label(), m_samples->value(), m_ctx->value());
    m_progress->setValue(0);
    m_status->setText(tr("Waiting for the worker…"));
    m_runner->start(job);
    updateControls();
    Q_EMIT runStarted();
}

void SensitivityView::cancel()
{
    if (isRunning())
        m_job->cancel();
}

void SensitivityView::onJobProgress(int percent, const QString &message)
{
    m_progress->setValue(percent);
    m_status->setText(message);
}

void SensitivityView::onJobDone(SensitivityJob *job)
{
    const bool current = job == m_job;
    switch (job->state()) {
    case Job::State::Finished: {
        std::shared_ptr<const lathe::SensitivityResult> result = job->takeResult();
        if (auto activations = job->activations())
            m_activationCache.insert(m_jobActivationKey, activations);
        if (result)
            m_cache.insert(m_jobKey, result);
        spdlog::info("sensitivity finished in {:.1f} s", job->elapsedMs() / 1000.0);
        if (current && result && job->request().model == m_model) {
            showResult(std::move(result));
            m_status->setText(tr("Finished in %1 s.")
                                  .arg(QLocale().toString(job->elapsedMs() / 1000.0, 'f', 1)));
            Q_EMIT resultShown();
        }
        break;
    }
    case Job::State::Failed:
        spdlog::error("sensitivity failed: {}", job->errorText().toStdString());
        m_status->setText(tr("Failed: %1").arg(job->errorText()));
        Q_EMIT runFailed(job->errorText());
        break;
    case Job::State::Cancelled:
        m_status->setText(tr("Cancelled. The results shown are unchanged."));
        Q_EMIT runCancelled();
        break;
    default:
        break;
    }
    if (current)
        m_job = nullptr;
    m_progress->setValue(0);
    updateControls();
}

void SensitivityView::showResult(std::shared_ptr<const lathe::SensitivityResult> result)
{
    m_result = std::move(result);
    if (!m_result) {
        m_tableModel->clear();
        m_formatLabel->setText(m_model ? tr("No result yet: choose a format and press Run.")
                                       : tr("Open a model to measure its sensitivity."));
        updateCharts();
        updateControls();
        return;
    }
    const lathe::SensitivityResult &r = *m_result;
    m_tableModel->setResult(r);
    QString text = tr("<b>%1</b> · base perplexity %2 on %3 tokens · %4 s")
                       .arg(QString::fromStdString(r.format.label()).toHtmlEscaped(),
                           QLocale().toString(r.basePerplexity, 'f', 3),
                           QLocale().toString(qlonglong(r.scoredTokens)),
                           QLocale().toString(r.seconds, 'f', 1));
    // How far the fast proxy can be trusted on this model: its rank agreement with mean KL.
    std::vector<double> proxy;
    std::vector<double> kl;
    for (const lathe::SensitivityEntry &e : r.modules) {
        if (!std::isnan(e.proxy)) {
            proxy.push_back(e.proxy);
            kl.push_back(e.meanKl);
        }
    }
    const double rho = lathe::spearmanRho(proxy, kl);
    if (!std::isnan(rho))
        text += tr(" · proxy vs mean KL: Spearman ρ %1").arg(QLocale().toString(rho, 'f', 2));
    m_formatLabel->setText(text);
    updateCharts();
    updateControls();
}

void SensitivityView::updateCharts()
{
    QStringList kinds;
    if (m_model && m_model->summary().config) {
        for (const std::string &k : lathe::linearModuleKinds(*m_model->summary().config))
            kinds << QString::fromStdString(k);
    }
    m_charts->setResult(m_result.get(), kinds, metric(), m_metric->currentText());
}

void SensitivityView::updateControls()
{
    const bool running = isRunning();
    const bool runnable = m_model && m_model->runnable();
    const bool parts = m_modules->isChecked() || m_blocks->isChecked();
    m_run->setEnabled(runnable && !running && parts);
    m_cancel->setEnabled(running && !m_job->isCancelRequested());
    m_progress->setVisible(running);
    m_export->setEnabled(m_result != nullptr);
    if (!m_model)
        m_status->setText(tr("Open a model first."));
    else if (!runnable)
        m_status->setText(QString::fromStdString(m_model->notRunnableReason()));
    else if (!parts && !running)
        m_status->setText(tr("Choose modules, blocks or both."));
}

QString SensitivityView::csvText() const
{
    return m_result ? QString::fromStdString(lathe::sensitivityCsv(*m_result)) : QString();
}

QString SensitivityView::jsonText() const
{
    return m_result ? QString::fromStdString(lathe::sensitivityToJson(*m_result).dump(2))
                    : QString();
}

namespace
{

bool writeText(const QString &path, const QString &text)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        spdlog::warn("cannot write {}: {}", path.toStdString(), file.errorString().toStdString());
        return false;
    }
    file.write(text.toUtf8());
    if (!file.commit()) {
        spdlog::warn("cannot write {}: {}", path.toStdString(), file.errorString().toStdString());
        return false;
    }
    return true;
}

} // namespace

bool SensitivityView::exportCsv(const QString &path)
{
    return m_result && writeText(path, csvText());
}

bool SensitivityView::exportJson(const QString &path)
{
    return m_result && writeText(path, jsonText() + QLatin1Char('\n'));
}

void SensitivityView::exportWithDialog()
{
    if (!m_result)
        return;
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString base = QStringLiteral("sensitivity-%1")
                             .arg(QString::fromStdString(m_result->format.label())
                                      .replace(QLatin1Char(' '), QLatin1Char('-')));
    QString selected;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Sensitivity"),
        dir + QLatin1Char('/') + base + QStringLiteral(".json"),
        tr("JSON (*.json);;CSV (*.csv)"), &selected);
    if (path.isEmpty())
        return;
    const bool csv = path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)
        || (selected.startsWith(QLatin1String("CSV"))
            && !path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive));
    const bool ok = csv ? exportCsv(path) : exportJson(path);
    m_status->setText(ok ? tr("Saved %1").arg(QDir::toNativeSeparators(path))
                         : tr("Could not write %1").arg(QDir::toNativeSeparators(path)));
}

void SensitivityView::browseCalibrationFile()
{
    QString start = calibrationFile();
    if (start.isEmpty())
        start = QStandardPaths::writableLocation(QStandardPaths::HomeLocation);
    const QString path = QFileDialog::getOpenFileName(this, tr("Calibration Text"), start,
        tr("Text files (*.txt *.raw *.md);;All files (*)"));
    if (!path.isEmpty())
        setCalibrationFile(path);
}

void SensitivityView::saveSettings() const
{
    QSettings s;
    s.setValue(QLatin1String(kCalibrationKey), calibrationFile());
    s.setValue(QLatin1String(kBitsKey), m_bits->value());
    s.setValue(QLatin1String(kGroupKey), m_group->currentData().toInt());
    s.setValue(QLatin1String(kSymmetricKey), m_symmetric->isChecked());
    s.setValue(QLatin1String(kSamplesKey), m_samples->value());
    s.setValue(QLatin1String(kCtxKey), m_ctx->value());
}

void SensitivityView::restoreSettings()
{
    QSettings s;
    m_calibration->setText(s.value(QLatin1String(kCalibrationKey)).toString());
    m_bits->setValue(s.value(QLatin1String(kBitsKey), m_bits->value()).toInt());
    const int group = m_group->findData(s.value(QLatin1String(kGroupKey), 128).toInt());
    if (group >= 0)
        m_group->setCurrentIndex(group);
    m_symmetric->setChecked(s.value(QLatin1String(kSymmetricKey), true).toBool());
    m_samples->setValue(s.value(QLatin1String(kSamplesKey), m_samples->value()).toInt());
    m_ctx->setValue(s.value(QLatin1String(kCtxKey), m_ctx->value()).toInt());
    showResult(nullptr);
}

} // namespace lathe::ui
