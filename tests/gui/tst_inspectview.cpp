// SPDX-License-Identifier: GPL-3.0-or-later
// The Inspect view on the demo model, offscreen: statistics of a selected tensor arrive from
// the worker and fill the panel and charts, the search filters the tree, a heatmap click
// selects its tensor, and activation statistics run from the GUI with a cancel in between.
#include "actions.h"
#include "analysis/activationstats.h"
#include "analysis/weightstats.h"
#include "api/loadedmodel.h"
#include "charts/channelchart.h"
#include "charts/heatmapchart.h"
#include "charts/histogramchart.h"
#include "charts/qcp.h"
#include "jobs/activationstatsjob.h"
#include "jobs/jobrunner.h"
#include "jobs/weightstatsjob.h"
#include "mainwindow.h"
#include "models/tensortreemodel.h"
#include "panels/activationstatsdialog.h"
#include "panels/inspectview.h"
#include "panels/modebar.h"
#include "panels/tensorstatspanel.h"
#include "util/demomodel.h"

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTreeView>
#include <QtTest/QtTest>

#include <cmath>

using lathe::ui::InspectView;

namespace
{

constexpr int kTimeoutMs = 20000;
const QString kUpProj = QStringLiteral("model.layers.0.mlp.up_proj.weight");
const QString kDownProj1 = QStringLiteral("model.layers.1.mlp.down_proj.weight");

// Plain English prose for calibration, long enough for several windows.
QString writeCalibrationText(const QString &dir)
{
    const QString path = dir + QStringLiteral("/calibration.txt");
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    const QByteArray story
        = "Once upon a time there was a little girl named Lily. She liked to play in the park "
          "with her dog Max. One day they found a big red ball under a tree. Lily said, \"Look, "
          "Max! A ball!\" Max barked and ran to the ball. They played all day until the sun "
          "went down, and then they walked home happy.\n";
    for (int i = 0; i < 120; ++i)
        file.write(story);
    return path;
}

} // namespace

class TestInspectView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void selectedTensorStatistics();
    void searchFiltersTree();
    void heatmapClickSelectsTensor();
    void activationStatisticsWithCancel();
    void inspectModeInMainWindow();

private:
    std::shared_ptr<lathe::LoadedModel> m_model;
    QTemporaryDir m_dir;
};

void TestInspectView::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Lathe"));
    QCoreApplication::setApplicationName(QStringLiteral("LatheInspectTest"));
    QSettings().clear();
    const std::string demo = lathe::demoModelPath();
    QVERIFY2(!demo.empty(), "the demo model (resources/demo-model) was not found");
    m_model = lathe::LoadedModel::load(demo);
    QVERIFY(m_model && m_model->runnable());
    QVERIFY(m_dir.isValid());
}

void TestInspectView::selectedTensorStatistics()
{
    lathe::ui::JobRunner runner;
    InspectView view(&runner);
    view.resize(1400, 900);
    view.setModel(m_model);
    QCOMPARE(view.treeModel()->tensorCount(), int(m_model->summary().tensors.size()));
    QCOMPARE(view.treeModel()->columnCount(), int(lathe::ui::TensorTreeModel::ColumnCount));
    QSignalSpy shown(&view, &InspectView::tensorShown);
    QSignalSpy finished(&view, &InspectView::weightStatsFinished);
    QVERIFY(view.selectTensor(kUpProj));
    QCOMPARE(view.currentTensor(), kUpProj);
    // Nothing computed until the view is shown; showing it starts the job in the Jobs runner.
    view.show();
    QVERIFY(view.weightStatsJob() != nullptr);
    QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1, kTimeoutMs);
    QCOMPARE(shown.last().at(0).toString(), kUpProj);

    const lathe::WeightStats *stats = view.cachedStats(kUpProj);
    QVERIFY(stats);
    QCOMPARE(stats->count, 384 * 128);
    // The histogram holds every element; the panel shows the same numbers.
    QCOMPARE(view.histogram()->totalCount(), std::uint64_t(stats->count));
    double drawn = 0.0;
    for (auto it = view.histogram()->bars()->data()->constBegin();
         it != view.histogram()->bars()->data()->constEnd(); ++it)
        drawn += it->value;
    QCOMPARE(drawn, double(stats->count));
    QCOMPARE(view.statsPanel()->valueText(QStringLiteral("count")),
        QLocale().toString(qlonglong(384 * 128)));
    QCOMPARE(view.statsPanel()->valueText(QStringLiteral("kurtosis")),
        QString::number(stats->kurtosis, 'g', 5));
    QVERIFY(!view.statsPanel()->valueText(QStringLiteral("p50")).isEmpty());
    QVERIFY(view.statsPanel()->keys().contains(QStringLiteral("outlier_fraction")));
    // Selecting a statistic explains it.
    view.statsPanel()->table()->setCurrentCell(
        int(view.statsPanel()->keys().indexOf(QStringLiteral("skewness"))), 0);
    QVERIFY(view.statsPanel()->explanation().contains(QStringLiteral("Asymmetry")));

    // Rows, then columns.
    QCOMPARE(view.channels()->channelCount(), 384);
    view.setChannelMode(InspectView::InputChannels);
    QCOMPARE(view.channels()->channelCount(), 128);
    QVERIFY(view.channels()->csv().startsWith(QStringLiteral("channel,")));

    // Every tensor gets statistics; the heatmap then has no empty cell.
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, kTimeoutMs);
    QVERIFY(view.weightStatsComplete());
    QCOMPARE(view.heatmap()->rowCount(), 4);
    QCOMPARE(view.heatmap()->columnLabels(),
        QStringList({ "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
            "down_proj" }));
    for (int r = 0; r < 4; ++r) {
        for (int c = 0; c < 7; ++c)
            QVERIFY(!std::isnan(view.heatmap()->value(r, c)));
    }
    QCOMPARE(view.heatmap()->value(0, 5), stats->kurtosis);
    view.setHeatmapStatistic(InspectView::Absmax);
    QCOMPARE(view.heatmap()->value(0, 5), stats->absmax);
    QCOMPARE(view.heatmap()->colorScale()->axis()->label(), QStringLiteral("Absolute maximum"));
    QVERIFY(view.statsPanel()->explanation().contains(QStringLiteral("largest magnitude")));

    // Switching back is instant: served from the cache, no new job.
    lathe::ui::WeightStatsJob *job = view.weightStatsJob();
    QVERIFY(view.selectTensor(QStringLiteral("model.layers.2.self_attn.k_proj.weight")));
    QCOMPARE(view.channels()->channelCount(), 128);
    QVERIFY(view.selectTensor(kUpProj));
    QCOMPARE(view.statsPanel()->valueText(QStringLiteral("count")),
        QLocale().toString(qlonglong(384 * 128)));
    QCOMPARE(view.weightStatsJob(), job);

    // A new model clears the cache.
    view.setModel(m_model);
    QCOMPARE(view.cachedCount(), 0);
    QVERIFY(view.currentTensor().isEmpty());
}

void TestInspectView::searchFiltersTree()
{
    lathe::ui::JobRunner runner;
    InspectView view(&runner);
    view.setModel(m_model);
    QAbstractItemModel *shown = view.tree()->model();
    QVERIFY(shown->rowCount() > 4);
    view.searchEdit()->setText(QStringLiteral("Q_PROJ"));
    // Four layer branches, each with its q_proj only.
    QCOMPARE(shown->rowCount(), 4);
    for (int r = 0; r < 4; ++r) {
        const QModelIndex branch = shown->index(r, 0);
        QCOMPARE(shown->rowCount(branch), 1);
        QVERIFY(shown->index(0, 0, branch)
                    .data(lathe::ui::TensorTreeModel::TensorNameRole)
                    .toString()
                    .endsWith(QStringLiteral("q_proj.weight")));
    }
    // A branch prefix keeps the whole layer.
    view.searchEdit()->setText(QStringLiteral("layers.2."));
    QCOMPARE(shown->rowCount(), 1);
    QCOMPARE(shown->rowCount(shown->index(0, 0)), 9);
    // Selecting a hidden tensor clears the search.
    QVERIFY(view.selectTensor(QStringLiteral("model.embed_tokens.weight")));
    QVERIFY(view.searchEdit()->text().isEmpty());
    QVERIFY(!view.selectTensor(QStringLiteral("no.such.tensor")));
}

void TestInspectView::heatmapClickSelectsTensor()
{
    lathe::ui::JobRunner runner;
    InspectView view(&runner);
    view.resize(1400, 900);
    view.setModel(m_model);
    QSignalSpy finished(&view, &InspectView::weightStatsFinished);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, kTimeoutMs);
    lathe::ui::HeatmapChart *heatmap = view.heatmap();
    heatmap->plot()->replot();
    const int column = int(heatmap->columnLabels().indexOf(QStringLiteral("down_proj")));
    QVERIFY(column >= 0);
    QTest::mouseClick(
        heatmap->plot(), Qt::LeftButton, Qt::NoModifier, heatmap->cellCenter(1, column));
    QCOMPARE(view.currentTensor(), kDownProj1);
    QCOMPARE(view.tree()->currentIndex().data(lathe::ui::TensorTreeModel::TensorNameRole).toString(),
        kDownProj1);
    QCOMPARE(heatmap->highlightedCell(), QPoint(column, 1));
    QCOMPARE(view.channels()->channelCount(), 128);
}

void TestInspectView::activationStatisticsWithCancel()
{
    const QString text = writeCalibrationText(m_dir.path());
    QVERIFY(!text.isEmpty());
    lathe::ui::JobRunner runner;
    InspectView view(&runner);
    view.resize(1400, 900);
    view.setModel(m_model);
    QVERIFY(view.activationButton()->isEnabled());
    auto *items = qobject_cast<QStandardItemModel *>(view.heatmapStatisticBox()->model());
    QVERIFY(!items->item(InspectView::Importance)->isEnabled());

    // Many windows; cancel as soon as the first one reports progress.
    QSignalSpy cancelled(&view, &InspectView::activationStatsCancelled);
    view.startActivationStats(text, 200, 32);
    lathe::ui::ActivationStatsJob *job = view.activationStatsJob();
    QVERIFY(job);
    connect(job, &lathe::ui::Job::progress, job, &lathe::ui::Job::cancel);
    QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() == 1, kTimeoutMs);
    QVERIFY(view.activationStats() == nullptr);
    QVERIFY(view.findChild<QLabel *>(QStringLiteral("inspectStatus"))
                ->text()
                .contains(QStringLiteral("cancelled")));
    // The choice is remembered for the dialog.
    QCOMPARE(lathe::ui::ActivationStatsDialog::lastTextFile(), QFileInfo(text).absoluteFilePath());

    // Then a full run.
    QSignalSpy done(&view, &InspectView::activationStatsFinished);
    view.startActivationStats(text, 4, 64);
    QTRY_VERIFY_WITH_TIMEOUT(done.count() == 1, kTimeoutMs);
    const lathe::ActivationStats *act = view.activationStats();
    QVERIFY(act);
    QCOMPARE(act->sequences, 4);
    QCOMPARE(act->tokens, 4 * 64);
    QVERIFY(items->item(InspectView::Importance)->isEnabled());

    // The selected tensor's module input shows beside its weights.
    QSignalSpy shown(&view, &InspectView::tensorShown);
    QVERIFY(view.selectTensor(kUpProj));
    view.show();
    QTRY_VERIFY_WITH_TIMEOUT(view.cachedStats(kUpProj) != nullptr, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        !view.statsPanel()->valueText(QStringLiteral("activation_absmax")).isEmpty(), kTimeoutMs);
    const lathe::ModuleActivationStats *module = view.moduleActivations(kUpProj);
    QVERIFY(module);
    QCOMPARE(view.statsPanel()->valueText(QStringLiteral("activation_absmax")),
        QString::number(module->absmax, 'g', 5));
    view.setChannelMode(InspectView::InputChannels);
    QVERIFY(view.channels()->hasOverlay());
    QCOMPARE(view.channels()->overlayGraph()->data()->size(), 128);

    view.setHeatmapStatistic(InspectView::Importance);
    QCOMPARE(view.heatmap()->value(0, 5), module->meanSquare);
    view.setHeatmapStatistic(InspectView::ActivationAbsmax);
    QCOMPARE(view.heatmap()->value(0, 5), module->absmax);
}

void TestInspectView::inspectModeInMainWindow()
{
    lathe::ui::MainWindow window;
    window.setDialogsSuppressed(true);
    QVERIFY(!window.modeBar()->isModeEnabled(lathe::ui::MainWindow::InspectMode));
    QAction *action = window.actions()->modeActions.value(lathe::ui::MainWindow::InspectMode);
    QVERIFY(action);
    QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_3));
    QCOMPARE(action->text(), QStringLiteral("Inspect"));
    QSignalSpy loaded(&window, &lathe::ui::MainWindow::modelLoaded);
    window.openModel(QStringLiteral("demo"));
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1, kTimeoutMs);
    QVERIFY(window.modeBar()->isModeEnabled(lathe::ui::MainWindow::InspectMode));
    action->trigger();
    QCOMPARE(window.currentMode(), int(lathe::ui::MainWindow::InspectMode));
    QVERIFY(window.inspectView()->model() == window.currentModel());
    QCOMPARE(window.inspectView()->moduleGrid().rowCount(), 4);
}

QTEST_MAIN(TestInspectView)
#include "tst_inspectview.moc"
