// SPDX-License-Identifier: GPL-3.0-or-later
// Sliding-window attention (mistral; qwen2/qwen3 with use_sliding_window) through a tiny random
// Mistral built in memory: prefill and cached decode agree, a window as long as the sequence
// changes nothing, and a token outside every window of a position (through all layers) has no
// effect on it while the first token inside does, which pins the window's exact boundary.
#include "model/kvcache.h"
#include "model/modelspec.h"
#include "model/transformer.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

constexpr std::int64_t kLayers = 2;

ModelConfig mistralConfig(std::int64_t window, std::int64_t fromLayer = 0)
{
    ModelConfig c;
    c.arch = Architecture::Mistral;
    c.modelType = "mistral";
    c.hiddenSize = 64;
    c.intermediateSize = 96;
    c.numLayers = kLayers;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.headDim = 16;
    c.vocabSize = 50;
    c.maxPositions = 64;
    c.slidingWindow = window;
    c.slidingWindowFromLayer = fromLayer;
    return c;
}

// The same random weights under every window setting, so logits can be compared across them.
std::shared_ptr<Transformer> mistral(std::int64_t window, std::int64_t fromLayer = 0)
{
    at::manual_seed(11);
    const ModelConfig c = mistralConfig(window, fromLayer);
    std::map<std::string, at::Tensor> weights;
    for (const TensorSpec &spec : tensorSpecs(c))
        if (!spec.optional)
            weights[spec.name] = spec.shape.size() == 1 ? 1 + 0.1 * at::randn(spec.shape)
                                                        : 0.3 * at::randn(spec.shape);
    return std::make_shared<Transformer>(Model::fromWeights(c, weights));
}

const std::vector<std::int32_t> kTokens = {3,  14, 15, 9,  2,  6,  5,  35,
                                           8,  9,  7,  9,  32, 38, 4,  26};

float maxDiff(const at::Tensor &a, const at::Tensor &b)
{
    return (a - b).abs().max().item<float>();
}

// Equal up to f32 rounding of different summation orders (logits here reach about 10).
bool near(const at::Tensor &a, const at::Tensor &b)
{
    return maxDiff(a, b) < 1e-5f * (1.f + b.abs().max().item<float>());
}

std::vector<std::int32_t> replaced(std::vector<std::int32_t> ids, std::int64_t from,
                                   std::int64_t to)
{
    for (std::int64_t i = from; i < to; ++i)
        ids[static_cast<std::size_t>(i)] = (ids[static_cast<std::size_t>(i)] + 17) % 50;
    return ids;
}

// Logits [n, vocab] from feeding the tokens one at a time through the KV cache.
at::Tensor decodeOneByOne(const Transformer &tf, const std::vector<std::int32_t> &ids)
{
    KVCache cache = tf.newCache(static_cast<std::int64_t>(ids.size()));
    std::vector<at::Tensor> rows;
    for (std::int32_t id : ids)
        rows.push_back(tf.forward({id}, cache));
    return at::cat(rows, 0);
}

} // namespace

class TestSlidingWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void prefillMatchesDecode()
    {
        auto tf = mistral(4);
        const at::Tensor prefill = tf->logits(kTokens);
        QVERIFY(near(prefill, decodeOneByOne(*tf, kTokens)));

        // A second prompt chunk on top of a cache (start > 0) masks the same way.
        KVCache cache = tf->newCache(32);
        const std::vector<std::int32_t> head(kTokens.begin(), kTokens.begin() + 7);
        const std::vector<std::int32_t> tail(kTokens.begin() + 7, kTokens.end());
        tf->forward(head, cache);
        QVERIFY(near(tf->forward(tail, cache), prefill.narrow(0, 7, 9)));
    }

    void wideWindowIsFullAttention()
    {
        const at::Tensor full = mistral(0)->logits(kTokens);
        const auto n = static_cast<std::int64_t>(kTokens.size());
        for (std::int64_t window : {n, n + 1, std::int64_t(4096)}) {
            auto tf = mistral(window);
            QVERIFY(near(tf->logits(kTokens), full));
            QVERIFY(near(decodeOneByOne(*tf, kTokens), full));
        }
        // ... while a window shorter than the sequence does change later positions,
        QVERIFY(maxDiff(mistral(4)->logits(kTokens), full) > 1e-3f);
        // and positions whose causal history fits in the window keep their full-attention logits.
        QVERIFY(near(mistral(4)->logits(kTokens).narrow(0, 0, 4), full.narrow(0, 0, 4)));
    }

    // Window 1: every query sees only its own key, so attention returns its own value and the
    // logits at each position equal those of that token alone (rope moves q and k, not v).
    void windowOfOneSeesOnlyItself()
    {
        auto tf = mistral(1);
        const at::Tensor prefill = tf->logits(kTokens);
        const at::Tensor decode = decodeOneByOne(*tf, kTokens);
        for (std::size_t i = 0; i < kTokens.size(); ++i) {
            const at::Tensor alone = tf->logits({kTokens[i]}).squeeze(0);
            const auto row = static_cast<std::int64_t>(i);
            QVERIFY(near(prefill[row], alone));
            QVERIFY(near(decode[row], alone));
        }
    }

    // Transformers' mask keeps key j for query i when i - window < j <= i: `window` keys,
    // itself included. Through kLayers layers the last position p sees tokens from
    // p - kLayers * (window - 1) on, and nothing older.
    void receptiveFieldEndsAtTheWindow()
    {
        const std::int64_t window = 4, last = 15;
        const std::int64_t oldest = last - kLayers * (window - 1); // 9
        auto tf = mistral(window);
        const at::Tensor base = tf->logits(kTokens)[last];

        const auto outside = replaced(kTokens, 0, oldest); // every token older than `oldest`
        QVERIFY(near(tf->logits(outside)[last], base));
        QVERIFY(near(decodeOneByOne(*tf, outside)[last], base));

        const auto inside = replaced(kTokens, oldest, oldest + 1); // the oldest token still seen
        QVERIFY(maxDiff(tf->logits(inside)[last], base) > 1e-4f);
        QVERIFY(maxDiff(decodeOneByOne(*tf, inside)[last], base) > 1e-4f);
    }

    // Qwen2's max_window_layers: layers before slidingWindowFromLayer attend fully.
    void windowFromLayer()
    {
        const at::Tensor full = mistral(0)->logits(kTokens);
        QVERIFY(near(mistral(4, kLayers)->logits(kTokens), full));

        auto tf = mistral(4, 1); // layer 0 full, layer 1 windowed
        QCOMPARE(tf->config().attentionWindow(0), std::int64_t(0));
        QCOMPARE(tf->config().attentionWindow(1), std::int64_t(4));
        const at::Tensor mixed = tf->logits(kTokens);
        QVERIFY(near(mixed, decodeOneByOne(*tf, kTokens)));
        QVERIFY(maxDiff(mixed, full) > 1e-3f);
        QVERIFY(maxDiff(mixed, mistral(4)->logits(kTokens)) > 1e-3f);
        // The full first layer carries token 0 to the last position.
        QVERIFY(maxDiff(tf->logits(replaced(kTokens, 0, 1))[15], mixed[15]) > 1e-4f);
    }

    void negativeWindowIsRejected()
    {
        QVERIFY_THROWS_EXCEPTION(FormatError, mistral(-1));
        QVERIFY_THROWS_EXCEPTION(FormatError, mistral(4, -1));
    }
};

QTEST_GUILESS_MAIN(TestSlidingWindow)
#include "tst_slidingwindow.moc"
