// SPDX-License-Identifier: GPL-3.0-or-later
// Perplexity against independently computed references: tinystories-656k with the windows
// protocol, stories260K (GGUF and HF copies) with llama.cpp's llama-perplexity protocol.
#include "eval/perplexity.h"
#include "eval/tokenfile.h"
#include "model/model.h"
#include "model/transformer.h"
#include "testdata.h"
#include "util/error.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

#include <cmath>
#include <map>
#include <memory>

using namespace lathe;

namespace {

QJsonObject readJson(const QString &relative)
{
    QFile file(lathe::test::dataPath(relative));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(relative));
    return QJsonDocument::fromJson(file.readAll()).object();
}

std::vector<std::int32_t> readIds(const QString &relative)
{
    return readTokenIds(lathe::test::dataPath(relative).toStdString());
}

bool within(double value, double reference, double relative)
{
    return std::abs(value - reference) <= relative * std::abs(reference);
}

} // namespace

class TestPerplexity : public QObject {
    Q_OBJECT
private:
    std::map<QString, std::unique_ptr<Transformer>> m_models;

    const Transformer &model(const QString &relative)
    {
        auto &slot = m_models[relative];
        if (!slot)
            slot = std::make_unique<Transformer>(
                Model::load(lathe::test::dataPath(relative).toStdString()));
        return *slot;
    }

    static PerplexityOptions options(std::int64_t ctx, PerplexityProtocol protocol)
    {
        PerplexityOptions o;
        o.ctx = ctx;
        o.protocol = protocol;
        return o;
    }

private Q_SLOTS:
    void windowsMatchesReference_data()
    {
        QTest::addColumn<int>("ctx");
        QTest::newRow("ctx 128") << 128;
        QTest::newRow("ctx 256") << 256;
    }
    void windowsMatchesReference()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QFETCH(int, ctx);
        const QJsonObject ref = readJson(QStringLiteral("reference/tinystories-656k.json"))
                                    .value("ppl")
                                    .toObject()
                                    .value(QString::number(ctx))
                                    .toObject();
        const std::vector<std::int32_t> ids =
            readIds(QStringLiteral("reference/tinystories-656k.excerpt.ids.txt"));
        QCOMPARE(ids.size(), std::size_t(7956));
        const Transformer &m = model(QStringLiteral("models/tinystories-656k"));
        const PerplexityResult r =
            evaluatePerplexity(m, ids, options(ctx, PerplexityProtocol::Windows));
        qInfo("tinystories-656k windows ctx %d: ppl %.10f (reference %.10f), mean nll %.10f, "
              "%lld scored, %lld windows, %.0f tokens/s",
              ctx, r.ppl, ref.value("ppl").toDouble(), r.meanNll,
              static_cast<long long>(r.scoredTokens), static_cast<long long>(r.chunks),
              r.tokensPerSecond);
        QCOMPARE(r.scoredTokens, static_cast<std::int64_t>(ref.value("scored_tokens").toInt()));
        QCOMPARE(r.scoredTokens, std::int64_t(7955));
        QCOMPARE(r.chunks, static_cast<std::int64_t>((7956 - 2) / ctx + 1));
        QCOMPARE(r.processedTokens, std::int64_t(7955));
        QCOMPARE(r.chunkNll.size(), static_cast<std::size_t>(r.chunks));
        QVERIFY(within(r.ppl, ref.value("ppl").toDouble(), 1e-3));
        QVERIFY(within(r.meanNll, ref.value("mean_nll").toDouble(), 1e-3));
        QVERIFY(within(r.ppl, std::exp(r.meanNll), 1e-12));
    }

    void llamaCppMatchesReference_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("ctx");
        QTest::addColumn<double>("llamaCpp");
        QTest::addColumn<double>("independent");
        const QString gguf = QStringLiteral("models/stories260K/stories260K-f32.gguf");
        const QString hf = QStringLiteral("models/stories260K/hf");
        QTest::newRow("gguf ctx 128") << gguf << 128 << 5.8583 << 5.858456;
        QTest::newRow("gguf ctx 256") << gguf << 256 << 6.2132 << 6.213232;
        QTest::newRow("hf ctx 128") << hf << 128 << 5.8583 << 5.858456;
        QTest::newRow("hf ctx 256") << hf << 256 << 6.2132 << 6.213232;
    }
    void llamaCppMatchesReference()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QFETCH(QString, path);
        QFETCH(int, ctx);
        QFETCH(double, llamaCpp);
        QFETCH(double, independent);
        const QJsonObject ref = readJson(QStringLiteral("reference/stories260K.json"))
                                    .value("llamacpp_perplexity")
                                    .toObject();
        QCOMPARE(ref.value(QStringLiteral("n_ctx_%1").arg(ctx)).toDouble(), llamaCpp);
        const std::vector<std::int32_t> ids =
            readIds(QStringLiteral("reference/stories260K.excerpt.ids.txt"));
        QCOMPARE(ids.size(), std::size_t(15555));
        const Transformer &m = model(path);
        QCOMPARE(m.config().bosTokenId(), std::int64_t(1));
        const PerplexityResult r =
            evaluatePerplexity(m, ids, options(ctx, PerplexityProtocol::LlamaCpp));
        qInfo("stories260K %s llama.cpp ctx %d: ppl %.10f (llama.cpp %.4f, independent %.6f), "
              "%lld scored, %lld chunks, %.0f tokens/s",
              qPrintable(path), ctx, r.ppl, llamaCpp, independent,
              static_cast<long long>(r.scoredTokens), static_cast<long long>(r.chunks),
              r.tokensPerSecond);
        const std::int64_t chunks = 15555 / ctx;
        QCOMPARE(r.chunks, chunks);
        QCOMPARE(r.scoredTokens, chunks * (ctx - 1 - ctx / 2));
        QCOMPARE(r.processedTokens, chunks * ctx);
        QVERIFY(within(r.ppl, llamaCpp, 1e-3));
        QVERIFY(within(r.ppl, independent, 1e-3));
    }

    void maxChunksLimits()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::vector<std::int32_t> ids =
            readIds(QStringLiteral("reference/stories260K.excerpt.ids.txt"));
        const Transformer &m = model(QStringLiteral("models/stories260K/hf"));
        PerplexityOptions o = options(128, PerplexityProtocol::LlamaCpp);
        o.maxChunks = 5;
        const PerplexityResult five = evaluatePerplexity(m, ids, o);
        o.maxChunks = 3;
        const PerplexityResult three = evaluatePerplexity(m, ids, o);
        QCOMPARE(five.chunks, std::int64_t(5));
        QCOMPARE(three.chunks, std::int64_t(3));
        QCOMPARE(three.scoredTokens, std::int64_t(3 * 63));
        for (std::size_t i = 0; i < 3; ++i)
            QCOMPARE(three.chunkNll[i], five.chunkNll[i]);
        // The windows protocol scores each id but the first once, a short tail included.
        PerplexityOptions w = options(100, PerplexityProtocol::Windows);
        const std::vector<std::int32_t> head(ids.begin(), ids.begin() + 251);
        const PerplexityResult tail = evaluatePerplexity(m, head, w);
        QCOMPARE(tail.chunks, std::int64_t(3)); // 101 + 101 + 51 ids, sharing the borders
        QCOMPARE(tail.scoredTokens, std::int64_t(250));
    }

    void progressIsMonotonic()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::vector<std::int32_t> ids =
            readIds(QStringLiteral("reference/tinystories-656k.excerpt.ids.txt"));
        const Transformer &m = model(QStringLiteral("models/tinystories-656k"));
        std::vector<double> seen;
        PerplexityOptions o = options(128, PerplexityProtocol::Windows);
        o.maxChunks = 8;
        evaluatePerplexity(m, ids, o,
                           [&](double f, const std::string &message) {
                               QVERIFY(!message.empty());
                               seen.push_back(f);
                           });
        QCOMPARE(seen.size(), std::size_t(9)); // the start and each of the 8 windows
        QCOMPARE(seen.front(), 0.0);
        QCOMPARE(seen.back(), 1.0);
        for (std::size_t i = 1; i < seen.size(); ++i)
            QVERIFY(seen[i] >= seen[i - 1]);
    }

    void cancelThrows()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::vector<std::int32_t> ids =
            readIds(QStringLiteral("reference/tinystories-656k.excerpt.ids.txt"));
        const Transformer &m = model(QStringLiteral("models/tinystories-656k"));
        CancelToken cancel;
        int reports = 0;
        auto progress = [&](double, const std::string &) {
            if (++reports == 3)
                cancel.cancel(); // after the second window
        };
        QVERIFY_THROWS_EXCEPTION(
            CancelledError,
            evaluatePerplexity(m, ids, options(128, PerplexityProtocol::Windows), progress,
                               cancel));
        QCOMPARE(reports, 3);
    }

    void rejectsBadInput()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model(QStringLiteral("models/tinystories-656k"));
        const std::vector<std::int32_t> ids = {1, 2, 3, 4, 5};
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                                 evaluatePerplexity(m, {1}, options(8, PerplexityProtocol::Windows)));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, evaluatePerplexity(m, ids, options(8, PerplexityProtocol::LlamaCpp)));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument, evaluatePerplexity(m, ids, options(2, PerplexityProtocol::LlamaCpp)));
        QVERIFY_THROWS_EXCEPTION(
            InvalidArgument,
            evaluatePerplexity(m, {1, 2, 4096}, options(8, PerplexityProtocol::Windows)));
    }
};

QTEST_GUILESS_MAIN(TestPerplexity)
#include "tst_perplexity.moc"
