// SPDX-License-Identifier: GPL-3.0-or-later
// CompressControls: the settings row of the Compress view, generated from the quant type
// table: whether to quantize at all (a recipe may only prune), a preset, the method and the
// format (descriptions as tooltips), the method's options (clipping search, importance
// weighting, GPTQ damping and act-order, AWQ's quantizer after scaling, SmoothQuant's alpha),
// the calibration text and windows, the "Plan for budget" target, Run / Cancel, Save / Load
// recipe, and the progress of the running job. It reads and writes the global part of a
// Recipe; per-module rules belong to the view's table.
#pragma once

#include "recipe/recipe.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QToolButton;
class QWidget;

namespace lathe::ui
{

class CompressControls : public QWidget
{
    Q_OBJECT
public:
    explicit CompressControls(QWidget *parent = nullptr);

    // The settings as a recipe without rules (and without a quantization section while
    // "Quantize" is unchecked). `name` is the preset's label while quantizing with a preset's
    // method and format, else the name of the last loaded recipe, else empty.
    lathe::Recipe recipe() const;
    // Shows `recipe`'s global settings (its rules are ignored here); "Quantize" is checked
    // when it has a quantization section or no pruning one. Emits recipeChanged().
    void setRecipe(const lathe::Recipe &recipe);
    // Picks the preset at `index` of lathe::quantPresets(); false when out of range.
    bool applyPreset(int index);
    // Index into lathe::quantPresets() of the preset matching method and format, or -1.
    int currentPreset() const;

    QString calibrationFile() const;
    void setCalibrationFile(const QString &path);
    double budgetBits() const;
    void setBudgetBits(double bits);

    void setState(bool canRun, bool running, bool cancellable);
    void setProgress(int percent, const QString &message);
    void setStatus(const QString &text);

    bool quantizes() const;
    QCheckBox *quantizeCheck() const { return m_quantize; }
    QComboBox *presetCombo() const { return m_preset; }
    QComboBox *methodCombo() const { return m_method; }
    QComboBox *formatCombo() const { return m_format; }
    QCheckBox *clipSearchCheck() const { return m_clip; }
    QCheckBox *importanceCheck() const { return m_importance; }
    QDoubleSpinBox *dampingSpin() const { return m_damping; }
    QCheckBox *actOrderCheck() const { return m_actOrder; }
    QComboBox *awqThenCombo() const { return m_awqThen; }
    QDoubleSpinBox *alphaSpin() const { return m_alpha; }
    QLineEdit *calibrationEdit() const { return m_calibration; }
    QSpinBox *samplesSpin() const { return m_samples; }
    QSpinBox *ctxSpin() const { return m_ctx; }
    QDoubleSpinBox *budgetSpin() const { return m_budget; }
    QPushButton *planButton() const { return m_plan; }
    QPushButton *runButton() const { return m_run; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *saveButton() const { return m_save; }
    QPushButton *loadButton() const { return m_load; }
    QLabel *statusLabel() const { return m_status; }

Q_SIGNALS:
    // Any setting changed (the view re-plans and updates the meter).
    void recipeChanged();
    void runRequested();
    void cancelRequested();
    void planRequested();
    void saveRequested();
    void loadRequested();

private:
    void buildFormatRow(QWidget *box);
    void buildOptionsRow(QWidget *box);
    void buildCalibrationRow(QWidget *box);
    void buildActionsRow(QWidget *box);
    void onMethodOrFormatChanged();
    void refresh();
    void updateOptionVisibility();
    void selectData(QComboBox *combo, const QString &value);
    void browseCalibrationFile();

    QCheckBox *m_quantize = nullptr;
    QComboBox *m_preset = nullptr;
    QComboBox *m_method = nullptr;
    QComboBox *m_format = nullptr;
    QCheckBox *m_clip = nullptr;
    QCheckBox *m_importance = nullptr;
    QWidget *m_gptqBox = nullptr;
    QDoubleSpinBox *m_damping = nullptr;
    QCheckBox *m_actOrder = nullptr;
    QWidget *m_awqBox = nullptr;
    QComboBox *m_awqThen = nullptr;
    QWidget *m_smoothBox = nullptr;
    QDoubleSpinBox *m_alpha = nullptr;
    QLineEdit *m_calibration = nullptr;
    QToolButton *m_browse = nullptr;
    QSpinBox *m_samples = nullptr;
    QSpinBox *m_ctx = nullptr;
    QDoubleSpinBox *m_budget = nullptr;
    QPushButton *m_plan = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_load = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;

    // Settings a recipe carries that these controls do not show, kept so a loaded recipe
    // runs and saves as it was written.
    lathe::Recipe m_hidden;
    bool m_updating = false;
};

} // namespace lathe::ui
