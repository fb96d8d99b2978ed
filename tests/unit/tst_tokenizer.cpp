// SPDX-License-Identifier: GPL-3.0-or-later
// Tokenizer pieces on small hand-written tokenizer.json files: BPE merges in both notations,
// byte fallback, unk fusing, ignore_merges, added tokens, split behaviours, normalizers,
// decoders, streaming detokenization and clear errors for unsupported components.
#include "text/decoder.h"
#include "text/normalizer.h"
#include "text/pretokenizer.h"
#include "text/streamdecoder.h"
#include "text/tokenizer.h"
#include "text/utf8.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <fstream>

using lathe::Tokenizer;
using nlohmann::json;

namespace {

using Ids = std::vector<int32_t>;

std::vector<std::string> preTokenize(const json &j, const std::string &text)
{
    auto p = lathe::PreTokenizer::fromJson(j, "test");
    std::vector<std::string> pieces { text };
    p->apply(pieces, true);
    return pieces;
}

// GPT-2 characters of a byte string (space -> U+0120 and so on).
std::string byteLevel(const std::string &s)
{
    std::string out;
    for (unsigned char c : s)
        out += lathe::utf8::byteToUnicode(c);
    return out;
}

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_count = 0;

    std::shared_ptr<Tokenizer> load(const json &j, const json &config = json())
    {
        const QString sub = m_dir.path() + QStringLiteral("/t%1").arg(m_count++);
        QDir().mkpath(sub);
        std::ofstream(sub.toStdString() + "/tokenizer.json") << j.dump();
        if (!config.is_null())
            std::ofstream(sub.toStdString() + "/tokenizer_config.json") << config.dump();
        return Tokenizer::fromTokenizerJson(sub.toStdString());
    }

    // A byte-level model: all 256 byte characters, then the merged tokens.
    json byteLevelTokenizer(const std::vector<std::pair<std::string, std::string>> &merges,
        bool pairForm, bool ignoreMerges = false)
    {
        json vocab = json::object();
        for (int b = 0; b < 256; ++b)
            vocab[lathe::utf8::byteToUnicode(static_cast<unsigned char>(b))] = b;
        json m = json::array();
        int next = 256;
        for (const auto &[a, b] : merges) {
            if (!vocab.contains(a + b))
                vocab[a + b] = next++;
            if (pairForm)
                m.push_back(json::array({ a, b }));
            else
                m.push_back(a + " " + b);
        }
        json j;
        j["model"] = { { "type", "BPE" }, { "vocab", vocab }, { "merges", m },
            { "ignore_merges", ignoreMerges } };
        j["pre_tokenizer"]
            = { { "type", "ByteLevel" }, { "add_prefix_space", false }, { "use_regex", true } };
        j["decoder"] = { { "type", "ByteLevel" } };
        j["added_tokens"] = json::array({ { { "id", 1000 }, { "content", "<|end|>" },
            { "special", true }, { "normalized", false } } });
        return j;
    }

    json spmTokenizer()
    {
        json vocab = { { "<unk>", 0 }, { "<s>", 1 }, { "</s>", 2 } };
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            vocab[name] = 3 + b;
        }
        int id = 259;
        for (const char *t : { "\xE2\x96\x81", "h", "e", "l", "o", "\xE2\x96\x81h", "he", "ll",
                 "\xE2\x96\x81he", "llo", "\xE2\x96\x81hello" })
            vocab[t] = id++;
        json j;
        j["normalizer"] = { { "type", "Sequence" },
            { "normalizers",
                { { { "type", "Prepend" }, { "prepend", "\xE2\x96\x81" } },
                    { { "type", "Replace" }, { "pattern", { { "String", " " } } },
                        { "content", "\xE2\x96\x81" } } } } };
        j["pre_tokenizer"] = nullptr;
        j["model"] = { { "type", "BPE" }, { "vocab", vocab },
            { "merges",
                { "h e", "l l", "\xE2\x96\x81 he", "ll o", "\xE2\x96\x81he llo",
                    "\xE2\x96\x81 h" } },
            { "byte_fallback", true }, { "fuse_unk", true }, { "unk_token", "<unk>" } };
        j["decoder"] = {
            { "type", "Sequence" },
            { "decoders",
                { { { "type", "Replace" }, { "pattern", { { "String", "\xE2\x96\x81" } } },
                      { "content", " " } },
                    { { "type", "ByteFallback" } }, { { "type", "Fuse" } },
                    { { "type", "Strip" }, { "content", " " }, { "start", 1 }, { "stop", 0 } } } }
        };
        j["post_processor"] = { { "type", "TemplateProcessing" },
            { "single",
                { { { "SpecialToken", { { "id", "<s>" }, { "type_id", 0 } } } },
                    { { "Sequence", { { "id", "A" }, { "type_id", 0 } } } } } },
            { "special_tokens",
                { { "<s>", { { "id", "<s>" }, { "ids", { 1 } }, { "tokens", { "<s>" } } } } } } };
        j["added_tokens"]
            = json::array({ { { "id", 0 }, { "content", "<unk>" }, { "special", true } },
                { { "id", 1 }, { "content", "<s>" }, { "special", true } },
                { { "id", 2 }, { "content", "</s>" }, { "special", true } } });
        return j;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void mergesInBothNotations()
    {
        const std::vector<std::pair<std::string, std::string>> merges = { { "l", "l" },
            { "h", "e" }, { "he", "ll" }, { "hell", "o" }, { byteLevel(" "), "w" } };
        for (bool pairForm : { false, true }) {
            auto tok = load(byteLevelTokenizer(merges, pairForm));
            const Ids ids = tok->encode("hello world", false);
            // "hello" fully merged; " world" -> " w" + o r l d bytes.
            QCOMPARE(tok->tokenToString(ids[0]), std::string("hello"));
            QCOMPARE(tok->tokenToString(ids[1]), byteLevel(" w"));
            QCOMPARE(ids.size(), std::size_t(6));
            QCOMPARE(tok->decode(ids), std::string("hello world"));
        }
    }

    void mergePriorityIsByRankThenPosition()
    {
        // "aaa": a+a merges leftmost first -> "aa" "a".
        auto tok = load(byteLevelTokenizer({ { "a", "a" } }, true));
        const Ids ids = tok->encode("aaa", false);
        QCOMPARE(ids.size(), std::size_t(2));
        QCOMPARE(tok->tokenToString(ids[0]), std::string("aa"));
        QCOMPARE(tok->tokenToString(ids[1]), std::string("a"));
    }

    void ignoreMergesEmitsWholeVocabularyWords()
    {
        // "abc" is in the vocabulary, but no merge chain builds it.
        auto j = byteLevelTokenizer({ { "a", "b" } }, true, true);
        j["model"]["vocab"]["abc"] = 700;
        auto tok = load(j);
        QCOMPARE(tok->encode("abc", false), Ids { 700 });
        j["model"]["ignore_merges"] = false;
        auto plain = load(j);
        QCOMPARE(plain->encode("abc", false).size(), std::size_t(2));
    }

    void addedTokensAndSpecialSkipping()
    {
        auto tok = load(byteLevelTokenizer({}, true));
        const Ids ids = tok->encode("a<|end|>b", false);
        QCOMPARE(ids, (Ids { 'a', 1000, 'b' }));
        QVERIFY(tok->isSpecial(1000));
        QCOMPARE(tok->decode(ids), std::string("a<|end|>b"));
        QCOMPARE(tok->decode(ids, true), std::string("ab"));
        QCOMPARE(tok->idForToken("<|end|>"), 1000);
        QCOMPARE(tok->vocabSize(), std::size_t(1001));
    }

    void addedTokenStripAndSingleWord()
    {
        auto j = byteLevelTokenizer({}, true);
        j["added_tokens"] = json::array(
            { { { "id", 1000 }, { "content", "<m>" }, { "lstrip", true }, { "rstrip", true } },
                { { "id", 1001 }, { "content", "cat" }, { "single_word", true } } });
        auto tok = load(j);
        // Whitespace on both sides of <m> is swallowed.
        QCOMPARE(tok->encode("x  <m>  y", false), (Ids { 'x', 1000, 'y' }));
        QCOMPARE(tok->encode("cat", false), Ids { 1001 });
        QVERIFY(!tok->encode("cats", false).empty());
        QCOMPARE(tok->encode("cats", false)[0], int32_t('c'));
    }

    void sentencePieceStyle()
    {
        auto tok = load(spmTokenizer(), json { { "bos_token", "<s>" }, { "eos_token", "</s>" } });
        QCOMPARE(tok->bosId(), 1);
        QCOMPARE(tok->eosId(), 2);
        QVERIFY(tok->addsBos());
        const Ids hello = tok->encode("hello", false);
        QCOMPARE(hello, Ids { tok->idForToken("\xE2\x96\x81hello") });
        QCOMPARE(tok->encode("hello", true), (Ids { 1, hello[0] }));
        // "é" is not in the vocabulary: byte fallback gives its two UTF-8 bytes.
        const Ids e = tok->encode("h\xC3\xA9", false);
        QCOMPARE(e, (Ids { tok->idForToken("\xE2\x96\x81h"), 3 + 0xC3, 3 + 0xA9 }));
        QCOMPARE(tok->decode(e), std::string("h\xC3\xA9"));
        QCOMPARE(tok->decode(tok->encode("hello hello", false)), std::string("hello hello"));
        // A lone continuation byte decodes to U+FFFD.
        QCOMPARE(tok->decode(Ids { 3 + 0xA9 }), std::string("\xEF\xBF\xBD"));
    }

    void fusedUnknowns()
    {
        auto j = spmTokenizer();
        j["model"]["byte_fallback"] = false;
        auto tok = load(j);
        // Two unknown characters in a row fuse into one <unk>.
        QCOMPARE(
            tok->encode("h\xC3\xA9\xC3\xA9", false), (Ids { tok->idForToken("\xE2\x96\x81h"), 0 }));
        j["model"]["fuse_unk"] = false;
        auto unfused = load(j);
        QCOMPARE(unfused->encode("h\xC3\xA9\xC3\xA9", false),
            (Ids { tok->idForToken("\xE2\x96\x81h"), 0, 0 }));
    }

    void subwordPrefixAndSuffix()
    {
        json j;
        j["pre_tokenizer"] = { { "type", "WhitespaceSplit" } };
        j["model"] = { { "type", "BPE" },
            { "vocab",
                { { "[UNK]", 0 }, { "a", 1 }, { "##b", 2 }, { "##c", 3 }, { "ab", 4 },
                    { "abc", 5 } } },
            { "merges", { "a ##b", "ab ##c" } }, { "unk_token", "[UNK]" },
            { "continuing_subword_prefix", "##" } };
        auto tok = load(j);
        QCOMPARE(tok->encode("abc ab c", false), (Ids { 5, 4, 0 }));
        // Without a decoder tokens are joined by spaces, as the tokenizers library does.
        QCOMPARE(tok->decode(Ids { 4, 3 }), std::string("ab ##c"));

        j["model"]["continuing_subword_prefix"] = nullptr;
        j["model"]["end_of_word_suffix"] = "</w>";
        j["model"]["vocab"] = { { "[UNK]", 0 }, { "a", 1 }, { "b</w>", 2 }, { "ab</w>", 3 } };
        j["model"]["merges"] = json::array({ json::array({ "a", "b</w>" }) });
        auto suffixed = load(j);
        QCOMPARE(suffixed->encode("ab ab", false), (Ids { 3, 3 }));
    }

    void roBERTaPostProcessor()
    {
        auto j = byteLevelTokenizer({}, true);
        j["added_tokens"]
            = json::array({ { { "id", 900 }, { "content", "<s>" }, { "special", true } },
                { { "id", 901 }, { "content", "</s>" }, { "special", true } } });
        j["post_processor"] = { { "type", "RobertaProcessing" }, { "sep", { "</s>", 901 } },
            { "cls", { "<s>", 900 } } };
        auto tok
            = load(j, json { { "bos_token", { { "content", "<s>" } } }, { "eos_token", "</s>" } });
        QCOMPARE(tok->encode("a", true), (Ids { 900, 'a', 901 }));
        QVERIFY(tok->addsBos());
        QCOMPARE(tok->eosId(), 901);
    }

    void splitBehaviours()
    {
        auto split = [](const char *behavior, bool invert = false) {
            return preTokenize({ { "type", "Split" }, { "pattern", { { "String", "-" } } },
                                   { "behavior", behavior }, { "invert", invert } },
                "a-b--c");
        };
        using V = std::vector<std::string>;
        QCOMPARE(split("Removed"), (V { "a", "b", "c" }));
        QCOMPARE(split("Isolated"), (V { "a", "-", "b", "-", "-", "c" }));
        QCOMPARE(split("MergedWithPrevious"), (V { "a-", "b-", "-", "c" }));
        QCOMPARE(split("MergedWithNext"), (V { "a", "-b", "-", "-c" }));
        QCOMPARE(split("Contiguous"), (V { "a", "-", "b", "--", "c" }));
        QCOMPARE(split("Removed", true), (V { "-", "-", "-" }));
        QCOMPARE(preTokenize({ { "type", "Split" }, { "pattern", { { "Regex", "\\p{N}+" } } },
                                 { "behavior", "Isolated" } },
                     "ab12c"),
            (V { "ab", "12", "c" }));
        QCOMPARE(preTokenize({ { "type", "Digits" }, { "individual_digits", true } }, "a12"),
            (V { "a", "1", "2" }));
        QCOMPARE(preTokenize({ { "type", "Metaspace" }, { "replacement", "_" },
                                 { "prepend_scheme", "always" }, { "split", true } },
                     "hi you"),
            (V { "_hi", "_you" }));
        QCOMPARE(preTokenize({ { "type", "Metaspace" }, { "replacement", "_" },
                                 { "prepend_scheme", "never" }, { "split", false } },
                     "hi you"),
            (V { "hi_you" }));
        // GPT-2 regex: contractions, words with their leading space, trailing spaces.
        QCOMPARE(preTokenize({ { "type", "ByteLevel" }, { "add_prefix_space", true } }, "it's  ok"),
            (V { byteLevel(" it"), byteLevel("'s"), byteLevel(" "), byteLevel(" ok") }));
    }

    void normalizers()
    {
        auto n = [](const json &j, const std::string &s) {
            return lathe::Normalizer::fromJson(j, "test")->normalize(s);
        };
        QCOMPARE(n({ { "type", "NFC" } }, "e\xCC\x81"), std::string("\xC3\xA9"));
        QCOMPARE(n({ { "type", "NFKC" } }, "\xEF\xAC\x81"), std::string("fi"));
        QCOMPARE(n({ { "type", "NFD" } }, "\xC3\xA9"), std::string("e\xCC\x81"));
        QCOMPARE(n({ { "type", "Lowercase" } }, "AbC\xC3\x89"), std::string("abc\xC3\xA9"));
        QCOMPARE(n({ { "type", "Strip" }, { "left", true }, { "right", false } }, "  a "),
            std::string("a "));
        QCOMPARE(
            n({ { "type", "Replace" }, { "pattern", { { "Regex", " +" } } }, { "content", "_" } },
                "a  b c"),
            std::string("a_b_c"));
        QCOMPARE(n({ { "type", "Prepend" }, { "prepend", "_" } }, ""), std::string());
    }

    void decoders()
    {
        auto d = [](const json &j, std::vector<std::string> tokens) {
            return lathe::Decoder::fromJson(j, "test")->decode(std::move(tokens));
        };
        QCOMPARE(
            d({ { "type", "Metaspace" }, { "replacement", "_" }, { "prepend_scheme", "always" } },
                { "_a", "_b" }),
            std::string("a b"));
        QCOMPARE(
            d({ { "type", "Metaspace" }, { "replacement", "_" }, { "prepend_scheme", "first" } },
                { "__a", "_b" }),
            std::string("a b"));
        QCOMPARE(
            d({ { "type", "Metaspace" }, { "replacement", "_" }, { "prepend_scheme", "never" } },
                { "_a", "_b" }),
            std::string(" a b"));
        QCOMPARE(d({ { "type", "Strip" }, { "content", "x" }, { "start", 2 }, { "stop", 1 } },
                     { "xxxaxx" }),
            std::string("xax"));
        // Byte-level bytes that do not form UTF-8 become U+FFFD.
        QCOMPARE(
            d({ { "type", "ByteLevel" } }, { byteLevel("a\xFF") }), std::string("a\xEF\xBF\xBD"));
    }

    void lossyRepair()
    {
        using lathe::utf8::repairLossy;
        QCOMPARE(repairLossy("a\xE2\x82"), std::string("a\xEF\xBF\xBD"));
        QCOMPARE(repairLossy("\xF0\x9F\x98\x81"), std::string("\xF0\x9F\x98\x81"));
        QCOMPARE(repairLossy("\xC0\xAF"), std::string("\xEF\xBF\xBD\xEF\xBF\xBD"));
    }

    void streamingNeverSplitsCharacters()
    {
        auto tok = load(spmTokenizer());
        const std::string text = "hello \xF0\x9F\x98\x81 h\xC3\xA9llo";
        const Ids ids = tok->encode(text, false);
        lathe::StreamDecoder sd(tok);
        std::string all;
        for (int32_t id : ids) {
            const std::string piece = sd.push(id);
            QVERIFY(lathe::utf8::isValid(piece));
            all += piece;
        }
        all += sd.flush();
        QCOMPARE(all, tok->decode(ids));
        QCOMPARE(all, text);
    }

    void invalidInputIsRepairedNotFatal()
    {
        auto tok = load(byteLevelTokenizer({}, true));
        // A stray byte becomes U+FFFD (three byte tokens), as a Rust string would hold it.
        const Ids ids = tok->encode("a\xFF", false);
        QCOMPARE(ids, (Ids { 'a', 0xEF, 0xBF, 0xBD }));
        // Ids that name no token are skipped.
        QCOMPARE(tok->decode(Ids { 'a', 5000, -3, 'b' }), std::string("ab"));
        QCOMPARE(tok->tokenToString(5000), std::string());

        // Streaming a four-byte emoji sent as single bytes: nothing until it is complete.
        lathe::StreamDecoder sd(tok);
        QCOMPARE(sd.push('x'), std::string("x"));
        QCOMPARE(sd.push(0xF0), std::string());
        QCOMPARE(sd.push(0x9F), std::string());
        QCOMPARE(sd.push(0x98), std::string());
        QCOMPARE(sd.push(0x81), std::string("\xF0\x9F\x98\x81"));
        // An incomplete tail is given out as U+FFFD by flush().
        QCOMPARE(sd.push(0xE2), std::string());
        QCOMPARE(sd.flush(), std::string("\xEF\xBF\xBD"));
    }

    void unsupportedComponentsAreNamed()
    {
        auto j = spmTokenizer();
        j["normalizer"] = { { "type", "Precompiled" } };
        try {
            load(j);
            QFAIL("expected UnsupportedError");
        } catch (const lathe::UnsupportedError &e) {
            QVERIFY(std::string(e.what()).find("Precompiled") != std::string::npos);
        }
        j = spmTokenizer();
        j["model"]["type"] = "WordPiece";
        QVERIFY_THROWS_EXCEPTION(lathe::UnsupportedError, load(j));
        j = spmTokenizer();
        j["decoder"] = { { "type", "CTC" } };
        QVERIFY_THROWS_EXCEPTION(lathe::UnsupportedError, load(j));
        j = spmTokenizer();
        j["model"]["merges"] = { "h zz" };
        QVERIFY_THROWS_EXCEPTION(lathe::FormatError, load(j));
        QVERIFY_THROWS_EXCEPTION(
            lathe::IoError, Tokenizer::fromTokenizerJson("/nonexistent/tokenizer.json"));
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
