// SPDX-License-Identifier: GPL-3.0-or-later
#include "corpus/storycorpus.h"

#include "corpus/arithmeticlines.h"
#include "corpus/chatwriter.h"
#include "corpus/corpusrng.h"
#include "corpus/storywriter.h"

#include <set>
#include <utility>

namespace lathe {

namespace {

// Stream ids: the corpus and the probes draw from independent sequences of the same seed.
constexpr std::uint64_t kCorpusStream = 1;
constexpr std::uint64_t kProbeStream = 0x5EED0A817ull;

int operand(corpus::CorpusRng &rng)
{
    return rng.chance(0.3) ? rng.range(0, 9) : rng.range(10, 99);
}

std::string arithmeticDocument(corpus::CorpusRng &rng)
{
    std::string doc;
    const int lines = rng.range(6, 16);
    for (int i = 0; i < lines; ++i) {
        const auto [a, b, minus] = corpus::trainingArithmetic(rng);
        if (!doc.empty())
            doc += '\n';
        doc += corpus::arithmeticLine(a, b, minus);
    }
    return doc;
}

} // namespace

namespace corpus {

// About one in ten additions is kept out of the corpus, so the probes measure sums the model
// has never seen. Decided by a hash of the operands, independent of any seed.
bool isHeldOutSum(int a, int b)
{
    std::uint64_t h = static_cast<std::uint64_t>(a) * 1000003u + static_cast<std::uint64_t>(b);
    h = (h ^ (h >> 31)) * 0x9E3779B97F4A7C15ull;
    return ((h >> 40) % 10) == 3;
}

std::tuple<int, int, bool> trainingArithmetic(CorpusRng &rng)
{
    for (;;) {
        int a = operand(rng);
        int b = operand(rng);
        const bool minus = rng.chance(0.4);
        if (minus) {
            if (a < b)
                std::swap(a, b);
            return { a, b, true };
        }
        if (!isHeldOutSum(a, b))
            return { a, b, false };
    }
}

std::string arithmeticLine(int a, int b, bool minus)
{
    return std::to_string(a) + (minus ? " - " : " + ") + std::to_string(b) + " = "
        + std::to_string(minus ? a - b : a + b);
}

} // namespace corpus

std::vector<std::string> generateStoryCorpus(const StoryCorpusOptions &options)
{
    corpus::CorpusRng rng(options.seed, kCorpusStream);
    corpus::ChatWriter chat(rng);
    std::vector<std::string> docs;
    std::size_t total = 0;
    while (total < options.targetChars) {
        const double r = rng.unit();
        std::string doc;
        if (r < options.arithmeticShare) {
            doc = arithmeticDocument(rng);
        } else if (r < options.arithmeticShare + options.chatShare) {
            doc = chat.write();
        } else {
            corpus::StoryWriter writer(rng, corpus::pickCast(rng));
            doc = writer.write();
        }
        total += doc.size();
        docs.push_back(std::move(doc));
    }
    return docs;
}

const std::vector<std::string> &demoSpecialTokens()
{
    static const std::vector<std::string> tokens
        = { "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>" };
    return tokens;
}

const std::string &demoChatTemplate()
{
    static const std::string text = "{{ bos_token }}{% for message in messages %}"
                                    "{{ '<|' + message['role'] + '|>\\n' + message['content'] "
                                    "+ '<|end|>\\n' }}{% endfor %}"
                                    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}"
                                    "{% endif %}";
    return text;
}

std::vector<ArithmeticProbe> arithmeticProbes(std::uint64_t seed, int count)
{
    corpus::CorpusRng rng(seed, kProbeStream);
    std::vector<ArithmeticProbe> probes;
    std::set<std::pair<int, int>> seen;
    // Distinct sums while there are enough held-out pairs (about a thousand), then repeats.
    const bool distinct = count <= 500;
    while (static_cast<int>(probes.size()) < count) {
        const int a = operand(rng);
        const int b = operand(rng);
        if (!corpus::isHeldOutSum(a, b))
            continue;
        if (distinct && !seen.insert({ a, b }).second)
            continue;
        probes.push_back(
            { std::to_string(a) + " + " + std::to_string(b) + " =", " " + std::to_string(a + b) });
    }
    return probes;
}

} // namespace lathe
