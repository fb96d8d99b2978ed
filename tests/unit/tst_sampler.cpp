// SPDX-License-Identifier: GPL-3.0-or-later
// The sampler chain: greedy, top-k, top-p, min-p, repetition penalty, temperature, seeding.
#include "generate/sampler.h"
#include "util/error.h"

#include <QtTest/QtTest>

#include <cmath>
#include <set>
#include <vector>

using namespace lathe;

namespace {

SamplerSettings plain(double temperature, std::uint64_t seed = 1)
{
    SamplerSettings s;
    s.temperature = temperature;
    s.topK = 0;
    s.topP = 1.0;
    s.minP = 0.0;
    s.repetitionPenalty = 1.0;
    s.seed = seed;
    return s;
}

std::vector<double> softmax(const std::vector<float> &logits, double temperature)
{
    double maxLogit = -INFINITY;
    for (float l : logits)
        maxLogit = std::max(maxLogit, static_cast<double>(l));
    std::vector<double> p(logits.size());
    double sum = 0.0;
    for (std::size_t i = 0; i < logits.size(); ++i) {
        p[i] = std::exp((logits[i] - maxLogit) / temperature);
        sum += p[i];
    }
    for (double &v : p)
        v /= sum;
    return p;
}

std::vector<double> histogram(Sampler &sampler, const std::vector<float> &logits, int draws)
{
    std::vector<double> freq(logits.size(), 0.0);
    for (int i = 0; i < draws; ++i)
        freq[static_cast<std::size_t>(sampler.sample(logits, {}))] += 1.0 / draws;
    return freq;
}

const std::vector<float> kLogits = {0.5f, 2.0f, -1.0f, 1.5f, 0.0f, 1.0f};

} // namespace

class TestSampler : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void greedyPicksArgmax()
    {
        Sampler s(plain(0.0));
        QCOMPARE(s.sample(kLogits, {}), 1);
        // Negative temperature is greedy too; ties go to the lowest id.
        Sampler neg(plain(-1.0));
        QCOMPARE(neg.sample(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}, {}), 1);
    }

    void topKOneEqualsGreedy()
    {
        SamplerSettings st = plain(1.0, 7);
        st.topK = 1;
        Sampler s(st);
        for (int i = 0; i < 50; ++i)
            QCOMPARE(s.sample(kLogits, {}), 1);
        // Ties at top-k=1 resolve like greedy (lowest id).
        QCOMPARE(s.sample(std::vector<float>{1.0f, 3.0f, 3.0f}, {}), 1);
    }

    void topKKeepsOnlyK()
    {
        SamplerSettings st = plain(1.0, 3);
        st.topK = 2;
        Sampler s(st);
        std::set<int> seen;
        for (int i = 0; i < 2000; ++i)
            seen.insert(s.sample(kLogits, {}));
        QCOMPARE(seen, (std::set<int>{1, 3}));
    }

    void topPTinyKeepsTopToken()
    {
        SamplerSettings st = plain(1.5, 11);
        st.topP = 1e-6;
        Sampler s(st);
        for (int i = 0; i < 200; ++i)
            QCOMPARE(s.sample(kLogits, {}), 1);
    }

    void topPKeepsNucleus()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05: top-p 0.7 keeps ids {0, 1} (0.5 < 0.7 <= 0.8).
        const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f),
                                           std::log(0.05f)};
        SamplerSettings st = plain(1.0, 5);
        st.topP = 0.7;
        Sampler s(st);
        const std::vector<double> f = histogram(s, logits, 20000);
        QCOMPARE(f[2] + f[3], 0.0);
        QVERIFY(std::abs(f[0] - 0.625) < 0.02); // 0.5 / 0.8 after renormalisation
    }

    void minPFilters()
    {
        // p relative to the best: 1, 0.5, 0.2, 0.05. min-p 0.3 keeps ids 0 and 1 only.
        const std::vector<float> logits = {0.0f, std::log(0.5f), std::log(0.2f),
                                           std::log(0.05f)};
        SamplerSettings st = plain(1.0, 9);
        st.minP = 0.3;
        Sampler s(st);
        const std::vector<double> f = histogram(s, logits, 20000);
        QCOMPARE(f[2] + f[3], 0.0);
        QVERIFY(std::abs(f[0] - 2.0 / 3.0) < 0.02);
        QVERIFY(f[1] > 0.3);
    }

    void repetitionPenaltyChangesArgmax()
    {
        // Token 0 leads by a little; penalising it (positive logit: divided) hands the argmax
        // to token 2. A negative logit is multiplied, so it only gets worse.
        const std::vector<float> logits = {3.0f, -1.0f, 2.5f};
        SamplerSettings st = plain(0.0);
        st.repetitionPenalty = 1.5;
        Sampler s(st);
        QCOMPARE(s.sample(logits, {}), 0);
        QCOMPARE(s.sample(logits, {0}), 2);
        QCOMPARE(s.sample(logits, {0, 0, 0}), 2); // counted once, not per occurrence
        // Outside the last repeatLastN ids the penalty does not apply.
        st.repeatLastN = 2;
        Sampler windowed(st);
        QCOMPARE(windowed.sample(logits, {0, 1, 1}), 0);
        QCOMPARE(windowed.sample(logits, {1, 0}), 2);
        // The penalty multiplies negative logits: -1 * 4 = -4 stays below 2.5 and 3.
        const std::vector<float> negative = {-1.0f, -0.9f};
        st.repeatLastN = 64;
        st.repetitionPenalty = 1.2;
        Sampler neg(st);
        QCOMPARE(neg.sample(negative, {1}), 0); // -0.9 * 1.2 = -1.08 < -1
    }

    void sameSeedSameSequence()
    {
        SamplerSettings st = plain(1.0, 1234);
        Sampler a(st), b(st);
        std::vector<int> sa, sb;
        for (int i = 0; i < 200; ++i) {
            sa.push_back(a.sample(kLogits, {}));
            sb.push_back(b.sample(kLogits, {}));
        }
        QCOMPARE(sa, sb);

        st.seed = 4321;
        Sampler c(st);
        std::vector<int> sc;
        for (int i = 0; i < 200; ++i)
            sc.push_back(c.sample(kLogits, {}));
        QVERIFY(sa != sc);

        // reseed() restarts the stream.
        a.reseed(1234);
        std::vector<int> again;
        for (int i = 0; i < 200; ++i)
            again.push_back(a.sample(kLogits, {}));
        QCOMPARE(again, sa);
    }

    void distributionMatchesSoftmax()
    {
        Sampler s(plain(1.0, 42));
        const int draws = 20000;
        const std::vector<double> f = histogram(s, kLogits, draws);
        const std::vector<double> p = softmax(kLogits, 1.0);
        for (std::size_t i = 0; i < p.size(); ++i) {
            // 5 standard deviations of a binomial proportion.
            const double tol = 5.0 * std::sqrt(p[i] * (1.0 - p[i]) / draws);
            QVERIFY2(std::abs(f[i] - p[i]) < tol,
                     qPrintable(QStringLiteral("token %1: %2 vs %3").arg(i).arg(f[i]).arg(p[i])));
        }
    }

    void temperatureSharpens()
    {
        Sampler cold(plain(0.5, 42));
        Sampler warm(plain(1.0, 42));
        const std::vector<double> fc = histogram(cold, kLogits, 20000);
        const std::vector<double> fw = histogram(warm, kLogits, 20000);
        const std::vector<double> p = softmax(kLogits, 0.5);
        QVERIFY(fc[1] > fw[1] + 0.1);
        QVERIFY(std::abs(fc[1] - p[1]) < 0.02);
        QVERIFY(fc[2] < fw[2]);
    }

    void rejectsBadInput()
    {
        SamplerSettings st = plain(1.0);
        st.topP = 0.0;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, Sampler{st});
        st = plain(1.0);
        st.topK = -1;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, Sampler{st});
        st = plain(1.0);
        st.repetitionPenalty = 0.0;
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, Sampler{st});

        Sampler s(plain(1.0));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, s.sample(std::vector<float>{}, {}));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, s.sample(std::vector<float>{1.0f, NAN}, {}));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                                 s.sample(std::vector<float>{-INFINITY, -INFINITY}, {}));
        SamplerSettings pen = plain(0.0);
        pen.repetitionPenalty = 1.3;
        Sampler p(pen);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, p.sample(std::vector<float>{1.0f, 2.0f}, {5}));
    }

    void masksInfiniteLogits()
    {
        const std::vector<float> logits = {-INFINITY, 0.0f, -INFINITY, 0.0f};
        Sampler s(plain(1.0, 8));
        const std::vector<double> f = histogram(s, logits, 4000);
        QCOMPARE(f[0] + f[2], 0.0);
        QVERIFY(std::abs(f[1] - 0.5) < 0.05);
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "tst_sampler.moc"
