// SPDX-License-Identifier: GPL-3.0-or-later
// Generation on the real tinystories-656k model: greedy output against the reference,
// seeded sampling, and every way a run can stop.
#include "generate/generator.h"
#include "model/kvcache.h"
#include "model/model.h"
#include "model/transformer.h"
#include "testdata.h"
#include "util/error.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

#include <memory>

using namespace lathe;

class TestGenerator : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<Transformer> m_model;
    std::vector<std::int32_t> m_prompt;
    std::vector<std::int32_t> m_reference;

    // Loads the model and the reference once (after LATHE_REQUIRE_SHARED_DATA()).
    const Transformer &model()
    {
        if (!m_model) {
            const QString dir = lathe::test::dataPath(QStringLiteral("models/tinystories-656k"));
            m_model = std::make_unique<Transformer>(Model::load(dir.toStdString()));
            QFile file(lathe::test::dataPath(QStringLiteral("reference/tinystories-656k.json")));
            if (!file.open(QIODevice::ReadOnly))
                qFatal("cannot open reference/tinystories-656k.json");
            const QJsonObject greedy =
                QJsonDocument::fromJson(file.readAll()).object().value("greedy").toObject();
            for (const QJsonValue &v : greedy.value("prompt_ids_with_special_tokens").toArray())
                m_prompt.push_back(v.toInt());
            for (const QJsonValue &v : greedy.value("continuation_ids").toArray())
                m_reference.push_back(v.toInt());
        }
        return *m_model;
    }

    static GenerateOptions greedy(int maxTokens)
    {
        GenerateOptions o;
        o.sampler.temperature = 0.0;
        o.maxTokens = maxTokens;
        return o;
    }

    std::vector<std::int32_t> referencePrefix(std::size_t n) const
    {
        return {m_reference.begin(), m_reference.begin() + static_cast<long>(n)};
    }

private Q_SLOTS:
    void greedyMatchesReference()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model();
        QCOMPARE(m_prompt, (std::vector<std::int32_t>{1, 80, 147, 201, 282, 57, 3}));
        QCOMPARE(m_reference.size(), std::size_t(40));
        KVCache cache = m.newCache();
        std::vector<std::int32_t> streamed;
        const GenerateResult r = generate(m, cache, m_prompt, greedy(40), [&](std::int32_t t) {
            streamed.push_back(t);
            return true;
        });
        QCOMPARE(r.ids, m_reference);
        QCOMPARE(streamed, m_reference);
        QCOMPARE(r.stopReason, StopReason::MaxTokens);
        QCOMPARE(r.promptTokens, 7);
        QCOMPARE(cache.length(), std::int64_t(7 + 39)); // the last token is not run yet
        QVERIFY(r.prefillSeconds > 0.0);
        QVERIFY(r.timeToFirstTokenSeconds >= r.prefillSeconds);
        QVERIFY(r.decodeTokensPerSecond > 0.0);
        qInfo("greedy 40 tokens: prefill %.3f ms, first token %.3f ms, decode %.1f tokens/s",
              r.prefillSeconds * 1e3, r.timeToFirstTokenSeconds * 1e3, r.decodeTokensPerSecond);
    }

    void continuesInTheSameCache()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model();
        KVCache cache = m.newCache();
        const GenerateResult first = generate(m, cache, m_prompt, greedy(15));
        QCOMPARE(first.ids, referencePrefix(15));
        // A second call appends to the cache: feeding the pending last token continues the
        // same greedy stream.
        const GenerateResult second = generate(m, cache, {first.ids.back()}, greedy(25));
        std::vector<std::int32_t> joined = first.ids;
        joined.insert(joined.end(), second.ids.begin(), second.ids.end());
        QCOMPARE(joined, m_reference);
    }

    void seededSamplingIsReproducible()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model();
        GenerateOptions o;
        o.sampler.temperature = 0.8;
        o.sampler.topK = 40;
        o.sampler.topP = 0.95;
        o.sampler.minP = 0.0;
        o.maxTokens = 40;
        o.stopAtEos = false;
        auto run = [&](std::uint64_t seed) {
            o.sampler.seed = seed;
            KVCache cache = m.newCache();
            return generate(m, cache, m_prompt, o).ids;
        };
        const std::vector<std::int32_t> a = run(1234);
        const std::vector<std::int32_t> b = run(1234);
        const std::vector<std::int32_t> c = run(98765);
        QCOMPARE(a.size(), std::size_t(40));
        QCOMPARE(a, b);
        QVERIFY(a != c);
    }

    void callbackStops()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model();
        KVCache cache = m.newCache();
        int calls = 0;
        const GenerateResult r =
            generate(m, cache, m_prompt, greedy(40), [&](std::int32_t) { return ++calls < 5; });
        QCOMPARE(calls, 5);
        QCOMPARE(r.ids, referencePrefix(5));
        QCOMPARE(r.stopReason, StopReason::Callback);
        QCOMPARE(stopReasonName(r.stopReason), std::string("callback"));
    }

    void cancelStopsWithoutThrowing()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model();
        KVCache cache = m.newCache();
        CancelToken cancel;
        int calls = 0;
        const GenerateResult r = generate(
            m, cache, m_prompt, greedy(40),
            [&](std::int32_t) {
                if (++calls == 3)
                    cancel.cancel();
                return true;
            },
            cancel);
        QCOMPARE(r.ids, referencePrefix(3));
        QCOMPARE(r.stopReason, StopReason::Cancelled);

        // Cancelled before it starts: nothing generated, the cache untouched.
        KVCache fresh = m.newCache();
        const GenerateResult none = generate(m, fresh, m_prompt, greedy(40), {}, cancel);
        QVERIFY(none.ids.empty());
        QCOMPARE(none.stopReason, StopReason::Cancelled);
        QCOMPARE(fresh.length(), std::int64_t(0));
    }

    void stopIdStops()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model();
        KVCache cache = m.newCache();
        GenerateOptions o = greedy(40);
        o.stopIds = {m_reference[5]}; // first appears at index 5
        const GenerateResult r = generate(m, cache, m_prompt, o);
        QCOMPARE(r.ids, referencePrefix(6)); // the stop id itself is included
        QCOMPARE(r.stopReason, StopReason::StopId);
    }

    void contextFullStops()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model();
        KVCache cache = m.newCache(10);
        const GenerateResult r = generate(m, cache, m_prompt, greedy(40));
        // 7 prompt tokens + 3 decoded fill 10 slots; the 4th sampled token has no room.
        QCOMPARE(r.ids, referencePrefix(4));
        QCOMPARE(r.stopReason, StopReason::ContextFull);
        QCOMPARE(cache.length(), std::int64_t(10));

        KVCache small = m.newCache(5);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, generate(m, small, m_prompt, greedy(4)));
    }

    void rejectsBadPrompts()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const Transformer &m = model();
        KVCache cache = m.newCache();
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, generate(m, cache, {}, greedy(4)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, generate(m, cache, {1, 2048}, greedy(4)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, generate(m, cache, {1, -1}, greedy(4)));
        QCOMPARE(cache.length(), std::int64_t(0));
        // maxTokens 0 only prefills.
        const GenerateResult r = generate(m, cache, m_prompt, greedy(0));
        QVERIFY(r.ids.empty());
        QCOMPARE(cache.length(), std::int64_t(7));
    }
};

QTEST_GUILESS_MAIN(TestGenerator)
#include "tst_generator.moc"
