// SPDX-License-Identifier: GPL-3.0-or-later
// The Prune section of the Compress view on the demo model, offscreen: the controls produce
// the expected PruningStage for every method (sparsity, N:M pattern, per-layer overrides,
// heads in whole KV groups, channels, blocks); a recipe with pruning saves, loads and is
// remembered; prune-only recipes plan without a quantization section; block influence
// measured in a job fills the chart with one bar per decoder block and clicking a bar chooses
// that block; Wanda 50 % + int8 run from the main window gives an Evaluate row with half its
// weights zero, identical to what lathe::compressLoadedModel (the CLI's path) makes from the
// same recipe.
#include "api/compression.h"
#include "api/loadedmodel.h"
#include "charts/barchart.h"
#include "charts/qcp.h"
#include "jobs/jobrunner.h"
#include "jobs/quantizejob.h"
#include "mainwindow.h"
#include "models/varianttablemodel.h"
#include "panels/compresscontrols.h"
#include "panels/compressview.h"
#include "panels/evaluateview.h"
#include "panels/prunecontrols.h"
#include "prune/prunemethods.h"
#include "quant/quanttypes.h"
#include "recipe/recipeyaml.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <memory>

using lathe::ui::CompressView;
using lathe::ui::PruneControls;

namespace
{

constexpr int kTimeoutMs = 30000;
const char *const kDemoModel = LATHE_SOURCE_DIR "/resources/demo-model";

void chooseData(QComboBox *combo, const QString &data)
{
    const int row = combo->findData(data);
    QVERIFY2(row >= 0, qPrintable(data));
    combo->setCurrentIndex(row);
}

int presetIndex(const std::string &label)
{
    const auto &presets = lathe::quantPresets();
    for (std::size_t i = 0; i < presets.size(); ++i)
        if (presets[i].label == label)
            return static_cast<int>(i);
    return -1;
}

} // namespace

class TestPruneControls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void controlsProduceStages();
    void recipeWithPruningRoundTrips();
    void blockInfluenceChartChoosesBlocks();
    void pruneAndQuantizeFromMainWindow();

private:
    std::shared_ptr<lathe::LoadedModel> m_demo;
    QTemporaryDir m_dir;
};

void TestPruneControls::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Lathe"));
    QCoreApplication::setApplicationName(QStringLiteral("LatheGuiTest"));
    m_demo = lathe::LoadedModel::load(kDemoModel);
    QVERIFY(m_demo->runnable());
    QVERIFY(m_demo->summary().config);
    QVERIFY(m_dir.isValid());
}

void TestPruneControls::init()
{
    QSettings().clear();
}

void TestPruneControls::controlsProduceStages()
{
    PruneControls controls;
    const lathe::ModelConfig &config = *m_demo->summary().config;
    controls.setModelShape(int(config.numLayers), int(config.numHeads), int(config.numKvHeads),
        int(config.intermediateSize));
    controls.resize(900, 400);
    controls.show();

    // Off by default: no pruning stage.
    QVERIFY(!controls.isChecked());
    QVERIFY(!controls.stage());

    // The method list is the engine's table, with its descriptions as tooltips.
    QComboBox *method = controls.methodCombo();
    QCOMPARE(method->count(), int(lathe::pruneMethods().size()));
    for (const lathe::PruneMethod &m : lathe::pruneMethods()) {
        const int row = method->findData(QString::fromStdString(m.name));
        QVERIFY(row >= 0);
        QVERIFY(method->itemData(row, Qt::ToolTipRole)
                    .toString()
                    .startsWith(QString::fromStdString(m.description)));
    }

    QSignalSpy changed(&controls, &PruneControls::recipeChanged);
    controls.setChecked(true);
    QCOMPARE(changed.count(), 1);
    QVERIFY(controls.stage());
    QCOMPARE(*controls.stage(), lathe::PruningStage {}); // wanda 50 %, unstructured

    // Magnitude 30 %, unstructured.
    chooseData(method, QStringLiteral("magnitude"));
    controls.sparsitySpin()->setValue(30.0);
    QVERIFY(controls.sparsitySpin()->isVisible());
    QVERIFY(controls.sparsitySpin()->isEnabled());
    QVERIFY(!controls.countSpin()->isVisible());
    lathe::PruningStage s = *controls.stage();
    QCOMPARE(s.method, std::string("magnitude"));
    QVERIFY(std::abs(s.sparsity - 0.3) < 1e-12);
    QCOMPARE(s.pattern, std::string());
    QVERIFY(changed.count() >= 3);

    // Per-layer overrides: table rows become PruneRule entries.
    QVERIFY(controls.addRuleButton()->isVisible());
    QVERIFY(!controls.rulesTable()->isVisible()); // no overrides yet
    QTest::mouseClick(controls.addRuleButton(), Qt::LeftButton);
    QCOMPARE(controls.rulesTable()->rowCount(), 1);
    QVERIFY(controls.rulesTable()->isVisible());
    QCOMPARE(controls.stage()->rules.size(), std::size_t(1));
    lathe::PruneRule expected;
    expected.kind = "down_proj";
    expected.sparsity = 0.25;
    QCOMPARE(controls.stage()->rules.front(), expected);
    controls.rulesTable()->item(0, PruneControls::LayersColumn)->setText(QStringLiteral("0-1"));
    controls.rulesTable()->item(0, PruneControls::SparsityColumn)->setText(QStringLiteral("60"));
    expected.firstLayer = 0;
    expected.lastLayer = 1;
    expected.sparsity = 0.6;
    QCOMPARE(controls.stage()->rules.front(), expected);
    // An unreadable cell keeps the last good value.
    controls.rulesTable()->item(0, PruneControls::LayersColumn)->setText(QStringLiteral("x-"));
    QCOMPARE(controls.stage()->rules.front(), expected);
    controls.rulesTable()->item(0, PruneControls::LayersColumn)->setText(QStringLiteral("2-"));
    QCOMPARE(controls.stage()->rules.front().firstLayer, 2);
    QCOMPARE(controls.stage()->rules.front().lastLayer, -1);
    controls.rulesTable()->setCurrentCell(0, 0);
    QTest::mouseClick(controls.removeRuleButton(), Qt::LeftButton);
    QCOMPARE(controls.rulesTable()->rowCount(), 0);
    QVERIFY(controls.stage()->rules.empty());
    QVERIFY(!controls.rulesTable()->isVisible());

    // A pattern fixes the sparsity: the spin is disabled.
    chooseData(controls.patternCombo(), QStringLiteral("2:4"));
    QVERIFY(!controls.sparsitySpin()->isEnabled());
    QCOMPARE(controls.stage()->pattern, std::string("2:4"));
    chooseData(method, QStringLiteral("sparsegpt"));
    chooseData(controls.patternCombo(), QStringLiteral("4:8"));
    s = *controls.stage();
    QCOMPARE(s.method, std::string("sparsegpt"));
    QCOMPARE(s.pattern, std::string("4:8"));
    chooseData(controls.patternCombo(), QString());
    QVERIFY(controls.sparsitySpin()->isEnabled());
    QCOMPARE(controls.stage()->pattern, std::string());

    // Heads: whole KV groups (4 heads over 2 KV heads: steps of 2, at most 2 removed).
    chooseData(method, QStringLiteral("heads"));
    QVERIFY(controls.countSpin()->isVisible());
    QVERIFY(!controls.sparsitySpin()->isVisible());
    QVERIFY(!controls.measureButton()->isVisible());
    const int group = int(config.numHeads / config.numKvHeads);
    QCOMPARE(controls.countSpin()->singleStep(), group);
    QCOMPARE(controls.countSpin()->minimum(), group);
    QVERIFY(controls.countSpin()->maximum() < config.numHeads);
    controls.countSpin()->setValue(group);
    s = *controls.stage();
    QCOMPARE(s.method, std::string("heads"));
    QCOMPARE(s.count, group);

    // Channels.
    chooseData(method, QStringLiteral("channels"));
    QCOMPARE(controls.countSpin()->maximum(), int(config.intermediateSize) - 1);
    controls.countSpin()->setValue(96);
    s = *controls.stage();
    QCOMPARE(s.method, std::string("channels"));
    QCOMPARE(s.count, 96);

    // Blocks: a count (the least influential) or chosen blocks.
    chooseData(method, QStringLiteral("blocks"));
    QVERIFY(controls.measureButton()->isVisible());
    QVERIFY(controls.influenceChart()->isVisible());
    QCOMPARE(controls.countSpin()->maximum(), int(config.numLayers) - 1);
    controls.countSpin()->setValue(2);
    s = *controls.stage();
    QCOMPARE(s.method, std::string("blocks"));
    QCOMPARE(s.count, 2);
    QVERIFY(s.blocks.empty());
    controls.toggleBlock(3);
    controls.toggleBlock(1);
    s = *controls.stage();
    QCOMPARE(s.blocks, (std::vector<int> { 1, 3 }));
    QCOMPARE(s.count, 2);
    QVERIFY(!controls.countSpin()->isEnabled()); // chosen blocks fix the count
    controls.toggleBlock(3);
    QCOMPARE(controls.stage()->blocks, std::vector<int> { 1 });
    QCOMPARE(controls.stage()->count, 1);
    controls.toggleBlock(1);
    QVERIFY(controls.stage()->blocks.empty());
    QVERIFY(controls.countSpin()->isEnabled());
    controls.toggleBlock(int(config.numLayers)); // no such block
    QVERIFY(controls.stage()->blocks.empty());
    // Chosen blocks do not leak into other methods.
    controls.toggleBlock(2);
    chooseData(method, QStringLiteral("wanda"));
    QVERIFY(controls.stage()->blocks.empty());

    // setStage shows a stage as it is, settings the controls do not show included.
    lathe::PruningStage loaded;
    loaded.method = "sparsegpt";
    loaded.sparsity = 0.625;
    loaded.ignore = { "lm_head", "*.down_proj" };
    loaded.damping = 0.05;
    lathe::PruneRule rule;
    rule.kind = "down_proj";
    rule.firstLayer = 0;
    rule.lastLayer = 1;
    rule.sparsity = 0.25;
    loaded.rules.push_back(rule);
    controls.setStage(loaded);
    QVERIFY(controls.isChecked());
    QCOMPARE(controls.methodCombo()->currentData().toString(), QStringLiteral("sparsegpt"));
    QCOMPARE(controls.sparsitySpin()->value(), 62.5);
    QCOMPARE(controls.rulesTable()->rowCount(), 1);
    QCOMPARE(
        controls.rulesTable()->item(0, PruneControls::LayersColumn)->text(), QStringLiteral("0-1"));
    QCOMPARE(controls.rulesTable()->item(0, PruneControls::SparsityColumn)->text(),
        QStringLiteral("25"));
    QCOMPARE(*controls.stage(), loaded);
    controls.setStage(std::nullopt);
    QVERIFY(!controls.isChecked());
    QVERIFY(!controls.stage());
    controls.setChecked(true); // the last settings come back
    QCOMPARE(*controls.stage(), loaded);

    // Which stages read calibration text: the engine's answer.
    lathe::Recipe recipe;
    recipe.pruning = lathe::PruningStage {};
    recipe.pruning->method = "magnitude";
    QVERIFY(!lathe::ui::QuantizeJob::needsCalibration(recipe));
    recipe.pruning->method = "wanda";
    QVERIFY(lathe::ui::QuantizeJob::needsCalibration(recipe));
    recipe.pruning->method = "heads";
    recipe.pruning->count = 2;
    QVERIFY(lathe::ui::QuantizeJob::needsCalibration(recipe));
}

void TestPruneControls::recipeWithPruningRoundTrips()
{
    lathe::ui::JobRunner runner;
    CompressView view(&runner);
    view.resize(1400, 900);
    view.show();
    view.setModel(m_demo);
    PruneControls *prune = view.pruneControls();
    QVERIFY(!view.recipe().pruning); // off by default

    // Wanda 2:4, then int4-g128 GPTQ.
    prune->setChecked(true);
    chooseData(prune->methodCombo(), QStringLiteral("wanda"));
    chooseData(prune->patternCombo(), QStringLiteral("2:4"));
    QVERIFY(view.applyPreset(presetIndex("W4 g128 GPTQ")));
    lathe::Recipe r = view.recipe();
    QVERIFY(r.pruning && r.quantization);
    QCOMPARE(r.pruning->pattern, std::string("2:4"));
    QCOMPARE(r.quantization->method, std::string("gptq"));
    QVERIFY(r.name.empty()); // the preset's label does not describe a pruned variant
    QVERIFY(view.planError().isEmpty());
    QVERIFY(!view.plan().modules.empty());
    QVERIFY(view.meterLabel()->text().contains(QStringLiteral("Prune first")));
    QVERIFY(view.meterLabel()->text().contains(QStringLiteral("bits/weight")));
    QVERIFY(view.runButton()->isEnabled());

    const QString path = m_dir.filePath(QStringLiteral("prune-quantize.yaml"));
    QVERIFY(view.saveRecipeFile(path));
    const lathe::Recipe saved = lathe::loadRecipe(path.toStdString());
    QCOMPARE(saved, r);

    // Change everything, then load: the pruning section comes back.
    prune->setChecked(false);
    QVERIFY(view.applyPreset(presetIndex("W8 per-channel")));
    QVERIFY(!view.recipe().pruning);
    QVERIFY(view.loadRecipeFile(path));
    QVERIFY(prune->isChecked());
    QCOMPARE(prune->patternCombo()->currentData().toString(), QStringLiteral("2:4"));
    QCOMPARE(lathe::recipeToYaml(view.recipe()), lathe::recipeToYaml(saved));

    // Remembered for the next session.
    {
        CompressView next(&runner);
        QVERIFY(next.pruneControls()->isChecked());
        QCOMPARE(next.recipe().pruning->pattern, std::string("2:4"));
        QCOMPARE(next.recipe().quantization->method, std::string("gptq"));
    }

    // Prune only: no quantization section, no quantization plan, still runnable.
    chooseData(prune->methodCombo(), QStringLiteral("blocks"));
    prune->countSpin()->setValue(1);
    prune->toggleBlock(2);
    view.controls()->quantizeCheck()->setChecked(false);
    r = view.recipe();
    QVERIFY(!r.quantization);
    QCOMPARE(r.pruning->blocks, std::vector<int> { 2 });
    QVERIFY(view.planError().isEmpty());
    QVERIFY(view.plan().modules.empty());
    QVERIFY(view.meterLabel()->text().contains(QStringLiteral("No quantization")));
    QVERIFY(view.runButton()->isEnabled());
    QVERIFY(!view.controls()->planButton()->isEnabled());
    const QString pruneOnly = m_dir.filePath(QStringLiteral("prune-only.yaml"));
    QVERIFY(view.saveRecipeFile(pruneOnly));
    view.controls()->quantizeCheck()->setChecked(true);
    prune->setChecked(false);
    QVERIFY(view.loadRecipeFile(pruneOnly));
    QVERIFY(!view.controls()->quantizeCheck()->isChecked());
    QCOMPARE(view.recipe(), lathe::loadRecipe(pruneOnly.toStdString()));
    QCOMPARE(view.recipe().pruning->blocks, std::vector<int> { 2 });

    // Neither stage: nothing to run. A structured count that does not fit: said why.
    prune->setChecked(false);
    QVERIFY(!view.planError().isEmpty());
    QVERIFY(!view.runButton()->isEnabled());
    prune->setChecked(true);
    QVERIFY(view.planError().isEmpty());
    lathe::PruningStage heads;
    heads.method = "heads";
    heads.count = 1; // the demo model's heads go in pairs (GQA)
    lathe::Recipe bad;
    bad.pruning = heads;
    view.setRecipe(bad);
    QVERIFY2(
        view.planError().contains(QStringLiteral("multiple of 2")), qPrintable(view.planError()));
    QVERIFY(!view.runButton()->isEnabled());
}

void TestPruneControls::blockInfluenceChartChoosesBlocks()
{
    lathe::ui::JobRunner runner;
    CompressView view(&runner);
    view.resize(1400, 1000);
    view.show();
    view.setModel(m_demo);
    PruneControls *prune = view.pruneControls();
    prune->setChecked(true);
    chooseData(prune->methodCombo(), QStringLiteral("blocks"));
    view.controls()->samplesSpin()->setValue(2);
    view.controls()->ctxSpin()->setValue(32);
    QVERIFY(prune->measureButton()->isEnabled());

    QSignalSpy measured(&view, &CompressView::blockInfluenceMeasured);
    QSignalSpy failed(&view, &CompressView::runFailed);
    QTest::mouseClick(prune->measureButton(), Qt::LeftButton);
    QVERIFY(view.isRunning());
    QVERIFY(view.cancelButton()->isEnabled());
    QVERIFY(!prune->measureButton()->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(measured.count() + failed.count(), 1, kTimeoutMs);
    QCOMPARE(failed.count(), 0);
    QVERIFY(prune->measureButton()->isEnabled());

    const int layers = int(m_demo->summary().config->numLayers);
    lathe::ui::BarChart *chart = prune->influenceChart();
    QCOMPARE(chart->barCount(), layers);
    const std::vector<double> influence = prune->blockInfluence();
    QCOMPARE(int(influence.size()), layers);
    for (double v : influence)
        QVERIFY2(std::isfinite(v) && v >= 0.0 && v <= 2.0, qPrintable(QString::number(v)));
    // Nothing chosen: the least influential block would go, shown in the "dropped" colour.
    const int least = int(std::min_element(influence.begin(), influence.end()) - influence.begin());
    QCOMPARE(prune->blocksToDrop(), std::vector<int> { least });
    QCOMPARE(chart->barPlottables().size(), 2);
    QVERIFY(view.recipe().pruning->blocks.empty());
    QVERIFY(chart->csv().count(QLatin1Char('\n')) == layers + 1);

    // A click on the most influential block's bar chooses it; a second click lets it go.
    const int most = int(std::max_element(influence.begin(), influence.end()) - influence.begin());
    chart->plot()->replot();
    const QPoint centre = chart->barCenter(most);
    QCOMPARE(chart->barAt(centre), most);
    QSignalSpy changed(prune, &PruneControls::recipeChanged);
    QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, centre);
    QTRY_COMPARE(view.recipe().pruning->blocks, std::vector<int> { most });
    QCOMPARE(view.recipe().pruning->count, 1);
    QVERIFY(changed.count() >= 1);
    QCOMPARE(prune->blocksToDrop(), std::vector<int> { most });
    QVERIFY(view.meterLabel()->text().contains(QStringLiteral("chosen")));
    chart->plot()->replot();
    QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, chart->barCenter(most));
    QTRY_VERIFY(view.recipe().pruning->blocks.empty());

    // A new model clears the measurement.
    view.setModel(nullptr);
    QCOMPARE(chart->barCount(), 0);
}

void TestPruneControls::pruneAndQuantizeFromMainWindow()
{
    lathe::ui::MainWindow w;
    w.setDialogsSuppressed(true);
    w.resize(1400, 900);
    w.show();
    QSignalSpy loaded(&w, &lathe::ui::MainWindow::modelLoaded);
    w.openModel(QString::fromUtf8(kDemoModel));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);
    w.setCurrentMode(lathe::ui::MainWindow::CompressMode);
    CompressView *view = w.compressView();
    QCOMPARE(view->model(), w.currentModel());

    // Wanda 50 %, then int8 per channel, calibrated on 4 windows of 64 generated tokens.
    PruneControls *prune = view->pruneControls();
    prune->setChecked(true);
    chooseData(prune->methodCombo(), QStringLiteral("wanda"));
    prune->sparsitySpin()->setValue(50.0);
    QVERIFY(view->applyPreset(presetIndex("W8 per-channel")));
    view->controls()->samplesSpin()->setValue(4);
    view->controls()->ctxSpin()->setValue(64);
    const lathe::Recipe recipe = view->recipe();
    QVERIFY(recipe.pruning && recipe.quantization);
    QVERIFY(lathe::ui::QuantizeJob::needsCalibration(recipe));

    QSignalSpy added(&w, &lathe::ui::MainWindow::variantAdded);
    QSignalSpy failed(view, &CompressView::runFailed);
    QVERIFY(view->runButton()->isEnabled());
    view->run();
    QTRY_COMPARE_WITH_TIMEOUT(added.count() + failed.count(), 1, kTimeoutMs);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(w.variants().size(), std::size_t(1));
    const std::shared_ptr<lathe::LoadedModel> variant = w.variants().front();
    const lathe::VariantInfo *info = variant->variantInfo();
    QVERIFY(info);
    QVERIFY2(std::abs(info->sparsity - 0.5) < 0.01, qPrintable(QString::number(info->sparsity)));
    QCOMPARE(info->pruning, std::string("wanda 50%"));
    QCOMPARE(info->format, std::string("int8"));
    QVERIFY(info->bitsPerWeight > 8.0 && info->bitsPerWeight < 9.0);
    QVERIFY(view->statusLabel()->text().contains(QStringLiteral("zeros")));

    // The Evaluate table lists it like any variant.
    lathe::ui::VariantTableModel *table = w.evaluateView()->tableModel();
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->modelAt(1).get(), variant.get());

    // The same recipe through the engine's entry point (the CLI's runRecipe) gives the same
    // variant: same recipe as run, same sparsity, same predictions.
    const std::string text = lathe::ui::QuantizeJob::calibrationText(recipe, QString());
    const auto direct = lathe::compressLoadedModel(w.currentModel(), recipe, text);
    QVERIFY(direct->variantInfo());
    QCOMPARE(direct->variantInfo()->recipeYaml, info->recipeYaml);
    QCOMPARE(direct->variantInfo()->sparsity, info->sparsity);
    QCOMPARE(direct->variantInfo()->weightBytes, info->weightBytes);
    lathe::EvaluationSettings settings;
    settings.ctx = 64;
    settings.maxWindows = 2;
    settings.measureSpeed = false;
    const lathe::VariantEvaluation same = lathe::evaluateVariant(*direct, *variant, text, settings);
    QVERIFY2(same.comparison.kld.max < 1e-9, qPrintable(QString::number(same.comparison.kld.max)));
    QCOMPARE(same.comparison.sameTop, 100.0);
}

QTEST_MAIN(TestPruneControls)
#include "tst_prunecontrols.moc"
