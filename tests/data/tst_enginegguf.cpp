// SPDX-License-Identifier: GPL-3.0-or-later
// The same trained model (stories260K) loaded from llama.cpp's GGUF and from an HF folder
// gives the same logits, and reproduces llama.cpp's own perplexity.
#include "io/checkpoint.h"
#include "model/transformer.h"
#include "testdata.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cmath>
#include <fstream>

using namespace lathe;

namespace {

std::string dataFile(const char *relative)
{
    return test::dataPath(QString::fromLatin1(relative)).toStdString();
}

std::vector<std::int32_t> excerptIds()
{
    std::ifstream in(dataFile("reference/stories260K.excerpt.ids.txt"));
    std::vector<std::int32_t> ids;
    std::int32_t id;
    while (in >> id)
        ids.push_back(id);
    return ids;
}

// llama.cpp's llama-perplexity protocol: chunks of nCtx ids, the first set to BOS, each run
// from an empty cache; the predictions from positions nCtx/2 .. nCtx-2 of the next id in the
// chunk are scored.
double llamaCppPerplexity(const Transformer &tf, const std::vector<std::int32_t> &ids,
                          std::int64_t nCtx)
{
    const auto bos = static_cast<std::int32_t>(tf.config().bosTokenId());
    const std::int64_t chunks = static_cast<std::int64_t>(ids.size()) / nCtx;
    double nll = 0.0;
    std::int64_t count = 0;
    for (std::int64_t c = 0; c < chunks; ++c) {
        std::vector<std::int32_t> chunk(ids.begin() + c * nCtx, ids.begin() + (c + 1) * nCtx);
        chunk[0] = bos;
        const at::Tensor logp = at::log_softmax(tf.logits(chunk).to(at::kDouble), 1);
        // Rows nCtx/2 .. nCtx-2 predict ids nCtx/2+1 .. nCtx-1.
        const std::int64_t first = nCtx / 2, scored = nCtx - 1 - first;
        const at::Tensor targets =
            at::tensor(std::vector<std::int64_t>(chunk.begin() + first + 1, chunk.end()))
                .unsqueeze(1); // [scored, 1]
        nll -= logp.narrow(0, first, scored).gather(1, targets).sum().item<double>();
        count += scored;
    }
    return std::exp(nll / static_cast<double>(count));
}

} // namespace

class TestEngineGguf : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sameLogitsAsHf()
    {
        LATHE_REQUIRE_SHARED_DATA();
        Transformer gguf(Model::load(dataFile("models/stories260K/stories260K-f32.gguf")));
        Transformer hf(Model::load(dataFile("models/stories260K/hf")));
        QCOMPARE(gguf.model().checkpoint()->format(), CheckpointFormat::Gguf);
        QCOMPARE(gguf.config().numLayers, hf.config().numLayers);
        QCOMPARE(gguf.config().numKvHeads, hf.config().numKvHeads);

        const std::vector<std::int32_t> all = excerptIds();
        const std::vector<std::int32_t> ids(all.begin(), all.begin() + 64);
        const float diff = (gguf.logits(ids) - hf.logits(ids)).abs().max().item<float>();
        qInfo("max abs logit difference GGUF vs HF: %.3g", static_cast<double>(diff));
        QVERIFY2(diff <= 1e-5f, qPrintable(QString::number(diff)));
    }

    void llamaCppPerplexity128()
    {
        LATHE_REQUIRE_SHARED_DATA();
        Transformer tf(Model::load(dataFile("models/stories260K/stories260K-f32.gguf")));
        const double ppl = llamaCppPerplexity(tf, excerptIds(), 128);
        qInfo("perplexity at n_ctx 128: %.6f (llama.cpp 5.8583)", ppl);
        QVERIFY2(std::abs(ppl / 5.8583 - 1.0) <= 1e-3, qPrintable(QString::number(ppl, 'f', 6)));
    }
};

QTEST_GUILESS_MAIN(TestEngineGguf)
#include "tst_enginegguf.moc"
