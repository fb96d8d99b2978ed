// SPDX-License-Identifier: GPL-3.0-or-later
// ChartPanel: the base of every chart kind. Holds one QCustomPlot, keeps it in the palette's
// colours, and gives every chart the same context menu: Export PNG / SVG / PDF / CSV and Copy
// (the image to the clipboard). Subclasses draw their plain data and say what their CSV is.
#pragma once

#include "charts/chartstyle.h"

#include <QWidget>

class QCustomPlot;
class QMenu;

namespace lathe::ui
{

class ChartPanel : public QWidget
{
    Q_OBJECT
public:
    enum class ExportFormat { Png, Svg, Pdf, Csv };

    explicit ChartPanel(QWidget *parent = nullptr);
    ~ChartPanel() override;

    QCustomPlot *plot() const { return m_plot; }
    const ChartStyle &style() const { return m_style; }

    // The chart's data as CSV (header line first, '\n' line ends).
    virtual QString csv() const = 0;

    // Base name the export dialog proposes ("histogram-model.layers.0.mlp.up_proj.weight").
    QString exportName() const { return m_exportName; }
    void setExportName(const QString &name) { m_exportName = name; }

    // Write the chart to `path`; false (and a warning in the log) when the file cannot be
    // written. Images default to the widget's size, or 800x500 when it has never been shown.
    bool exportTo(ExportFormat format, const QString &path, int width = 0, int height = 0);
    bool exportPng(const QString &path, int width = 0, int height = 0);
    bool exportSvg(const QString &path, int width = 0, int height = 0);
    bool exportPdf(const QString &path, int width = 0, int height = 0);
    bool exportCsv(const QString &path);
    // Puts the chart image on the clipboard.
    void copyImage();

    // The context menu (a new object each call; the caller owns it). Actions are named
    // actionExportPng, actionExportSvg, actionExportPdf, actionExportCsv and actionCopyChart.
    QMenu *createContextMenu(QWidget *parent = nullptr);

    static QString csvField(const QString &text);
    static QString csvNumber(double value);

Q_SIGNALS:
    // After a successful export from the menu or exportTo().
    void exported(const QString &path);

protected:
    // Re-applies colours to the chart's own plottables and items after the palette changed.
    virtual void restyle() { }
    void changeEvent(QEvent *event) override;
    QSize exportSize(int width, int height) const;

private:
    void exportWithDialog(ExportFormat format);
    void updateStyle();

    QCustomPlot *m_plot = nullptr;
    ChartStyle m_style;
    QString m_exportName = QStringLiteral("chart");
};

} // namespace lathe::ui
