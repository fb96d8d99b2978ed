// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli compare` end to end on the shared models: a model compared with itself gives KLD 0,
// same top token 100 % and the perplexity `perplexity` prints; a 4-bit round-to-nearest copy
// written to a temporary HF folder gives a measurable divergence; different vocabularies are
// refused naming both models.
#include "clirunner.h"
#include "testdata.h"

#include "io/safetensorswriter.h"
#include "model/model.h"
#include "quant/rtn.h"

#include <ATen/ATen.h>
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>

using namespace lathe::test;

namespace {

const char *const kAllKeys[] = { "ppl_base", "ppl_other", "nll_base", "nll_other", "ln_ppl_ratio",
    "ln_ppl_ratio_stderr", "nll_correlation", "kld_mean", "kld_stderr", "kld_max", "kld_p99_9",
    "kld_p99", "kld_p95", "kld_p90", "kld_median", "kld_p10", "kld_p5", "kld_p1", "kld_p0_1",
    "kld_min", "delta_p_mean", "delta_p_stderr", "delta_p_rms", "delta_p_max", "delta_p_p99_9",
    "delta_p_p99", "delta_p_p95", "delta_p_p90", "delta_p_median", "delta_p_p10", "delta_p_p5",
    "delta_p_p1", "delta_p_p0_1", "delta_p_min", "same_top", "same_top_stderr", "scored_tokens",
    "windows", "protocol", "ctx", "seconds" };

QString model656k()
{
    return dataPath("models/tinystories-656k");
}
QString excerpt()
{
    return dataPath("text/TinyStories-valid-excerpt.txt");
}

QStringList evalArgs()
{
    return { "--text", excerpt(), "--ctx", "128", "--chunks", "4", "--json" };
}

// tinystories-656k with every linear weight of its layers rounded to 4 bits (symmetric, one
// scale per output channel), embeddings and norms untouched, as an HF folder in `dir`.
void writeFourBitVariant(const QString &dir)
{
    const auto model = lathe::Model::load(model656k().toStdString());
    std::vector<at::Tensor> keep; // the writer borrows the bytes until write()
    lathe::SafetensorsWriter writer;
    for (const auto &[name, weight] : model->weights()) {
        if (name == "lm_head.weight" && model->lmHeadTied())
            continue; // config.json ties it to the embedding
        at::Tensor t = weight.contiguous();
        if (name.find("_proj.weight") != std::string::npos)
            t = lathe::fakeQuantizeRtn(t, lathe::parseWeightFormat("int4")).contiguous();
        keep.push_back(t);
        writer.addTensor(name, lathe::DType::F32, t.sizes().vec(), t.data_ptr(),
            static_cast<std::size_t>(t.numel()) * sizeof(float));
    }
    writer.setMetadata("format", "pt");
    writer.write(QDir(dir).filePath("model.safetensors").toStdString());
    for (const char *file : { "config.json", "generation_config.json", "tokenizer.json",
             "tokenizer_config.json", "special_tokens_map.json" })
        QVERIFY(QFile::copy(QDir(model656k()).filePath(file), QDir(dir).filePath(file)));
}

bool sameDouble(double a, double b)
{
    return std::abs(a - b) <= 1e-12 * std::abs(b);
}

} // namespace

class TestCompare : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void selfComparisonMatchesPerplexity()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const QList<CliRun> runs = runCliInvocations({
            { QStringList { "compare", model656k(), model656k() } + evalArgs(), {} },
            { QStringList { "perplexity", model656k() } + evalArgs(), {} },
        });
        QVERIFY2(runs[0].exitCode == 0, runs[0].err.constData());
        QVERIFY2(runs[1].exitCode == 0, runs[1].err.constData());
        const QJsonObject c = parseJsonObject(runs[0].out);
        const QJsonObject p = parseJsonObject(runs[1].out);
        for (const char *key : kAllKeys)
            QVERIFY2(c.contains(key), key);
        QCOMPARE(c["kld_mean"].toDouble(), 0.0);
        QCOMPARE(c["kld_max"].toDouble(), 0.0);
        QCOMPARE(c["same_top"].toDouble(), 100.0);
        QCOMPARE(c["ln_ppl_ratio"].toDouble(), 0.0);
        QCOMPARE(c["delta_p_rms"].toDouble(), 0.0);
        QCOMPARE(c["ppl_base"].toDouble(), c["ppl_other"].toDouble());
        const double ppl = p["ppl"].toDouble();
        QVERIFY2(sameDouble(c["ppl_base"].toDouble(), ppl),
            qPrintable(QString("compare %1, perplexity %2")
                           .arg(c["ppl_base"].toDouble(), 0, 'g', 17)
                           .arg(ppl, 0, 'g', 17)));
        QCOMPARE(c["scored_tokens"].toInt(), p["tokens"].toInt());
        QCOMPARE(c["windows"].toInt(), 4);
        QCOMPARE(c["ctx"].toInt(), 128);
        QCOMPARE(c["protocol"].toString(), QString("windows"));
    }

    void fourBitVariantDiverges()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        writeFourBitVariant(dir.path());
        if (QTest::currentTestFailed())
            return;
        const QList<CliRun> runs = runCliInvocations({
            { QStringList { "compare", model656k(), dir.path() } + evalArgs(), {} },
            { { "compare", model656k(), dir.path(), "--text", excerpt(), "--ctx", "128", "--chunks",
                  "2", "--protocol", "llamacpp" },
                {} },
        });
        QVERIFY2(runs[0].exitCode == 0, runs[0].err.constData());
        const QJsonObject c = parseJsonObject(runs[0].out);
        const double kld = c["kld_mean"].toDouble();
        const double sameTop = c["same_top"].toDouble();
        const double ratio = c["ppl_other"].toDouble() / c["ppl_base"].toDouble();
        qInfo("4-bit per-channel RTN: KLD %.6f +- %.6f, same top %.2f %%, PPL %.4f -> %.4f "
              "(ratio %.4f), correlation %.4f",
            kld, c["kld_stderr"].toDouble(), sameTop, c["ppl_base"].toDouble(),
            c["ppl_other"].toDouble(), ratio, c["nll_correlation"].toDouble());
        QVERIFY(kld > 0.0);
        QVERIFY(c["kld_stderr"].toDouble() > 0.0);
        QVERIFY(sameTop < 100.0 && sameTop > 50.0);
        QVERIFY(ratio > 1.0);
        QVERIFY(std::abs(std::log(ratio) - c["ln_ppl_ratio"].toDouble()) < 1e-9);
        QVERIFY(c["nll_correlation"].toDouble() > 0.5);
        // Each distribution's summary is ordered from max down to min.
        for (const QString &prefix : { QString("kld_"), QString("delta_p_") }) {
            double previous = c[prefix + "max"].toDouble();
            for (const char *p :
                { "p99_9", "p99", "p95", "p90", "median", "p10", "p5", "p1", "p0_1", "min" }) {
                const double v = c[prefix + p].toDouble();
                QVERIFY2(v <= previous, qPrintable(prefix + p));
                previous = v;
            }
        }
        QVERIFY(c["kld_min"].toDouble() >= -1e-9);

        // Human-readable output, llama.cpp protocol: one line per statistic.
        QVERIFY2(runs[1].exitCode == 0, runs[1].err.constData());
        const QString text = QString::fromUtf8(runs[1].out);
        for (const char *label : { "PPL(base)", "PPL(other)", "mean KLD", "99.9% KLD", "median KLD",
                 "min KLD", "RMS delta-p (%)", "same top token", "llama.cpp" })
            QVERIFY2(text.contains(label), label);
    }

    void refusesDifferentVocabularies()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const QString other = dataPath("models/stories260K/hf");
        const CliRun r = runCli({ "compare", model656k(), other, "--text", excerpt(), "--ctx",
            "128", "--chunks", "1" });
        QVERIFY(r.exitCode != 0);
        const QString err = QString::fromUtf8(r.err);
        QVERIFY2(err.startsWith("lathe-cli: error: "), qPrintable(err));
        QVERIFY2(err.contains(model656k()) && err.contains(other), qPrintable(err));
        QVERIFY2(err.contains("2048") && err.contains("512"), qPrintable(err));
        QVERIFY(r.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCompare)
#include "tst_compare.moc"
