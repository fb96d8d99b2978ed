// SPDX-License-Identifier: GPL-3.0-or-later
// The main window end to end, offscreen: open models by drop and by name, cancel a load,
// report a malformed file, remember recent models, list the tensors of a bare .safetensors.
#include "testdata.h"

#include "actions.h"
#include "api/loadedmodel.h"
#include "jobs/job.h"
#include "jobs/jobrunner.h"
#include "mainwindow.h"
#include "models/layerfilterproxy.h"
#include "models/layertablemodel.h"
#include "panels/modebar.h"
#include "panels/modelcardview.h"
#include "panels/modelview.h"
#include "panels/startview.h"
#include "settings.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtEndian>
#include <QtTest/QtTest>

using lathe::ui::LayerTableModel;
using lathe::ui::MainWindow;

namespace
{

constexpr int kLoadTimeoutMs = 30000;

// Drags `path` onto `target` and drops it, as a file manager would.
void dropPath(QWidget *target, const QString &path)
{
    QMimeData mime;
    mime.setUrls({ QUrl::fromLocalFile(path) });
    const QPointF pos(target->width() / 2.0, target->height() / 2.0);
    QDragEnterEvent enter(pos.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
    QVERIFY(drop.isAccepted());
}

// A small .safetensors file without config.json: three tensors of different dtypes.
QString writeBareSafetensors(const QString &dir)
{
    const QByteArray header = R"({"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                              R"("b.bias":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},)"
                              R"("c.index":{"dtype":"I64","shape":[1],"data_offsets":[32,40]}})";
    QByteArray padded = header;
    while (padded.size() % 8 != 0)
        padded.append(' ');
    QByteArray file(8, '\0');
    qToLittleEndian<quint64>(static_cast<quint64>(padded.size()), file.data());
    file += padded;
    file += QByteArray(40, '\0');
    const QString path = dir + QStringLiteral("/bare.safetensors");
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(file) != file.size())
        return {};
    return path;
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void dropOpensModel();
    void dropOnChildWidgetOpensModel();
    void cancelKeepsPreviousModel();
    void cancelWithEscape();
    void malformedFileShowsError();
    void missingPathShowsError();
    void recentModelsPersisted();
    void bareSafetensorsListsTensors();
    void modeShortcutsAndMenus();
    void opensGguf();
    void startPageOpensDemoModel();
    void windowStateRestored();

private:
    std::unique_ptr<MainWindow> makeWindow();
    bool openAndWait(MainWindow &w, const QString &path);
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Lathe"));
    QCoreApplication::setApplicationName(QStringLiteral("LatheGuiTest"));
}

void TestMainWindow::init()
{
    QSettings().clear();
}

std::unique_ptr<MainWindow> TestMainWindow::makeWindow()
{
    auto w = std::make_unique<MainWindow>();
    w->setDialogsSuppressed(true);
    w->show();
    return w;
}

bool TestMainWindow::openAndWait(MainWindow &w, const QString &path)
{
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    QSignalSpy failed(&w, &MainWindow::loadFailed);
    w.openModel(path);
    return QTest::qWaitFor([&] { return loaded.count() + failed.count() > 0; }, kLoadTimeoutMs)
        && loaded.count() == 1;
}

void TestMainWindow::dropOpensModel()
{
    LATHE_REQUIRE_SHARED_DATA();
    auto w = makeWindow();
    QCOMPARE(w->currentMode(), int(MainWindow::StartMode));
    QVERIFY(!w->modeBar()->isModeEnabled(MainWindow::ModelMode));

    QSignalSpy loaded(w.get(), &MainWindow::modelLoaded);
    QSignalSpy errors(w.get(), &MainWindow::errorShown);
    dropPath(w.get(), lathe::test::dataPath(QStringLiteral("models/tinystories-656k")));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
    QCOMPARE(errors.count(), 0);

    QCOMPARE(w->currentMode(), int(MainWindow::ModelMode));
    QVERIFY(w->currentModel());
    QVERIFY(w->currentModel()->runnable());
    QVERIFY(w->windowTitle().contains(QStringLiteral("tinystories-656k")));

    lathe::ui::ModelView *view = w->modelView();
    QAbstractItemModelTester layerTester(
        view->layerModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(
        view->layerProxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(view->layerModel()->rowCount(), 20);
    QCOMPARE(view->layerProxy()->rowCount(), 20);

    lathe::ui::ModelCardView *card = view->cardView();
    QCOMPARE(card->value(QStringLiteral("Architecture")), QStringLiteral("llama"));
    const QString params = card->value(QStringLiteral("Parameters"));
    QVERIFY2(params.startsWith(QStringLiteral("656")) && params.endsWith(QLatin1Char('K')),
        qPrintable(params));

    // Filter: substring, case-insensitive; wildcards; back to all rows.
    QTest::keyClicks(view->filterEdit(), QStringLiteral("mlp"));
    QCOMPARE(view->layerProxy()->rowCount(), 6);
    view->filterEdit()->setText(QStringLiteral("MLP"));
    QCOMPARE(view->layerProxy()->rowCount(), 6);
    view->filterEdit()->setText(QStringLiteral("layers.1.*_proj"));
    QCOMPARE(view->layerProxy()->rowCount(), 7); // q, k, v, o, gate, up, down
    view->filterEdit()->clear();
    QCOMPARE(view->layerProxy()->rowCount(), 20);

    // Numeric sort on parameters: the biggest tensor (the 2048 x 128 embedding) comes first.
    view->layerTable()->sortByColumn(LayerTableModel::ParametersColumn, Qt::DescendingOrder);
    const QAbstractItemModel *proxy = view->layerProxy();
    qlonglong previous = std::numeric_limits<qlonglong>::max();
    for (int r = 0; r < proxy->rowCount(); ++r) {
        const qlonglong value = proxy->index(r, LayerTableModel::ParametersColumn)
                                    .data(LayerTableModel::SortRole)
                                    .toLongLong();
        QVERIFY(value <= previous);
        previous = value;
    }
    QCOMPARE(proxy->index(0, LayerTableModel::ParametersColumn).data().toString(),
        QLocale().toString(qlonglong(2048 * 128)));
}

void TestMainWindow::dropOnChildWidgetOpensModel()
{
    LATHE_REQUIRE_SHARED_DATA();
    auto w = makeWindow();
    QLineEdit *filter = w->modelView()->filterEdit();
    QSignalSpy loaded(w.get(), &MainWindow::modelLoaded);
    // The filter box accepts text drops itself; the window must still take the model.
    dropPath(filter, lathe::test::dataPath(QStringLiteral("models/random/llama")));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
    QVERIFY(filter->text().isEmpty());
    QVERIFY(w->currentModel()->path().ends_with("llama"));
}

void TestMainWindow::cancelKeepsPreviousModel()
{
    LATHE_REQUIRE_SHARED_DATA();
    auto w = makeWindow();
    // Cancelling the very first load leaves the window without a model.
    {
        QSignalSpy cancelled(w.get(), &MainWindow::loadCancelled);
        w->openModel(lathe::test::dataPath(QStringLiteral("models/random/llama")));
        QVERIFY(w->isLoading());
        w->cancelJob();
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kLoadTimeoutMs);
        QVERIFY(!w->currentModel());
        QVERIFY(!w->modeBar()->isModeEnabled(MainWindow::ModelMode));
        QCOMPARE(w->currentMode(), int(MainWindow::StartMode));
    }

    const QString tiny = lathe::test::dataPath(QStringLiteral("models/tinystories-656k"));
    QVERIFY(openAndWait(*w, tiny));
    QCOMPARE(w->modelView()->layerModel()->rowCount(), 20);

    QSignalSpy cancelled(w.get(), &MainWindow::loadCancelled);
    QSignalSpy loaded(w.get(), &MainWindow::modelLoaded);
    QSignalSpy failed(w.get(), &MainWindow::loadFailed);
    const QString llama = lathe::test::dataPath(QStringLiteral("models/random/llama"));
    w->openModel(llama);
    w->cancelJob();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kLoadTimeoutMs);
    QCOMPARE(cancelled.first().first().toString(), llama);
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(failed.count(), 0);
    QVERIFY(!w->isLoading());
    // The window says so, and the previous model is still shown.
    QVERIFY2(w->statusBar()->currentMessage().contains(QStringLiteral("Cancelled")),
        qPrintable(w->statusBar()->currentMessage()));
    QVERIFY(w->currentModel()->path().ends_with("tinystories-656k"));
    QCOMPARE(w->modelView()->layerModel()->rowCount(), 20);
    const lathe::ui::Job *job = w->jobRunner()->jobs().last();
    QCOMPARE(job->state(), lathe::ui::Job::State::Cancelled);

    // The window stays usable: the next load succeeds.
    QVERIFY(openAndWait(*w, llama));
    QVERIFY(w->currentModel()->path().ends_with("llama"));
    QCOMPARE(
        w->modelView()->layerModel()->rowCount(), int(w->currentModel()->summary().tensors.size()));
    QVERIFY(w->modelView()->layerModel()->rowCount() > 0);
}

void TestMainWindow::cancelWithEscape()
{
    LATHE_REQUIRE_SHARED_DATA();
    auto w = makeWindow();
    QVERIFY(QTest::qWaitForWindowActive(w.get()));
    QVERIFY(!w->actions()->cancelJob->isEnabled()); // Esc does nothing while idle
    QSignalSpy cancelled(w.get(), &MainWindow::loadCancelled);
    w->openModel(lathe::test::dataPath(QStringLiteral("models/tinystories-656k")));
    QVERIFY(w->actions()->cancelJob->isEnabled());
    QTest::keyClick(w.get(), Qt::Key_Escape);
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kLoadTimeoutMs);
    QVERIFY(!w->currentModel());
    QVERIFY(!w->actions()->cancelJob->isEnabled());
}

void TestMainWindow::malformedFileShowsError()
{
    LATHE_REQUIRE_SHARED_DATA();
    auto w = makeWindow();
    QSignalSpy errors(w.get(), &MainWindow::errorShown);
    QSignalSpy failed(w.get(), &MainWindow::loadFailed);
    const QString bad = lathe::test::dataPath(
        QStringLiteral("formats/safetensors-cases/cases/test_header_too_large.safetensors"));
    w->openModel(bad);
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, kLoadTimeoutMs);
    const QString text = errors.first().first().toString();
    QVERIFY2(text.contains(QStringLiteral("test_header_too_large.safetensors")), qPrintable(text));
    QCOMPARE(failed.count(), 1);
    QVERIFY(!failed.first().at(1).toString().isEmpty());
    QVERIFY(!w->currentModel());
    QVERIFY(!w->isLoading());
    // Not remembered as a recent model.
    QVERIFY(lathe::ui::Settings().recentModels().isEmpty());

    // The window stays usable.
    QVERIFY(openAndWait(*w, lathe::test::dataPath(QStringLiteral("models/tinystories-656k"))));
    QCOMPARE(w->modelView()->layerModel()->rowCount(), 20);
}

void TestMainWindow::missingPathShowsError()
{
    auto w = makeWindow();
    QSignalSpy errors(w.get(), &MainWindow::errorShown);
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("no-such-model.gguf"));
    w->openModel(missing);
    QCOMPARE(errors.count(), 1); // reported at once, no job needed
    QVERIFY(errors.first().first().toString().contains(QStringLiteral("no-such-model.gguf")));
    QVERIFY(!w->isLoading());
}

void TestMainWindow::recentModelsPersisted()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QString tiny = lathe::test::dataPath(QStringLiteral("models/tinystories-656k"));
    const QString llama = lathe::test::dataPath(QStringLiteral("models/random/llama"));
    {
        auto w = makeWindow();
        QVERIFY(w->startView()->recentModels().isEmpty());
        QVERIFY(openAndWait(*w, tiny));
        QVERIFY(openAndWait(*w, llama));
        QCOMPARE(w->startView()->recentModels(), QStringList({ llama, tiny }));
        QCOMPARE(w->startView()->recentList()->topLevelItemCount(), 2);
        QVERIFY(openAndWait(*w, tiny)); // moves to the front, no duplicate
        QCOMPARE(w->startView()->recentModels(), QStringList({ tiny, llama }));
        const QAction *first
            = w->recentMenu()->findChild<QAction *>(QStringLiteral("actionRecent1"));
        QVERIFY(first);
        QCOMPARE(first->data().toString(), tiny);
        w->close();
    }
    // A new window (next start) shows the same list.
    {
        auto w = makeWindow();
        QCOMPARE(w->startView()->recentModels(), QStringList({ tiny, llama }));
        // Picking a recent entry opens it.
        QSignalSpy loaded(w.get(), &MainWindow::modelLoaded);
        QTreeWidget *list = w->startView()->recentList();
        Q_EMIT list->itemActivated(list->topLevelItem(1), 0);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kLoadTimeoutMs);
        QCOMPARE(loaded.first().first().toString(), llama);
        // Clear List empties menu, start view and settings.
        w->actions()->clearRecent->trigger();
        QVERIFY(w->startView()->recentModels().isEmpty());
        QVERIFY(lathe::ui::Settings().recentModels().isEmpty());
        QVERIFY(!w->actions()->clearRecent->isEnabled());
    }
    // At most ten entries, newest first.
    lathe::ui::Settings settings;
    for (int i = 0; i < 12; ++i)
        settings.addRecentModel(QStringLiteral("/models/m%1").arg(i));
    const QStringList recent = settings.recentModels();
    QCOMPARE(recent.size(), lathe::ui::Settings::kMaxRecentModels);
    QCOMPARE(recent.first(), QStringLiteral("/models/m11"));
    QCOMPARE(recent.last(), QStringLiteral("/models/m2"));
}

void TestMainWindow::bareSafetensorsListsTensors()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = writeBareSafetensors(dir.path());
    QVERIFY(!path.isEmpty());
    auto w = makeWindow();
    QVERIFY(openAndWait(*w, path));
    const auto model = w->currentModel();
    QVERIFY(!model->runnable());
    QVERIFY(!model->notRunnableReason().empty());
    QCOMPARE(w->currentMode(), int(MainWindow::ModelMode));

    const LayerTableModel *layers = w->modelView()->layerModel();
    QCOMPARE(layers->rowCount(), 3);
    auto cell = [&](int row, int column) { return layers->index(row, column).data().toString(); };
    QCOMPARE(cell(0, LayerTableModel::NameColumn), QStringLiteral("a.weight"));
    QCOMPARE(cell(0, LayerTableModel::ShapeColumn), QStringLiteral("[2, 3]"));
    QCOMPARE(cell(0, LayerTableModel::DTypeColumn), QStringLiteral("F32"));
    QCOMPARE(cell(0, LayerTableModel::ParametersColumn), QStringLiteral("6"));
    QCOMPARE(cell(0, LayerTableModel::BytesColumn), QStringLiteral("24 B"));
    QCOMPARE(cell(1, LayerTableModel::DTypeColumn), QStringLiteral("F16"));
    QCOMPARE(cell(2, LayerTableModel::DTypeColumn), QStringLiteral("I64"));
    QVERIFY(w->modelView()
                ->cardView()
                ->value(QStringLiteral("Runs in Lathe"))
                .startsWith(QStringLiteral("No")));
}

void TestMainWindow::modeShortcutsAndMenus()
{
    LATHE_REQUIRE_SHARED_DATA();
    auto w = makeWindow();
    QVERIFY(QTest::qWaitForWindowActive(w.get()));
    lathe::ui::Actions *actions = w->actions();
    QCOMPARE(actions->openModel->shortcut(), QKeySequence(QKeySequence::Open));
    QCOMPARE(actions->modeActions.size(), int(MainWindow::ModeCount));
    QCOMPARE(actions->modeActions[1]->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_2));

    // Ctrl+2 does nothing before a model is open.
    QTest::keyClick(w.get(), Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(w->currentMode(), int(MainWindow::StartMode));
    QVERIFY(openAndWait(*w, lathe::test::dataPath(QStringLiteral("models/tinystories-656k"))));
    QCOMPARE(w->currentMode(), int(MainWindow::ModelMode));
    QTest::keyClick(w.get(), Qt::Key_1, Qt::ControlModifier);
    QCOMPARE(w->currentMode(), int(MainWindow::StartMode));
    QTest::keyClick(w.get(), Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(w->currentMode(), int(MainWindow::ModelMode));

    // Every dock has a toggle in the View menu.
    const QList<QDockWidget *> docks = w->findChildren<QDockWidget *>();
    QCOMPARE(docks.size(), 2);
    auto *viewMenu = w->findChild<QMenu *>(QStringLiteral("menuView"));
    QVERIFY(viewMenu);
    for (QDockWidget *dock : docks) {
        QVERIFY(!dock->objectName().isEmpty());
        QVERIFY(viewMenu->actions().contains(dock->toggleViewAction()));
        dock->toggleViewAction()->trigger();
        QVERIFY(dock->isHidden());
        dock->toggleViewAction()->trigger();
        QVERIFY(!dock->isHidden());
    }
    QVERIFY(w->findChild<QMenu *>(QStringLiteral("menuFile")));
    QVERIFY(w->findChild<QMenu *>(QStringLiteral("menuHelp")));
}

void TestMainWindow::opensGguf()
{
    LATHE_REQUIRE_SHARED_DATA();
    auto w = makeWindow();
    const QString gguf
        = lathe::test::dataPath(QStringLiteral("models/stories260K/stories260K-f32.gguf"));
    QVERIFY(openAndWait(*w, gguf));
    const auto model = w->currentModel();
    QVERIFY(model->runnable());
    QCOMPARE(w->modelView()->layerModel()->rowCount(), int(model->summary().tensors.size()));
    QVERIFY(w->modelView()->layerModel()->rowCount() > 0);
    QCOMPARE(
        w->modelView()->cardView()->value(QStringLiteral("Architecture")), QStringLiteral("llama"));
    QVERIFY(w->modelView()
                ->cardView()
                ->value(QStringLiteral("Format"))
                .startsWith(QStringLiteral("GGUF")));
}

// The Start page offers the demo model when one is installed; LATHE_DEMO_MODEL points the
// lookup at a real model so this works before and after the bundled one exists.
void TestMainWindow::startPageOpensDemoModel()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QString folder = lathe::test::dataPath(QStringLiteral("models/tinystories-656k"));
    qputenv("LATHE_DEMO_MODEL", folder.toUtf8());
    auto w = makeWindow();
    auto *button = w->findChild<QPushButton *>(QStringLiteral("startOpenDemo"));
    QVERIFY(button);
    QVERIFY(button->isVisible());
    QSignalSpy loaded(w.get(), &MainWindow::modelLoaded);
    button->click();
    QVERIFY(QTest::qWaitFor([&] { return loaded.count() > 0; }, kLoadTimeoutMs));
    QCOMPARE(w->currentModel()->path(), QDir::cleanPath(folder).toStdString());

    qputenv("LATHE_DEMO_MODEL", QDir::tempPath().toUtf8() + "/no-such-demo-model");
    auto bare = makeWindow();
    QVERIFY(!bare->findChild<QPushButton *>(QStringLiteral("startOpenDemo"))->isVisible());
    QSignalSpy failed(bare.get(), &MainWindow::loadFailed);
    bare->openModel(QStringLiteral("demo"));
    QCOMPARE(failed.count(), 1);
    qunsetenv("LATHE_DEMO_MODEL");
}

void TestMainWindow::windowStateRestored()
{
    {
        auto w = makeWindow();
        w->resize(900, 640);
        w->findChild<QDockWidget *>(QStringLiteral("logDock"))->hide();
        w->close(); // saves geometry and dock state
    }
    auto w = makeWindow();
    QCOMPARE(w->size(), QSize(900, 640));
    QVERIFY(w->findChild<QDockWidget *>(QStringLiteral("logDock"))->isHidden());
    QVERIFY(!w->findChild<QDockWidget *>(QStringLiteral("jobsDock"))->isHidden());
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
