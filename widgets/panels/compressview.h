// SPDX-License-Identifier: GPL-3.0-or-later
// CompressView: the Compress mode. Configure a recipe: an optional pruning stage (PruneControls:
// method, sparsity or N:M pattern, heads/channels/blocks to remove, a block-influence chart to
// pick blocks) and quantization (preset, method, format and options generated from the quant
// type table, calibration text, or none), see the plan it gives the
// open model module by module with the measured sensitivity beside it, override any module's
// format in the table, watch the live meter (bits per weight, size against the original,
// predicted damage), let "Plan for budget" choose per-module formats for a target, and Run it
// in a worker job that makes a new variant. Recipes save and load as YAML (the CLI runs them
// the same way); the global settings are remembered between sessions.
#pragma once

#include "analysis/sensitivity.h"
#include "quant/quantplan.h"
#include "recipe/recipe.h"

#include <QPointer>
#include <QWidget>

#include <map>
#include <memory>
#include <string>
#include <vector>

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

class BlockInfluenceJob;
class CompressControls;
class Job;
class JobRunner;
class ModulePlanTableModel;
class PlanBudgetJob;
class PruneControls;
class QuantizeJob;

class CompressView : public QWidget
{
    Q_OBJECT
public:
    explicit CompressView(JobRunner *runner, QWidget *parent = nullptr);
    ~CompressView() override;

    // The original model to compress (never a variant); clears the overrides.
    void setModel(std::shared_ptr<const lathe::LoadedModel> model);
    std::shared_ptr<const lathe::LoadedModel> model() const { return m_model; }
    // The Sensitivity mode's last result for this model (fills the Sensitivity column).
    void setSensitivity(std::shared_ptr<const lathe::SensitivityResult> result);

    // The recipe Run uses: the pruning section's stage (when checked), the controls' settings,
    // the rules of a loaded recipe that are not per-module overrides, then one rule per
    // override (no quantization section while "Quantize" is unchecked).
    lathe::Recipe recipe() const;
    // Shows `recipe` (pruning section, controls, overrides from its per-module rules) and
    // re-plans.
    void setRecipe(const lathe::Recipe &recipe);
    // The quantization plan of recipe() for the model (empty without a model, without a
    // quantization section or when it does not resolve).
    const lathe::QuantPlan &plan() const { return m_plan; }
    // Empty when the recipe resolves; otherwise why not.
    QString planError() const { return m_planError; }
    bool applyPreset(int index);
    void setOverride(const std::string &module, const std::string &format);
    std::map<std::string, std::string> overrides() const;
    // The planner's predicted damage while its choice is unchanged, else NaN.
    double plannedDamage() const;

    bool isRunning() const;
    Job *currentJob() const;

    // false (and the reason in the status line and errorOccurred()) when it fails.
    bool saveRecipeFile(const QString &path);
    bool loadRecipeFile(const QString &path);

    CompressControls *controls() const { return m_controls; }
    PruneControls *pruneControls() const { return m_prune; }
    ModulePlanTableModel *tableModel() const { return m_tableModel; }
    QTableView *tableView() const { return m_table; }
    QLabel *meterLabel() const { return m_meter; }
    QPushButton *runButton() const;
    QPushButton *cancelButton() const;
    QLabel *statusLabel() const;

public Q_SLOTS:
    void run();
    void planForBudget();
    // Measures block influence on the calibration text for the Prune section's chart.
    void measureBlockInfluence();
    void cancel();
    void saveRecipeWithDialog();
    void loadRecipeWithDialog();

Q_SIGNALS:
    // The meter and the table show a new plan.
    void planUpdated();
    void runStarted();
    // A variant was made; the main window adds it to the variant bar.
    void variantCreated(std::shared_ptr<lathe::LoadedModel> variant);
    void runCancelled();
    void runFailed(const QString &message);
    void budgetPlanned();
    // The Prune section's chart shows a new block-influence measurement.
    void blockInfluenceMeasured();
    // A problem the user should see (the main window shows it as a dialog).
    void errorOccurred(const QString &title, const QString &text);

private:
    void onRecipeChanged();
    void updatePlan();
    void updateMeter();
    void updateControls();
    void saveSettings() const;
    void restoreSettings();
    void startJob(Job *job, const QString &waiting);
    void onQuantizeDone(QuantizeJob *job);
    void onPlanDone(PlanBudgetJob *job);
    void onInfluenceDone(BlockInfluenceJob *job);
    QString pruningError(const lathe::PruningStage &stage) const;
    QString pruningSummary(const lathe::PruningStage &stage) const;
    void showError(const QString &title, const QString &text);

    JobRunner *m_runner = nullptr;
    std::shared_ptr<const lathe::LoadedModel> m_model;
    std::shared_ptr<const lathe::SensitivityResult> m_sensitivity;
    lathe::QuantPlan m_plan;
    QString m_planError;
    std::vector<lathe::QuantRule> m_extraRules; // a loaded recipe's general rules
    std::map<std::string, std::string> m_plannedOverrides;
    double m_plannedDamage = 0.0;
    bool m_hasPlannedDamage = false;
    QPointer<Job> m_job;

    QLabel *m_title = nullptr;
    PruneControls *m_prune = nullptr;
    CompressControls *m_controls = nullptr;
    QLabel *m_meter = nullptr;
    ModulePlanTableModel *m_tableModel = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_table = nullptr;
    QTextBrowser *m_note = nullptr;
};

} // namespace lathe::ui
