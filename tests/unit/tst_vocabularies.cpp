// SPDX-License-Identifier: GPL-3.0-or-later
// Tokenizers from GGUF metadata and SentencePiece tokenizer.model files built here byte by
// byte: score-ordered merges, byte fallback, special tokens, add-BOS flags, the chat template
// from GGUF, and clear errors for what is malformed or not supported.
#include "ggufbuilder.h"
#include "text/spmodelfile.h"
#include "text/tokenizerloader.h"
#include "util/error.h"

#include <QtTest/QtTest>

using namespace lathe;
using namespace lathe::test::gguf;
using Ids = std::vector<int32_t>;

namespace {

const std::string kSp = "\xE2\x96\x81"; // ▁

struct Piece {
    std::string text;
    float score;
    int32_t type;
};

// <unk> <s> </s> ▁ a b c ab ▁ab abc <0xC3> <0xA9>: "abc" merges to [▁ab, c] when ▁ab scores
// higher than abc, and to [▁, abc] otherwise.
std::vector<Piece> spmPieces(float abcScore)
{
    return { { "<unk>", 0, 2 }, { "<s>", 0, 3 }, { "</s>", 0, 3 }, { kSp, -5, 1 },
        { "a", -6, 1 }, { "b", -6, 1 }, { "c", -6, 1 }, { "ab", -1, 1 },
        { kSp + "ab", -1.5f, 1 }, { "abc", abcScore, 1 }, { "<0xC3>", 0, 6 },
        { "<0xA9>", 0, 6 } };
}

GgufSpec spmGguf(const std::vector<Piece> &pieces)
{
    std::vector<std::string> texts;
    std::vector<float> scores;
    std::vector<int32_t> types;
    for (const auto &p : pieces) {
        texts.push_back(p.text);
        scores.push_back(p.score);
        types.push_back(p.type);
    }
    GgufSpec s;
    s.kvs = { { "general.architecture", vStr("llama") },
        { "tokenizer.ggml.model", vStr("llama") }, { "tokenizer.ggml.tokens", vArrStr(texts) },
        { "tokenizer.ggml.scores", vArrF32(scores) },
        { "tokenizer.ggml.token_type", vArrI32(types) },
        { "tokenizer.ggml.unknown_token_id", vU32(0) },
        { "tokenizer.ggml.bos_token_id", vU32(1) }, { "tokenizer.ggml.eos_token_id", vU32(2) } };
    return s;
}

// Protobuf wire format, enough for a SentencePiece ModelProto.
std::string varint(uint64_t v)
{
    std::string s;
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        s += char(v ? (b | 0x80) : b);
    } while (v);
    return s;
}
std::string keyed(uint32_t field, uint32_t wire) { return varint((uint64_t(field) << 3) | wire); }
std::string lengthDelimited(uint32_t field, const std::string &body)
{
    return keyed(field, 2) + varint(body.size()) + body;
}
std::string varintField(uint32_t field, uint64_t v) { return keyed(field, 0) + varint(v); }

std::string spmModelProto(const std::vector<Piece> &pieces, int modelType)
{
    std::string out;
    for (const auto &p : pieces) {
        std::string piece = lengthDelimited(1, p.text) + keyed(2, 5) + le(p.score)
            + varintField(3, uint64_t(p.type));
        out += lengthDelimited(1, piece);
    }
    out += lengthDelimited(2, varintField(3, uint64_t(modelType)) + varintField(35, 1));
    out += lengthDelimited(
        3, lengthDelimited(1, "identity") + varintField(3, 1) + varintField(4, 0));
    return out;
}

} // namespace

class TestVocabularies : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void spmMergesByScore()
    {
        TempFiles files;
        const auto higherPrefix = loadTokenizer(files.write("a.gguf", spmGguf(spmPieces(-2)).build()));
        QCOMPARE(higherPrefix->encode("abc", false), (Ids { 8, 6 })); // ▁ab c
        const auto higherAbc = loadTokenizer(files.write("b.gguf", spmGguf(spmPieces(-1.2f)).build()));
        QCOMPARE(higherAbc->encode("abc", false), (Ids { 3, 9 })); // ▁ abc
        QCOMPARE(higherAbc->decode({ 3, 9 }), std::string("abc"));
        QCOMPARE(higherAbc->kind(), std::string("GGUF llama vocabulary"));
    }

    // Words are encoded one by one only when no piece could join them: here "ab▁" can.
    void spmMergesAcrossWords()
    {
        TempFiles files;
        const auto separate = loadTokenizer(files.write("a.gguf", spmGguf(spmPieces(-2)).build()));
        QCOMPARE(separate->encode("ab ab", false), (Ids { 8, 8 })); // ▁ab ▁ab
        auto pieces = spmPieces(-2);
        pieces.push_back({ "ab" + kSp, 0.0f, 1 });
        const auto joined = loadTokenizer(files.write("b.gguf", spmGguf(pieces).build()));
        QCOMPARE(joined->encode("ab ab", false), (Ids { 3, 12, 7 })); // ▁ ab▁ ab
        QCOMPARE(joined->decode({ 3, 12, 7 }), std::string("ab ab"));
    }

    void spmByteFallbackAndUnknown()
    {
        TempFiles files;
        const auto tok = loadTokenizer(files.write("v.gguf", spmGguf(spmPieces(-2)).build()));
        QCOMPARE(tok->encode("\xC3\xA9", false), (Ids { 3, 10, 11 })); // ▁ <0xC3> <0xA9>
        QCOMPARE(tok->decode({ 3, 10, 11 }), std::string("\xC3\xA9"));
        QCOMPARE(tok->encode("z", false), (Ids { 3, 0 })); // no piece, no bytes: <unk>
    }

    void spmSpecialTokensAndFlags()
    {
        TempFiles files;
        GgufSpec spec = spmGguf(spmPieces(-2));
        const auto tok = loadTokenizer(files.write("v.gguf", spec.build()));
        QVERIFY(tok->addsBos()); // SentencePiece vocabularies add BOS unless told otherwise
        QCOMPARE(tok->encode("ab", true), (Ids { 1, 8 }));
        QCOMPARE(tok->encode("ab</s>", false), (Ids { 8, 2 }));
        QVERIFY(tok->isSpecial(2));
        QCOMPARE(tok->decode({ 1, 8, 2 }, true), std::string("ab"));
        QCOMPARE(tok->bosId(), 1);
        QCOMPARE(tok->eosId(), 2);

        spec.kvs.push_back({ "tokenizer.ggml.add_bos_token", vBool(false) });
        spec.kvs.push_back({ "tokenizer.ggml.add_eos_token", vBool(true) });
        const auto flipped = loadTokenizer(files.write("w.gguf", spec.build()));
        QVERIFY(!flipped->addsBos());
        QCOMPARE(flipped->encode("ab", true), (Ids { 8, 2 }));
    }

    void gpt2Vocabulary()
    {
        TempFiles files;
        GgufSpec s;
        // Byte-level symbols: "h", "i", "Ġ" (space) and merges h+i, Ġ+hi.
        s.kvs = { { "tokenizer.ggml.model", vStr("gpt2") }, { "tokenizer.ggml.pre", vStr("gpt-2") },
            { "tokenizer.ggml.tokens",
                vArrStr({ "h", "i", "\xC4\xA0", "hi", "\xC4\xA0hi", "<|endoftext|>" }) },
            { "tokenizer.ggml.token_type", vArrI32({ 1, 1, 1, 1, 1, 3 }) },
            { "tokenizer.ggml.merges", vArrStr({ "h i", "\xC4\xA0 hi" }) },
            { "tokenizer.ggml.bos_token_id", vU32(5) }, { "tokenizer.ggml.eos_token_id", vU32(5) } };
        const auto tok = loadTokenizer(files.write("g.gguf", s.build()));
        QCOMPARE(tok->encode("hi hi<|endoftext|>", false), (Ids { 3, 4, 5 }));
        QVERIFY(!tok->addsBos()); // GPT-2 vocabularies add nothing by default
        QCOMPARE(tok->decode({ 3, 4, 5 }, true), std::string("hi hi"));

        s.kvs[1] = { "tokenizer.ggml.pre", vStr("no-such-pre") };
        const QString err = errorOf<UnsupportedError>(
            [&] { loadTokenizer(files.write("bad.gguf", s.build())); });
        QVERIFY2(err.contains("no-such-pre"), qPrintable(err));
    }

    void ggufErrors()
    {
        TempFiles files;
        GgufSpec s = spmGguf(spmPieces(-2));
        s.kvs[1] = { "tokenizer.ggml.model", vStr("bert") };
        QString err = errorOf<UnsupportedError>(
            [&] { loadTokenizer(files.write("bert.gguf", s.build())); });
        QVERIFY2(err.contains("'bert'"), qPrintable(err));

        s = spmGguf(spmPieces(-2));
        s.kvs[3] = { "tokenizer.ggml.scores", vArrF32({ 0.0f, 1.0f }) };
        err = errorOf<FormatError>([&] { loadTokenizer(files.write("scores.gguf", s.build())); });
        QVERIFY2(err.contains("tokenizer.ggml.scores"), qPrintable(err));

        s = spmGguf(spmPieces(-2));
        s.kvs.erase(s.kvs.begin() + 1);
        err = errorOf<FormatError>([&] { loadTokenizer(files.write("none.gguf", s.build())); });
        QVERIFY2(err.contains("no tokenizer"), qPrintable(err));
    }

    void ggufChatTemplate()
    {
        TempFiles files;
        GgufSpec s = spmGguf(spmPieces(-2));
        const std::string plain = files.write("plain.gguf", s.build());
        QVERIFY(!findChatTemplate(plain).has_value());
        s.kvs.push_back({ "tokenizer.chat_template", vStr("{{ bos_token }}{{ messages[0].content }}") });
        const auto tmpl = findChatTemplate(files.write("chat.gguf", s.build()));
        QVERIFY(tmpl.has_value());
        QCOMPARE(tmpl->text, std::string("{{ bos_token }}{{ messages[0].content }}"));
        QCOMPARE(tmpl->bosToken, std::string("<s>"));
        QCOMPARE(tmpl->eosToken, std::string("</s>"));
    }

    void sentencePieceModelFile()
    {
        TempFiles files;
        const std::string proto = spmModelProto(spmPieces(-2), 2);
        const auto tok = loadTokenizer(files.write("tokenizer.model", proto));
        QCOMPARE(tok->encode("abc", true), (Ids { 1, 8, 6 }));
        QCOMPARE(tok->kind(), std::string("SentencePiece model"));
        const SpmVocabulary v = parseSentencePieceModel(
            reinterpret_cast<const uint8_t *>(proto.data()), proto.size(), "mem");
        QCOMPARE(v.pieces.size(), std::size_t(12));
        QCOMPARE(v.scores[8], -1.5f);
        QCOMPARE(v.types[10], int(SpmVocabulary::Byte));

        // Every truncation is rejected or yields a smaller valid prefix; none crashes.
        for (std::size_t n = 0; n < proto.size(); ++n) {
            try {
                parseSentencePieceModel(reinterpret_cast<const uint8_t *>(proto.data()), n, "cut");
            } catch (const FormatError &) {
            } catch (const UnsupportedError &) {
            }
        }
        const QString err = errorOf<UnsupportedError>(
            [&] { loadTokenizer(files.write("uni.model", spmModelProto(spmPieces(-2), 1))); });
        QVERIFY2(err.contains("unigram"), qPrintable(err));
        const QString junk = errorOf<FormatError>(
            [&] { loadTokenizer(files.write("junk.model", std::string("\x0f\xff\xff", 3))); });
        QVERIFY2(junk.contains("junk.model"), qPrintable(junk));
    }

    void missingTokenizer()
    {
        QTemporaryDir dir;
        const QString err = errorOf<IoError>([&] { loadTokenizer(dir.path().toStdString()); });
        QVERIFY2(err.contains("no tokenizer.json or tokenizer.model"), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestVocabularies)
#include "tst_vocabularies.moc"
