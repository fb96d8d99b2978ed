// SPDX-License-Identifier: GPL-3.0-or-later
// The KV cache: layout, truncation (regenerate / edit) and capacity, through a tiny random
// Llama built in memory.
#include "model/kvcache.h"
#include "model/modelspec.h"
#include "model/transformer.h"
#include "util/error.h"

#include "tinymodel.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

using namespace lathe;

namespace {

std::shared_ptr<Transformer> tinyTransformer()
{
    const ModelConfig c = test::tinyLlamaConfig();
    return std::make_shared<Transformer>(Model::fromWeights(c, test::tinyRandomWeights(c, 7)));
}

} // namespace

class TestKVCache : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void layout()
    {
        KVCache cache(3, 2, 16, 10);
        QCOMPARE(cache.numLayers(), 3);
        QCOMPARE(cache.capacity(), 10);
        QCOMPARE(cache.length(), 0);
        QCOMPARE(cache.keys(2).sizes(), at::IntArrayRef({2, 10, 16}));
        QCOMPARE(cache.values(0).sizes(), at::IntArrayRef({2, 10, 16}));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, KVCache(0, 2, 16, 10));
    }

    void truncateKeepsPrefix()
    {
        auto tf = tinyTransformer();
        const std::vector<std::int32_t> first = {3, 14, 15, 9, 2, 6, 5, 35, 8, 9};
        const std::vector<std::int32_t> edit = {11, 12, 13, 14};
        KVCache cache = tf->newCache(32);
        tf->forward(first, cache);
        QCOMPARE(cache.length(), 10);

        cache.truncate(6);
        QCOMPARE(cache.length(), 6);
        const at::Tensor edited = tf->forward(edit, cache); // [4, vocab]
        QCOMPARE(cache.length(), 10);

        std::vector<std::int32_t> all(first.begin(), first.begin() + 6);
        all.insert(all.end(), edit.begin(), edit.end());
        const at::Tensor fresh = tf->logits(all).narrow(0, 6, 4);
        QVERIFY((edited - fresh).abs().max().item<float>() < 1e-5f);

        cache.truncate(100); // cannot grow: nothing changes
        QCOMPARE(cache.length(), 10);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, cache.truncate(-1));
        cache.clear();
        QCOMPARE(cache.length(), 0);
    }

    void capacityAndIds()
    {
        auto tf = tinyTransformer();
        KVCache cache = tf->newCache(8);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, tf->forward({1, 2, 3, 4, 5, 6, 7, 8, 9}, cache));
        QCOMPARE(cache.length(), 0);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, tf->forward({1, 50}, cache));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, tf->forward({-1}, cache));
        tf->forward({1, 2, 3, 4, 5, 6, 7, 8}, cache);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, tf->forward({1}, cache));
        KVCache wrong(1, 2, 16, 8);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, tf->forward({1}, wrong));
        QCOMPARE(tf->newCache().capacity(), 64);
    }
};

QTEST_GUILESS_MAIN(TestKVCache)
#include "tst_kvcache.moc"
