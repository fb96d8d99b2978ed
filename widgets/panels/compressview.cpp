// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/compressview.h"

#include "api/compression.h"
#include "api/loadedmodel.h"
#include "format.h"
#include "jobs/jobrunner.h"
#include "jobs/planbudgetjob.h"
#include "jobs/quantizejob.h"
#include "models/formatdelegate.h"
#include "models/moduleplantablemodel.h"
#include "panels/compresscontrols.h"
#include "panels/prunecontrols.h"
#include "prune/prunemethods.h"
#include "recipe/recipeyaml.h"
#include "settings.h"
#include "util/error.h"

#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QShortcut>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

#include <cmath>
#include <limits>

namespace lathe::ui
{

namespace
{

// A rule the table shows as an override: one module by its exact name, only a format.
bool isOverrideRule(const lathe::QuantRule &rule)
{
    return !rule.match.empty() && rule.match.find_first_of("*?[") == std::string::npos
        && rule.kind.empty() && rule.firstLayer < 0 && rule.lastLayer < 0 && rule.method.empty()
        && !rule.format.empty();
}

QString noteHtml()
{
    return CompressView::tr(
        "<p><b>Quantization</b> stores each weight of the linear modules in fewer bits: a small "
        "integer (or NF4/FP8 code) and a scale shared by a group of weights. 4 bits instead of "
        "32 makes those weights 8× smaller; the scales cost a little extra, which is why "
        "bits per weight are a bit above 4.</p>"
        "<p><b>Methods.</b> <i>rtn</i> rounds each weight to the nearest level. <i>gptq</i> "
        "rounds column by column and corrects the remaining columns for the error, using "
        "calibration text. <i>awq</i> first scales up the input channels the activations use "
        "most so they lose less. <i>smoothquant</i> also quantizes activations to int8.</p>"
        "<p><b>The table</b> lists every module with the format it gets. Double-click a format "
        "to override it: keep fragile modules (high sensitivity, from the Sensitivity mode) at "
        "more bits and compress robust ones harder. <b>Plan for budget</b> does that for you: "
        "it measures each module in each candidate format and picks the cheapest damage for "
        "the bits you allow.</p>"
        "<p><b>Pruning</b> (check <i>Prune first</i>) removes weights before quantizing. "
        "<i>magnitude</i> zeros the smallest weights; <i>wanda</i> weighs them by how strongly "
        "the calibration text drives their inputs; <i>sparsegpt</i> also adjusts the weights "
        "that stay to make up for the ones removed. A 2:4 pattern keeps 2 of every 4 weights, "
        "a layout sparse kernels can skip. <i>heads</i>, <i>channels</i> and <i>blocks</i> "
        "remove whole attention heads, feed-forward channels or decoder blocks: the model "
        "really gets smaller. Blocks whose output hardly differs from their input (low block "
        "influence) are the cheapest to drop; click bars of the chart to choose them.</p>"
        "<p><b>Run</b> makes a variant beside the original (it shares every untouched tensor); "
        "measure what it lost in the Evaluate mode.</p>");
}

QString damageText(double value)
{
    return std::fabs(value) >= 0.01 ? QLocale().toString(value, 'f', 4)
                                    : QLocale().toString(value, 'g', 3);
}

} // namespace

CompressView::CompressView(JobRunner *runner, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("compressView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 8);
    layout->setSpacing(6);

    m_title = new QLabel(tr("Compress"), this);
    m_title->setObjectName(QStringLiteral("compressTitle"));
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    layout->addWidget(m_title);

    m_prune = new PruneControls(this);
    layout->addWidget(m_prune);
    m_controls = new CompressControls(this);
    layout->addWidget(m_controls);

    m_meter = new QLabel(this);
    m_meter->setObjectName(QStringLiteral("compressMeter"));
    m_meter->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_meter->setWordWrap(true);
    QFont meterFont = m_meter->font();
    meterFont.setPointSizeF(meterFont.pointSizeF() * 1.15);
    m_meter->setFont(meterFont);
    layout->addWidget(m_meter);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("compressSplitter"));
    split->setChildrenCollapsible(false);
    m_tableModel = new ModulePlanTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_tableModel);
    m_proxy->setSortRole(ModulePlanTableModel::SortRole);
    m_table = new QTableView(split);
    m_table->setObjectName(QStringLiteral("compressTable"));
    m_table->setModel(m_proxy);
    m_table->setItemDelegateForColumn(
        ModulePlanTableModel::FormatColumn, new FormatDelegate(m_table));
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed
        | QAbstractItemView::SelectedClicked);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideLeft);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    QHeaderView *columns = m_table->horizontalHeader();
    columns->setHighlightSections(false);
    columns->setSectionResizeMode(ModulePlanTableModel::ModuleColumn, QHeaderView::Stretch);
    for (int c = ModulePlanTableModel::KindColumn; c < ModulePlanTableModel::ColumnCount; ++c)
        columns->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    columns->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);
    m_note = new QTextBrowser(split);
    m_note->setObjectName(QStringLiteral("compressNote"));
    m_note->setHtml(noteHtml());
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setSizes({ 1000, 360 });
    layout->addWidget(split, 1);

    for (const QKeySequence &keys : { QKeySequence(Qt::CTRL | Qt::Key_Return),
             QKeySequence(Qt::CTRL | Qt::Key_Enter) }) {
        auto *shortcut = new QShortcut(keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, [this] {
            if (runButton()->isEnabled())
                run();
        });
    }

    connect(m_controls, &CompressControls::recipeChanged, this, &CompressView::onRecipeChanged);
    connect(m_prune, &PruneControls::recipeChanged, this, &CompressView::onRecipeChanged);
    connect(m_prune, &PruneControls::measureInfluenceRequested, this,
        &CompressView::measureBlockInfluence);
    connect(m_controls, &CompressControls::runRequested, this, &CompressView::run);
    connect(m_controls, &CompressControls::cancelRequested, this, &CompressView::cancel);
    connect(m_controls, &CompressControls::planRequested, this, &CompressView::planForBudget);
    connect(
        m_controls, &CompressControls::saveRequested, this, &CompressView::saveRecipeWithDialog);
    connect(
        m_controls, &CompressControls::loadRequested, this, &CompressView::loadRecipeWithDialog);
    connect(m_controls->budgetSpin(), &QDoubleSpinBox::valueChanged, this,
        [](double bits) { Settings().setCompressBudgetBits(bits); });
    connect(m_tableModel, &ModulePlanTableModel::overridesChanged, this, [this] {
        updatePlan();
    });
    restoreSettings();
    updatePlan();
}

CompressView::~CompressView() = default;

QPushButton *CompressView::runButton() const
{
    return m_controls->runButton();
}

QPushButton *CompressView::cancelButton() const
{
    return m_controls->cancelButton();
}

QLabel *CompressView::statusLabel() const
{
    return m_controls->statusLabel();
}

void CompressView::setModel(std::shared_ptr<const lathe::LoadedModel> model)
{
    if (model == m_model)
        return;
    cancel();
    m_model = std::move(model);
    m_title->setText(m_model
            ? tr("Compress: %1").arg(QString::fromStdString(m_model->displayName()))
            : tr("Compress"));
    // Overrides name modules of the previous model.
    m_tableModel->clear();
    m_sensitivity.reset();
    const lathe::ModelConfig *config
        = m_model && m_model->summary().config ? &*m_model->summary().config : nullptr;
    if (config)
        m_prune->setModelShape(int(config->numLayers), int(config->numHeads),
            int(config->numKvHeads), int(config->intermediateSize));
    else
        m_prune->setModelShape(0, 0, 0, 0);
    m_hasPlannedDamage = false;
    m_controls->setStatus(QString());
    updatePlan();
}

void CompressView::setSensitivity(std::shared_ptr<const lathe::SensitivityResult> result)
{
    m_sensitivity = std::move(result);
    m_tableModel->setSensitivity(m_sensitivity.get());
    updateMeter();
}

lathe::Recipe CompressView::recipe() const
{
    lathe::Recipe r = m_controls->recipe();
    r.pruning = m_prune->stage();
    if (!r.quantization)
        return r;
    std::vector<lathe::QuantRule> &rules = r.quantization->rules;
    rules = m_extraRules;
    for (const auto &[module, format] : m_tableModel->overrides()) {
        lathe::QuantRule rule;
        rule.match = module;
        rule.format = format;
        rules.push_back(std::move(rule));
    }
    // A preset's label no longer describes a recipe with per-module choices or pruning: let
    // the engine name it ("mixed 4.31 bpw RTN", "wanda 50% + int8 RTN").
    if ((!m_tableModel->overrides().empty() || r.pruning) && m_controls->currentPreset() >= 0
        && r.name == lathe::quantPresets()[static_cast<std::size_t>(m_controls->currentPreset())]
                         .label)
        r.name.clear();
    return r;
}

void CompressView::setRecipe(const lathe::Recipe &recipe)
{
    std::map<std::string, std::string> overrides;
    m_extraRules.clear();
    if (recipe.quantization) {
        for (const lathe::QuantRule &rule : recipe.quantization->rules) {
            if (isOverrideRule(rule))
                overrides[rule.match] = rule.format;
            else
                m_extraRules.push_back(rule);
        }
    }
    m_tableModel->setOverrides(std::move(overrides));
    {
        // The controls' recipeChanged below re-plans once everything is shown.
        const QSignalBlocker blocker(m_prune);
        m_prune->setStage(recipe.pruning);
    }
    m_controls->setRecipe(recipe); // re-plans through recipeChanged
}

bool CompressView::applyPreset(int index)
{
    return m_controls->applyPreset(index);
}

void CompressView::setOverride(const std::string &module, const std::string &format)
{
    m_tableModel->setOverride(module, format);
}

std::map<std::string, std::string> CompressView::overrides() const
{
    return m_tableModel->overrides();
}

double CompressView::plannedDamage() const
{
    if (m_hasPlannedDamage && m_tableModel->overrides() == m_plannedOverrides)
        return m_plannedDamage;
    return std::numeric_limits<double>::quiet_NaN();
}

void CompressView::onRecipeChanged()
{
    saveSettings();
    updatePlan();
}

void CompressView::updatePlan()
{
    m_planError.clear();
    m_plan = {};
    const lathe::Recipe r = recipe();
    if (!r.pruning && !r.quantization)
        m_planError = tr("the recipe neither prunes nor quantizes: check Prune first, "
                         "Quantize or both");
    else if (m_model && r.pruning)
        m_planError = pruningError(*r.pruning);
    if (m_model && r.quantization && m_planError.isEmpty()) {
        try {
            m_plan = lathe::previewQuantPlan(*m_model, r);
        } catch (const lathe::Error &e) {
            m_plan = {};
            m_planError = QString::fromStdString(e.what());
        }
    }
    m_tableModel->setPlan(m_plan);
    updateMeter();
    updateControls();
    Q_EMIT planUpdated();
}

void CompressView::updateMeter()
{
    if (!m_model) {
        m_meter->setText(tr("Open a model to plan its compression."));
        return;
    }
    if (!m_planError.isEmpty()) {
        m_meter->setText(tr("<span style='color:#d04040'>This recipe does not fit the model: "
                            "%1</span>")
                             .arg(m_planError.toHtmlEscaped()));
        return;
    }
    const std::optional<lathe::PruningStage> pruning = m_prune->stage();
    const QString pruned = pruning ? pruningSummary(*pruning) : QString();
    if (!m_controls->quantizes()) {
        m_meter->setText(pruned + tr("<br>No quantization: the weights stay in f32 (%1 now).")
                                      .arg(formatSize(m_model->summary().bytes)));
        return;
    }
    int quantized = 0;
    for (const lathe::ModulePlan &m : m_plan.modules)
        quantized += m.format ? 1 : 0;
    const double ratio = m_plan.totalBytes > 0
        ? double(m_plan.originalBytes) / double(m_plan.totalBytes)
        : 0.0;
    QString text = tr("<b>%1 bits/weight</b> over %2 of %3 modules · <b>%4</b> of %5 in f32 "
                      "(%6× smaller)")
                       .arg(QLocale().toString(m_plan.bitsPerWeight(), 'f', 2))
                       .arg(quantized)
                       .arg(m_plan.modules.size())
                       .arg(formatSize(m_plan.totalBytes), formatSize(m_plan.originalBytes),
                           QLocale().toString(ratio, 'f', 2));

    // Predicted damage: the planner's, or the sum of the sensitivities measured in the very
    // format a module gets (damages add to first order; the planner assumes the same).
    const double planned = plannedDamage();
    if (!std::isnan(planned)) {
        text += tr(" · predicted damage %1 nats (planner)").arg(damageText(planned));
    } else if (m_sensitivity) {
        const std::string format = m_sensitivity->format.name();
        double sum = 0.0;
        int covered = 0;
        for (const lathe::ModulePlan &m : m_plan.modules) {
            if (m.format && m.format->name() == format) {
                const double kl = m_tableModel->sensitivityOf(m.module);
                if (!std::isnan(kl)) {
                    sum += kl;
                    ++covered;
                }
            }
        }
        if (covered > 0)
            text += tr(" · predicted damage ≈ %1 nats (sum of the Sensitivity run's mean KL "
                       "over the %2 modules in %3)")
                        .arg(damageText(sum))
                        .arg(covered)
                        .arg(QString::fromStdString(format));
    }
    if (pruning && lathe::findPruneMethod(pruning->method).structured)
        text += tr(" (sizes before pruning)");
    m_meter->setText(pruned.isEmpty() ? text : pruned + QStringLiteral("<br>") + text);
}

void CompressView::updateControls()
{
    const bool running = isRunning();
    const bool runnable = m_model && m_model->runnable();
    m_controls->setState(runnable && !running && m_planError.isEmpty(), running,
        running && !m_job->isCancelRequested());
    m_controls->saveButton()->setEnabled(true);
    m_prune->setMeasureEnabled(runnable && !running);
    m_controls->loadButton()->setEnabled(!running);
    if (!m_model)
        m_controls->setStatus(tr("Open a model first."));
    else if (!runnable && !running)
        m_controls->setStatus(QString::fromStdString(m_model->notRunnableReason()));
}

void CompressView::saveSettings() const
{
    lathe::Recipe r = m_controls->recipe();
    // Like the per-module overrides, chosen blocks and per-module rules belong to one model
    // and one recipe file, not to the next session.
    r.pruning = m_prune->stage();
    if (r.pruning) {
        r.pruning->blocks.clear();
        r.pruning->rules.clear();
    }
    try {
        Settings().setCompressRecipe(QString::fromStdString(lathe::recipeToYaml(r)));
    } catch (const lathe::Error &e) {
        spdlog::warn("cannot remember the compression settings: {}", e.what());
    }
}

void CompressView::restoreSettings()
{
    Settings settings;
    m_controls->setBudgetBits(settings.compressBudgetBits());
    const QString yaml = settings.compressRecipe();
    if (yaml.isEmpty())
        return;
    try {
        const lathe::Recipe r = lathe::parseRecipeYaml(yaml.toStdString(), "remembered settings");
        m_prune->setStage(r.pruning);
        m_controls->setRecipe(r);
    } catch (const lathe::Error &e) {
        spdlog::warn("ignoring the remembered compression settings: {}", e.what());
    }
}

bool CompressView::isRunning() const
{
    return m_job && !m_job->isDone();
}

Job *CompressView::currentJob() const
{
    return m_job;
}

void CompressView::startJob(Job *job, const QString &waiting)
{
    m_job = job;
    connect(job, &Job::progress, this,
        [this](int percent, const QString &message) { m_controls->setProgress(percent, message); });
    connect(job, &Job::cancelRequested, this, [this] {
        m_controls->setStatus(tr("Cancelling…"));
        updateControls();
    });
    m_controls->setStatus(waiting);
    m_runner->start(job);
    updateControls();
}

void CompressView::run()
{
    if (!m_model || !m_model->runnable() || isRunning() || !m_planError.isEmpty())
        return;
    saveSettings();
    QuantizeRequest request;
    request.model = m_model;
    request.recipe = recipe();
    request.calibrationFile = m_controls->calibrationFile();
    spdlog::info("compressing {}: {}{}", m_model->displayName(),
        request.recipe.pruning ? "prune " + request.recipe.pruning->method + ", " : std::string(),
        request.recipe.quantization ? "quantize " + request.recipe.quantization->method + " "
                + request.recipe.quantization->format
                                    : std::string("no quantization"));
    auto *job = new QuantizeJob(std::move(request));
    connect(job, &Job::done, this, [this, job] { onQuantizeDone(job); });
    startJob(job, tr("Waiting for the worker…"));
    Q_EMIT runStarted();
}

void CompressView::planForBudget()
{
    if (!m_model || !m_model->runnable() || isRunning() || !m_planError.isEmpty())
        return;
    PlanBudgetRequest request;
    request.model = m_model;
    request.recipe = recipe();
    if (!request.recipe.quantization)
        return; // nothing to plan: the recipe only prunes
    lathe::PlanSettings plan;
    plan.targetBitsPerWeight = m_controls->budgetBits();
    request.recipe.quantization->plan = plan;
    request.calibrationFile = m_controls->calibrationFile();
    auto *job = new PlanBudgetJob(std::move(request));
    connect(job, &Job::done, this, [this, job] { onPlanDone(job); });
    startJob(job, tr("Waiting for the worker…"));
}

void CompressView::cancel()
{
    if (isRunning())
        m_job->cancel();
}

void CompressView::onQuantizeDone(QuantizeJob *job)
{
    const bool current = job == m_job;
    switch (job->state()) {
    case Job::State::Finished: {
        std::shared_ptr<lathe::LoadedModel> variant = job->takeResult();
        if (variant && job->request().model == m_model) {
            const lathe::VariantInfo *info = variant->variantInfo();
            QString sparsity;
            if (info && !info->pruning.empty())
                sparsity = tr("%1 % zeros, %2 parameters, ")
                               .arg(QLocale().toString(100.0 * info->sparsity, 'f', 1),
                                   QLocale().toString(double(info->parameters), 'f', 0));
            m_controls->setStatus(info
                    ? tr("Made %1: %2 bits/weight, %3%4, in %5 s.")
                          .arg(QString::fromStdString(info->name),
                              QLocale().toString(info->bitsPerWeight, 'f', 2), sparsity,
                              formatSize(info->weightBytes),
                              QLocale().toString(info->seconds, 'f', 1))
                    : tr("Done."));
            Q_EMIT variantCreated(std::move(variant));
        }
        break;
    }
    case Job::State::Failed:
        spdlog::error("compression failed: {}", job->errorText().toStdString());
        m_controls->setStatus(tr("Failed: %1").arg(job->errorText()));
        Q_EMIT runFailed(job->errorText());
        break;
    case Job::State::Cancelled:
        m_controls->setStatus(tr("Cancelled. No variant was made."));
        Q_EMIT runCancelled();
        break;
    default:
        break;
    }
    job->releaseModel();
    if (current)
        m_job = nullptr;
    updateControls();
}

void CompressView::onPlanDone(PlanBudgetJob *job)
{
    const bool current = job == m_job;
    if (job->state() == Job::State::Finished && job->request().model == m_model) {
        std::map<std::string, std::string> planned;
        const lathe::Recipe &r = job->plannedRecipe();
        if (r.quantization)
            for (const lathe::QuantRule &rule : r.quantization->rules)
                if (isOverrideRule(rule))
                    planned[rule.match] = rule.format;
        m_plannedOverrides = planned;
        m_plannedDamage = job->predictedDamage();
        m_hasPlannedDamage = true;
        m_tableModel->setOverrides(std::move(planned)); // re-plans
        m_controls->setStatus(tr("Planned %1 modules for %2 bits/weight: %3 achieved.")
                                  .arg(m_plannedOverrides.size())
                                  .arg(QLocale().toString(m_controls->budgetBits(), 'f', 2),
                                      QLocale().toString(m_plan.bitsPerWeight(), 'f', 2)));
        Q_EMIT budgetPlanned();
    } else if (job->state() == Job::State::Failed) {
        m_controls->setStatus(tr("Planning failed: %1").arg(job->errorText()));
        Q_EMIT runFailed(job->errorText());
    } else if (job->state() == Job::State::Cancelled) {
        m_controls->setStatus(tr("Planning cancelled. The overrides are unchanged."));
        Q_EMIT runCancelled();
    }
    job->releaseModel();
    if (current)
        m_job = nullptr;
    updateControls();
}

void CompressView::showError(const QString &title, const QString &text)
{
    m_controls->setStatus(text);
    Q_EMIT errorOccurred(title, text);
}

bool CompressView::saveRecipeFile(const QString &path)
{
    try {
        lathe::saveRecipe(recipe(), path.toStdString());
    } catch (const lathe::Error &e) {
        showError(tr("Cannot Save Recipe"), QString::fromStdString(e.what()));
        return false;
    }
    m_controls->setStatus(tr("Saved %1").arg(QDir::toNativeSeparators(path)));
    return true;
}

bool CompressView::loadRecipeFile(const QString &path)
{
    lathe::Recipe loaded;
    try {
        loaded = lathe::loadRecipe(path.toStdString());
    } catch (const lathe::Error &e) {
        showError(tr("Cannot Load Recipe"), QString::fromStdString(e.what()));
        return false;
    }
    if (!loaded.quantization && !loaded.pruning)
        loaded.quantization = lathe::QuantizationStage {};
    m_hasPlannedDamage = false;
    setRecipe(loaded);
    m_controls->setStatus(tr("Loaded %1").arg(QDir::toNativeSeparators(path)));
    return true;
}

void CompressView::saveRecipeWithDialog()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Recipe"),
        dir + QStringLiteral("/recipe.yaml"), tr("Recipes (*.yaml *.yml)"));
    if (!path.isEmpty())
        saveRecipeFile(path);
}

void CompressView::loadRecipeWithDialog()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Load Recipe"), dir, tr("Recipes (*.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        loadRecipeFile(path);
}

} // namespace lathe::ui
