// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/compresscontrols.h"

#include "quant/quanttypes.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QToolButton>
#include <QVBoxLayout>

namespace lathe::ui
{

namespace
{

QLabel *boldLabel(const QString &text, QWidget *parent)
{
    return new QLabel(QStringLiteral("<b>%1</b>").arg(text.toHtmlEscaped()), parent);
}

// A row of widgets in its own QWidget so the whole group can be shown or hidden.
QWidget *group(QWidget *parent, std::initializer_list<QWidget *> widgets)
{
    auto *box = new QWidget(parent);
    auto *row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(6);
    for (QWidget *w : widgets) {
        w->setParent(box);
        row->addWidget(w);
    }
    return box;
}

} // namespace

CompressControls::CompressControls(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("compressControls"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    buildFormatRow(this);
    buildOptionsRow(this);
    buildCalibrationRow(this);
    buildActionsRow(this);
    setRecipe(lathe::Recipe {});
}

void CompressControls::buildFormatRow(QWidget *box)
{
    m_quantize = new QCheckBox(tr("Quantize"), box);
    m_quantize->setObjectName(QStringLiteral("compressQuantize"));
    m_quantize->setChecked(true);
    m_quantize->setStyleSheet(QStringLiteral("font-weight: bold"));
    m_quantize->setToolTip(tr("Store the weights in fewer bits; unchecked: the recipe only "
                              "prunes and the weights stay in f32"));

    m_preset = new QComboBox(box);
    m_preset->setObjectName(QStringLiteral("compressPreset"));
    m_preset->addItem(tr("Custom"), -1);
    const auto &presets = lathe::quantPresets();
    for (std::size_t i = 0; i < presets.size(); ++i) {
        m_preset->addItem(QString::fromStdString(presets[i].label), static_cast<int>(i));
        m_preset->setItemData(m_preset->count() - 1,
            tr("%1 with %2")
                .arg(QString::fromStdString(lathe::quantMethodName(presets[i].method)),
                    QString::fromStdString(presets[i].format)),
            Qt::ToolTipRole);
    }
    m_preset->setToolTip(tr("A common method and format in one choice"));

    m_method = new QComboBox(box);
    m_method->setObjectName(QStringLiteral("compressMethod"));
    for (const lathe::QuantMethodInfo &m : lathe::quantMethods()) {
        m_method->addItem(QString::fromStdString(m.name), QString::fromStdString(m.name));
        m_method->setItemData(m_method->count() - 1,
            QString::fromStdString(m.description)
                + (m.needsCalibration ? tr(" (reads the calibration text)") : QString()),
            Qt::ToolTipRole);
    }
    m_method->setToolTip(tr("How the weights are rounded to the format"));

    m_format = new QComboBox(box);
    m_format->setObjectName(QStringLiteral("compressFormat"));
    for (const lathe::QuantType &t : lathe::quantTypes()) {
        m_format->addItem(QString::fromStdString(t.name), QString::fromStdString(t.name));
        m_format->setItemData(m_format->count() - 1,
            QString::fromStdString(t.description + " (scales: " + t.scaleFormat + ")"),
            Qt::ToolTipRole);
    }
    m_format->setToolTip(tr("Bits, group size and symmetry of the stored weights; "
                            "per-module overrides go in the table below"));

    auto *row = new QHBoxLayout;
    row->addWidget(m_quantize);
    row->addSpacing(12);
    row->addWidget(boldLabel(tr("Preset"), box));
    row->addWidget(m_preset);
    row->addSpacing(12);
    row->addWidget(boldLabel(tr("Method"), box));
    row->addWidget(m_method);
    row->addWidget(boldLabel(tr("Format"), box));
    row->addWidget(m_format);
    row->addStretch(1);
    static_cast<QVBoxLayout *>(layout())->addLayout(row);

    connect(m_quantize, &QCheckBox::toggled, this, [this] {
        updateOptionVisibility();
        if (!m_updating)
            Q_EMIT recipeChanged();
    });
    connect(m_preset, &QComboBox::activated, this,
        [this](int row) { applyPreset(m_preset->itemData(row).toInt()); });
    connect(m_method, &QComboBox::currentIndexChanged, this,
        &CompressControls::onMethodOrFormatChanged);
    connect(m_format, &QComboBox::currentIndexChanged, this,
        &CompressControls::onMethodOrFormatChanged);
}

void CompressControls::buildOptionsRow(QWidget *box)
{
    m_clip = new QCheckBox(tr("clipping search"), box);
    m_clip->setObjectName(QStringLiteral("compressClipSearch"));
    m_clip->setToolTip(tr("Search each group's scale for the least squared error instead of "
                          "using its largest weight: fewer levels wasted on outliers"));
    m_importance = new QCheckBox(tr("importance-weighted"), box);
    m_importance->setObjectName(QStringLiteral("compressImportance"));
    m_importance->setToolTip(tr("Weight the rounding error by how strongly the calibration "
                                "activations use each input channel (reads the calibration "
                                "text)"));

    m_damping = new QDoubleSpinBox(box);
    m_damping->setObjectName(QStringLiteral("compressDamping"));
    m_damping->setRange(0.0001, 1.0);
    m_damping->setDecimals(4);
    m_damping->setSingleStep(0.005);
    m_damping->setToolTip(tr("GPTQ damping: this fraction of the Hessian's mean diagonal is "
                             "added to it, for a stable inverse"));
    m_actOrder = new QCheckBox(tr("act-order"), box);
    m_actOrder->setObjectName(QStringLiteral("compressActOrder"));
    m_actOrder->setToolTip(tr("GPTQ: quantize the columns with the largest activations first "
                              "(groups stay static)"));
    m_gptqBox = group(box, { new QLabel(tr("GPTQ damping"), box), m_damping, m_actOrder });

    m_awqThen = new QComboBox(box);
    m_awqThen->setObjectName(QStringLiteral("compressAwqThen"));
    m_awqThen->addItem(tr("round to nearest"), QStringLiteral("rtn"));
    m_awqThen->addItem(tr("GPTQ"), QStringLiteral("gptq"));
    m_awqThen->setToolTip(tr("The quantizer AWQ runs after scaling the salient channels"));
    m_awqBox = group(box, { new QLabel(tr("AWQ, then"), box), m_awqThen });

    m_alpha = new QDoubleSpinBox(box);
    m_alpha->setObjectName(QStringLiteral("compressAlpha"));
    m_alpha->setRange(0.0, 1.0);
    m_alpha->setSingleStep(0.05);
    m_alpha->setDecimals(2);
    m_alpha->setToolTip(tr("SmoothQuant migration strength: 0 leaves the activation outliers "
                           "where they are, 1 moves them all into the weights"));
    m_smoothBox = group(box, { new QLabel(tr("SmoothQuant alpha"), box), m_alpha });

    auto *row = new QHBoxLayout;
    row->addWidget(boldLabel(tr("Options"), box));
    row->addWidget(m_clip);
    row->addWidget(m_importance);
    row->addWidget(m_awqBox);
    row->addWidget(m_gptqBox);
    row->addWidget(m_smoothBox);
    row->addStretch(1);
    static_cast<QVBoxLayout *>(layout())->addLayout(row);

    for (QCheckBox *c : { m_clip, m_importance, m_actOrder })
        connect(c, &QCheckBox::toggled, this, [this] {
            if (!m_updating)
                Q_EMIT recipeChanged();
        });
    for (QDoubleSpinBox *s : { m_damping, m_alpha })
        connect(s, &QDoubleSpinBox::valueChanged, this, [this] {
            if (!m_updating)
                Q_EMIT recipeChanged();
        });
    connect(m_awqThen, &QComboBox::currentIndexChanged, this, [this] {
        updateOptionVisibility();
        if (!m_updating)
            Q_EMIT recipeChanged();
    });
}

void CompressControls::buildCalibrationRow(QWidget *box)
{
    m_calibration = new QLineEdit(box);
    m_calibration->setObjectName(QStringLiteral("compressCalibration"));
    m_calibration->setPlaceholderText(tr("Built-in: generated demo stories"));
    m_calibration->setClearButtonEnabled(true);
    m_calibration->setToolTip(tr("A UTF-8 text file for the methods that calibrate (GPTQ, AWQ, "
                                 "SmoothQuant, importance weighting) and for Plan for budget. "
                                 "Empty: stories generated by Lathe's demo corpus."));
    m_browse = new QToolButton(box);
    m_browse->setObjectName(QStringLiteral("compressBrowse"));
    m_browse->setText(tr("Browse…"));
    m_samples = new QSpinBox(box);
    m_samples->setObjectName(QStringLiteral("compressSamples"));
    m_samples->setRange(1, 4096);
    m_samples->setSuffix(tr(" windows"));
    m_samples->setToolTip(tr("Calibration windows"));
    m_ctx = new QSpinBox(box);
    m_ctx->setObjectName(QStringLiteral("compressCtx"));
    m_ctx->setRange(8, 32768);
    m_ctx->setSuffix(tr(" tokens"));
    m_ctx->setToolTip(tr("Tokens per calibration window"));

    auto *row = new QHBoxLayout;
    row->addWidget(boldLabel(tr("Calibration"), box));
    row->addWidget(m_calibration, 1);
    row->addWidget(m_browse);
    row->addWidget(m_samples);
    row->addWidget(new QLabel(tr("×"), box));
    row->addWidget(m_ctx);
    static_cast<QVBoxLayout *>(layout())->addLayout(row);

    connect(m_browse, &QToolButton::clicked, this, &CompressControls::browseCalibrationFile);
    connect(m_calibration, &QLineEdit::editingFinished, this, [this] {
        if (!m_updating)
            Q_EMIT recipeChanged();
    });
    for (QSpinBox *s : { m_samples, m_ctx })
        connect(s, &QSpinBox::valueChanged, this, [this] {
            if (!m_updating)
                Q_EMIT recipeChanged();
        });
}

void CompressControls::buildActionsRow(QWidget *box)
{
    m_budget = new QDoubleSpinBox(box);
    m_budget->setObjectName(QStringLiteral("compressBudget"));
    m_budget->setRange(1.0, 16.0);
    m_budget->setDecimals(2);
    m_budget->setSingleStep(0.25);
    m_budget->setValue(4.5);
    m_budget->setSuffix(tr(" bits/weight"));
    m_budget->setToolTip(tr("Target for Plan for budget: mean bits per weight over the "
                            "quantized modules, scales included"));
    m_plan = new QPushButton(tr("Plan for budget"), box);
    m_plan->setObjectName(QStringLiteral("compressPlan"));
    m_plan->setToolTip(tr("Measure how much each module suffers in each candidate format and "
                          "choose per-module formats that fit the target with the least "
                          "predicted damage; the choice fills the table's overrides"));
    m_run = new QPushButton(tr("Run"), box);
    m_run->setObjectName(QStringLiteral("compressRun"));
    m_run->setToolTip(tr("Prune and/or quantize the model with this recipe into a new variant "
                         "(Ctrl+Enter)"));
    m_run->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"), box);
    m_cancel->setObjectName(QStringLiteral("compressCancel"));
    m_save = new QPushButton(tr("Save recipe…"), box);
    m_save->setObjectName(QStringLiteral("compressSaveRecipe"));
    m_save->setToolTip(tr("Save this recipe as YAML (lathe-cli quantize --recipe runs it)"));
    m_load = new QPushButton(tr("Load recipe…"), box);
    m_load->setObjectName(QStringLiteral("compressLoadRecipe"));
    m_load->setToolTip(tr("Load a recipe saved by Lathe or written by hand"));

    m_progress = new QProgressBar(box);
    m_progress->setObjectName(QStringLiteral("compressProgress"));
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(200);
    m_progress->setVisible(false);
    m_status = new QLabel(box);
    m_status->setObjectName(QStringLiteral("compressStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);

    auto *row = new QHBoxLayout;
    row->addWidget(boldLabel(tr("Budget"), box));
    row->addWidget(m_budget);
    row->addWidget(m_plan);
    row->addSpacing(16);
    row->addWidget(m_run);
    row->addWidget(m_cancel);
    row->addSpacing(16);
    row->addWidget(m_save);
    row->addWidget(m_load);
    row->addStretch(1);
    static_cast<QVBoxLayout *>(layout())->addLayout(row);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_progress);
    statusRow->addWidget(m_status, 1);
    static_cast<QVBoxLayout *>(layout())->addLayout(statusRow);

    connect(m_plan, &QPushButton::clicked, this, &CompressControls::planRequested);
    connect(m_run, &QPushButton::clicked, this, &CompressControls::runRequested);
    connect(m_cancel, &QPushButton::clicked, this, &CompressControls::cancelRequested);
    connect(m_save, &QPushButton::clicked, this, &CompressControls::saveRequested);
    connect(m_load, &QPushButton::clicked, this, &CompressControls::loadRequested);
}

void CompressControls::selectData(QComboBox *combo, const QString &value)
{
    int row = combo->findData(value);
    if (row < 0) {
        // A name outside the table (a hand-written recipe's "int5-g64"): offer it as is.
        combo->addItem(value, value);
        row = combo->count() - 1;
    }
    combo->setCurrentIndex(row);
}

lathe::Recipe CompressControls::recipe() const
{
    lathe::Recipe r = m_hidden;
    lathe::QuantizationStage stage = m_hidden.quantization.value_or(lathe::QuantizationStage {});
    stage.method = m_method->currentData().toString().toStdString();
    stage.format = m_format->currentData().toString().toStdString();
    stage.clipSearch = m_clip->isChecked();
    stage.importanceWeighted = m_importance->isChecked();
    stage.gptq.damping = m_damping->value();
    stage.gptq.actOrder = m_actOrder->isChecked();
    stage.awq.then = m_awqThen->currentData().toString().toStdString();
    stage.smoothQuant.alpha = m_alpha->value();
    stage.rules.clear();
    if (quantizes())
        r.quantization = std::move(stage);
    else
        r.quantization.reset();
    r.calibration.file = calibrationFile().toStdString();
    r.calibration.samples = m_samples->value();
    r.calibration.ctx = m_ctx->value();
    const int preset = currentPreset();
    if (r.name.empty() && preset >= 0 && quantizes())
        r.name = lathe::quantPresets()[static_cast<std::size_t>(preset)].label;
    return r;
}

void CompressControls::setRecipe(const lathe::Recipe &recipe)
{
    m_updating = true;
    m_hidden = recipe;
    const lathe::QuantizationStage stage
        = recipe.quantization.value_or(lathe::QuantizationStage {});
    if (m_hidden.quantization)
        m_hidden.quantization->rules.clear();
    m_quantize->setChecked(recipe.quantization.has_value() || !recipe.pruning.has_value());
    selectData(m_method, QString::fromStdString(stage.method));
    selectData(m_format, QString::fromStdString(stage.format));
    m_clip->setChecked(stage.clipSearch);
    m_importance->setChecked(stage.importanceWeighted);
    m_damping->setValue(stage.gptq.damping);
    m_actOrder->setChecked(stage.gptq.actOrder);
    selectData(m_awqThen, QString::fromStdString(stage.awq.then));
    m_alpha->setValue(stage.smoothQuant.alpha);
    m_calibration->setText(QString::fromStdString(recipe.calibration.file));
    m_samples->setValue(recipe.calibration.samples);
    m_ctx->setValue(recipe.calibration.ctx);
    m_updating = false;
    refresh();
}

int CompressControls::currentPreset() const
{
    const std::string method = m_method->currentData().toString().toStdString();
    const std::string format = m_format->currentData().toString().toStdString();
    const auto &presets = lathe::quantPresets();
    for (std::size_t i = 0; i < presets.size(); ++i)
        if (lathe::quantMethodName(presets[i].method) == method && presets[i].format == format)
            return static_cast<int>(i);
    return -1;
}

bool CompressControls::applyPreset(int index)
{
    const auto &presets = lathe::quantPresets();
    if (index < 0 || index >= static_cast<int>(presets.size()))
        return false;
    const lathe::QuantPreset &p = presets[static_cast<std::size_t>(index)];
    m_updating = true;
    selectData(m_method, QString::fromStdString(lathe::quantMethodName(p.method)));
    selectData(m_format, QString::fromStdString(p.format));
    m_updating = false;
    onMethodOrFormatChanged();
    return true;
}

void CompressControls::onMethodOrFormatChanged()
{
    if (m_updating)
        return;
    // A loaded recipe's own name stops describing it once method or format change.
    m_hidden.name.clear();
    refresh();
}

void CompressControls::refresh()
{
    // The preset combo follows: the preset these choices make, or Custom.
    const int row = m_preset->findData(currentPreset());
    m_preset->setCurrentIndex(row < 0 ? 0 : row);
    updateOptionVisibility();
    Q_EMIT recipeChanged();
}

bool CompressControls::quantizes() const
{
    return m_quantize->isChecked();
}

void CompressControls::updateOptionVisibility()
{
    const bool on = quantizes();
    for (QWidget *w : { static_cast<QWidget *>(m_preset), static_cast<QWidget *>(m_method),
             static_cast<QWidget *>(m_format), static_cast<QWidget *>(m_clip),
             static_cast<QWidget *>(m_importance), m_gptqBox, m_awqBox, m_smoothBox })
        w->setEnabled(on);
    if (m_budget) // built after the rows whose signals reach here
        m_budget->setEnabled(on);
    const QString method = m_method->currentData().toString();
    const bool awq = method == QLatin1String("awq");
    const bool awqGptq = awq && m_awqThen->currentData().toString() == QLatin1String("gptq");
    m_clip->setVisible(method == QLatin1String("rtn") || (awq && !awqGptq));
    m_importance->setVisible(method == QLatin1String("rtn"));
    m_gptqBox->setVisible(method == QLatin1String("gptq") || awqGptq);
    m_awqBox->setVisible(awq);
    m_smoothBox->setVisible(method == QLatin1String("smoothquant"));
}

QString CompressControls::calibrationFile() const
{
    return m_calibration->text().trimmed();
}

void CompressControls::setCalibrationFile(const QString &path)
{
    m_calibration->setText(path);
    Q_EMIT recipeChanged();
}

double CompressControls::budgetBits() const
{
    return m_budget->value();
}

void CompressControls::setBudgetBits(double bits)
{
    m_budget->setValue(bits);
}

void CompressControls::browseCalibrationFile()
{
    QString start = calibrationFile();
    if (start.isEmpty())
        start = QStandardPaths::writableLocation(QStandardPaths::HomeLocation);
    const QString path = QFileDialog::getOpenFileName(this, tr("Calibration Text"), start,
        tr("Text files (*.txt *.raw *.md);;All files (*)"));
    if (!path.isEmpty())
        setCalibrationFile(path);
}

void CompressControls::setState(bool canRun, bool running, bool cancellable)
{
    for (QWidget *w : { static_cast<QWidget *>(m_run), static_cast<QWidget *>(m_load) })
        w->setEnabled(canRun);
    // The planner chooses formats: nothing to plan while the recipe only prunes.
    m_plan->setEnabled(canRun && quantizes());
    m_cancel->setEnabled(cancellable);
    m_progress->setVisible(running);
    if (!running)
        m_progress->setValue(0);
}

void CompressControls::setProgress(int percent, const QString &message)
{
    m_progress->setValue(percent);
    m_status->setText(message);
}

void CompressControls::setStatus(const QString &text)
{
    m_status->setText(text);
}

} // namespace lathe::ui
