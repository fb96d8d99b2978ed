// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli bench --analysis` on a tiny random model: the JSON report has every key, the
// throughputs are positive and the temporary model is removed. Checks the report, never the
// timings.
#include "clirunner.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

using namespace lathe::test;

class TestBenchAnalysis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reportsThroughputAgainstBandwidth_data()
    {
        QTest::addColumn<QString>("dtype");
        QTest::newRow("bf16") << "bf16";
        QTest::newRow("f32") << "f32";
    }

    void reportsThroughputAgainstBandwidth()
    {
        QFETCH(QString, dtype);
        const QStringList before =
            QDir::temp().entryList({ "lathe-statsbench-*" }, QDir::Dirs | QDir::NoDotAndDotDot);
        const CliRun r = runCliInvocations({ { { "bench", "--analysis", "--shape", "tiny",
            "--layers", "1", "--dtype", dtype, "--repeats", "1", "--bandwidth-mb", "32",
            "--kernel-mb", "2", "--json" }, {} } })
                             .front();
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        for (const char *key : { "model", "threads", "memory_read_gb_per_second", "kernels",
                 "tensors", "bytes", "seconds", "gb_per_second", "fraction_of_bandwidth",
                 "full_model_layers", "full_model_seconds", "full_model_extrapolated",
                 "histogram_counting_gb_per_second", "histogram_counting_fraction_of_bandwidth" })
            QVERIFY2(o.contains(key), key);
        QVERIFY(o["memory_read_gb_per_second"].toDouble() > 0);
        QVERIFY(o["gb_per_second"].toDouble() > 0);
        QVERIFY(o["fraction_of_bandwidth"].toDouble() > 0);
        QVERIFY(o["histogram_counting_gb_per_second"].toDouble() > 0);
        QCOMPARE(o["tensors"].toInt(), 12); // embedding, 9 per layer, final norm, head
        QCOMPARE(o["full_model_layers"].toInt(), 2);
        QVERIFY(o["full_model_extrapolated"].toBool());
        QVERIFY(o["full_model_seconds"].toDouble() > o["seconds"].toDouble());
        const QJsonArray kernels = o["kernels"].toArray();
        QCOMPARE(kernels.size(), 3);
        for (const auto &k : kernels)
            QVERIFY(k.toObject()["gb_per_second"].toDouble() > 0);
        const QStringList after =
            QDir::temp().entryList({ "lathe-statsbench-*" }, QDir::Dirs | QDir::NoDotAndDotDot);
        for (const QString &name : after)
            QVERIFY2(before.contains(name), qPrintable("left behind: " + name));
    }

    void refusesAnUnknownDtype()
    {
        const CliRun r = runCliInvocations(
            { { { "bench", "--analysis", "--dtype", "int8", "--json" }, {} } })
                             .front();
        QVERIFY(r.exitCode != 0);
    }
};

QTEST_GUILESS_MAIN(TestBenchAnalysis)
#include "tst_benchanalysis.moc"
