// SPDX-License-Identifier: GPL-3.0-or-later
// The same trained model (stories260K) loaded from llama.cpp's GGUF and from an HF folder
// gives the same logits, and reproduces llama.cpp's own perplexity, tokenization and greedy
// text with the tokenizer read from the GGUF metadata.
#include "eval/perplexity.h"
#include "generate/generator.h"
#include "io/checkpoint.h"
#include "model/kvcache.h"
#include "model/transformer.h"
#include "text/tokenizerloader.h"
#include "testdata.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace lathe;

namespace {

std::string dataFile(const char *relative)
{
    return test::dataPath(QString::fromLatin1(relative)).toStdString();
}

std::string readText(const char *relative)
{
    std::ifstream in(dataFile(relative), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
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

    // llama-tokenize's ids for the excerpt (BOS first) from the GGUF's own vocabulary.
    void tokenizerMatchesLlamaCpp()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto tok = loadTokenizer(dataFile("models/stories260K/stories260K-f32.gguf"));
        QVERIFY(tok->addsBos());
        const std::vector<std::int32_t> ids
            = tok->encode(readText("text/TinyStories-valid-excerpt.txt"), true);
        const std::vector<std::int32_t> expected = excerptIds();
        QCOMPARE(ids.size(), expected.size());
        QVERIFY(ids == expected);
    }

    // llama-cli --temp 0 -n 60 from "Once upon a time" (its output echoes the prompt).
    void greedyTextMatchesLlamaCpp()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string path = dataFile("models/stories260K/stories260K-f32.gguf");
        const auto tok = loadTokenizer(path);
        Transformer tf(Model::load(path));
        const std::vector<std::int32_t> prompt = tok->encode("Once upon a time", true);
        KVCache cache = tf.newCache();
        GenerateOptions options;
        options.maxTokens = 60;
        options.sampler.temperature = 0.0;
        const GenerateResult result = generate(tf, cache, prompt, options);
        std::vector<std::int32_t> all = prompt;
        all.insert(all.end(), result.ids.begin(), result.ids.end());
        const auto ref = nlohmann::json::parse(readText("reference/stories260K.json"));
        const std::string expected = ref.at("greedy").at("output").get<std::string>();
        // llama.cpp prints each piece as is; a full decode drops the dummy-prefix space.
        QCOMPARE(" " + tok->decode(all, true), expected);
    }

    void perplexityFromText()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const std::string path = dataFile("models/stories260K/stories260K-f32.gguf");
        const auto tok = loadTokenizer(path);
        Transformer tf(Model::load(path));
        // llama-perplexity tokenizes with BOS first; chunk boundaries follow from that.
        const auto ids = tok->encode(readText("text/TinyStories-valid-excerpt.txt"), true);
        PerplexityOptions options;
        options.protocol = PerplexityProtocol::LlamaCpp;
        for (const auto &[ctx, reference] : { std::pair { 128, 5.8583 }, { 256, 6.2132 } }) {
            options.ctx = ctx;
            const double ppl = evaluatePerplexity(tf, ids, options).ppl;
            qInfo("perplexity from text at n_ctx %d: %.6f (llama.cpp %.4f)", ctx, ppl, reference);
            QVERIFY2(std::abs(ppl / reference - 1.0) <= 5e-3, qPrintable(QString::number(ppl)));
        }
    }
};

QTEST_GUILESS_MAIN(TestEngineGguf)
#include "tst_enginegguf.moc"
