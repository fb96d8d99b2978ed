// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/spmmodel.h"

#include "text/utf8.h"
#include "util/error.h"

#include <cstdio>
#include <queue>

namespace lathe {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81"; // U+2581

// Whether a "▁" starts at `pos` and the character before it is not a "▁".
bool wordStartsAt(std::string_view s, std::size_t pos)
{
    return pos >= 1 && s.substr(pos, kSpace.size()) == kSpace
        && !(pos >= kSpace.size() && s.substr(pos - kSpace.size(), kSpace.size()) == kSpace);
}

} // namespace

SpmModel::SpmModel(const SpmVocabulary &vocab, const std::string &context)
    : m_pieces(vocab.pieces)
    , m_scores(vocab.scores)
    , m_unkId(vocab.unkId)
{
    if (m_pieces.empty())
        throw FormatError(context + ": the vocabulary is empty");
    if (m_scores.size() != m_pieces.size() || vocab.types.size() != m_pieces.size())
        throw FormatError(context + ": " + std::to_string(m_pieces.size()) + " pieces but "
            + std::to_string(m_scores.size()) + " scores and "
            + std::to_string(vocab.types.size()) + " types");
    if (m_unkId >= int32_t(m_pieces.size()))
        throw FormatError(context + ": unknown-token id " + std::to_string(m_unkId)
            + " is outside the vocabulary");
    m_byteIds.fill(-1);
    for (std::size_t i = 0; i < m_pieces.size(); ++i) {
        const std::string &p = m_pieces[i];
        const int32_t id = int32_t(i);
        m_all.emplace(p, id);
        const int type = vocab.types[i];
        if (type == SpmVocabulary::Byte) {
            unsigned value = 0;
            if (vocab.byteFallback && p.size() == 6 && std::sscanf(p.c_str(), "<0x%2X>", &value) == 1 && value < 256)
                m_byteIds[value] = id;
            continue;
        }
        if (type == SpmVocabulary::Control || type == SpmVocabulary::Unused
            || type == SpmVocabulary::Unknown)
            continue;
        m_mergeable.emplace(p, id);
    }
    m_wordsAreIndependent = true;
    for (const auto &[p, id] : m_mergeable)
        for (std::size_t pos = p.find(kSpace, 1); pos != std::string::npos && m_wordsAreIndependent;
             pos = p.find(kSpace, pos + 1))
            m_wordsAreIndependent = !wordStartsAt(p, pos);
}

int32_t SpmModel::idForToken(const std::string &token) const
{
    const auto it = m_all.find(token);
    return it == m_all.end() ? -1 : it->second;
}

const std::string *SpmModel::tokenForId(int32_t id) const
{
    if (id < 0 || std::size_t(id) >= m_pieces.size())
        return nullptr;
    return &m_pieces[std::size_t(id)];
}

void SpmModel::emitSymbol(std::string_view text, std::vector<int32_t> &out) const
{
    if (const auto it = m_mergeable.find(text); it != m_mergeable.end()) {
        out.push_back(it->second);
        return;
    }
    // No piece for this character: its UTF-8 bytes as byte pieces, if the model has them all.
    bool allBytes = true;
    for (unsigned char c : text)
        allBytes = allBytes && m_byteIds[c] >= 0;
    if (allBytes) {
        for (unsigned char c : text)
            out.push_back(m_byteIds[c]);
    } else if (m_unkId >= 0) {
        out.push_back(m_unkId);
    }
}

void SpmModel::encode(const std::string &pieceText, std::vector<int32_t> &out) const
{
    const std::string_view text(pieceText);
    if (!m_wordsAreIndependent) {
        encodeSegment(text, out);
        return;
    }
    std::size_t start = 0;
    for (std::size_t pos = text.find(kSpace, 1); pos != std::string_view::npos;
         pos = text.find(kSpace, pos + 1)) {
        if (wordStartsAt(text, pos)) {
            encodeSegment(text.substr(start, pos - start), out);
            start = pos;
        }
    }
    encodeSegment(text.substr(start), out);
}

void SpmModel::encodeSegment(std::string_view piece, std::vector<int32_t> &out) const
{
    // Symbols form a doubly linked list over byte ranges of `piece`; a heap holds candidate
    // merges of neighbours. A merge is stale when either side changed length since it was
    // pushed, which the stored total length detects.
    struct Symbol {
        int prev;
        int next;
        std::size_t start;
        std::size_t len;
    };
    struct Candidate {
        float score;
        int left;
        int right;
        std::size_t len;
        int32_t id;
    };
    struct Worse {
        bool operator()(const Candidate &a, const Candidate &b) const
        {
            return a.score < b.score || (a.score == b.score && a.left > b.left);
        }
    };
    std::vector<Symbol> symbols;
    for (std::size_t pos = 0; pos < piece.size();) {
        const std::size_t n = std::max<std::size_t>(1, utf8::charLength(piece, pos));
        const int index = int(symbols.size());
        symbols.push_back({ index - 1, index + 1, pos, n });
        pos += n;
    }
    if (symbols.empty())
        return;
    symbols.back().next = -1;

    std::priority_queue<Candidate, std::vector<Candidate>, Worse> heap;
    auto tryPair = [&](int left, int right) {
        if (left < 0 || right < 0)
            return;
        const std::size_t len = symbols[left].len + symbols[right].len;
        const auto it = m_mergeable.find(piece.substr(symbols[left].start, len));
        if (it != m_mergeable.end())
            heap.push({ m_scores[std::size_t(it->second)], left, right, len, it->second });
    };
    for (std::size_t i = 1; i < symbols.size(); ++i)
        tryPair(int(i) - 1, int(i));

    while (!heap.empty()) {
        const Candidate c = heap.top();
        heap.pop();
        Symbol &l = symbols[c.left];
        Symbol &r = symbols[c.right];
        if (l.len == 0 || r.len == 0 || l.next != c.right || l.len + r.len != c.len)
            continue;
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0)
            symbols[r.next].prev = c.left;
        tryPair(l.prev, c.left);
        tryPair(c.left, l.next);
    }
    for (int i = 0; i >= 0; i = symbols[i].next)
        emitSymbol(piece.substr(symbols[i].start, symbols[i].len), out);
}

} // namespace lathe
