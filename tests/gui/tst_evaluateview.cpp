// SPDX-License-Identifier: GPL-3.0-or-later
// The Evaluate view on the demo model, offscreen: an int8 and an int3 variant are evaluated
// in worker jobs; their rows get finite perplexities and KL divergences, the int8 variant
// keeps the same top token almost everywhere and loses less than the int3 one; the Pareto
// chart has a point per row, the histogram counts every scored token of the selected variant;
// the CSV and JSON exports hold the header and the rows.
#include "api/compression.h"
#include "api/loadedmodel.h"
#include "charts/histogramchart.h"
#include "charts/paretochart.h"
#include "jobs/jobrunner.h"
#include "models/varianttablemodel.h"
#include "panels/evaluateview.h"
#include "util/demomodel.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <memory>

using lathe::ui::EvaluateView;
using lathe::ui::VariantTableModel;

namespace
{

constexpr int kTimeoutMs = 25000;

std::shared_ptr<lathe::LoadedModel> rtnVariant(
    const std::shared_ptr<lathe::LoadedModel> &base, const std::string &format)
{
    lathe::Recipe recipe;
    recipe.quantization = lathe::QuantizationStage {};
    recipe.quantization->method = "rtn";
    recipe.quantization->format = format;
    return lathe::compressLoadedModel(base, recipe, std::string());
}

} // namespace

class TestEvaluateView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void evaluateAndExport();
    void exportVariantFolder();

private:
    std::shared_ptr<lathe::LoadedModel> m_demo;
    std::shared_ptr<lathe::LoadedModel> m_int8;
    std::shared_ptr<lathe::LoadedModel> m_int3;
    QTemporaryDir m_dir;
};

void TestEvaluateView::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Lathe"));
    QCoreApplication::setApplicationName(QStringLiteral("LatheGuiTest"));
    QSettings().clear();
    const std::string path = lathe::demoModelPath();
    QVERIFY2(!path.empty(), "the demo model is not installed");
    m_demo = lathe::LoadedModel::load(path);
    QVERIFY(m_demo->runnable());
    m_int8 = rtnVariant(m_demo, "int8");
    m_int3 = rtnVariant(m_demo, "int3-g64");
    QVERIFY(m_int8->variantInfo());
    QVERIFY(m_dir.isValid());
}

void TestEvaluateView::evaluateAndExport()
{
    lathe::ui::JobRunner runner;
    EvaluateView view(&runner);
    view.resize(1400, 900);
    view.show();
    QVERIFY(!view.evaluateButton()->isEnabled());
    view.setOriginal(m_demo);
    QVERIFY(!view.evaluateButton()->isEnabled()); // nothing to evaluate yet
    VariantTableModel *table = view.tableModel();
    QAbstractItemModelTester tester(table, QAbstractItemModelTester::FailureReportingMode::QtTest);
    view.addVariant(m_int8);
    view.addVariant(m_int3);
    QCOMPARE(table->rowCount(), 3);
    QVERIFY(view.evaluateButton()->isEnabled());
    QVERIFY(!table->isEvaluated(1));
    QCOMPARE(table->index(1, VariantTableModel::KldColumn).data().toString(), QStringLiteral("—"));

    // Every unevaluated variant when none is selected.
    view.setWindows(6, 128);
    view.setCurrentRow(0);
    QSignalSpy evaluated(&view, &EvaluateView::variantEvaluated);
    QSignalSpy finished(&view, &EvaluateView::evaluationsFinished);
    QSignalSpy failed(&view, &EvaluateView::evaluationFailed);
    QTest::mouseClick(view.evaluateButton(), Qt::LeftButton);
    QVERIFY(view.isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(evaluated.count(), 2);
    QVERIFY(!view.isRunning());

    for (int row : { 1, 2 }) {
        const auto e = table->evaluationAt(row);
        QVERIFY(e);
        QVERIFY(std::isfinite(e->comparison.pplBase) && e->comparison.pplBase > 1.0);
        QVERIFY(std::isfinite(e->comparison.pplOther) && e->comparison.pplOther > 1.0);
        QVERIFY(std::isfinite(e->comparison.kld.mean) && e->comparison.kld.mean >= 0.0);
        QCOMPARE(e->comparison.windows, qint64(6));
        QCOMPARE(qint64(e->comparison.tokenKld.size()), e->comparison.scoredTokens);
        QVERIFY(e->decodeTokensPerSecond > 0.0);
        QVERIFY(e->residentBytes > 0);
        QVERIFY(std::isfinite(table->perplexity(row)));
        QVERIFY(table->index(row, VariantTableModel::KldColumn).data().toString()
            != QStringLiteral("—"));
    }
    const auto int8 = table->evaluationAt(1);
    const auto int3 = table->evaluationAt(2);
    QVERIFY2(
        int8->comparison.sameTop >= 95.0, qPrintable(QString::number(int8->comparison.sameTop)));
    QVERIFY(int8->comparison.kld.mean < int3->comparison.kld.mean);
    // Both ran on the same windows of the same text.
    QCOMPARE(int8->comparison.pplBase, int3->comparison.pplBase);
    QCOMPARE(table->meanKld(0), 0.0);
    QCOMPARE(table->index(0, VariantTableModel::SameTopColumn).data(VariantTableModel::SortRole)
                 .toDouble(),
        100.0);

    // Charts: a point per row (the original at zero), the histogram of the selected variant.
    QCOMPARE(view.paretoChart()->pointCount(), 3);
    // The original (largest, no damage) ends the front; the smallest variant starts it.
    const auto front = view.paretoChart()->front();
    QVERIFY(front.size() >= 2);
    QVERIFY(front.back().original);
    QCOMPARE(front.back().y, 0.0);
    QCOMPARE(front.front().x, table->megabytes(2));
    view.setCurrentRow(2);
    const lathe::ui::HistogramChart *histogram = view.kldHistogram();
    QCOMPARE(qint64(histogram->totalCount() + histogram->data().zeros),
        qint64(int3->comparison.tokenKld.size()));
    view.setAxes(EvaluateView::BitsAxis, EvaluateView::PerplexityAxis);
    QCOMPARE(view.paretoChart()->pointCount(), 3);
    QCOMPARE(view.paretoChart()->points().front().y, int8->comparison.pplBase);

    // Nothing left to evaluate: the button says so instead of starting jobs.
    view.evaluateRows({});
    QVERIFY(!view.isRunning());

    // CSV: the header and a line per row.
    const QString csvPath = m_dir.filePath(QStringLiteral("variants.csv"));
    QVERIFY(view.exportCsv(csvPath));
    QFile csvFile(csvPath);
    QVERIFY(csvFile.open(QIODevice::ReadOnly));
    const QStringList lines
        = QString::fromUtf8(csvFile.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4);
    QVERIFY(lines[0].startsWith(QStringLiteral("name,method,format,bits_per_weight")));
    QVERIFY(lines[0].contains(QStringLiteral("kld_mean")));
    QVERIFY(lines[2].startsWith(QString::fromStdString(m_int8->displayName())));
    QCOMPARE(lines[2].count(QLatin1Char(',')), lines[0].count(QLatin1Char(',')));

    // JSON: every statistic per variant.
    const QString jsonPath = m_dir.filePath(QStringLiteral("variants.json"));
    QVERIFY(view.exportJson(jsonPath));
    QFile jsonFile(jsonPath);
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(jsonFile.readAll()).object();
    const QJsonArray variants = json.value(QStringLiteral("variants")).toArray();
    QCOMPARE(variants.size(), 2);
    const QJsonObject first = variants.first().toObject();
    QCOMPARE(first.value(QStringLiteral("kld")).toObject().value(QStringLiteral("mean")).toDouble(),
        int8->comparison.kld.mean);
    QCOMPARE(first.value(QStringLiteral("same_top")).toDouble(), int8->comparison.sameTop);
    QVERIFY(json.value(QStringLiteral("original")).toObject().contains(QStringLiteral("name")));
}

void TestEvaluateView::exportVariantFolder()
{
    // The facade's export: an HF folder with the recipe beside it, which opens and runs.
    const QString out = m_dir.filePath(QStringLiteral("int8-variant"));
    lathe::exportVariantHf(*m_int8, out.toStdString());
    QVERIFY(QFile::exists(out + QStringLiteral("/config.json")));
    QVERIFY(QFile::exists(out + QStringLiteral("/recipe.yaml")));
    QFile recipe(out + QStringLiteral("/recipe.yaml"));
    QVERIFY(recipe.open(QIODevice::ReadOnly));
    QCOMPARE(recipe.readAll().toStdString(), m_int8->variantInfo()->recipeYaml);
    const auto reloaded = lathe::LoadedModel::load(out.toStdString());
    QVERIFY(reloaded->runnable());
    QCOMPARE(reloaded->summary().parameters, m_demo->summary().parameters);
}

QTEST_MAIN(TestEvaluateView)
#include "tst_evaluateview.moc"
