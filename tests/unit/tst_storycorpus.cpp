// SPDX-License-Identifier: GPL-3.0-or-later
// The demo corpus generator: deterministic from its seed, the asked size, correct sums,
// balanced quotes and chat documents in the demo chat template.
#include "corpus/storycorpus.h"
#include "text/chattemplate.h"

#include <QtTest/QtTest>

#include <chrono>
#include <regex>
#include <set>

using namespace lathe;

namespace {

std::vector<std::string> corpus(std::uint64_t seed, std::size_t chars)
{
    StoryCorpusOptions o;
    o.seed = seed;
    o.targetChars = chars;
    return generateStoryCorpus(o);
}

std::size_t totalSize(const std::vector<std::string> &docs)
{
    std::size_t n = 0;
    for (const auto &d : docs)
        n += d.size();
    return n;
}

bool isChat(const std::string &doc)
{
    return doc.find("<|user|>") != std::string::npos;
}

// Checks every "A + B = C" / "A - B = C" in the text; returns how many were found.
int checkSums(const std::string &text)
{
    static const std::regex re("(\\d+) ([+-]) (\\d+) = (\\d+)");
    int n = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it) {
        const int a = std::stoi((*it)[1]);
        const int b = std::stoi((*it)[3]);
        const int c = std::stoi((*it)[4]);
        const bool plus = (*it)[2] == "+";
        if (a > 99 || b > 99 || (plus ? a + b : a - b) != c || c < 0)
            throw std::runtime_error("wrong arithmetic: " + it->str());
        ++n;
    }
    return n;
}

} // namespace

class TestStoryCorpus : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void deterministic()
    {
        const auto a = corpus(7, 300'000);
        const auto b = corpus(7, 300'000);
        const auto c = corpus(8, 300'000);
        QVERIFY(a == b);
        QVERIFY(a != c);
        QVERIFY(a.front() != c.front());
    }

    void sizeAndSpeed()
    {
        const auto t0 = std::chrono::steady_clock::now();
        const auto docs = corpus(1, 4'000'000);
        const double s
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const std::size_t n = totalSize(docs);
        qInfo("generated %zu documents, %zu chars in %.3f s (%.1f M chars/s)", docs.size(), n, s,
            double(n) / s / 1e6);
        QVERIFY(n >= 4'000'000);
        QVERIFY(n < 4'000'000 + 10'000); // stops right after the target
        std::set<std::string> distinct(docs.begin(), docs.end());
        QVERIFY2(distinct.size() > docs.size() * 9 / 10, "too many repeated documents");
    }

    void sharesAndContent()
    {
        const auto docs = corpus(3, 1'000'000);
        int arithmetic = 0, chats = 0, stories = 0, sums = 0;
        for (const auto &d : docs) {
            QVERIFY(!d.empty());
            QVERIFY2(d.find('{') == std::string::npos && d.find('}') == std::string::npos,
                d.c_str()); // no unexpanded placeholder
            sums += checkSums(d);
            if (std::isdigit(static_cast<unsigned char>(d[0])) && !isChat(d)) {
                ++arithmetic;
                // Only equation lines.
                static const std::regex line("\\d+ [+-] \\d+ = \\d+");
                std::size_t start = 0;
                while (start <= d.size()) {
                    const std::size_t end = std::min(d.find('\n', start), d.size());
                    QVERIFY(std::regex_match(d.substr(start, end - start), line));
                    start = end + 1;
                }
            } else if (isChat(d)) {
                ++chats;
                QVERIFY(d.find("<|assistant|>\n") != std::string::npos);
                QVERIFY(d.size() > 6 && d.compare(d.size() - 8, 8, "<|end|>\n") == 0);
                QVERIFY(d.find("<s>") == std::string::npos); // empty bos_token
            } else {
                ++stories;
                QVERIFY(std::isupper(static_cast<unsigned char>(d[0])));
                QVERIFY(d.back() == '.' || d.back() == '!' || d.back() == '"');
            }
            // Quoted speech is balanced within every paragraph.
            std::size_t start = 0;
            while (start < d.size()) {
                std::size_t end = d.find("\n\n", start);
                if (end == std::string::npos)
                    end = d.size();
                const auto quotes = std::count(d.begin() + long(start), d.begin() + long(end), '"');
                QVERIFY2(quotes % 2 == 0, d.substr(start, end - start).c_str());
                start = end + 2;
            }
        }
        const double n = double(docs.size());
        qInfo("%d stories, %d chats, %d arithmetic documents, %d sums checked", stories, chats,
            arithmetic, sums);
        QVERIFY(arithmetic > 0.03 * n && arithmetic < 0.09 * n);
        QVERIFY(chats > 0.08 * n && chats < 0.16 * n);
        QVERIFY(sums > 500);
    }

    void speechPunctuation()
    {
        const auto docs = corpus(5, 200'000);
        static const std::regex bad("[a-z]\" [A-Z]|[.!?,]\"[A-Za-z]|\" ,");
        for (const auto &d : docs)
            QVERIFY2(!std::regex_search(d, bad), d.c_str());
    }

    void chatTemplate()
    {
        ChatTemplateInputs in;
        in.messages
            = nlohmann::ordered_json::array({ { { "role", "user" }, { "content", "Hi" } } });
        in.addGenerationPrompt = true;
        in.bosToken = "<s>";
        QCOMPARE(renderChatTemplate(demoChatTemplate(), in),
            std::string("<s><|user|>\nHi<|end|>\n<|assistant|>\n"));
        const std::vector<std::string> expected
            = { "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>" };
        QVERIFY(demoSpecialTokens() == expected);
    }

    void probes()
    {
        const auto p = arithmeticProbes(11, 200);
        QCOMPARE(int(p.size()), 200);
        QVERIFY(arithmeticProbes(11, 200)[17].prompt == p[17].prompt);
        std::set<std::string> prompts;
        for (const auto &probe : p) {
            const std::string line = probe.prompt + probe.answer;
            QCOMPARE(checkSums(line), 1);
            QVERIFY(probe.answer.size() >= 2 && probe.answer[0] == ' ');
            prompts.insert(probe.prompt);
        }
        QCOMPARE(int(prompts.size()), 200);
        // Held out: none of the probe sums appears in the training text.
        std::string all;
        for (const auto &d : corpus(11, 1'000'000))
            all += d + "\n";
        for (const auto &probe : p) {
            const std::string needle = probe.prompt + probe.answer;
            QVERIFY2(all.find("\n" + needle) == std::string::npos
                    && all.find(needle + ".") == std::string::npos,
                needle.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestStoryCorpus)
#include "tst_storycorpus.moc"
