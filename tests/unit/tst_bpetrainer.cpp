// SPDX-License-Identifier: GPL-3.0-or-later
// The byte-level BPE trainer on a generated demo corpus: the written tokenizer.json loads,
// round-trips every document, keeps special tokens and digits whole, compresses the text and
// is byte-identical when trained again.
#include "corpus/storycorpus.h"
#include "text/bpetrainer.h"
#include "text/chattemplate.h"
#include "text/tokenizer.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <QtTest/QtTest>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using namespace lathe;

namespace {

std::string readAll(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

BpeTrainOptions demoOptions(int vocab)
{
    BpeTrainOptions o;
    o.vocabSize = vocab;
    o.specialTokens = demoSpecialTokens();
    o.bosToken = "<s>";
    o.eosToken = "</s>";
    o.addBosToken = true;
    o.chatTemplate = demoChatTemplate();
    return o;
}

// The plain textbook algorithm: recount every pair after every merge. Slow, but obviously
// right; the trainer's incremental counts must give the same merges.
std::vector<std::string> naiveMerges(const std::vector<std::string> &pieces, int count)
{
    std::map<std::vector<std::string>, int64_t> words;
    for (const auto &p : pieces) {
        std::vector<std::string> symbols;
        for (std::size_t i = 0; i < p.size();) {
            std::size_t len = 1;
            while (i + len < p.size() && (static_cast<unsigned char>(p[i + len]) & 0xC0) == 0x80)
                ++len;
            symbols.push_back(p.substr(i, len));
            i += len;
        }
        ++words[symbols];
    }
    std::vector<std::string> merges;
    while (int(merges.size()) < count) {
        std::map<std::pair<std::string, std::string>, int64_t> pairs;
        for (const auto &[w, n] : words)
            for (std::size_t i = 0; i + 1 < w.size(); ++i)
                pairs[{ w[i], w[i + 1] }] += n;
        const std::pair<std::string, std::string> *best = nullptr;
        int64_t bestCount = 0;
        for (const auto &[pair, n] : pairs) // sorted: the first of equal counts wins
            if (n > bestCount) {
                best = &pair;
                bestCount = n;
            }
        if (!best || bestCount < 2)
            break;
        const auto [a, b] = *best;
        merges.push_back(a + " " + b);
        std::map<std::vector<std::string>, int64_t> next;
        for (const auto &[w, n] : words) {
            std::vector<std::string> m;
            for (std::size_t i = 0; i < w.size(); ++i) {
                if (i + 1 < w.size() && w[i] == a && w[i + 1] == b) {
                    m.push_back(a + b);
                    ++i;
                } else {
                    m.push_back(w[i]);
                }
            }
            next[m] += n;
        }
        words = std::move(next);
    }
    return merges;
}

} // namespace

class TestBpeTrainer : public QObject {
    Q_OBJECT

private:
    std::vector<std::string> m_docs;
    QTemporaryDir m_tmp;
    std::string m_dir;
    std::shared_ptr<Tokenizer> m_tok;

private Q_SLOTS:
    void initTestCase()
    {
        StoryCorpusOptions c;
        c.seed = 42;
        c.targetChars = 300'000;
        m_docs = generateStoryCorpus(c);
        QVERIFY(m_tmp.isValid());
        m_dir = m_tmp.filePath("tok").toStdString();
        double last = -1;
        bool monotonic = true;
        const auto t0 = std::chrono::steady_clock::now();
        trainByteLevelBpe(m_docs, demoOptions(600), m_dir, [&](double f, const std::string &) {
            monotonic = monotonic && f >= last && f <= 1.0;
            last = f;
        });
        const double s
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        qInfo("trained 600 tokens on 300 KB in %.2f s", s);
        QVERIFY(monotonic);
        QCOMPARE(last, 1.0);
        m_tok = Tokenizer::fromTokenizerJson(m_dir);
    }

    void vocabulary()
    {
        QCOMPARE(m_tok->vocabSize(), std::size_t(600));
        const auto &specials = demoSpecialTokens();
        for (std::size_t i = 0; i < specials.size(); ++i) {
            QCOMPARE(m_tok->idForToken(specials[i]), int32_t(i));
            QVERIFY(m_tok->isSpecial(int32_t(i)));
            QCOMPARE(m_tok->encode(specials[i], false), std::vector<int32_t> { int32_t(i) });
        }
        QCOMPARE(m_tok->bosId(), 0);
        QCOMPARE(m_tok->eosId(), 1);
        // The bytes follow the specials in GPT-2's order: "!" first, "Ġ" (space) later.
        QCOMPARE(m_tok->tokenToString(6), std::string("!"));
        QCOMPARE(m_tok->idForToken("\xC4\xA0"), int32_t(6 + 188 + 32));
        QVERIFY(m_tok->idForToken("\xC4\xA0the") > 6 + 255); // a learned merge
    }

    void roundTrip()
    {
        std::size_t bytes = 0, tokens = 0;
        for (const auto &doc : m_docs) {
            const auto ids = m_tok->encode(doc, false);
            QCOMPARE(m_tok->decode(ids), doc);
            bytes += doc.size();
            tokens += ids.size();
        }
        const double ratio = double(bytes) / double(tokens);
        qInfo("%zu bytes -> %zu tokens: %.2f bytes per token", bytes, tokens, ratio);
        QVERIFY(ratio > 2.0);
        const std::string odd = "Ünïcödé ✓ and tabs\tand\r\nnewlines 😀 <|end|><s>";
        QCOMPARE(m_tok->decode(m_tok->encode(odd, false)), odd);
    }

    void specialsAndDigits()
    {
        const auto ids = m_tok->encode("12 + 35 = 47<|end|>\n", false);
        int digits = 0;
        for (int32_t id : ids) {
            const std::string s = m_tok->tokenToString(id);
            if (s.find_first_of("0123456789") != std::string::npos) {
                QCOMPARE(int(s.size()), 1);
                ++digits;
            }
        }
        QCOMPARE(digits, 6);
        QCOMPARE(ids[ids.size() - 2], m_tok->idForToken("<|end|>"));
        const auto withBos = m_tok->encode("Once upon a time", true);
        QCOMPARE(withBos.front(), 0);
        QCOMPARE(withBos.size(), m_tok->encode("Once upon a time", false).size() + 1);
        QVERIFY(m_tok->addsBos());
    }

    void config()
    {
        const auto c = nlohmann::ordered_json::parse(readAll(m_dir + "/tokenizer_config.json"));
        QCOMPARE(c.at("bos_token").get<std::string>(), std::string("<s>"));
        QCOMPARE(c.at("eos_token").get<std::string>(), std::string("</s>"));
        QCOMPARE(c.at("add_bos_token").get<bool>(), true);
        QCOMPARE(c.at("add_eos_token").get<bool>(), false);
        QCOMPARE(
            c.at("tokenizer_class").get<std::string>(), std::string("PreTrainedTokenizerFast"));
        QCOMPARE(loadChatTemplate(m_dir + "/tokenizer_config.json"), demoChatTemplate());
        const auto j = nlohmann::ordered_json::parse(readAll(m_dir + "/tokenizer.json"));
        QCOMPARE(j.at("version").get<std::string>(), std::string("1.0"));
        QCOMPARE(j.at("model").at("merges").size(), std::size_t(600 - 6 - 256));
        QVERIFY(j.at("model").at("merges").at(0).is_string());
        QCOMPARE(j.at("model").at("byte_fallback").get<bool>(), false);
        QVERIFY(j.at("normalizer").is_null());
        QCOMPARE(j.at("added_tokens").size(), std::size_t(6));
    }

    void sameAsNaiveTraining()
    {
        // Pre-tokenize with the trained tokenizer's own pieces: the byte-level strings of the
        // GPT-2 split, taken from a tokenizer without merges (vocabulary of specials + 256).
        std::vector<std::string> docs(m_docs.begin(), m_docs.begin() + 60);
        const std::string bytesOnly = m_tmp.filePath("bytes").toStdString();
        trainByteLevelBpe(docs, demoOptions(6 + 256), bytesOnly);
        const auto bytesTok = Tokenizer::fromTokenizerJson(bytesOnly);
        std::vector<std::string> pieces;
        static const std::regex split(
            "'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+|[0-9]| ?[^\\sA-Za-z0-9]+|"
            "\\s+(?!\\S)|\\s+");
        for (const auto &doc : docs) {
            // The corpus is ASCII apart from the chat markers, which are split out first.
            std::string text = doc;
            for (const auto &special : demoSpecialTokens())
                for (std::size_t p; (p = text.find(special)) != std::string::npos;)
                    text.replace(p, special.size(), "\x01");
            std::size_t start = 0;
            while (start <= text.size()) {
                const std::size_t end = std::min(text.find('\x01', start), text.size());
                const std::string part = text.substr(start, end - start);
                for (auto it = std::sregex_iterator(part.begin(), part.end(), split);
                     it != std::sregex_iterator(); ++it) {
                    std::string mapped;
                    for (int32_t id : bytesTok->encode(it->str(), false))
                        mapped += bytesTok->tokenToString(id);
                    pieces.push_back(mapped);
                }
                start = end + 1;
            }
        }
        const std::string dir = m_tmp.filePath("small400").toStdString();
        trainByteLevelBpe(docs, demoOptions(400), dir);
        const auto j = nlohmann::ordered_json::parse(readAll(dir + "/tokenizer.json"));
        const auto merges = j.at("model").at("merges").get<std::vector<std::string>>();
        const auto expected = naiveMerges(pieces, 400 - 6 - 256);
        QCOMPARE(merges.size(), expected.size());
        for (std::size_t i = 0; i < merges.size(); ++i)
            QCOMPARE(merges[i], expected[i]);
    }

    void deterministic()
    {
        const std::string again = m_tmp.filePath("again").toStdString();
        trainByteLevelBpe(m_docs, demoOptions(600), again);
        QVERIFY(readAll(again + "/tokenizer.json") == readAll(m_dir + "/tokenizer.json"));
        QVERIFY(
            readAll(again + "/tokenizer_config.json") == readAll(m_dir + "/tokenizer_config.json"));
    }

    void tooSmall()
    {
        const std::string dir = m_tmp.filePath("small").toStdString();
        bool threw = false;
        try {
            trainByteLevelBpe(m_docs, demoOptions(6 + 255), dir);
        } catch (const InvalidArgument &) {
            threw = true;
        }
        QVERIFY(threw);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(dir)));
        // Exactly specials + 256 is allowed: no merges.
        trainByteLevelBpe(m_docs, demoOptions(6 + 256), dir);
        QCOMPARE(Tokenizer::fromTokenizerJson(dir)->vocabSize(), std::size_t(262));
    }

    void cancelled()
    {
        const std::string dir = m_tmp.filePath("cancelled").toStdString();
        CancelToken cancel;
        cancel.cancel();
        bool threw = false;
        try {
            trainByteLevelBpe(m_docs, demoOptions(600), dir, {}, cancel);
        } catch (const CancelledError &) {
            threw = true;
        }
        QVERIFY(threw);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(dir + "/tokenizer.json")));
    }
};

QTEST_GUILESS_MAIN(TestBpeTrainer)
#include "tst_bpetrainer.moc"
