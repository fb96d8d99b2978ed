// SPDX-License-Identifier: GPL-3.0-or-later
// The Sensitivity view on the demo model, offscreen: a run cancelled in the middle leaves the
// view usable and unchanged, a tiny run to completion fills the table (one row per module and
// per block), the charts and the heatmap; sorting, the session cache, Ctrl+Enter and the CSV
// and JSON exports work; the main window offers the mode once a model is open.
#include "analysis/linearmodules.h"
#include "api/loadedmodel.h"
#include "charts/barchart.h"
#include "charts/heatmapchart.h"
#include "jobs/job.h"
#include "jobs/jobrunner.h"
#include "jobs/sensitivityjob.h"
#include "mainwindow.h"
#include "models/sensitivitytablemodel.h"
#include "panels/modebar.h"
#include "panels/sensitivityview.h"
#include "util/demomodel.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <memory>
#include <set>

using lathe::ui::SensitivityTableModel;
using lathe::ui::SensitivityView;

namespace
{

constexpr int kTimeoutMs = 20000;

// Parts of the demo model the view should list: its linear modules and its decoder blocks.
std::pair<int, int> demoParts(const lathe::LoadedModel &model)
{
    const auto modules = lathe::linearModules(*model.summary().config);
    std::set<std::int64_t> layers;
    for (const auto &m : modules)
        layers.insert(m.layer);
    return { static_cast<int>(modules.size()), static_cast<int>(layers.size()) };
}

} // namespace

class TestSensitivityView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cancelThenRunToCompletion();
    void mainWindowOffersMode();

private:
    std::shared_ptr<lathe::LoadedModel> m_demo;
    QTemporaryDir m_dir;
};

void TestSensitivityView::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Lathe"));
    QCoreApplication::setApplicationName(QStringLiteral("LatheGuiTest"));
    const std::string path = lathe::demoModelPath();
    QVERIFY2(!path.empty(), "the demo model is not installed");
    m_demo = lathe::LoadedModel::load(path);
    QVERIFY(m_demo->runnable());
    QVERIFY(m_dir.isValid());
}

void TestSensitivityView::init()
{
    QSettings().clear();
}

void TestSensitivityView::cancelThenRunToCompletion()
{
    lathe::ui::JobRunner runner;
    SensitivityView view(&runner);
    view.resize(1400, 900);
    view.show();
    QVERIFY(!view.runButton()->isEnabled()); // no model yet
    view.setModel(m_demo);
    QVERIFY(view.runButton()->isEnabled());
    QVERIFY(!view.cancelButton()->isEnabled());
    QVERIFY(!view.result());

    // A calibration file chosen by the user is remembered.
    const QString calib = m_dir.filePath(QStringLiteral("calibration.txt"));
    {
        QFile out(calib);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QByteArray::fromStdString(
            lathe::ui::SensitivityJob::builtInCalibrationText(8, 128)));
    }
    view.setCalibrationFile(calib);
    QCOMPARE(QSettings().value(QStringLiteral("sensitivity/calibrationFile")).toString(), calib);

    QSignalSpy started(&view, &SensitivityView::runStarted);
    QSignalSpy shown(&view, &SensitivityView::resultShown);
    QSignalSpy cancelled(&view, &SensitivityView::runCancelled);
    QSignalSpy failed(&view, &SensitivityView::runFailed);

    // 1. A bigger run, cancelled as soon as it reports progress: "cancel wins", so the job
    // ends cancelled even if the worker got further in the meantime.
    view.setFormat(lathe::parseWeightFormat("int4-g32"));
    view.setWindows(8, 128);
    QTest::mouseClick(view.runButton(), Qt::LeftButton);
    QCOMPARE(started.count(), 1);
    QPointer<lathe::ui::Job> job = view.currentJob();
    QVERIFY(job);
    QVERIFY(view.isRunning());
    QVERIFY(!view.runButton()->isEnabled());
    QVERIFY(view.cancelButton()->isEnabled());
    QSignalSpy progress(job.data(), &lathe::ui::Job::progress);
    QVERIFY(progress.wait(kTimeoutMs));
    QTest::mouseClick(view.cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kTimeoutMs);
    QVERIFY(job);
    QCOMPARE(job->state(), lathe::ui::Job::State::Cancelled);
    QCOMPARE(shown.count(), 0);
    QCOMPARE(failed.count(), 0);
    QVERIFY(!view.result());
    QVERIFY(!view.isRunning());
    QVERIFY(view.runButton()->isEnabled());
    QVERIFY(!view.cancelButton()->isEnabled());
    QCOMPARE(view.tableModel()->rowCount(), 0);
    QCOMPARE(view.cachedResultCount(), 0);
    QVERIFY(view.statusLabel()->text().contains(QStringLiteral("Cancelled")));

    // 2. A tiny run to completion.
    view.setFormat(lathe::parseWeightFormat("int2-g32"));
    view.setWindows(2, 32);
    QTest::mouseClick(view.runButton(), Qt::LeftButton);
    QCOMPARE(started.count(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, kTimeoutMs);
    QCOMPARE(failed.count(), 0);
    QVERIFY(!view.isRunning());
    QVERIFY(view.runButton()->isEnabled());
    const auto result = view.result();
    QVERIFY(result);
    QCOMPARE(result->format.bits, 2);
    QCOMPARE(result->format.groupSize, 32);
    QVERIFY(view.formatLabel()->text().contains(QString::fromStdString(result->format.label())));
    QVERIFY(view.formatLabel()->text().contains(QStringLiteral("Spearman")));

    const auto [modules, blocks] = demoParts(*m_demo);
    QCOMPARE(int(result->modules.size()), modules);
    QCOMPARE(int(result->blocks.size()), blocks);

    // Table: one row per module then per block.
    SensitivityTableModel *table = view.tableModel();
    QAbstractItemModelTester tester(table, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(table->rowCount(), modules + blocks);
    QCOMPARE(table->moduleCount(), modules);
    QCOMPARE(table->columnCount(), int(SensitivityTableModel::ColumnCount));
    QVERIFY(!table->isBlock(0));
    QVERIFY(table->isBlock(modules));
    QCOMPARE(table->index(0, SensitivityTableModel::NameColumn).data().toString(),
        QString::fromStdString(result->modules.front().name));
    QCOMPARE(table->index(modules, SensitivityTableModel::KindColumn).data().toString(),
        QStringLiteral("whole block"));

    // Sorting through the proxy: mean KL descending, numerically; then back to forward order.
    view.tableView()->sortByColumn(SensitivityTableModel::MeanKlColumn, Qt::DescendingOrder);
    const QAbstractItemModel *proxy = view.tableProxy();
    QCOMPARE(proxy->rowCount(), modules + blocks);
    double previous = std::numeric_limits<double>::infinity();
    double largest = 0.0;
    for (const auto &e : result->modules)
        largest = std::max(largest, e.meanKl);
    for (const auto &e : result->blocks)
        largest = std::max(largest, e.meanKl);
    for (int r = 0; r < proxy->rowCount(); ++r) {
        const double v = proxy->index(r, SensitivityTableModel::MeanKlColumn)
                             .data(SensitivityTableModel::SortRole)
                             .toDouble();
        QVERIFY(v <= previous);
        previous = v;
    }
    QCOMPARE(proxy->index(0, SensitivityTableModel::MeanKlColumn)
                 .data(SensitivityTableModel::SortRole)
                 .toDouble(),
        largest);
    view.tableView()->sortByColumn(SensitivityTableModel::NameColumn, Qt::AscendingOrder);
    for (int r = 0; r < modules; ++r) {
        QCOMPARE(proxy->index(r, SensitivityTableModel::NameColumn).data().toString(),
            QString::fromStdString(result->modules[static_cast<std::size_t>(r)].name));
    }

    // Charts: a bar per module (one series per module kind), a bar per block, layer x kind.
    const auto kinds = lathe::linearModuleKinds(*m_demo->summary().config);
    QCOMPARE(view.moduleBars()->barCount(), modules);
    QCOMPARE(int(view.moduleBars()->barPlottables().size()), int(kinds.size()));
    QCOMPARE(view.blockBars()->barCount(), blocks);
    QCOMPARE(view.heatmap()->rowCount(), blocks);
    QCOMPARE(view.heatmap()->columnCount(), int(kinds.size()));
    QCOMPARE(view.heatmap()->value(0, 0), result->modules.front().meanKl);
    // The metric switch redraws the same bars with another column.
    view.setMetric(lathe::ui::SensitivityCharts::DeltaPerplexity);
    QCOMPARE(view.moduleBars()->barCount(), modules);
    QCOMPARE(view.heatmap()->value(0, 0), result->modules.front().deltaPerplexity);
    QCOMPARE(view.moduleBars()->csv().count(QLatin1Char('\n')), modules + 1);

    // Exports: CSV (one row per entry, modules then blocks) and JSON.
    const QString csvPath = m_dir.filePath(QStringLiteral("sensitivity.csv"));
    QVERIFY(view.exportCsv(csvPath));
    QFile csvFile(csvPath);
    QVERIFY(csvFile.open(QIODevice::ReadOnly));
    const QString csv = QString::fromUtf8(csvFile.readAll());
    QCOMPARE(csv, QString::fromStdString(lathe::sensitivityCsv(*result)));
    QStringList lines = csv.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + modules + blocks);
    QVERIFY(lines[1].contains(QString::fromStdString(result->modules.front().name)));
    QVERIFY(lines.last().contains(QString::fromStdString(result->blocks.back().name)));
    const QString jsonPath = m_dir.filePath(QStringLiteral("sensitivity.json"));
    QVERIFY(view.exportJson(jsonPath));
    QFile jsonFile(jsonPath);
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(jsonFile.readAll()).object();
    QCOMPARE(json.value(QStringLiteral("bits")).toInt(), 2);
    QCOMPARE(json.value(QStringLiteral("modules")).toArray().size(), modules);
    QCOMPARE(json.value(QStringLiteral("blocks")).toArray().size(), blocks);

    // The same settings again (Ctrl+Enter): shown from the session's cache, no new job.
    QCOMPARE(view.cachedResultCount(), 1);
    view.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&view));
    QTest::keyClick(view.runButton(), Qt::Key_Return, Qt::ControlModifier);
    QCOMPARE(shown.count(), 2);
    QCOMPARE(started.count(), 2);
    QVERIFY(!view.currentJob());
    QCOMPARE(view.result(), result);
}

void TestSensitivityView::mainWindowOffersMode()
{
    lathe::ui::MainWindow w;
    w.setDialogsSuppressed(true);
    w.show();
    const int mode = lathe::ui::MainWindow::SensitivityMode;
    QVERIFY(!w.modeBar()->isModeEnabled(mode));
    QSignalSpy loaded(&w, &lathe::ui::MainWindow::modelLoaded);
    w.openModel(QStringLiteral("demo"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);
    QVERIFY(w.modeBar()->isModeEnabled(mode));
    w.setCurrentMode(mode);
    QCOMPARE(w.currentMode(), mode);
    QVERIFY(w.sensitivityView()->isVisible());
    QCOMPARE(w.sensitivityView()->model(), w.currentModel());
    QVERIFY(w.sensitivityView()->runButton()->isEnabled());
}

QTEST_MAIN(TestSensitivityView)
#include "tst_sensitivityview.moc"
