// SPDX-License-Identifier: GPL-3.0-or-later
// The Compress view on the demo model, offscreen: a preset sets method and format and the
// meter follows; a per-module override (picked in the table's combo editor) changes the meter
// and shows up as a rule in the saved recipe; save and load round-trip; a malformed recipe is
// reported with its file and line; Run makes a W8 variant, which the main window adds to the
// variant bar and the Evaluate table; a cancelled run adds nothing; opening a model again
// clears the variants.
#include "api/compression.h"
#include "api/loadedmodel.h"
#include "jobs/job.h"
#include "jobs/jobrunner.h"
#include "mainwindow.h"
#include "models/moduleplantablemodel.h"
#include "models/varianttablemodel.h"
#include "panels/compresscontrols.h"
#include "panels/compressview.h"
#include "panels/evaluateview.h"
#include "panels/modebar.h"
#include "panels/variantbar.h"
#include "quant/quanttypes.h"
#include "recipe/recipeyaml.h"
#include "util/demomodel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QDoubleSpinBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest/QtTest>

#include <cmath>
#include <memory>

using lathe::ui::CompressView;
using lathe::ui::ModulePlanTableModel;

namespace
{

constexpr int kTimeoutMs = 20000;

int presetIndex(const std::string &label)
{
    const auto &presets = lathe::quantPresets();
    for (std::size_t i = 0; i < presets.size(); ++i)
        if (presets[i].label == label)
            return static_cast<int>(i);
    return -1;
}

// Chooses `label` in the view's preset combo as a user would.
void choosePreset(CompressView &view, const QString &label)
{
    QComboBox *combo = view.controls()->presetCombo();
    const int row = combo->findText(label);
    QVERIFY2(row >= 0, qPrintable(label));
    combo->setCurrentIndex(row);
    Q_EMIT combo->activated(row);
}

QString readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

} // namespace

class TestCompressView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void presetOverrideAndRecipeRoundTrip();
    void badRecipeNamesTheLine();
    void planForBudget();
    void runMakesVariantInMainWindow();

private:
    std::shared_ptr<lathe::LoadedModel> m_demo;
    QTemporaryDir m_dir;
};

void TestCompressView::initTestCase()
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

void TestCompressView::init()
{
    QSettings().clear();
}

void TestCompressView::presetOverrideAndRecipeRoundTrip()
{
    lathe::ui::JobRunner runner;
    CompressView view(&runner);
    view.resize(1400, 900);
    view.show();
    QVERIFY(!view.runButton()->isEnabled()); // no model yet
    view.setModel(m_demo);
    QVERIFY(view.runButton()->isEnabled());
    QAbstractItemModelTester tester(
        view.tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);

    // A preset sets method and format; the table and the meter follow.
    QSignalSpy planned(&view, &CompressView::planUpdated);
    choosePreset(view, QStringLiteral("W4 g32"));
    QVERIFY(planned.count() >= 1);
    QCOMPARE(view.controls()->methodCombo()->currentData().toString(), QStringLiteral("rtn"));
    QCOMPARE(view.controls()->formatCombo()->currentData().toString(), QStringLiteral("int4-g32"));
    QVERIFY(view.planError().isEmpty());
    const lathe::QuantPlan plan = view.plan();
    const int modules = view.tableModel()->rowCount();
    QCOMPARE(modules, int(plan.modules.size()));
    QVERIFY(modules > 0);
    const double w4bits = plan.bitsPerWeight();
    QVERIFY2(w4bits > 4.0 && w4bits < 5.5, qPrintable(QString::number(w4bits)));
    QVERIFY(plan.totalBytes < plan.originalBytes);
    const QString w4meter = view.meterLabel()->text();
    QVERIFY(w4meter.contains(QStringLiteral("bits/weight")));
    QVERIFY(w4meter.contains(QLocale().toString(w4bits, 'f', 2)));

    choosePreset(view, QStringLiteral("W8 per-channel"));
    const double w8bits = view.plan().bitsPerWeight();
    QVERIFY(w8bits > w4bits);
    QVERIFY(view.meterLabel()->text() != w4meter);
    choosePreset(view, QStringLiteral("W4 g32"));
    QCOMPARE(view.meterLabel()->text(), w4meter);

    // Override one module through the Format column's editor.
    const lathe::ModulePlan first = view.plan().modules.front();
    QVERIFY(first.format.has_value());
    QTableView *table = view.tableView();
    auto *proxy = qobject_cast<QSortFilterProxyModel *>(table->model());
    QVERIFY(proxy);
    const QModelIndex cell
        = proxy->mapFromSource(view.tableModel()->index(0, ModulePlanTableModel::FormatColumn));
    table->setCurrentIndex(cell);
    table->edit(cell);
    auto *editor = table->findChild<QComboBox *>(QStringLiteral("formatEditor"));
    QVERIFY(editor);
    const int int8Row = editor->findData(QStringLiteral("int8"));
    QVERIFY(int8Row > 0);
    editor->setCurrentIndex(int8Row);
    Q_EMIT editor->activated(int8Row);
    QCOMPARE(view.overrides().size(), std::size_t(1));
    QCOMPARE(view.overrides().at(first.module), std::string("int8"));
    QCOMPARE(view.plan().modules.front().format->name(), std::string("int8"));
    QVERIFY(view.plan().bitsPerWeight() > w4bits);
    QVERIFY(view.meterLabel()->text() != w4meter);
    QCOMPARE(view.tableModel()->index(0, ModulePlanTableModel::FormatColumn).data().toString(),
        QStringLiteral("int8"));

    // The saved recipe carries the override as a rule, and loads back equal.
    const QString path = m_dir.filePath(QStringLiteral("override.yaml"));
    QVERIFY(view.saveRecipeFile(path));
    const QString yaml = readAll(path);
    QVERIFY(yaml.contains(QString::fromStdString(first.module)));
    QVERIFY(yaml.contains(QStringLiteral("int8")));
    const lathe::Recipe saved = lathe::loadRecipe(path.toStdString());
    QVERIFY(saved.quantization);
    QCOMPARE(saved.quantization->format, std::string("int4-g32"));
    QCOMPARE(saved.quantization->rules.size(), std::size_t(1));
    QCOMPARE(saved.quantization->rules.front().match, first.module);
    QCOMPARE(saved.quantization->rules.front().format, std::string("int8"));

    // Change everything, then load: the controls and the override come back.
    choosePreset(view, QStringLiteral("NF4"));
    view.setOverride(first.module, std::string());
    QVERIFY(view.overrides().empty());
    QVERIFY(view.loadRecipeFile(path));
    QCOMPARE(view.controls()->formatCombo()->currentData().toString(), QStringLiteral("int4-g32"));
    QCOMPARE(view.overrides().size(), std::size_t(1));
    QCOMPARE(view.overrides().at(first.module), std::string("int8"));
    QCOMPARE(view.plan().bitsPerWeight(), lathe::previewQuantPlan(*m_demo, saved).bitsPerWeight());
    QCOMPARE(lathe::recipeToYaml(view.recipe()), lathe::recipeToYaml(saved));

    // The global settings are remembered for the next session (without per-module rules).
    CompressView next(&runner);
    QCOMPARE(next.controls()->formatCombo()->currentData().toString(), QStringLiteral("int4-g32"));
    QVERIFY(next.overrides().empty());
}

void TestCompressView::badRecipeNamesTheLine()
{
    lathe::ui::JobRunner runner;
    CompressView view(&runner);
    view.setModel(m_demo);
    choosePreset(view, QStringLiteral("W4 g128"));
    const QString before = lathe::recipeToYaml(view.recipe()).c_str();
    const QString path = m_dir.filePath(QStringLiteral("broken-recipe.yaml"));
    {
        QFile out(path);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("lathe_recipe: 1\n"
                  "name: broken\n"
                  "quantization:\n"
                  "  method: rtn\n"
                  "  format: int4-g128\n"
                  "  colour: blue\n");
    }
    QSignalSpy errors(&view, &CompressView::errorOccurred);
    QVERIFY(!view.loadRecipeFile(path));
    QCOMPARE(errors.count(), 1);
    const QString text = errors.first().at(1).toString();
    QVERIFY2(text.contains(QStringLiteral("broken-recipe.yaml")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("line 6")), qPrintable(text));
    QVERIFY(view.statusLabel()->text().contains(QStringLiteral("line 6")));
    // Nothing changed.
    QCOMPARE(QString::fromStdString(lathe::recipeToYaml(view.recipe())), before);
}

void TestCompressView::planForBudget()
{
    lathe::ui::JobRunner runner;
    CompressView view(&runner);
    view.setModel(m_demo);
    choosePreset(view, QStringLiteral("W4 g128"));
    view.controls()->samplesSpin()->setValue(2);
    view.controls()->ctxSpin()->setValue(32);
    view.controls()->budgetSpin()->setValue(5.0);
    QSignalSpy planned(&view, &CompressView::budgetPlanned);
    QSignalSpy failed(&view, &CompressView::runFailed);
    QTest::mouseClick(view.controls()->planButton(), Qt::LeftButton);
    QVERIFY(view.isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(planned.count(), 1, kTimeoutMs);
    QCOMPARE(failed.count(), 0);
    // One override per decoder module, within the budget, with the predicted damage shown.
    int decoderModules = 0;
    for (const lathe::ModulePlan &m : view.plan().modules)
        decoderModules += m.layer >= 0 ? 1 : 0; // the (ignored) output head is not planned
    QCOMPARE(int(view.overrides().size()), decoderModules);
    QVERIFY(view.plan().bitsPerWeight() <= 5.0 + 1e-9);
    QVERIFY(std::isfinite(view.plannedDamage()) && view.plannedDamage() >= 0.0);
    QVERIFY(view.meterLabel()->text().contains(QStringLiteral("planner")));
    // Changing an override makes the planner's prediction stale.
    const std::string module = view.plan().modules.front().module;
    view.setOverride(module, "none");
    QVERIFY(std::isnan(view.plannedDamage()));
}

void TestCompressView::runMakesVariantInMainWindow()
{
    lathe::ui::MainWindow w;
    w.setDialogsSuppressed(true);
    w.resize(1400, 900);
    w.show();
    const int mode = lathe::ui::MainWindow::CompressMode;
    QVERIFY(!w.modeBar()->isModeEnabled(mode));
    QSignalSpy loaded(&w, &lathe::ui::MainWindow::modelLoaded);
    w.openModel(QStringLiteral("demo"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);
    QVERIFY(w.modeBar()->isModeEnabled(mode));
    QTest::keyClick(&w, Qt::Key_5, Qt::ControlModifier);
    QCOMPARE(w.currentMode(), mode);
    CompressView *view = w.compressView();
    QVERIFY(view->isVisible());
    QCOMPARE(view->model(), w.currentModel());
    lathe::ui::VariantBar *bar = w.variantBar();
    QCOMPARE(bar->count(), 1);
    QVERIFY(bar->chipText(0).startsWith(QStringLiteral("Original: demo-model")));

    // A cancelled run makes no variant.
    QVERIFY(view->applyPreset(presetIndex("W4 g128 GPTQ")));
    QSignalSpy cancelled(view, &CompressView::runCancelled);
    QSignalSpy created(view, &CompressView::variantCreated);
    view->run();
    QVERIFY(view->isRunning());
    QVERIFY(view->cancelButton()->isEnabled());
    QTest::mouseClick(view->cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kTimeoutMs);
    QCOMPARE(created.count(), 0);
    QVERIFY(w.variants().empty());
    QCOMPARE(bar->count(), 1);

    // W8 round to nearest, run with Ctrl+Enter.
    QVERIFY(view->applyPreset(presetIndex("W8 per-channel")));
    QSignalSpy added(&w, &lathe::ui::MainWindow::variantAdded);
    QTest::keyClick(view->runButton(), Qt::Key_Return, Qt::ControlModifier);
    QTRY_COMPARE_WITH_TIMEOUT(added.count(), 1, kTimeoutMs);
    QCOMPARE(created.count(), 1);
    QCOMPARE(w.variants().size(), std::size_t(1));
    const auto variant = w.variants().front();
    const lathe::VariantInfo *info = variant->variantInfo();
    QVERIFY(info);
    QCOMPARE(info->name, std::string("W8 per-channel"));
    QCOMPARE(info->format, std::string("int8"));
    QVERIFY(info->bitsPerWeight > 8.0 && info->bitsPerWeight < 9.0);
    QVERIFY(info->weightBytes < m_demo->summary().bytes);
    QVERIFY(QString::fromStdString(info->recipeYaml).contains(QStringLiteral("int8")));
    QVERIFY(view->statusLabel()->text().contains(QStringLiteral("W8 per-channel")));

    // The bar lists it and selects it; the Evaluate table has its row.
    QCOMPARE(bar->count(), 2);
    QVERIFY(bar->chipText(1).contains(QStringLiteral("W8 per-channel")));
    QVERIFY(bar->chipText(1).contains(QStringLiteral("bpw")));
    QCOMPARE(w.currentVariantIndex(), 1);
    QCOMPARE(w.currentVariant().get(), variant.get());
    QCOMPARE(w.evaluateView()->tableModel()->rowCount(), 2);
    QCOMPARE(w.evaluateView()->currentRow(), 1);
    bar->chip(0)->click();
    QCOMPARE(w.currentVariantIndex(), 0);
    QCOMPARE(w.evaluateView()->currentRow(), 0);

    // Opening a model again starts a new list.
    w.openModel(QStringLiteral("demo"));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, kTimeoutMs);
    QVERIFY(w.variants().empty());
    QCOMPARE(bar->count(), 1);
    QCOMPARE(w.evaluateView()->tableModel()->rowCount(), 1);
}

QTEST_MAIN(TestCompressView)
#include "tst_compressview.moc"
