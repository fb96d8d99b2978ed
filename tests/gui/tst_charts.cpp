// SPDX-License-Identifier: GPL-3.0-or-later
// The chart kit through its objects: plottable and data counts, axis ranges, CSV text, the
// context menu, clicks, and export to PNG / SVG / PDF / CSV files.
#include "charts/barchart.h"
#include "charts/channelchart.h"
#include "charts/heatmapchart.h"
#include "charts/histogramchart.h"

#include <QAction>
#include <QMenu>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "charts/qcp.h"

#include <cmath>
#include <memory>

using lathe::ui::BarChart;
using lathe::ui::ChannelChart;
using lathe::ui::ChartPanel;
using lathe::ui::HeatmapChart;
using lathe::ui::HistogramChart;

namespace
{

// Every export of `chart` lands in a non-empty file of the right kind.
void checkExports(ChartPanel &chart, const QString &dir)
{
    const struct {
        ChartPanel::ExportFormat format;
        const char *suffix;
        QByteArray magic;
    } cases[] = {
        { ChartPanel::ExportFormat::Png, "png", QByteArray("\x89PNG") },
        { ChartPanel::ExportFormat::Svg, "svg", QByteArray("<?xml") },
        { ChartPanel::ExportFormat::Pdf, "pdf", QByteArray("%PDF") },
        { ChartPanel::ExportFormat::Csv, "csv", chart.csv().left(4).toUtf8() },
    };
    QSignalSpy exported(&chart, &ChartPanel::exported);
    for (const auto &c : cases) {
        const QString path = dir + QLatin1Char('/') + chart.objectName() + QLatin1Char('.')
            + QLatin1String(c.suffix);
        QVERIFY2(chart.exportTo(c.format, path), qPrintable(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray head = file.read(16);
        QVERIFY2(file.size() > 100 || c.format == ChartPanel::ExportFormat::Csv,
            qPrintable(QStringLiteral("%1 has %2 bytes").arg(path).arg(file.size())));
        QVERIFY2(head.startsWith(c.magic), qPrintable(path + QStringLiteral(": ") + head));
    }
    QCOMPARE(exported.count(), 4);
    QFile csv(dir + QLatin1Char('/') + chart.objectName() + QStringLiteral(".csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(csv.readAll()), chart.csv());
    // A folder that does not exist: a clean failure, no crash.
    QVERIFY(!chart.exportCsv(dir + QStringLiteral("/missing/x.csv")));
}

double sumBars(const QCPBars *bars)
{
    double sum = 0.0;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
        sum += it->value;
    return sum;
}

} // namespace

class TestCharts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void contextMenu();
    void histogram();
    void histogramLogMagnitude();
    void channels();
    void heatmap();
    void heatmapClick();
    void bars();
    void barsGrouped();
    void paletteChange();

private:
    QTemporaryDir m_dir;
};

void TestCharts::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

void TestCharts::contextMenu()
{
    BarChart chart;
    std::unique_ptr<QMenu> menu(chart.createContextMenu());
    QStringList names;
    for (QAction *a : menu->actions()) {
        if (!a->isSeparator())
            names << a->objectName();
    }
    QCOMPARE(names,
        QStringList({ "actionExportPng", "actionExportSvg", "actionExportPdf", "actionExportCsv",
            "actionCopyChart" }));
}

void TestCharts::histogram()
{
    HistogramChart chart;
    HistogramChart::Data d;
    d.lo = -1.0;
    d.hi = 1.0;
    d.counts = { 1, 0, 3, 10, 40, 40, 10, 3, 0, 2 };
    d.mean = 0.0;
    d.std = 0.1;
    d.outlierK = 6.0; // outliers beyond +-0.6: both tails lie inside [-1, 1]
    chart.setData(d);
    QCustomPlot *p = chart.plot();
    QCOMPARE(p->plottableCount(), 1);
    // Empty bins are not drawn (a log axis has no zero); the drawn counts sum to the total.
    QCOMPARE(chart.bars()->data()->size(), 8);
    QCOMPARE(chart.totalCount(), std::uint64_t(109));
    QCOMPARE(sumBars(chart.bars()), 109.0);
    QCOMPARE(p->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(p->xAxis->range().lower <= -1.0 && p->xAxis->range().upper >= 1.0);
    QVERIFY(p->yAxis->range().upper >= 40.0 && p->yAxis->range().lower > 0.0);
    QCOMPARE(chart.outlierRegionCount(), 2);
    QCOMPARE(chart.bars()->width(), 0.2);

    const QStringList lines = chart.csv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 11);
    QCOMPARE(lines[0], QStringLiteral("bin_lo,bin_hi,count"));
    QCOMPARE(lines[1], QStringLiteral("-1,-0.8,1"));
    QCOMPARE(lines[10], QStringLiteral("0.8,1,2"));

    // No tails inside the range: no regions.
    d.std = 1.0;
    chart.setData(d);
    QCOMPARE(chart.outlierRegionCount(), 0);
    checkExports(chart, m_dir.path());
    chart.clear();
    QCOMPARE(chart.bars()->data()->size(), 0);
}

void TestCharts::histogramLogMagnitude()
{
    HistogramChart chart;
    HistogramChart::Data d;
    d.logMagnitude = true;
    d.lo = -4.0;
    d.hi = 0.0;
    d.counts = { 5, 20, 30, 1 };
    d.zeros = 7;
    d.mean = 0.0;
    d.std = 0.01; // 6 std = 0.06: log10 = -1.22, inside the range: one upper region
    chart.setData(d);
    QCOMPARE(chart.outlierRegionCount(), 1);
    QCOMPARE(chart.plot()->xAxis->label(), QStringLiteral("log10 |value|"));
    QVERIFY(chart.csv().endsWith(QStringLiteral("zeros,,7\n")));
}

void TestCharts::channels()
{
    ChannelChart chart;
    chart.setChannels({ 0.5f, 2.0f, 1.0f }, QStringLiteral("output channel"));
    QCustomPlot *p = chart.plot();
    QVERIFY(chart.drawsBars());
    QCOMPARE(chart.bars()->data()->size(), 3);
    QCOMPARE(chart.graph()->data()->size(), 0);
    QCOMPARE(p->xAxis->range().lower, -0.5);
    QCOMPARE(p->xAxis->range().upper, 2.5);
    QCOMPARE(p->yAxis->range().lower, 0.0);
    QVERIFY(p->yAxis->range().upper >= 2.0);
    QCOMPARE(p->xAxis->label(), QStringLiteral("output channel"));
    QCOMPARE(chart.csv(), QStringLiteral("channel,absmax\n0,0.5\n1,2\n2,1\n"));

    // Many channels: a line; an overlay of the same length goes on the right axis.
    std::vector<float> many(500);
    std::vector<float> act(500);
    for (size_t i = 0; i < many.size(); ++i) {
        many[i] = static_cast<float>(i % 7);
        act[i] = static_cast<float>(i) * 0.5f;
    }
    chart.setChannels(many, QStringLiteral("input channel"));
    chart.setOverlay(act, QStringLiteral("activation absmax"));
    QVERIFY(!chart.drawsBars());
    QCOMPARE(chart.graph()->data()->size(), 500);
    QCOMPARE(chart.bars()->data()->size(), 0);
    QVERIFY(chart.hasOverlay());
    QCOMPARE(chart.overlayGraph()->data()->size(), 500);
    QVERIFY(p->yAxis2->visible());
    QVERIFY(p->yAxis2->range().upper >= 249.5);
    QCOMPARE(chart.csv().split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), 501);
    QVERIFY(chart.csv().startsWith(QStringLiteral("channel,absmax,activation absmax\n")));
    // An overlay of another length is refused.
    chart.setOverlay({ 1.0f }, QStringLiteral("x"));
    QVERIFY(!chart.hasOverlay());
    QVERIFY(!p->yAxis2->visible());
    checkExports(chart, m_dir.path());
}

void TestCharts::heatmap()
{
    HeatmapChart chart;
    const QStringList kinds { "q_proj", "k_proj", "down_proj" };
    const QStringList layers { "0", "1" };
    chart.setGrid(kinds, layers, { 1, 2, 3, 4, std::nan(""), 6 }, QStringLiteral("kurtosis"));
    QCOMPARE(chart.plot()->plottableCount(), 1);
    QCOMPARE(chart.colorMap()->data()->keySize(), 3);
    QCOMPARE(chart.colorMap()->data()->valueSize(), 2);
    QCOMPARE(chart.colorMap()->data()->cell(2, 1), 6.0);
    QCOMPARE(chart.colorMap()->dataRange().lower, 1.0);
    QCOMPARE(chart.colorMap()->dataRange().upper, 6.0);
    QCOMPARE(chart.plot()->xAxis->range().lower, -0.5);
    QCOMPARE(chart.plot()->xAxis->range().upper, 2.5);
    QCOMPARE(chart.colorScale()->axis()->label(), QStringLiteral("kurtosis"));
    QVERIFY(std::isnan(chart.value(1, 1)));
    // The map and its colour scale draw with the chart's own gradient (top: yellow).
    QCOMPARE(QColor(chart.colorMap()->gradient().color(1.0, QCPRange(0, 1))),
        QColor(0xfd, 0xe7, 0x25));
    QCOMPARE(chart.colorScale()->gradient(), chart.colorMap()->gradient());
    QCOMPARE(chart.csv(),
        QStringLiteral("layer,q_proj,k_proj,down_proj\n0,1,2,3\n1,4,,6\n"));
    auto ticker = qSharedPointerCast<QCPAxisTickerText>(chart.plot()->xAxis->ticker());
    QCOMPARE(ticker->ticks().value(2), QStringLiteral("down_proj"));

    chart.setLogScale(true);
    QCOMPARE(chart.colorMap()->dataScaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(chart.colorMap()->dataRange().lower, 1.0);
    checkExports(chart, m_dir.path());
}

void TestCharts::heatmapClick()
{
    HeatmapChart chart;
    chart.resize(600, 400);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setGrid({ "q_proj", "k_proj", "v_proj" }, { "0", "1", "2", "3" },
        std::vector<double>(12, 1.0), QStringLiteral("absmax"));
    chart.plot()->replot();
    QSignalSpy clicked(&chart, &HeatmapChart::cellClicked);
    const QPoint center = chart.cellCenter(2, 1);
    QCOMPARE(chart.cellAt(center), QPoint(1, 2));
    QTest::mouseClick(chart.plot(), Qt::LeftButton, Qt::NoModifier, center);
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked[0][0].toInt(), 2);
    QCOMPARE(clicked[0][1].toString(), QStringLiteral("k_proj"));
    QCOMPARE(chart.highlightedCell(), QPoint(1, 2));
    // Outside the grid: nothing.
    QTest::mouseClick(chart.plot(), Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
    QCOMPARE(clicked.count(), 1);
}

void TestCharts::bars()
{
    BarChart chart;
    chart.resize(600, 400);
    chart.setValueLabel(QStringLiteral("delta ppl"));
    chart.setBars({ "a", "b", "c", "d" }, { 3.0, 1.0, std::nan(""), 7.0 },
        { "tip a", "tip b", "tip c", "tip d" });
    QCOMPARE(chart.barPlottables().size(), 1);
    QCOMPARE(chart.plot()->plottableCount(), 1);
    QCOMPARE(chart.barPlottables()[0]->data()->size(), 3); // NaN is not drawn
    QCOMPARE(chart.plot()->yAxis->range().lower, 0.0);
    QVERIFY(chart.plot()->yAxis->range().upper >= 7.0);
    QCOMPARE(chart.plot()->xAxis->range().lower, -0.6);
    QCOMPARE(chart.plot()->xAxis->range().upper, 3.6);
    QCOMPARE(chart.displayedLabels(), QStringList({ "a", "b", "c", "d" }));
    QCOMPARE(chart.csv(), QStringLiteral("label,delta ppl\na,3\nb,1\nc,\nd,7\n"));

    chart.setSortOrder(BarChart::SortOrder::Descending);
    QCOMPARE(chart.displayedLabels(), QStringList({ "d", "a", "b", "c" }));
    QCOMPARE(chart.csv(), QStringLiteral("label,delta ppl\nd,7\na,3\nb,1\nc,\n"));
    chart.setSortOrder(BarChart::SortOrder::Ascending);
    QCOMPARE(chart.displayedLabels(), QStringList({ "b", "a", "d", "c" }));
    QCOMPARE(chart.displayOrder(), QVector<int>({ 1, 0, 3, 2 }));

    // Negative values extend the axis below zero.
    chart.setSortOrder(BarChart::SortOrder::Original);
    chart.setBars({ "x", "y" }, { -2.0, 4.0 });
    QVERIFY(chart.plot()->yAxis->range().lower < -2.0);

    // A click on a bar names it.
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot();
    QSignalSpy clicked(&chart, &BarChart::barClicked);
    QCOMPARE(chart.barAt(chart.barCenter(1)), 1);
    QTest::mouseClick(chart.plot(), Qt::LeftButton, Qt::NoModifier, chart.barCenter(1));
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked[0][1].toString(), QStringLiteral("y"));
    checkExports(chart, m_dir.path());
}

void TestCharts::barsGrouped()
{
    BarChart chart;
    chart.setGroupNames({ "attention", "mlp" });
    chart.setBars({ "q", "k", "up", "down" }, { 1, 2, 3, 4 }, {}, { 0, 0, 1, 1 });
    QCOMPARE(chart.barPlottables().size(), 2);
    QCOMPARE(chart.barPlottables()[0]->name(), QStringLiteral("attention"));
    QCOMPARE(chart.barPlottables()[1]->data()->size(), 2);
    QVERIFY(chart.plot()->legend->visible());
    QVERIFY(chart.barPlottables()[0]->brush().color().rgb()
        != chart.barPlottables()[1]->brush().color().rgb());
    QCOMPARE(chart.csv().split(QLatin1Char('\n'))[0], QStringLiteral("label,value,group"));
    QCOMPARE(chart.csv().split(QLatin1Char('\n'))[3], QStringLiteral("up,3,mlp"));
    chart.setLogScale(true);
    QCOMPARE(chart.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(chart.plot()->yAxis->range().lower > 0.0);
}

void TestCharts::paletteChange()
{
    HistogramChart chart;
    QPalette dark;
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
    dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
    chart.setPalette(dark);
    QVERIFY(chart.style().dark);
    QCOMPARE(chart.plot()->xAxis->tickLabelColor(), QColor(0xe0, 0xe0, 0xe0));
    QPalette light;
    light.setColor(QPalette::Base, Qt::white);
    light.setColor(QPalette::Text, Qt::black);
    chart.setPalette(light);
    QVERIFY(!chart.style().dark);
    QCOMPARE(chart.plot()->xAxis->tickLabelColor(), QColor(Qt::black));
}

QTEST_MAIN(TestCharts)
#include "tst_charts.moc"
