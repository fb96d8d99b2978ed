// SPDX-License-Identifier: GPL-3.0-or-later
// PruneControls: the "Prune first" section of the Compress view, generated from the pruning
// method table (lathe::pruneMethods()). Unstructured methods take a sparsity and an N:M
// pattern, plus per-layer overrides (a small table: layers, module kind or glob, sparsity ->
// PruneRule); heads and channels a count per layer; blocks a count plus a block-influence
// chart whose bars toggle which blocks to drop. It edits the recipe's PruningStage (unset while the
// section is unchecked); the view runs the influence measurement and feeds the result back.
#pragma once

#include "recipe/recipe.h"

#include <QGroupBox>

#include <optional>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace lathe::ui
{

class BarChart;

class PruneControls : public QGroupBox
{
    Q_OBJECT
public:
    explicit PruneControls(QWidget *parent = nullptr);

    // The stage Run uses, or nothing while "Prune first" is unchecked.
    std::optional<lathe::PruningStage> stage() const;
    // Shows `stage` (unchecks the section when unset; the last settings stay for the next
    // time it is checked). Emits recipeChanged().
    void setStage(const std::optional<lathe::PruningStage> &stage);

    // The open model's shape: the count ranges follow it (heads in whole KV groups) and the
    // block-influence chart is cleared. 0 everywhere: no model.
    void setModelShape(int layers, int heads, int kvHeads, int ffnChannels);
    // Block influence per decoder block (1 - cos(h_in, h_out)), shown as bars.
    void setBlockInfluence(const std::vector<double> &influence);
    const std::vector<double> &blockInfluence() const { return m_influence; }
    // Adds block `index` to the blocks to drop, or removes it (a click on its bar).
    void toggleBlock(int index);
    // The blocks a Run would drop as far as the controls know: the chosen ones, else the
    // `count` least influential once influence was measured, else none.
    std::vector<int> blocksToDrop() const;
    // Whether the "Measure block influence" button may start a job (a runnable model, no job).
    void setMeasureEnabled(bool enabled);

    QComboBox *methodCombo() const { return m_method; }
    QDoubleSpinBox *sparsitySpin() const { return m_sparsity; }
    QComboBox *patternCombo() const { return m_pattern; }
    QSpinBox *countSpin() const { return m_count; }
    QLabel *countLabel() const { return m_countLabel; }
    QPushButton *measureButton() const { return m_measure; }
    BarChart *influenceChart() const { return m_chart; }
    QLabel *blocksLabel() const { return m_blocksLabel; }
    // Per-layer overrides: one row per PruneRule (columns RulesColumn).
    enum RulesColumn { LayersColumn, KindColumn, MatchColumn, SparsityColumn };
    QTableWidget *rulesTable() const { return m_rules; }
    QPushButton *addRuleButton() const { return m_addRule; }
    QPushButton *removeRuleButton() const { return m_removeRule; }
    // Adds a row (all layers, `kind`, `percent` % zeros) as the Add button does.
    void addRule(const QString &kind = QStringLiteral("down_proj"), double percent = 25.0);

Q_SIGNALS:
    // Any setting changed, the section was checked or unchecked, or a block was toggled.
    void recipeChanged();
    // The user asked to measure block influence (the view starts the job).
    void measureInfluenceRequested();

private:
    void buildUi();
    void onMethodChanged();
    void onPatternChanged();
    void updateVisibility();
    void updateCountRange();
    void updateChart();
    void updateBlocksLabel();
    void buildRules(QWidget *box);
    void showRules();
    void readRules();
    bool structured() const;
    QString currentMethod() const;
    void changed();

    QWidget *m_content = nullptr;
    QComboBox *m_method = nullptr;
    QWidget *m_unstructuredBox = nullptr;
    QDoubleSpinBox *m_sparsity = nullptr;
    QComboBox *m_pattern = nullptr;
    QLabel *m_patternNote = nullptr;
    QWidget *m_countBox = nullptr;
    QLabel *m_countLabel = nullptr;
    QSpinBox *m_count = nullptr;
    QPushButton *m_measure = nullptr;
    QWidget *m_blocksBox = nullptr;
    BarChart *m_chart = nullptr;
    QLabel *m_blocksLabel = nullptr;
    QWidget *m_rulesBox = nullptr;
    QTableWidget *m_rules = nullptr;
    QPushButton *m_addRule = nullptr;
    QPushButton *m_removeRule = nullptr;

    // The stage as edited; widgets write into it, setStage() reads from it, so settings the
    // controls do not show (ignore globs, per-module rules, SparseGPT options) survive.
    lathe::PruningStage m_stage;
    std::vector<double> m_influence;
    int m_layers = 0;
    int m_heads = 0;
    int m_kvHeads = 0;
    int m_ffn = 0;
    bool m_updating = false;
};

} // namespace lathe::ui
