// SPDX-License-Identifier: GPL-3.0-or-later
#include "charts/chartpanel.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QSaveFile>
#include <QSettings>
#include <QSvgGenerator>
#include <QVBoxLayout>

#include "charts/qcp.h"
#include <spdlog/spdlog.h>

#include <cmath>

namespace lathe::ui
{

namespace
{

const char *kExportDirKey = "charts/lastExportDir";

QString suffixOf(ChartPanel::ExportFormat format)
{
    switch (format) {
    case ChartPanel::ExportFormat::Png:
        return QStringLiteral("png");
    case ChartPanel::ExportFormat::Svg:
        return QStringLiteral("svg");
    case ChartPanel::ExportFormat::Pdf:
        return QStringLiteral("pdf");
    case ChartPanel::ExportFormat::Csv:
        return QStringLiteral("csv");
    }
    return {};
}

} // namespace

ChartPanel::ChartPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("chartPlot"));
    m_plot->setMinimumSize(120, 90);
    m_plot->setContextMenuPolicy(Qt::CustomContextMenu);
    layout->addWidget(m_plot);
    connect(m_plot, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu *menu = createContextMenu(this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_plot->mapToGlobal(pos));
    });
    m_style = ChartStyle::fromPalette(palette());
    applyChartStyle(m_plot, m_style);
}

ChartPanel::~ChartPanel() = default;

QMenu *ChartPanel::createContextMenu(QWidget *parent)
{
    auto *menu = new QMenu(parent);
    menu->setObjectName(QStringLiteral("chartContextMenu"));
    const struct {
        ExportFormat format;
        const char *name;
        QString text;
    } entries[] = {
        { ExportFormat::Png, "actionExportPng", tr("Export PNG…") },
        { ExportFormat::Svg, "actionExportSvg", tr("Export SVG…") },
        { ExportFormat::Pdf, "actionExportPdf", tr("Export PDF…") },
        { ExportFormat::Csv, "actionExportCsv", tr("Export CSV…") },
    };
    for (const auto &entry : entries) {
        QAction *action = menu->addAction(entry.text);
        action->setObjectName(QLatin1String(entry.name));
        const ExportFormat format = entry.format;
        connect(action, &QAction::triggered, this, [this, format] { exportWithDialog(format); });
    }
    menu->addSeparator();
    QAction *copy = menu->addAction(tr("Copy"));
    copy->setObjectName(QStringLiteral("actionCopyChart"));
    copy->setStatusTip(tr("Copy the chart image to the clipboard"));
    connect(copy, &QAction::triggered, this, &ChartPanel::copyImage);
    return menu;
}

void ChartPanel::exportWithDialog(ExportFormat format)
{
    QSettings settings;
    const QString dir = settings.value(QLatin1String(kExportDirKey), QDir::homePath()).toString();
    const QString suffix = suffixOf(format);
    QString safeName = m_exportName;
    safeName.replace(QLatin1Char('/'), QLatin1Char('_'));
    const QString proposed = dir + QLatin1Char('/') + safeName + QLatin1Char('.') + suffix;
    const QString filter = tr("%1 files (*.%2)").arg(suffix.toUpper(), suffix);
    QString path = QFileDialog::getSaveFileName(this, tr("Export Chart"), proposed, filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    settings.setValue(QLatin1String(kExportDirKey), QFileInfo(path).absolutePath());
    exportTo(format, path);
}

bool ChartPanel::exportTo(ExportFormat format, const QString &path, int width, int height)
{
    bool ok = false;
    switch (format) {
    case ExportFormat::Png:
        ok = exportPng(path, width, height);
        break;
    case ExportFormat::Svg:
        ok = exportSvg(path, width, height);
        break;
    case ExportFormat::Pdf:
        ok = exportPdf(path, width, height);
        break;
    case ExportFormat::Csv:
        ok = exportCsv(path);
        break;
    }
    return ok;
}

QSize ChartPanel::exportSize(int width, int height) const
{
    // A chart that was never laid out has a meaningless size; use a readable default.
    QSize size = m_plot->isVisible() || m_plot->testAttribute(Qt::WA_Resized) ? m_plot->size()
                                                                               : QSize(800, 500);
    if (size.width() < 160 || size.height() < 120)
        size = QSize(800, 500);
    return QSize(width > 0 ? width : size.width(), height > 0 ? height : size.height());
}

bool ChartPanel::exportPng(const QString &path, int width, int height)
{
    const QSize size = exportSize(width, height);
    const bool ok = m_plot->savePng(path, size.width(), size.height());
    if (!ok)
        spdlog::warn("could not write the chart image {}", path.toStdString());
    else
        Q_EMIT exported(path);
    return ok;
}

bool ChartPanel::exportPdf(const QString &path, int width, int height)
{
    const QSize size = exportSize(width, height);
    const bool ok = m_plot->savePdf(path, size.width(), size.height(), QCP::epNoCosmetic,
        QStringLiteral("Lathe"), m_exportName);
    if (!ok)
        spdlog::warn("could not write the chart PDF {}", path.toStdString());
    else
        Q_EMIT exported(path);
    return ok;
}

bool ChartPanel::exportSvg(const QString &path, int width, int height)
{
    const QSize size = exportSize(width, height);
    QSvgGenerator generator;
    generator.setFileName(path);
    generator.setSize(size);
    generator.setViewBox(QRect(QPoint(0, 0), size));
    generator.setTitle(m_exportName);
    generator.setDescription(tr("Chart exported by Lathe"));
    QCPPainter painter;
    if (!painter.begin(&generator)) {
        spdlog::warn("could not write the chart SVG {}", path.toStdString());
        return false;
    }
    m_plot->toPainter(&painter, size.width(), size.height());
    painter.end();
    // QSvgGenerator reports no write errors: check that something arrived.
    const bool ok = QFileInfo(path).size() > 0;
    if (!ok)
        spdlog::warn("could not write the chart SVG {}", path.toStdString());
    else
        Q_EMIT exported(path);
    // Rendering at another size moved the layout; restore it for the screen.
    m_plot->replot();
    return ok;
}

bool ChartPanel::exportCsv(const QString &path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        spdlog::warn("could not write {}: {}", path.toStdString(), file.errorString().toStdString());
        return false;
    }
    file.write(csv().toUtf8());
    if (!file.commit()) {
        spdlog::warn("could not write {}: {}", path.toStdString(), file.errorString().toStdString());
        return false;
    }
    Q_EMIT exported(path);
    return true;
}

void ChartPanel::copyImage()
{
    QApplication::clipboard()->setPixmap(m_plot->toPixmap());
}

QString ChartPanel::csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"'))
        && !text.contains(QLatin1Char('\n')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString ChartPanel::csvNumber(double value)
{
    if (std::isnan(value))
        return {};
    // The shortest text that reads back to the same double.
    for (int precision = 6; precision < 17; ++precision) {
        const QString text = QString::number(value, 'g', precision);
        if (text.toDouble() == value)
            return text;
    }
    return QString::number(value, 'g', 17);
}

void ChartPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        updateStyle();
    QWidget::changeEvent(event);
}

void ChartPanel::updateStyle()
{
    m_style = ChartStyle::fromPalette(palette());
    applyChartStyle(m_plot, m_style);
    restyle();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace lathe::ui
