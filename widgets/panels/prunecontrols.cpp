// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/prunecontrols.h"

#include "charts/barchart.h"
#include "prune/prunemethods.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lathe::ui
{

namespace
{

QLabel *boldLabel(const QString &text, QWidget *parent)
{
    return new QLabel(QStringLiteral("<b>%1</b>").arg(text.toHtmlEscaped()), parent);
}

void selectData(QComboBox *combo, const QString &value)
{
    int row = combo->findData(value);
    if (row < 0) {
        // A name the table does not list (a hand-written "8:16"): offer it as is.
        combo->addItem(value, value);
        row = combo->count() - 1;
    }
    combo->setCurrentIndex(row);
}

} // namespace

PruneControls::PruneControls(QWidget *parent)
    : QGroupBox(parent)
{
    setObjectName(QStringLiteral("pruneControls"));
    setTitle(tr("Prune first"));
    setCheckable(true);
    setChecked(false);
    setToolTip(tr("Remove weights (or whole heads, channels, blocks) before quantizing; "
                  "unchecked: no pruning"));
    buildUi();
    setStage(std::nullopt);
}

void PruneControls::buildUi()
{
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 4, 8, 4);
    m_content = new QWidget(this);
    outer->addWidget(m_content);
    auto *layout = new QVBoxLayout(m_content);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    m_method = new QComboBox(m_content);
    m_method->setObjectName(QStringLiteral("pruneMethod"));
    for (const lathe::PruneMethod &m : lathe::pruneMethods()) {
        const QString name = QString::fromStdString(m.name);
        QString tip = QString::fromStdString(m.description);
        if (m.name == "blocks")
            tip += tr(" (reads the calibration text unless you choose the blocks)");
        else if (m.needsCalibration)
            tip += tr(" (reads the calibration text)");
        m_method->addItem(name, name);
        m_method->setItemData(m_method->count() - 1, tip, Qt::ToolTipRole);
    }
    m_method->setToolTip(tr("Which weights go: single weights (magnitude, wanda, sparsegpt) or "
                            "whole attention heads, FFN channels or decoder blocks"));

    // Unstructured: sparsity and pattern.
    m_unstructuredBox = new QWidget(m_content);
    auto *unstructured = new QHBoxLayout(m_unstructuredBox);
    unstructured->setContentsMargins(0, 0, 0, 0);
    m_sparsity = new QDoubleSpinBox(m_unstructuredBox);
    m_sparsity->setObjectName(QStringLiteral("pruneSparsity"));
    m_sparsity->setRange(0.0, 99.0);
    m_sparsity->setDecimals(1);
    m_sparsity->setSingleStep(5.0);
    m_sparsity->setSuffix(tr(" %"));
    m_sparsity->setToolTip(tr("Share of each linear module's weights set to zero"));
    m_pattern = new QComboBox(m_unstructuredBox);
    m_pattern->setObjectName(QStringLiteral("prunePattern"));
    m_pattern->addItem(tr("unstructured"), QString());
    m_pattern->setItemData(
        0, tr("Any weights may go; the sparsity says how many"), Qt::ToolTipRole);
    for (const char *p : { "2:4", "4:8" }) {
        const QString text = QString::fromLatin1(p);
        m_pattern->addItem(text, text);
        const lathe::PrunePattern nm = lathe::parsePrunePattern(p);
        m_pattern->setItemData(m_pattern->count() - 1,
            tr("%1 zeros in every %2 consecutive inputs of a row: the layout sparse tensor "
               "cores and sparse kernels can skip")
                .arg(nm.zeros)
                .arg(nm.group),
            Qt::ToolTipRole);
    }
    m_pattern->setToolTip(tr("Where the zeros may fall"));
    m_patternNote = new QLabel(m_unstructuredBox);
    m_patternNote->setObjectName(QStringLiteral("prunePatternNote"));
    unstructured->addWidget(new QLabel(tr("Sparsity"), m_unstructuredBox));
    unstructured->addWidget(m_sparsity);
    unstructured->addWidget(new QLabel(tr("Pattern"), m_unstructuredBox));
    unstructured->addWidget(m_pattern);
    unstructured->addWidget(m_patternNote);

    // Structured: a count (and, for blocks, the influence measurement).
    m_countBox = new QWidget(m_content);
    auto *count = new QHBoxLayout(m_countBox);
    count->setContentsMargins(0, 0, 0, 0);
    m_countLabel = new QLabel(m_countBox);
    m_count = new QSpinBox(m_countBox);
    m_count->setObjectName(QStringLiteral("pruneCount"));
    m_measure = new QPushButton(tr("Measure block influence"), m_countBox);
    m_measure->setObjectName(QStringLiteral("pruneMeasureInfluence"));
    m_measure->setToolTip(tr("Run the model on the calibration text and measure for every "
                             "decoder block how much it changes the hidden state, "
                             "1 - cos(input, output): blocks that barely change it can go "
                             "first"));
    count->addWidget(m_countLabel);
    count->addWidget(m_count);
    count->addWidget(m_measure);

    auto *row = new QHBoxLayout;
    row->addWidget(boldLabel(tr("Method"), m_content));
    row->addWidget(m_method);
    row->addSpacing(12);
    row->addWidget(m_unstructuredBox);
    row->addWidget(m_countBox);
    row->addStretch(1);
    layout->addLayout(row);

    m_blocksBox = new QWidget(m_content);
    auto *blocks = new QVBoxLayout(m_blocksBox);
    blocks->setContentsMargins(0, 0, 0, 0);
    m_chart = new BarChart(m_blocksBox);
    m_chart->setObjectName(QStringLiteral("pruneInfluenceChart"));
    m_chart->setExportName(QStringLiteral("block-influence"));
    m_chart->setCategoryLabel(tr("decoder block"));
    m_chart->setValueLabel(tr("block influence"));
    m_chart->setGroupNames({ tr("kept"), tr("dropped") });
    m_chart->setMinimumHeight(150);
    m_chart->setMaximumHeight(220);
    m_blocksLabel = new QLabel(m_blocksBox);
    m_blocksLabel->setObjectName(QStringLiteral("pruneBlocksLabel"));
    m_blocksLabel->setWordWrap(true);
    blocks->addWidget(m_chart);
    blocks->addWidget(m_blocksLabel);
    layout->addWidget(m_blocksBox);

    buildRules(m_content);
    layout->addWidget(m_rulesBox);

    connect(this, &QGroupBox::toggled, this, [this](bool on) {
        m_content->setVisible(on);
        changed();
    });
    connect(m_method, &QComboBox::currentIndexChanged, this, &PruneControls::onMethodChanged);
    connect(m_pattern, &QComboBox::currentIndexChanged, this, &PruneControls::onPatternChanged);
    connect(m_sparsity, &QDoubleSpinBox::valueChanged, this, [this](double percent) {
        if (m_updating)
            return;
        m_stage.sparsity = percent / 100.0;
        changed();
    });
    connect(m_count, &QSpinBox::valueChanged, this, [this](int value) {
        if (m_updating)
            return;
        m_stage.count = value;
        updateChart();
        changed();
    });
    connect(m_measure, &QPushButton::clicked, this, &PruneControls::measureInfluenceRequested);
    // Queued: toggling rebuilds the chart, which must not happen inside its own mouse handler.
    connect(
        m_chart, &BarChart::barClicked, this, [this](int index) { toggleBlock(index); },
        Qt::QueuedConnection);
}

std::optional<lathe::PruningStage> PruneControls::stage() const
{
    if (!isChecked())
        return std::nullopt;
    lathe::PruningStage s = m_stage;
    s.method = currentMethod().toStdString();
    if (s.method != "blocks")
        s.blocks.clear();
    // Overrides set sparsities: the structured methods remove counts instead.
    if (structured())
        s.rules.clear();
    return s;
}

void PruneControls::setStage(const std::optional<lathe::PruningStage> &stage)
{
    m_updating = true;
    if (stage)
        m_stage = *stage;
    setChecked(stage.has_value());
    m_content->setVisible(stage.has_value());
    selectData(m_method, QString::fromStdString(m_stage.method));
    m_sparsity->setValue(m_stage.sparsity * 100.0);
    selectData(m_pattern, QString::fromStdString(m_stage.pattern));
    updateCountRange();
    // Show a loaded count as it is, even one the model cannot take (the view says why),
    // rather than silently running another.
    const int shown = m_stage.blocks.empty() ? m_stage.count : int(m_stage.blocks.size());
    m_count->setRange(std::min(m_count->minimum(), shown), std::max(m_count->maximum(), shown));
    m_count->setValue(shown);
    showRules();
    m_updating = false;
    updateVisibility();
    updateChart();
    Q_EMIT recipeChanged();
}

void PruneControls::setModelShape(int layers, int heads, int kvHeads, int ffnChannels)
{
    m_layers = layers;
    m_heads = heads;
    m_kvHeads = kvHeads;
    m_ffn = ffnChannels;
    m_influence.clear();
    // Chosen blocks name blocks of the previous model.
    m_stage.blocks.clear();
    m_updating = true;
    updateCountRange();
    m_updating = false;
    if (structured())
        m_stage.count = m_count->value();
    updateVisibility();
    updateChart();
}

void PruneControls::setBlockInfluence(const std::vector<double> &influence)
{
    m_influence = influence;
    updateChart();
}

void PruneControls::toggleBlock(int index)
{
    if (index < 0 || (m_layers > 0 && index >= m_layers))
        return;
    std::vector<int> &blocks = m_stage.blocks;
    const auto it = std::find(blocks.begin(), blocks.end(), index);
    if (it != blocks.end())
        blocks.erase(it);
    else
        blocks.insert(std::upper_bound(blocks.begin(), blocks.end(), index), index);
    m_updating = true;
    if (!blocks.empty())
        m_count->setValue(int(blocks.size()));
    m_updating = false;
    m_stage.count = m_count->value();
    updateVisibility();
    updateChart();
    changed();
}

std::vector<int> PruneControls::blocksToDrop() const
{
    if (!m_stage.blocks.empty())
        return m_stage.blocks;
    if (m_influence.empty())
        return {};
    std::vector<int> order(m_influence.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
        [this](int a, int b) { return m_influence[std::size_t(a)] < m_influence[std::size_t(b)]; });
    order.resize(std::min(order.size(), std::size_t(std::max(0, m_count->value()))));
    std::sort(order.begin(), order.end());
    return order;
}

void PruneControls::setMeasureEnabled(bool enabled)
{
    m_measure->setEnabled(enabled);
}

QString PruneControls::currentMethod() const
{
    return m_method->currentData().toString();
}

bool PruneControls::structured() const
{
    for (const lathe::PruneMethod &m : lathe::pruneMethods())
        if (QString::fromStdString(m.name) == currentMethod())
            return m.structured;
    return false;
}

void PruneControls::changed()
{
    if (!m_updating)
        Q_EMIT recipeChanged();
}

void PruneControls::onMethodChanged()
{
    if (m_updating)
        return;
    m_stage.method = currentMethod().toStdString();
    // The count means heads, channels or blocks: keep it within the new range.
    m_updating = true;
    updateCountRange();
    m_updating = false;
    if (structured())
        m_stage.count = m_count->value();
    updateVisibility();
    updateChart();
    changed();
}

void PruneControls::onPatternChanged()
{
    if (!m_updating) {
        m_stage.pattern = m_pattern->currentData().toString().toStdString();
        changed();
    }
    updateVisibility();
}

void PruneControls::updateCountRange()
{
    const QString method = currentMethod();
    int low = 1;
    int high = 100000;
    int step = 1;
    if (method == QLatin1String("heads")) {
        m_countLabel->setText(tr("Heads to remove per layer"));
        // Under GQA whole KV groups go: a multiple of the query heads per KV head.
        step = m_heads > 0 && m_kvHeads > 0 ? std::max(1, m_heads / m_kvHeads) : 1;
        low = step;
        if (m_heads > 0)
            high = std::max(low, m_heads - step);
        m_count->setToolTip(m_kvHeads > 0 && m_kvHeads < m_heads
                ? tr("Query heads removed from every layer, in whole groups of %1 (the heads "
                     "that share one key/value head)")
                      .arg(step)
                : tr("Attention heads removed from every layer"));
    } else if (method == QLatin1String("channels")) {
        m_countLabel->setText(tr("FFN channels to remove per layer"));
        if (m_ffn > 1)
            high = m_ffn - 1;
        m_count->setToolTip(tr("Intermediate channels removed from every feed-forward block "
                               "(gate/up rows and down columns)"));
    } else {
        m_countLabel->setText(tr("Blocks to remove"));
        if (m_layers > 1)
            high = m_layers - 1;
        m_count->setToolTip(tr("Decoder blocks removed; click bars of the chart to choose "
                               "them, or let the least influential go"));
    }
    m_count->setRange(low, high);
    m_count->setSingleStep(step);
}

void PruneControls::updateVisibility()
{
    const bool isStructured = structured();
    const bool blocks = currentMethod() == QLatin1String("blocks");
    m_unstructuredBox->setVisible(!isStructured);
    m_rulesBox->setVisible(!isStructured);
    m_countBox->setVisible(isStructured);
    m_measure->setVisible(blocks);
    m_blocksBox->setVisible(blocks);
    // Chosen blocks fix the count.
    m_count->setEnabled(!(blocks && !m_stage.blocks.empty()));

    const QString pattern = m_pattern->currentData().toString();
    m_sparsity->setEnabled(pattern.isEmpty());
    QString note;
    if (!pattern.isEmpty()) {
        try {
            const lathe::PrunePattern nm = lathe::parsePrunePattern(pattern.toStdString());
            note = tr("fixes the sparsity at %1 %")
                       .arg(QLocale().toString(100.0 * nm.zeros / nm.group, 'f', 1));
        } catch (const std::exception &e) {
            note = QString::fromStdString(e.what());
        }
    }
    m_patternNote->setText(note);
    m_patternNote->setVisible(!note.isEmpty());
}

void PruneControls::updateChart()
{
    if (m_influence.empty()) {
        m_chart->clear();
    } else {
        const std::vector<int> drop = blocksToDrop();
        QStringList labels;
        QStringList tips;
        std::vector<int> groups;
        for (std::size_t i = 0; i < m_influence.size(); ++i) {
            const bool dropped = std::find(drop.begin(), drop.end(), int(i)) != drop.end();
            labels.append(QString::number(i));
            groups.push_back(dropped ? 1 : 0);
            tips.append(
                tr("Block %1: influence %2, %3 (click to %4)")
                    .arg(i)
                    .arg(QLocale().toString(m_influence[i], 'g', 4))
                    .arg(dropped ? tr("dropped") : tr("kept"))
                    .arg(m_stage.blocks.empty() || !dropped ? tr("drop it") : tr("keep it")));
        }
        m_chart->setBars(labels, m_influence, tips, groups);
    }
    updateBlocksLabel();
}

void PruneControls::updateBlocksLabel()
{
    auto list = [](const std::vector<int> &blocks) {
        QStringList names;
        for (int b : blocks)
            names.append(QString::number(b));
        return names.join(QStringLiteral(", "));
    };
    QString text;
    if (!m_stage.blocks.empty()) {
        text = tr("Run drops block(s) %1, as chosen. Click a bar to add or remove a block.")
                   .arg(list(m_stage.blocks));
    } else if (!m_influence.empty()) {
        text = tr("Run drops the %n least influential block(s), now %1. Click bars to choose "
                  "the blocks yourself.",
            nullptr, m_count->value())
                   .arg(list(blocksToDrop()));
    } else {
        text = tr("Run drops the %n least influential block(s), measured on the calibration "
                  "text. Measure block influence to see them and choose by clicking bars.",
            nullptr, m_count->value());
    }
    m_blocksLabel->setText(text);
}

} // namespace lathe::ui

namespace lathe::ui
{

namespace
{

// "" = every layer, "3", "0-5", "4-" (from 4 on), "-3" (up to 3). False when unreadable.
bool parseLayers(const QString &text, int &first, int &last)
{
    const QString t = text.trimmed();
    first = last = -1;
    if (t.isEmpty())
        return true;
    bool ok = true;
    const int dash = static_cast<int>(t.indexOf(QLatin1Char('-')));
    if (dash < 0) {
        first = last = t.toInt(&ok);
        return ok && first >= 0;
    }
    const QString a = t.left(dash).trimmed();
    const QString b = t.mid(dash + 1).trimmed();
    bool okA = true;
    bool okB = true;
    if (!a.isEmpty())
        first = a.toInt(&okA);
    if (!b.isEmpty())
        last = b.toInt(&okB);
    return okA && okB && (last < 0 || first <= last);
}

QString layersText(const lathe::PruneRule &rule)
{
    if (rule.firstLayer < 0 && rule.lastLayer < 0)
        return {};
    if (rule.firstLayer == rule.lastLayer)
        return QString::number(rule.firstLayer);
    return (rule.firstLayer >= 0 ? QString::number(rule.firstLayer) : QString()) + QLatin1Char('-')
        + (rule.lastLayer >= 0 ? QString::number(rule.lastLayer) : QString());
}

} // namespace

void PruneControls::buildRules(QWidget *box)
{
    m_rulesBox = new QWidget(box);
    auto *layout = new QVBoxLayout(m_rulesBox);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_rules = new QTableWidget(0, 4, m_rulesBox);
    m_rules->setObjectName(QStringLiteral("pruneRules"));
    m_rules->setHorizontalHeaderLabels(
        { tr("Layers"), tr("Kind"), tr("Module glob"), tr("Sparsity %") });
    m_rules->horizontalHeaderItem(LayersColumn)
        ->setToolTip(tr("Empty: every layer; 3; 0-5; 4- (from 4 on)"));
    m_rules->horizontalHeaderItem(KindColumn)
        ->setToolTip(tr("q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; "
                        "empty: any"));
    m_rules->horizontalHeaderItem(MatchColumn)
        ->setToolTip(tr("Glob on module names (model.layers.*.mlp.*); empty: any"));
    m_rules->horizontalHeaderItem(SparsityColumn)
        ->setToolTip(tr("Zeros in the matching modules, instead of the sparsity above; 0 "
                        "leaves them alone"));
    m_rules->horizontalHeader()->setStretchLastSection(true);
    m_rules->verticalHeader()->setVisible(false);
    m_rules->setMaximumHeight(110);
    m_rules->setToolTip(tr("Per-layer overrides: rules that match a module set its sparsity "
                           "(later rows win)"));
    m_addRule = new QPushButton(tr("Add override"), m_rulesBox);
    m_addRule->setObjectName(QStringLiteral("pruneAddRule"));
    m_removeRule = new QPushButton(tr("Remove"), m_rulesBox);
    m_removeRule->setObjectName(QStringLiteral("pruneRemoveRule"));
    // One line while there are no overrides; the table appears with the first one.
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(new QLabel(tr("Per-layer overrides"), m_rulesBox));
    buttons->addWidget(m_addRule);
    buttons->addWidget(m_removeRule);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    layout->addWidget(m_rules);
    m_rules->setVisible(false);
    m_removeRule->setEnabled(false);

    connect(m_addRule, &QPushButton::clicked, this, [this] { addRule(); });
    connect(m_removeRule, &QPushButton::clicked, this, [this] {
        const int row
            = m_rules->currentRow() >= 0 ? m_rules->currentRow() : m_rules->rowCount() - 1;
        if (row < 0)
            return;
        m_rules->removeRow(row);
        readRules();
        showRules();
    });
    connect(m_rules, &QTableWidget::itemChanged, this, [this] {
        if (!m_updating)
            readRules();
    });
}

void PruneControls::addRule(const QString &kind, double percent)
{
    lathe::PruneRule rule;
    rule.kind = kind.toStdString();
    rule.sparsity = percent / 100.0;
    m_stage.rules.push_back(rule);
    showRules();
    changed();
}

void PruneControls::showRules()
{
    const bool was = m_updating;
    m_updating = true;
    m_rules->setRowCount(int(m_stage.rules.size()));
    for (int row = 0; row < int(m_stage.rules.size()); ++row) {
        const lathe::PruneRule &rule = m_stage.rules[std::size_t(row)];
        const QString sparsity
            = rule.sparsity < 0.0 ? QString() : QString::number(rule.sparsity * 100.0, 'g', 6);
        const QString cells[] = { layersText(rule), QString::fromStdString(rule.kind),
            QString::fromStdString(rule.match), sparsity };
        for (int c = 0; c < 4; ++c)
            m_rules->setItem(row, c, new QTableWidgetItem(cells[c]));
    }
    m_rules->setVisible(!m_stage.rules.empty());
    m_removeRule->setEnabled(!m_stage.rules.empty());
    m_updating = was;
}

void PruneControls::readRules()
{
    // Rows the user left unreadable keep their last good value (shown in red).
    std::vector<lathe::PruneRule> rules;
    for (int row = 0; row < m_rules->rowCount(); ++row) {
        auto text = [this, row](int c) {
            const QTableWidgetItem *item = m_rules->item(row, c);
            return item ? item->text().trimmed() : QString();
        };
        lathe::PruneRule rule = row < int(m_stage.rules.size()) ? m_stage.rules[std::size_t(row)]
                                                                : lathe::PruneRule {};
        int first = -1;
        int last = -1;
        const bool layersOk = parseLayers(text(LayersColumn), first, last);
        if (layersOk) {
            rule.firstLayer = first;
            rule.lastLayer = last;
        }
        rule.kind = text(KindColumn).toStdString();
        rule.match = text(MatchColumn).toStdString();
        bool sparsityOk = true;
        const QString percent = text(SparsityColumn);
        const double value = percent.isEmpty() ? -100.0 : percent.toDouble(&sparsityOk);
        sparsityOk = sparsityOk && value < 100.0;
        if (sparsityOk)
            rule.sparsity = value < 0.0 ? -1.0 : value / 100.0;
        const bool was = m_updating;
        m_updating = true;
        for (int c : { int(LayersColumn), int(SparsityColumn) })
            if (QTableWidgetItem *item = m_rules->item(row, c))
                item->setForeground((c == LayersColumn ? layersOk : sparsityOk) ? palette().text()
                                                                                : QBrush(Qt::red));
        m_updating = was;
        rules.push_back(rule);
    }
    m_stage.rules = std::move(rules);
    changed();
}

} // namespace lathe::ui
