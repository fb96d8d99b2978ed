// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/sensitivityview.h"

#include "analysis/linearmodules.h"
#include "api/loadedmodel.h"
#include "jobs/jobrunner.h"
#include "jobs/sensitivityjob.h"
#include "models/sensitivitytablemodel.h"
#include "panels/sensitivitycharts.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSaveFile>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

#include <cmath>

namespace lathe::ui
{

namespace
{


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
        "<p><b>Proxy</b>: the squared rounding error of the weights relative to the weights "
        "themselves, both weighted by how strongly the calibration activations use each input "
        "channel: an estimate of how much the module's output changes. It needs no forward "
        "pass, so it scales to big models; trust it alone only where its ranking agrees with "
        "mean KL (Spearman ρ above).</p>"
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

    m_controls = new SensitivityControls(this);
    layout->addWidget(m_controls);

    auto *results = new QWidget(this);
    buildResults(results);
    layout->addWidget(results, 1);

    // Ctrl+Enter runs the mode's action, as everywhere in the window.
    for (const QKeySequence &keys : { QKeySequence(Qt::CTRL | Qt::Key_Return),
             QKeySequence(Qt::CTRL | Qt::Key_Enter) }) {
        auto *shortcut = new QShortcut(keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, [this] {
            if (m_controls->runButton()->isEnabled())
                run();
        });
    }

    connect(m_controls, &SensitivityControls::runRequested, this, &SensitivityView::run);
    connect(m_controls, &SensitivityControls::cancelRequested, this, &SensitivityView::cancel);
    connect(m_controls, &SensitivityControls::partsChanged, this, &SensitivityView::updateControls);
    showResult(nullptr);
}

SensitivityView::~SensitivityView() = default;

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
    // "…layers.0.self_attn.q_proj": the end of a name says the most.
    m_table->setTextElideMode(Qt::ElideLeft);
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
    // A run on the previous model would only block the next one: its result is not shown.
    cancel();
    m_model = std::move(model);
    m_title->setText(m_model
            ? tr("Sensitivity: %1").arg(QString::fromStdString(m_model->displayName()))
            : tr("Sensitivity"));
    // A result for this model and these settings from earlier in the session, or nothing.
    showResult(m_model ? m_cache.value(cacheKey()) : nullptr);
    updateControls();
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
    const QString file = m_controls->calibrationFile();
    const QString stamp = file.isEmpty()
        ? QString()
        : QString::number(QFileInfo(file).lastModified().toMSecsSinceEpoch());
    return QStringLiteral("%1|%2|%3|%4|%5")
        .arg(m_model ? QString::fromStdString(m_model->path()) : QString(), file, stamp)
        .arg(m_controls->windows().samples)
        .arg(m_controls->windows().ctx);
}

QString SensitivityView::cacheKey() const
{
    return QStringLiteral("%1|%2|%3%4%5")
        .arg(activationKey(), QString::fromStdString(m_controls->format().label()))
        .arg(m_controls->modules() ? 'm' : '-')
        .arg(m_controls->blocks() ? 'b' : '-')
        .arg(m_controls->proxy() ? 'p' : '-');
}

void SensitivityView::run()
{
    if (!m_model || !m_model->runnable() || isRunning())
        return;
    if (!m_controls->modules() && !m_controls->blocks())
        return;
    m_controls->saveSettings();
    const QString key = cacheKey();
    if (auto cached = m_cache.value(key)) {
        showResult(std::move(cached));
        m_controls->setStatus(tr("Shown from this session's results (same model and settings)."));
        Q_EMIT resultShown();
        return;
    }

    SensitivityRequest request;
    request.model = m_model;
    request.calibrationFile = m_controls->calibrationFile();
    request.windows = m_controls->windows();
    request.options.format = m_controls->format();
    request.options.modules = m_controls->modules();
    request.options.blocks = m_controls->blocks();
    request.proxy = m_controls->proxy();
    m_jobActivationKey = activationKey();
    if (request.proxy)
        request.activations = m_activationCache.value(m_jobActivationKey);
    m_jobKey = key;

    auto *job = new SensitivityJob(std::move(request));
    m_job = job;
    connect(job, &Job::progress, this, &SensitivityView::onJobProgress);
    connect(job, &Job::done, this, [this, job] { onJobDone(job); });
    connect(job, &Job::cancelRequested, this, [this] {
        m_controls->setStatus(tr("Cancelling…"));
        updateControls();
    });
    spdlog::info("sensitivity of {} with {} on {} x {} tokens", m_model->displayName(),
        m_controls->format().label(), m_controls->windows().samples, m_controls->windows().ctx);
    m_controls->setStatus(tr("Waiting for the worker…"));
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
    m_controls->setProgress(percent, message);
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
            m_controls->setStatus(tr("Finished in %1 s.")
                                  .arg(QLocale().toString(job->elapsedMs() / 1000.0, 'f', 1)));
            Q_EMIT resultShown();
        }
        break;
    }
    case Job::State::Failed:
        spdlog::error("sensitivity failed: {}", job->errorText().toStdString());
        m_controls->setStatus(tr("Failed: %1").arg(job->errorText()));
        Q_EMIT runFailed(job->errorText());
        break;
    case Job::State::Cancelled:
        m_controls->setStatus(tr("Cancelled. The results shown are unchanged."));
        Q_EMIT runCancelled();
        break;
    default:
        break;
    }
    if (current)
        m_job = nullptr;
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
    const bool parts = m_controls->modules() || m_controls->blocks();
    m_controls->setState(
        runnable && !running && parts, running, running && !m_job->isCancelRequested());
    m_export->setEnabled(m_result != nullptr);
    if (!m_model)
        m_controls->setStatus(tr("Open a model first."));
    else if (!runnable)
        m_controls->setStatus(QString::fromStdString(m_model->notRunnableReason()));
    else if (!parts && !running)
        m_controls->setStatus(tr("Choose modules, blocks or both."));
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
    m_controls->setStatus(ok ? tr("Saved %1").arg(QDir::toNativeSeparators(path))
                         : tr("Could not write %1").arg(QDir::toNativeSeparators(path)));
}

} // namespace lathe::ui
