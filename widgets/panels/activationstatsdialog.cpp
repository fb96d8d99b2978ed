// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/activationstatsdialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace lathe::ui
{

namespace
{
const char *kFileKey = "inspect/calibrationFile";
const char *kSamplesKey = "inspect/calibrationSamples";
const char *kCtxKey = "inspect/calibrationCtx";
}

ActivationStatsDialog::ActivationStatsDialog(QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("activationStatsDialog"));
    setWindowTitle(tr("Activation Statistics"));
    QSettings settings;
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Lathe runs the model over a calibration text and records, for "
                                "the input of every linear module, the largest value and the "
                                "mean square of each feature."),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    auto *fileRow = new QHBoxLayout;
    m_file = new QLineEdit(lastTextFile(), this);
    m_file->setObjectName(QStringLiteral("calibrationFileEdit"));
    m_file->setPlaceholderText(tr("A plain text file, e.g. calibration-mixed.txt"));
    auto *browse = new QPushButton(tr("Browse…"), this);
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(browse);
    form->addRow(tr("Calibration text:"), fileRow);
    m_samples = new QSpinBox(this);
    m_samples->setObjectName(QStringLiteral("calibrationSamples"));
    m_samples->setRange(1, 4096);
    m_samples->setValue(settings.value(QLatin1String(kSamplesKey), 16).toInt());
    m_samples->setToolTip(tr("How many sequences of the text to run"));
    form->addRow(tr("Samples:"), m_samples);
    m_ctx = new QSpinBox(this);
    m_ctx->setObjectName(QStringLiteral("calibrationCtx"));
    m_ctx->setRange(8, 32768);
    m_ctx->setValue(settings.value(QLatin1String(kCtxKey), 256).toInt());
    m_ctx->setToolTip(tr("Tokens per sequence"));
    form->addRow(tr("Tokens per sample:"), m_ctx);
    layout->addLayout(form);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Run"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse, &QPushButton::clicked, this, &ActivationStatsDialog::browse);
    connect(m_file, &QLineEdit::textChanged, this, [this, buttons] {
        buttons->button(QDialogButtonBox::Ok)->setEnabled(QFileInfo(textFile()).isFile());
    });
    buttons->button(QDialogButtonBox::Ok)->setEnabled(QFileInfo(textFile()).isFile());
}

QString ActivationStatsDialog::lastTextFile()
{
    return QSettings().value(QLatin1String(kFileKey)).toString();
}

QString ActivationStatsDialog::textFile() const
{
    return m_file->text().trimmed();
}

int ActivationStatsDialog::samples() const
{
    return m_samples->value();
}

int ActivationStatsDialog::ctx() const
{
    return m_ctx->value();
}

void ActivationStatsDialog::remember() const
{
    rememberChoices(textFile(), samples(), ctx());
}

void ActivationStatsDialog::rememberChoices(const QString &textFile, int samples, int ctx)
{
    QSettings settings;
    settings.setValue(QLatin1String(kFileKey), QFileInfo(textFile).absoluteFilePath());
    settings.setValue(QLatin1String(kSamplesKey), samples);
    settings.setValue(QLatin1String(kCtxKey), ctx);
}

void ActivationStatsDialog::browse()
{
    const QString start = textFile().isEmpty() ? QString() : QFileInfo(textFile()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(this, tr("Calibration Text"), start,
        tr("Text files (*.txt *.raw *.md);;All files (*)"));
    if (!path.isEmpty())
        m_file->setText(path);
}

} // namespace lathe::ui
