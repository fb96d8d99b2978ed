// SPDX-License-Identifier: GPL-3.0-or-later
// Tokenizers on real tokenizer.json files against independent references: llama.cpp's test
// vectors (produced by Hugging Face tokenizers) for GPT-2, Llama 3 and Qwen 2.5, and the
// TinyStories SentencePiece-style tokenizer's ids for a 30 KB excerpt. Also checks round trips,
// streaming detokenization, and prints encoding throughput on WikiText-2 (not asserted).
#include "testdata.h"

#include "text/streamdecoder.h"
#include "text/tokenizer.h"
#include "text/tokenizerloader.h"
#include "text/utf8.h"

#include <QElapsedTimer>
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using lathe::Tokenizer;
using Ids = std::vector<int32_t>;

namespace {

std::string readFile(const QString &path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> splitOn(const std::string &s, const std::string &sep)
{
    std::vector<std::string> out;
    std::size_t prev = 0;
    for (;;) {
        const std::size_t pos = s.find(sep, prev);
        if (pos == std::string::npos) {
            out.push_back(s.substr(prev));
            return out;
        }
        out.push_back(s.substr(prev, pos - prev));
        prev = pos + sep.size();
    }
}

Ids parseIds(const std::string &line)
{
    Ids ids;
    std::istringstream in(line);
    int32_t v = 0;
    while (in >> v)
        ids.push_back(v);
    return ids;
}

std::string showIds(const Ids &ids)
{
    std::string s;
    for (int32_t id : ids)
        s += std::to_string(id) + " ";
    return s;
}

void reportThroughput(const Tokenizer &tok, const char *name)
{
    const std::string text = readFile(lathe::test::dataPath("text/wiki.test.raw"));
    QElapsedTimer timer;
    timer.start();
    const Ids ids = tok.encode(text, false);
    const double seconds = std::max(1e-9, double(timer.nsecsElapsed()) * 1e-9);
    qInfo("%s: encoded wiki.test.raw (%.2f MB) into %zu tokens at %.2f MB/s", name,
        double(text.size()) / 1e6, ids.size(), double(text.size()) / 1e6 / seconds);
}

} // namespace

class TestTokenizerData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void llamaCppVectors_data()
    {
        QTest::addColumn<QString>("vectors");
        QTest::addColumn<QString>("tokenizer");
        const QString gguf = "llamacpp-vectors/ggml-vocab-";
        QTest::newRow("gpt-2 tokenizer.json") << "ggml-vocab-gpt-2"
                                              << "hf-gpt2";
        QTest::newRow("gpt-2 GGUF") << "ggml-vocab-gpt-2" << gguf + "gpt-2.gguf";
        QTest::newRow("llama-bpe") << "ggml-vocab-llama-bpe"
                                   << "hf-llama3";
        QTest::newRow("qwen2") << "ggml-vocab-qwen2"
                               << "hf-qwen2_5";
        QTest::newRow("llama-spm GGUF") << "ggml-vocab-llama-spm" << gguf + "llama-spm.gguf";
        QTest::newRow("llama-spm tokenizer.model") << "ggml-vocab-llama-spm"
                                                   << "llama2-spm/tokenizer.model";
    }

    void llamaCppVectors()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QFETCH(QString, vectors);
        QFETCH(QString, tokenizer);
        const auto tok
            = lathe::loadTokenizer(lathe::test::dataPath("tokenizers/" + tokenizer).toStdString());
        const QString base = "tokenizers/llamacpp-vectors/" + vectors + ".gguf";
        // Every case is followed by the separator, so the last split part is empty; the .out
        // file has one line per case (an empty line for the empty string) and a final newline.
        auto inputs
            = splitOn(readFile(lathe::test::dataPath(base + ".inp")), "\n__ggml_vocab_test__\n");
        auto outputs = splitOn(readFile(lathe::test::dataPath(base + ".out")), "\n");
        QVERIFY(inputs.size() > 40);
        QCOMPARE(inputs.back(), std::string());
        QCOMPARE(outputs.back(), std::string());
        inputs.pop_back();
        outputs.pop_back();
        QCOMPARE(inputs.size(), outputs.size());

        int matched = 0;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const Ids expected = parseIds(outputs[i]);
            const Ids got = tok->encode(inputs[i], false);
            if (got == expected)
                ++matched;
            else
                qWarning("case %zu '%s': got [%s] expected [%s]", i, inputs[i].c_str(),
                    showIds(got).c_str(), showIds(expected).c_str());
            // Byte-level BPE is lossless.
            QCOMPARE(tok->decode(expected), inputs[i]);

            lathe::StreamDecoder stream(tok);
            std::string streamed;
            for (int32_t id : expected) {
                const std::string piece = stream.push(id);
                QVERIFY2(lathe::utf8::isValid(piece), "stream piece splits a UTF-8 character");
                streamed += piece;
            }
            streamed += stream.flush();
            QCOMPARE(streamed, tok->decode(expected));
        }
        qInfo("%s: %d/%zu vectors match", qPrintable(vectors), matched, inputs.size());
        QCOMPARE(matched, int(inputs.size()));
        reportThroughput(*tok, qPrintable(tokenizer));
    }

    void specialTokens()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto llama = Tokenizer::fromTokenizerJson(
            lathe::test::dataPath("tokenizers/hf-llama3/tokenizer.json").toStdString());
        QCOMPARE(llama->bosId(), 128000);
        QCOMPARE(llama->eosId(), 128001);
        const Ids ids = llama->encode("<|begin_of_text|>Hi<|eot_id|>", false);
        QCOMPARE(ids.front(), 128000);
        QCOMPARE(ids.back(), llama->idForToken("<|eot_id|>"));
        QCOMPARE(llama->decode(ids, true), std::string("Hi"));
        QCOMPARE(llama->decode(ids), std::string("<|begin_of_text|>Hi<|eot_id|>"));

        const auto qwen = Tokenizer::fromTokenizerJson(
            lathe::test::dataPath("tokenizers/hf-qwen2_5").toStdString());
        QCOMPARE(qwen->eosId(), qwen->idForToken("<|im_end|>"));
        QCOMPARE(qwen->bosId(), -1);
        QVERIFY(!qwen->addsBos());
        QCOMPARE(qwen->encode("hi", true), qwen->encode("hi", false));
        QCOMPARE(qwen->vocabSize(), std::size_t(151665));
    }

    void tinyStoriesExcerpt()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto tok = Tokenizer::fromTokenizerJson(
            lathe::test::dataPath("models/tinystories-656k/tokenizer.json").toStdString());
        const std::string text
            = readFile(lathe::test::dataPath("text/TinyStories-valid-excerpt.txt"));
        const Ids expected = parseIds(
            readFile(lathe::test::dataPath("reference/tinystories-656k.excerpt.ids.txt")));
        QVERIFY(!expected.empty());
        const Ids got = tok->encode(text, false);
        QCOMPARE(got.size(), expected.size());
        QVERIFY(got == expected);
        // The vocabulary has no byte tokens and no "\r": each CR of the CRLF text is <unk>.
        std::string withoutCr;
        for (char c : text)
            if (c != '\r')
                withoutCr += c;
        QCOMPARE(tok->decode(got, true), withoutCr);

        lathe::StreamDecoder stream(tok);
        std::string streamed;
        for (int32_t id : got) {
            const std::string piece = stream.push(id);
            QVERIFY(lathe::utf8::isValid(piece));
            streamed += piece;
        }
        streamed += stream.flush();
        QCOMPARE(streamed, tok->decode(got));
        reportThroughput(*tok, "tinystories-656k");
    }

    void tinyStoriesPrompt()
    {
        LATHE_REQUIRE_SHARED_DATA();
        const auto tok = Tokenizer::fromTokenizerJson(
            lathe::test::dataPath("models/tinystories-656k").toStdString());
        const auto ref = nlohmann::json::parse(
            readFile(lathe::test::dataPath("reference/tinystories-656k.json")));
        const auto &greedy = ref.at("greedy");
        const Ids expected = greedy.at("prompt_ids_with_special_tokens").get<Ids>();
        const std::string prompt = greedy.at("prompt_text").get<std::string>();
        QCOMPARE(tok->encode(prompt, true), expected);
        QCOMPARE(tok->bosId(), expected.front());
        QVERIFY(tok->addsBos());
        QCOMPARE(tok->decode(expected, true), prompt);
    }
};

QTEST_GUILESS_MAIN(TestTokenizerData)
#include "tst_tokenizerdata.moc"
