// SPDX-License-Identifier: GPL-3.0-or-later
// lathe-cli end to end: runs the built binary on the shared models and checks its output
// against the independent reference results, plus exit codes and error lines.
#include "clirunner.h"
#include "testdata.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest/QtTest>

#include <cmath>
#include <memory>
#include <vector>

namespace {

using Run = lathe::test::CliRun;
using lathe::test::runCli;

QList<Run> runAll(const QList<QStringList> &argLists)
{
    QList<lathe::test::CliInvocation> invocations;
    for (const QStringList &args : argLists)
        invocations.push_back({ args, {} });
    return lathe::test::runCliInvocations(invocations);
}

QJsonObject parseObject(const QByteArray &bytes) { return lathe::test::parseJsonObject(bytes); }

QJsonObject readJsonFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// The whole of stderr is one line "lathe-cli: error: ..." that mentions `needle`.
void checkErrorLine(const Run &r, const QString &needle)
{
    QVERIFY2(r.exitCode != 0, r.out.constData());
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.startsWith("lathe-cli: error: "), qPrintable(err));
    QVERIFY2(err.endsWith('\n') && err.count('\n') == 1, qPrintable(err));
    QVERIFY2(err.contains(needle), qPrintable(err));
    QVERIFY2(r.out.isEmpty(), r.out.constData());
}

std::vector<int> toInts(const QJsonArray &a)
{
    std::vector<int> v;
    for (const auto &x : a)
        v.push_back(x.toInt());
    return v;
}

} // namespace

#define RUN_OK(run, ...)                                                                      \
    const Run run = runCli(__VA_ARGS__);                                                     \
    QVERIFY2(run.exitCode == 0, run.err.constData())

class TestCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void helpAndVersion();
    void infoHfFolder();
    void infoBareSafetensors();
    void infoGguf();
    void logitsMatchReference();
    void generateGreedyMatchesReference();
    void perplexityWindows();
    void perplexityLlamaCpp();
    void errorsAreOneLine();
    void benchReportsAllKeys();
    void benchTimesPackedVariants();
    void analyzeWritesStatistics();
    void analyzeActivationsAndSensitivity();
};

void TestCli::initTestCase()
{
    QVERIFY2(QFile::exists(lathe::test::cliBinary()),
        qPrintable("lathe-cli not built at " + lathe::test::cliBinary()));
}

void TestCli::helpAndVersion()
{
    const auto runs = runAll({{"--help"}, {"--version"}, {"generate", "--help"}});
    for (const Run &r : runs)
        QVERIFY2(r.exitCode == 0, r.err.constData());
    for (const char *command : {"info", "logits", "generate", "perplexity", "bench"})
        QVERIFY2(runs[0].out.contains(command), command);
    QCOMPARE(runs[1].out.trimmed(), QByteArray("lathe-cli 0.1.0"));
    QVERIFY(runs[2].out.contains("--temp"));
    QVERIFY(runs[2].out.contains("--json"));
}

void TestCli::infoHfFolder()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QString model = lathe::test::dataPath("models/tinystories-656k");
    RUN_OK(r, {"info", "--json", model});
    const QJsonObject o = parseObject(r.out);
    QCOMPARE(o["parameters"].toInteger(), qint64(656000));
    QCOMPARE(o["architecture"].toString(), QString("llama"));
    QCOMPARE(o["tensors"].toArray().size(), 20);
    QCOMPARE(o["config"].toObject()["num_hidden_layers"].toInt(), 2);
    const QJsonObject first = o["tensors"].toArray().first().toObject();
    for (const char *key : {"name", "shape", "dtype", "parameters", "bytes"})
        QVERIFY2(first.contains(key), key);

}

void TestCli::infoBareSafetensors()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QString file =
        lathe::test::dataPath("formats/safetensors-cases/cases/test_deserialization.safetensors");
    const auto runs = runAll({{"info", file, "--json"}, {"info", file}});
    for (const Run &r : runs)
        QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject o = parseObject(runs[0].out);
    const QJsonArray tensors = o["tensors"].toArray();
    QCOMPARE(tensors.size(), 1);
    QCOMPARE(tensors[0].toObject()["name"].toString(), QString("test"));
    QCOMPARE(tensors[0].toObject()["dtype"].toString(), QString("I32"));
    QCOMPARE(o["parameters"].toInteger(), qint64(4));
    // Human-readable: the card and a table row per tensor.
    QVERIFY(runs[1].out.contains("Tensors (1)"));
    QVERIFY(runs[1].out.contains("test  [2, 2]  I32"));
}

void TestCli::infoGguf()
{
    LATHE_REQUIRE_SHARED_DATA();
    RUN_OK(r, {"info", "--json",
               lathe::test::dataPath("models/stories260K/stories260K-f32.gguf")});
    const QJsonObject o = parseObject(r.out);
    QCOMPARE(o["architecture"].toString(), QString("llama"));
    QCOMPARE(o["config"].toObject()["num_hidden_layers"].toInt(), 5);
    QVERIFY(o["tensors"].toArray().size() > 0);
    QVERIFY(o["format"].toString().contains("GGUF"));
}

void TestCli::logitsMatchReference()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QString folder = lathe::test::dataPath("models/random/llama");
    const QJsonObject ref = readJsonFile(folder + "/reference-logits.json");
    QStringList ids;
    for (const auto &id : ref["ids"].toArray())
        ids << QString::number(id.toInt());
    RUN_OK(r, {"logits", folder, "--ids", ids.join(',')});
    const QJsonObject o = parseObject(r.out);
    QCOMPARE(toInts(o["ids"].toArray()), toInts(ref["ids"].toArray()));
    const QJsonArray got = o["logits"].toArray();
    const QJsonArray want = ref["logits"].toArray();
    QCOMPARE(got.size(), want.size());
    double worst = 0.0;
    for (qsizetype i = 0; i < want.size(); ++i) {
        const QJsonArray g = got[i].toArray();
        const QJsonArray w = want[i].toArray();
        QCOMPARE(g.size(), w.size());
        for (qsizetype j = 0; j < w.size(); ++j)
            worst = std::max(worst, std::abs(g[j].toDouble() - w[j].toDouble()));
    }
    QVERIFY2(worst < 1e-4, qPrintable(QString("largest difference %1").arg(worst)));
}

void TestCli::generateGreedyMatchesReference()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QJsonObject ref =
        readJsonFile(lathe::test::dataPath("reference/tinystories-656k.json"))["greedy"].toObject();
    const std::vector<int> expected = toInts(ref["continuation_ids"].toArray());
    QCOMPARE(expected.size(), std::size_t(40));
    const QString model = lathe::test::dataPath("models/tinystories-656k");
    const QStringList args{"generate", model, "--prompt-ids", "1,80,147,201,282,57,3",
                           "--max-tokens", "40", "--temp", "0"};

    const auto runs = runAll({args + QStringList{"--json"}, args});
    for (const Run &r : runs)
        QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject o = parseObject(runs[0].out);
    QCOMPARE(toInts(o["ids"].toArray()), expected);
    QCOMPARE(toInts(o["prompt_ids"].toArray()), (std::vector<int>{1, 80, 147, 201, 282, 57, 3}));
    QCOMPARE(o["stop_reason"].toString(), QString("max-tokens"));
    QCOMPARE(o["prompt_tokens"].toInt(), 7);
    QCOMPARE(o["generated_tokens"].toInt(), 40);
    QVERIFY(o.contains("time_to_first_token_s"));
    QVERIFY(o.contains("decode_tokens_per_s"));

    // Text mode: the same ids, space separated, and nothing else on stdout.
    std::vector<int> streamed;
    for (const auto &word : QString::fromUtf8(runs[1].out).split(' ', Qt::SkipEmptyParts))
        streamed.push_back(word.trimmed().toInt());
    QCOMPARE(streamed, expected);
}

void TestCli::perplexityWindows()
{
    LATHE_REQUIRE_SHARED_DATA();
    RUN_OK(r, {"perplexity", lathe::test::dataPath("models/tinystories-656k"), "--ids",
               lathe::test::dataPath("reference/tinystories-656k.excerpt.ids.txt"), "--ctx",
               "128", "--json"});
    const QJsonObject o = parseObject(r.out);
    const double ppl = o["ppl"].toDouble();
    QVERIFY2(std::abs(ppl - 47.2786) / 47.2786 < 1e-3, qPrintable(QString::number(ppl)));
    QCOMPARE(o["tokens"].toInt(), 7955);
    QCOMPARE(o["ctx"].toInt(), 128);
    QCOMPARE(o["protocol"].toString(), QString("windows"));
    for (const char *key : {"mean_nll", "chunks", "seconds", "tokens_per_s"})
        QVERIFY2(o.contains(key), key);
}

void TestCli::perplexityLlamaCpp()
{
    LATHE_REQUIRE_SHARED_DATA();
    RUN_OK(r, {"--json", "perplexity", lathe::test::dataPath("models/stories260K/hf"), "--ids",
               lathe::test::dataPath("reference/stories260K.excerpt.ids.txt"), "--ctx", "128",
               "--protocol", "llamacpp"});
    const QJsonObject o = parseObject(r.out);
    const double ppl = o["ppl"].toDouble();
    QVERIFY2(std::abs(ppl - 5.8583) / 5.8583 < 1e-3, qPrintable(QString::number(ppl)));
    QCOMPARE(o["ctx"].toInt(), 128);
}

void TestCli::errorsAreOneLine()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QString missing = lathe::test::dataPath("models/no-such-model");
    const QString malformed =
        lathe::test::dataPath("formats/safetensors-cases/cases/test_header_too_large.safetensors");
    const QString model = lathe::test::dataPath("models/tinystories-656k");
    const auto runs = runAll({
        {"info", missing},
        {"info", "--json", malformed},
        {"logits", model, "--ids", "1,x"},
        {"perplexity", model, "--ids", missing},
        {"info", "--no-such-flag", model},
        {},
    });
    checkErrorLine(runs[0], "no-such-model");
    checkErrorLine(runs[1], "test_header_too_large.safetensors");
    checkErrorLine(runs[2], "'x'");
    QVERIFY(runs[2].err.contains("--ids"));
    checkErrorLine(runs[3], "no-such-model");
    // Usage errors: one line too, exit status 2.
    checkErrorLine(runs[4], "--no-such-flag");
    QCOMPARE(runs[4].exitCode, 2);
    checkErrorLine(runs[5], "command");
    QCOMPARE(runs[5].exitCode, 2);
}

void TestCli::benchReportsAllKeys()
{
    // A tiny random model: checks the report, never the timings.
    RUN_OK(r, {"bench", "--shape", "tiny", "--layers", "1", "--prompt", "8", "--gen", "4",
               "--bandwidth-mb", "128", "--json"});
    const QJsonObject o = parseObject(r.out);
    for (const char *key :
         {"load_seconds", "load_bytes", "prefill_tokens_per_s", "decode_tokens_per_s",
          "memory_bandwidth_gbs", "gemm_gflops", "weight_bytes", "decode_weight_gbs",
          "decode_fraction_of_bandwidth", "prefill_fraction_of_gemm", "threads", "model"})
        QVERIFY2(o.contains(key), key);
    QCOMPARE(o["layers"].toInt(), 1);
    QVERIFY(o["memory_bandwidth_gbs"].toDouble() > 0.0);
    QVERIFY(o["gemm_gflops"].toDouble() > 0.0);
    QVERIFY(o["load_bytes"].toDouble() > 0.0);
    QVERIFY(o["threads"].toInt() >= 1);
}

void TestCli::benchTimesPackedVariants()
{
    RUN_OK(r, {"bench", "--shape", "tiny", "--layers", "1", "--prompt", "8", "--gen", "4",
               "--bandwidth-mb", "64", "--packed", "int8,int4-g32-asym", "--json"});
    const QJsonArray packed = parseObject(r.out)["packed"].toArray();
    QCOMPARE(packed.size(), 2);
    QCOMPARE(packed[0].toObject()["format"].toString(), QString("int8"));
    QCOMPARE(packed[1].toObject()["format"].toString(), QString("int4-g32-asym"));
    // int4 g32 asymmetric: 16 bytes of codes + a 4-byte scale + a zero byte per 32 weights.
    // The tiny shape's q/k/v/o/gate/up (2144 rows of 256) take 8 groups a row; down_proj's
    // 688 columns take 22, the last padded: 256 rows x 22 x 21 bytes.
    const double bytes = 2144.0 * 8 * 21 + 256.0 * 22 * 21;
    const double weights = 2144.0 * 256 + 256.0 * 688;
    QCOMPARE(packed[1].toObject()["bits_per_weight"].toDouble(), bytes * 8 / weights);
    const qint64 f32Bytes = parseObject(r.out)["weight_bytes"].toInteger();
    for (const auto &v : packed) {
        const QJsonObject p = v.toObject();
        for (const char *key : {"weight_bytes", "pack_seconds", "prefill_tokens_per_s",
                                "decode_tokens_per_s", "decode_speedup"})
            QVERIFY2(p.contains(key), key);
        QVERIFY(p["weight_bytes"].toInteger() < f32Bytes);
        QVERIFY(p["decode_tokens_per_s"].toDouble() > 0.0);
    }
    const Run bad = runCli({"bench", "--shape", "tiny", "--packed", "int9"});
    checkErrorLine(bad, "int<bits>");
    QCOMPARE(bad.exitCode, 2);
}

void TestCli::analyzeWritesStatistics()
{
    LATHE_REQUIRE_SHARED_DATA();
    QTemporaryDir dir;
    const QString out = dir.filePath("stats");
    RUN_OK(r, {"analyze", lathe::test::dataPath("models/tinystories-656k"), "--out", out,
               "--bins", "32", "--json"});
    QCOMPARE(parseObject(r.out)["tensors"].toInt(), 20);
    const QJsonArray tensors = readJsonFile(out + "/weights.json")["tensors"].toArray();
    QCOMPARE(tensors.size(), 20);
    for (const auto &t : tensors) {
        const QJsonObject o = t.toObject();
        for (const char *key : {"name", "mean", "std", "absmax", "kurtosis", "outlier_fraction"})
            QVERIFY2(o.contains(key), key);
        qint64 total = 0;
        for (const auto &c : o["histogram"].toObject()["counts"].toArray())
            total += c.toInteger();
        QCOMPARE(total, o["count"].toInteger());
    }
    QFile csv(out + "/weights.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll().count('\n'), 21);

    const QString none = dir.filePath("none");
    checkErrorLine(runCli({"analyze", dir.filePath("missing"), "--out", none}), "missing");
    checkErrorLine(runCli({"analyze", lathe::test::dataPath("models/tinystories-656k"), "--out",
                       none, "--bins", "0"}),
        "--bins");
    QVERIFY(!QFileInfo::exists(none + "/weights.json"));
}

// The demo model with a calibration text written here (no shared data): activation statistics
// and sensitivity files next to weights.json, the proxy's rank correlation, and the errors.
void TestCli::analyzeActivationsAndSensitivity()
{
    QTemporaryDir dir;
    const QString calib = dir.filePath("calib.txt");
    {
        QFile f(calib);
        QVERIFY(f.open(QIODevice::WriteOnly));
        for (int i = 0; i < 40; ++i)
            f.write(QString("Once upon a time, Tom and Lily went to the park number %1. They "
                            "played with a red ball and were happy.\n")
                        .arg(i)
                        .toUtf8());
    }
    const QString out = dir.filePath("analysis");
    RUN_OK(r, {"analyze", "demo", "--out", out, "--activations", "--sensitivity", "--calib",
               calib, "--samples", "2", "--ctx", "32", "--bits", "3", "--group", "32", "--json",
               "--threads", "1"}); // one thread: tiny matrices, and fast on a loaded machine
    const QJsonObject summary = parseObject(r.out);
    for (const char *key : {"weights_json", "activations_json", "activations_csv",
             "sensitivity_json", "sensitivity_csv", "base_perplexity", "spearman_rho_proxy_kl"})
        QVERIFY2(summary.contains(key), key);
    QCOMPARE(summary["samples"].toInt(), 2);
    QCOMPARE(summary["ctx"].toInt(), 32);
    QCOMPARE(summary["format"].toString(), QString("int3 g32 sym"));
    QVERIFY(summary["spearman_rho_proxy_kl"].isDouble());
    QVERIFY(QFileInfo::exists(out + "/weights.json"));

    const QJsonObject activations = readJsonFile(out + "/activations.json");
    QCOMPARE(activations["modules"].toArray().size(), 28); // 4 layers x 7 modules
    QCOMPARE(activations["tokens"].toInt(), 64);

    const QJsonObject sensitivity = readJsonFile(out + "/sensitivity.json");
    QCOMPARE(sensitivity["bits"].toInt(), 3);
    QCOMPARE(sensitivity["scored_tokens"].toInt(), 62);
    const QJsonArray modules = sensitivity["modules"].toArray();
    QCOMPARE(modules.size(), 28);
    QCOMPARE(sensitivity["blocks"].toArray().size(), 4);
    for (const auto &m : modules) {
        const QJsonObject o = m.toObject();
        QVERIFY(o["mean_kl"].toDouble() > 0.0);
        QVERIFY(o["proxy"].toDouble() > 0.0);
        QVERIFY(o["perplexity"].toDouble() > 1.0);
    }
    QFile csv(out + "/sensitivity.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll().count('\n'), 1 + 28 + 4);

    // Text mode names the rank correlation; blocks can be left out.
    RUN_OK(text, {"analyze", "demo", "--out", out, "--sensitivity", "--calib", calib,
                  "--samples", "1", "--ctx", "16", "--no-blocks", "--asym", "--group", "0",
                  "--threads", "1"});
    QVERIFY2(text.out.contains("Sensitivity (int4 per-channel asym)"), text.out.constData());
    QVERIFY(!text.out.contains("Spearman")); // no proxy without --activations
    QCOMPARE(readJsonFile(out + "/sensitivity.json")["blocks"].toArray().size(), 0);

    const QString none = dir.filePath("none");
    const auto errors = runAll({{"analyze", "demo", "--out", none, "--activations"},
        {"analyze", "demo", "--out", none, "--sensitivity", "--calib", calib, "--bits", "9"},
        {"analyze", "demo", "--out", none, "--sensitivity", "--calib", dir.filePath("nope.txt")},
        {"analyze", "demo", "--out", none, "--bits", "4"}});
    checkErrorLine(errors[0], "--calib");
    checkErrorLine(errors[1], "--bits");
    checkErrorLine(errors[2], "nope.txt");
    checkErrorLine(errors[3], "--sensitivity");
    QVERIFY(!QFileInfo::exists(none + "/sensitivity.json"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
