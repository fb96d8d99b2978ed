// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/bpetrainermerges.h"

#include "text/utf8.h"

#include <algorithm>
#include <queue>
#include <unordered_map>

namespace lathe {

namespace {

using PairKey = uint64_t;

PairKey pairKey(int32_t a, int32_t b)
{
    return (uint64_t(uint32_t(a)) << 32) | uint32_t(b);
}
int32_t leftOf(PairKey k)
{
    return int32_t(k >> 32);
}
int32_t rightOf(PairKey k)
{
    return int32_t(k & 0xffffffffu);
}

struct Candidate {
    int64_t count;
    PairKey pair;
};

class Merger {
public:
    Merger(std::vector<BpeWord> words, const std::unordered_set<std::string> &forbidden)
        : m_words(std::move(words))
        , m_forbidden(forbidden)
        , m_queue(Order { &m_strings })
    {
        for (int b = 0; b < 256; ++b)
            m_strings.push_back(byteSymbol(b));
        for (std::size_t w = 0; w < m_words.size(); ++w) {
            const auto &s = m_words[w].symbols;
            for (std::size_t i = 0; i + 1 < s.size(); ++i) {
                const PairKey k = pairKey(s[i], s[i + 1]);
                m_counts[k] += m_words[w].count;
                auto &where = m_where[k];
                if (where.empty() || where.back() != w)
                    where.push_back(uint32_t(w));
            }
        }
        // Push in a fixed order so that the heap's layout does not depend on hash order.
        std::vector<PairKey> keys;
        keys.reserve(m_counts.size());
        for (const auto &kv : m_counts)
            keys.push_back(kv.first);
        std::sort(keys.begin(), keys.end());
        for (PairKey k : keys)
            m_queue.push({ m_counts[k], k });
    }

    BpeMergeResult run(
        int newTokens, int64_t minFrequency, const ProgressFn &progress, const CancelToken &cancel)
    {
        BpeMergeResult result;
        std::unordered_map<std::string, int32_t> idOf;
        for (int32_t i = 0; i < int32_t(m_strings.size()); ++i)
            idOf.emplace(m_strings[std::size_t(i)], i);
        int made = 0;
        while (made < newTokens && !m_queue.empty()) {
            const Candidate top = m_queue.top();
            m_queue.pop();
            const auto it = m_counts.find(top.pair);
            const int64_t current = it == m_counts.end() ? 0 : it->second;
            if (current != top.count) {
                // Counts of old pairs only fall; re-queue with the true count.
                if (current > 0)
                    m_queue.push({ current, top.pair });
                continue;
            }
            if (current < minFrequency)
                break;
            const int32_t a = leftOf(top.pair);
            const int32_t b = rightOf(top.pair);
            std::string joined = m_strings[std::size_t(a)] + m_strings[std::size_t(b)];
            if (m_forbidden.count(joined))
                continue; // dropped from the queue for good; its count stays consistent
            if (made % 16 == 0) {
                cancel.throwIfCancelled();
                reportProgress(progress, double(made) / double(newTokens),
                    "merge " + std::to_string(made) + "/" + std::to_string(newTokens));
            }
            int32_t id;
            if (const auto found = idOf.find(joined); found != idOf.end()) {
                id = found->second; // the same string from another pair: one token, two merges
            } else {
                id = int32_t(m_strings.size());
                m_strings.push_back(joined);
                idOf.emplace(joined, id);
                result.tokens.push_back(joined);
                ++made;
            }
            result.merges.emplace_back(m_strings[std::size_t(a)], m_strings[std::size_t(b)]);
            apply(top.pair, id);
        }
        reportProgress(progress, 1.0, "merges done");
        return result;
    }

private:
    // Tie-break on the strings of the pair: smaller (left, right) wins.
    struct Order {
        const std::vector<std::string> *strings;
        bool operator()(const Candidate &x, const Candidate &y) const
        {
            if (x.count != y.count)
                return x.count < y.count;
            const auto &s = *strings;
            const int c = s[std::size_t(leftOf(x.pair))].compare(s[std::size_t(leftOf(y.pair))]);
            if (c != 0)
                return c > 0;
            return s[std::size_t(rightOf(x.pair))] > s[std::size_t(rightOf(y.pair))];
        }
    };

    // Replaces the pair by `id` in every word that holds it, moving the pair counts.
    void apply(PairKey pair, int32_t id)
    {
        const int32_t a = leftOf(pair);
        const int32_t b = rightOf(pair);
        std::vector<uint32_t> where = std::move(m_where[pair]);
        m_where.erase(pair);
        std::vector<PairKey> grown;
        std::vector<int32_t> merged;
        for (uint32_t w : where) {
            BpeWord &word = m_words[w];
            auto &s = word.symbols;
            merged.clear();
            for (std::size_t i = 0; i < s.size(); ++i) {
                if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
                    merged.push_back(id);
                    ++i;
                } else {
                    merged.push_back(s[i]);
                }
            }
            if (merged.size() == s.size())
                continue; // stale entry: an earlier merge already changed this word
            for (std::size_t i = 0; i + 1 < s.size(); ++i)
                decrement(pairKey(s[i], s[i + 1]), word.count);
            for (std::size_t i = 0; i + 1 < merged.size(); ++i) {
                const PairKey k = pairKey(merged[i], merged[i + 1]);
                m_counts[k] += word.count;
                if (merged[i] == id || merged[i + 1] == id) {
                    auto &list = m_where[k];
                    if (list.empty() || list.back() != w)
                        list.push_back(w);
                    grown.push_back(k);
                }
            }
            s.swap(merged);
        }
        std::sort(grown.begin(), grown.end());
        grown.erase(std::unique(grown.begin(), grown.end()), grown.end());
        for (PairKey k : grown)
            m_queue.push({ m_counts[k], k });
        m_counts.erase(pair);
    }

    void decrement(PairKey k, int64_t by)
    {
        const auto it = m_counts.find(k);
        if (it == m_counts.end())
            return;
        it->second -= by;
        if (it->second <= 0)
            m_counts.erase(it);
    }

    std::vector<BpeWord> m_words;
    const std::unordered_set<std::string> &m_forbidden;
    std::vector<std::string> m_strings;
    std::unordered_map<PairKey, int64_t> m_counts;
    std::unordered_map<PairKey, std::vector<uint32_t>> m_where;
    std::priority_queue<Candidate, std::vector<Candidate>, Order> m_queue;
};

} // namespace

const std::string &byteSymbol(int byte)
{
    return utf8::byteToUnicode(static_cast<unsigned char>(byte));
}

BpeMergeResult learnBpeMerges(std::vector<BpeWord> words, int newTokens, int64_t minFrequency,
    const std::unordered_set<std::string> &forbidden, const ProgressFn &progress,
    const CancelToken &cancel)
{
    Merger merger(std::move(words), forbidden);
    return merger.run(newTokens, minFrequency, progress, cancel);
}

} // namespace lathe
