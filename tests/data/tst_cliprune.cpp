// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli prune` and a prune-then-quantize recipe end to end on tinystories-656k: the folder
// and prune.json are written, the sparsity in the report is what the reloaded weights hold, a
// recipe run by the CLI gives the same logits as the same recipe run in-process through
// runRecipe (the path the GUI's Run takes), and mistakes get one-line errors that write nothing.
#include "clirunner.h"
#include "testdata.h"

#include "model/model.h"
#include "model/transformer.h"
#include "recipe/recipeyaml.h"
#include "recipe/runrecipe.h"

#include <ATen/ATen.h>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <filesystem>

using namespace lathe;
using lathe::test::CliRun;
using lathe::test::runCli;

namespace {

QString model656k()
{
    return lathe::test::dataPath("models/tinystories-656k");
}

QJsonObject readJsonFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return lathe::test::parseJsonObject(f.readAll());
}

std::int64_t zerosOf(const at::Tensor &t)
{
    return (t == 0).sum().item<std::int64_t>();
}

const std::vector<std::int32_t> kIds = { 1, 403, 959, 1081, 338, 263, 217, 889, 13, 450 };

void checkErrorLine(const CliRun &r, const QString &needle)
{
    QVERIFY2(r.exitCode != 0, r.out.constData());
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.startsWith("lathe-cli: error: ") && err.count('\n') == 1, qPrintable(err));
    QVERIFY2(err.contains(needle), qPrintable(err));
}

} // namespace

class TestCliPrune : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void wandaWritesFolderAndReport()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QTemporaryDir tmp;
        const QString out = tmp.filePath("w50");
        const CliRun r = runCli({ "prune", model656k(), "--method", "wanda", "--sparsity", "0.5",
            "--calib", lathe::test::dataPath("text/TinyStories-valid-excerpt.txt"), "--samples",
            "8", "--ctx", "64", "--out", out, "--json", "--threads", "1" });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject report = lathe::test::parseJsonObject(r.out);
        QCOMPARE(readJsonFile(QDir(out).filePath("prune.json")), report);
        QCOMPARE(report["method"].toString(), QString("wanda"));
        QVERIFY(std::abs(report["sparsity"].toDouble() - 0.5) < 0.01);
        QCOMPARE(report["parameters_after"].toDouble(), report["parameters_before"].toDouble());
        const QJsonArray modules = report["modules"].toArray();
        QCOMPARE(modules.size(), 14);

        // The reloaded weights hold exactly the zeros the report counts.
        const auto reloaded = Model::load(out.toStdString());
        for (const auto &m : modules) {
            const QJsonObject o = m.toObject();
            const at::Tensor &w = reloaded->weight(o["name"].toString().toStdString() + ".weight");
            QCOMPARE(double(zerosOf(w)), o["zeros"].toDouble());
            QVERIFY(std::abs(o["sparsity"].toDouble() - 0.5) < 0.01);
        }
        const Recipe ran = loadRecipe(QDir(out).filePath("recipe.yaml").toStdString());
        QVERIFY(ran.pruning && !ran.quantization);
        QCOMPARE(ran.pruning->method, std::string("wanda"));
    }

    void recipeRunsTheSameInCliAndInProcess()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QTemporaryDir tmp;
        const std::string yaml = "lathe_recipe: 1\n"
                                 "name: magnitude 2:4 + int8\n"
                                 "pruning:\n  method: magnitude\n  pattern: \"2:4\"\n"
                                 "quantization:\n  method: rtn\n  format: int8\n";
        const QString recipePath = tmp.filePath("r.yaml");
        {
            QFile f(recipePath);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray::fromStdString(yaml));
        }
        const QString out = tmp.filePath("pq");
        const CliRun r = runCli({ "quantize", model656k(), "--recipe", recipePath, "--out", out,
            "--json", "--threads", "1" });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject report = lathe::test::parseJsonObject(r.out);
        QVERIFY(std::abs(report["pruning"].toObject()["sparsity"].toDouble() - 0.5) < 1e-9);
        QCOMPARE(report["format"].toString(), QString("int8"));

        const auto base = Model::load(model656k().toStdString());
        const RecipeResult direct = runRecipe(base, parseRecipeYaml(yaml, "r.yaml"), {});
        QVERIFY(direct.pruning && direct.quantization);
        const auto reloaded = Model::load(out.toStdString());
        const at::Tensor a = Transformer(direct.variant).logits(kIds);
        const at::Tensor b = Transformer(reloaded).logits(kIds);
        const double diff = (a - b).abs().max().item<double>();
        QVERIFY2(diff <= 1e-5, qPrintable(QString::number(diff)));
        const Recipe ran = loadRecipe(QDir(out).filePath("recipe.yaml").toStdString());
        QVERIFY(ran.pruning == direct.recipe.pruning);
        QVERIFY(ran.quantization == direct.recipe.quantization);
    }

    void mistakesWriteNothing()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QTemporaryDir tmp;
        const QString out = tmp.filePath("never");
        const QStringList head = { "prune", model656k(), "--out", out };
        checkErrorLine(runCli(head), "--method");
        checkErrorLine(runCli(head + QStringList { "--method", "wanda", "--sparsity", "0.5" }),
            "--calib");
        checkErrorLine(runCli(head + QStringList { "--method", "heads", "--sparsity", "0.5" }),
            "--count");
        checkErrorLine(runCli(head + QStringList { "--method", "magnitude", "--pattern", "4:2" }),
            "not a sparsity pattern");
        checkErrorLine(runCli(head + QStringList { "--method", "snip", "--sparsity", "0.5" }),
            "not a pruning method");
        QVERIFY(!QFileInfo::exists(out));
        QCOMPARE(QDir(tmp.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCliPrune)
#include "tst_cliprune.moc"
