// SPDX-License-Identifier: GPL-3.0-or-later
// SensitivityControls: the settings row of the Sensitivity view. The compression format
// (round-to-nearest bits, group size, symmetric), what to measure (modules, blocks, the
// proxy), the calibration text and windows, Run and Cancel, and the progress of the run.
// Every setting is remembered in QSettings; an empty calibration file means the built-in
// generated stories.
#pragma once

#include "analysis/activationstats.h"
#include "quant/weightformat.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace lathe::ui
{

class SensitivityControls : public QWidget
{
    Q_OBJECT
public:
    explicit SensitivityControls(QWidget *parent = nullptr);

    lathe::WeightFormat format() const;
    void setFormat(const lathe::WeightFormat &format);
    QString calibrationFile() const;
    void setCalibrationFile(const QString &path);
    lathe::ActivationStatsOptions windows() const;
    void setWindows(int samples, int ctx);
    bool modules() const;
    bool blocks() const;
    bool proxy() const;
    void setParts(bool modules, bool blocks);

    // Run enabled or not; the progress bar shown while running; Cancel enabled or not.
    void setState(bool canRun, bool running, bool cancellable);
    void setProgress(int percent, const QString &message);
    void setStatus(const QString &text);
    void saveSettings() const;

    QPushButton *runButton() const { return m_run; }
    QPushButton *cancelButton() const { return m_cancel; }
    QSpinBox *bitsSpin() const { return m_bits; }
    QComboBox *groupCombo() const { return m_group; }
    QCheckBox *symmetricCheck() const { return m_symmetric; }
    QLabel *statusLabel() const { return m_status; }

public Q_SLOTS:
    void browseCalibrationFile();

Q_SIGNALS:
    void runRequested();
    void cancelRequested();
    void partsChanged();

private:
    void restoreSettings();

    QSpinBox *m_bits = nullptr;
    QComboBox *m_group = nullptr;
    QCheckBox *m_symmetric = nullptr;
    QCheckBox *m_modules = nullptr;
    QCheckBox *m_blocks = nullptr;
    QCheckBox *m_proxyCheck = nullptr;
    QLineEdit *m_calibration = nullptr;
    QToolButton *m_browse = nullptr;
    QSpinBox *m_samples = nullptr;
    QSpinBox *m_ctx = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace lathe::ui
