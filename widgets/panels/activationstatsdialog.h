// SPDX-License-Identifier: GPL-3.0-or-later
// ActivationStatsDialog: asks for the calibration text file and how much of it to run
// (samples x tokens per sample) before activation statistics start. Remembers the last
// choices in QSettings.
#pragma once

#include <QDialog>

class QLineEdit;
class QSpinBox;

namespace lathe::ui
{

class ActivationStatsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ActivationStatsDialog(QWidget *parent = nullptr);

    QString textFile() const;
    int samples() const;
    int ctx() const;
    // Stores the current choices as the next defaults.
    void remember() const;

    static QString lastTextFile();
    static void rememberChoices(const QString &textFile, int samples, int ctx);

private:
    void browse();

    QLineEdit *m_file = nullptr;
    QSpinBox *m_samples = nullptr;
    QSpinBox *m_ctx = nullptr;
};

} // namespace lathe::ui
