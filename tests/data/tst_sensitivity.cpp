// SPDX-License-Identifier: GPL-3.0-or-later
// Sensitivity on real trained models (models/tinystories-656k and the committed demo model)
// with windows of text/calibration-mixed.txt (and, for the demo model, of its own kind of
// text): for every module and every block the damage grows as bits fall (mean KL at
// 8 < 4 < 2 bits, g32 symmetric), and the proxy (relative importance-weighted quantization
// error from the activation statistics) ranks the modules like the measured KL does
// (Spearman's rho > 0 at every bit width). The rho values are printed for the record.
#include "testdata.h"

#include "analysis/activationstats.h"
#include "analysis/sensitivity.h"
#include "corpus/storycorpus.h"
#include "model/model.h"
#include "model/transformer.h"
#include "text/tokenizer.h"
#include "text/tokenizerloader.h"
#include "util/threadpool.h"

#include <QFile>
#include <QtTest/QtTest>

#include <chrono>
#include <cmath>

using namespace lathe;

namespace {

const std::string kDemo = LATHE_SOURCE_DIR "/resources/demo-model";

// Short windows keep the test short: 33 variants x 3 formats x 2 texts on the demo model.
constexpr int kSamples = 4;
constexpr int kCtx = 96;

std::string calibrationText()
{
    QFile f(lathe::test::dataPath("text/calibration-mixed.txt"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().toStdString();
}

std::vector<double> column(const std::vector<SensitivityEntry> &entries, bool proxy)
{
    std::vector<double> v;
    for (const SensitivityEntry &e : entries)
        v.push_back(proxy ? e.proxy : e.meanKl);
    return v;
}

// Text from the generator the demo model was trained on, with a seed it never saw.
std::string storyText()
{
    StoryCorpusOptions options;
    options.seed = 424242;
    options.targetChars = 40'000;
    std::string text;
    for (const std::string &doc : generateStoryCorpus(options))
        text += doc + "\n";
    return text;
}

void checkModel(const std::string &path, const char *label, const std::string &text, int group)
{
    const auto start = std::chrono::steady_clock::now();
    QVERIFY(!text.empty());
    const auto tokenizer = loadTokenizer(path);
    const std::shared_ptr<const Model> model = Model::load(path);
    const auto sequences = calibrationSequences(*tokenizer, text, kSamples, kCtx);
    QCOMPARE(int(sequences.size()), kSamples);
    const ActivationStats activations = computeActivationStats(Transformer(model), sequences);

    std::vector<SensitivityResult> results; // 8, 4, 2 bits
    for (int bits : { 8, 4, 2 }) {
        SensitivityOptions options;
        options.format.bits = bits;
        options.format.groupSize = group;
        options.format.symmetric = true;
        results.push_back(computeSensitivity(model, sequences, options, &activations));
    }
    const double seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    for (const SensitivityResult &r : results) {
        QCOMPARE(r.modules.size(), std::size_t(7 * model->config().numLayers));
        QCOMPARE(r.blocks.size(), std::size_t(model->config().numLayers));
        QCOMPARE(r.scoredTokens, std::int64_t(kSamples * (kCtx - 1)));
        QCOMPARE(r.basePerplexity, results[0].basePerplexity);
    }
    for (bool blocks : { false, true }) {
        const auto &e8 = blocks ? results[0].blocks : results[0].modules;
        const auto &e4 = blocks ? results[1].blocks : results[1].modules;
        const auto &e2 = blocks ? results[2].blocks : results[2].modules;
        for (std::size_t i = 0; i < e8.size(); ++i) {
            const QString what = QString("%1 %2: KL 8 bits %3, 4 bits %4, 2 bits %5")
                                     .arg(label, QString::fromStdString(e8[i].name))
                                     .arg(e8[i].meanKl)
                                     .arg(e4[i].meanKl)
                                     .arg(e2[i].meanKl);
            QVERIFY2(e8[i].meanKl >= 0 && e8[i].meanKl < e4[i].meanKl, qPrintable(what));
            QVERIFY2(e4[i].meanKl < e2[i].meanKl, qPrintable(what));
            QVERIFY2(e8[i].proxy < e4[i].proxy && e4[i].proxy < e2[i].proxy, qPrintable(what));
        }
    }

    const int bitsOf[] = { 8, 4, 2 };
    for (std::size_t k = 0; k < results.size(); ++k) {
        const SensitivityResult &r = results[k];
        const double rho = spearmanRho(column(r.modules, true), column(r.modules, false));
        const double rhoDeltaPpl = [&] {
            std::vector<double> d;
            for (const SensitivityEntry &e : r.modules)
                d.push_back(e.deltaPerplexity);
            return spearmanRho(column(r.modules, true), d);
        }();
        qInfo("%s int%d %s: base ppl %.4f, Spearman rho(proxy, mean KL) %.3f over %zu modules, "
              "rho(proxy, delta ppl) %.3f, block rho(proxy, KL) %.3f",
            label, bitsOf[k], group == 0 ? "per-channel" : qPrintable(QString("g%1").arg(group)),
            r.basePerplexity, rho, r.modules.size(), rhoDeltaPpl,
            spearmanRho(column(r.blocks, true), column(r.blocks, false)));
        QVERIFY2(
            rho > 0.0, qPrintable(QString("%1 int%2: rho %3").arg(label).arg(bitsOf[k]).arg(rho)));
    }
    qInfo("%s: activation statistics + sensitivity at 3 bit widths in %.2f s", label, seconds);
}

} // namespace

class TestSensitivity : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Tiny matrices gain nothing from threads, and one thread keeps the test fast when the
    // machine is busy with other work.
    void initTestCase() { setThreadCount(1); }

    void tinyStories()
    {
        LATHE_REQUIRE_SHARED_DATA();
        checkModel(lathe::test::dataPath("models/tinystories-656k").toStdString(),
            "tinystories-656k", calibrationText(), 32);
    }

    void demoModel()
    {
        LATHE_REQUIRE_SHARED_DATA(); // the calibration text
        checkModel(kDemo, "demo (calibration-mixed)", calibrationText(), 32);
        // Its own kind of text (the corpus generator, unseen seed): meaningful perplexities.
        checkModel(kDemo, "demo (stories)", storyText(), 32);
    }
};

QTEST_GUILESS_MAIN(TestSensitivity)
#include "tst_sensitivity.moc"
