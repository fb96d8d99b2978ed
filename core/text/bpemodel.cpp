// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/bpemodel.h"

#include "text/utf8.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <queue>

namespace lathe {

namespace {

// Pre-tokens longer than this are not cached (SentencePiece-style models without a
// pre-tokenizer see whole lines); more entries than this and the cache starts over.
constexpr std::size_t kMaxCachedPieceBytes = 128;
constexpr std::size_t kMaxCacheEntries = 1u << 18;

std::string optionalString(const nlohmann::json &j, const char *key)
{
    if (!j.contains(key) || j.at(key).is_null())
        return {};
    return j.at(key).get<std::string>();
}

} // namespace

std::unique_ptr<BpeModel> BpeModel::fromJson(const nlohmann::json &j, const std::string &context)
{
    const std::string type = j.value("type", std::string("BPE"));
    if (type != "BPE")
        throw UnsupportedError(
            context + ": tokenizer model type '" + type + "' is not supported (only BPE)");
    if (j.contains("dropout") && !j.at("dropout").is_null() && j.at("dropout").get<double>() > 0)
        throw UnsupportedError(context + ": BPE dropout is not supported");
    auto m = std::unique_ptr<BpeModel>(new BpeModel);
    if (!j.contains("vocab") || !j.at("vocab").is_object())
        throw FormatError(context + ": BPE model has no \"vocab\" object");
    int32_t maxId = -1;
    for (const auto &[tok, idj] : j.at("vocab").items()) {
        const int32_t id = idj.get<int32_t>();
        if (id < 0)
            throw FormatError(context + ": token '" + tok + "' has a negative id");
        m->m_vocab.emplace(tok, id);
        maxId = std::max(maxId, id);
    }
    m->m_idToToken.resize(std::size_t(maxId + 1));
    m->m_hasToken.assign(std::size_t(maxId + 1), false);
    for (const auto &[tok, id] : m->m_vocab) {
        m->m_idToToken[std::size_t(id)] = tok;
        m->m_hasToken[std::size_t(id)] = true;
    }
    m->m_prefix = optionalString(j, "continuing_subword_prefix");
    m->m_suffix = optionalString(j, "end_of_word_suffix");
    m->m_fuseUnk = j.value("fuse_unk", false);
    m->m_byteFallback = j.value("byte_fallback", false);
    m->m_ignoreMerges = j.value("ignore_merges", false);
    const std::string unk = optionalString(j, "unk_token");
    if (!unk.empty()) {
        m->m_unkId = m->idForToken(unk);
        if (m->m_unkId < 0)
            throw FormatError(context + ": unk_token '" + unk + "' is not in the vocabulary");
    }
    // Single ASCII characters are looked up once here instead of hashed per occurrence.
    for (int c = 0; c < 128; ++c) {
        const bool usable = m->m_prefix.empty() && m->m_suffix.empty();
        const int32_t id = m->idForToken(std::string(1, char(c)));
        m->m_asciiIds[std::size_t(c)] = (usable && id >= 0) ? id : kNotCached;
    }
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        m->m_byteIds[std::size_t(b)] = m->idForToken(name);
    }

    const auto &merges = j.contains("merges") ? j.at("merges") : nlohmann::json::array();
    int32_t rank = 0;
    for (const auto &mj : merges) {
        std::string a, b;
        if (mj.is_string()) {
            const std::string s = mj.get<std::string>();
            const auto sp = s.find(' ');
            if (sp == std::string::npos)
                throw FormatError(context + ": merge '" + s + "' is not two tokens");
            a = s.substr(0, sp);
            b = s.substr(sp + 1);
        } else if (mj.is_array() && mj.size() == 2) {
            a = mj[0].get<std::string>();
            b = mj[1].get<std::string>();
        } else {
            throw FormatError(context + ": merge #" + std::to_string(rank)
                + " is neither \"a b\" nor [\"a\", \"b\"]");
        }
        const int32_t ia = m->idForToken(a), ib = m->idForToken(b);
        if (ia < 0 || ib < 0)
            throw FormatError(context + ": merge '" + a + " " + b
                + "' uses a token that is not in the vocabulary");
        std::string merged = a;
        if (!m->m_prefix.empty() && b.compare(0, m->m_prefix.size(), m->m_prefix) == 0)
            merged += b.substr(m->m_prefix.size());
        else
            merged += b;
        const int32_t im = m->idForToken(merged);
        if (im < 0)
            throw FormatError(
                context + ": the result of merge '" + a + " " + b + "' is not in the vocabulary");
        m->m_merges[(uint64_t(uint32_t(ia)) << 32) | uint32_t(ib)] = { rank, im };
        ++rank;
    }
    return m;
}

int32_t BpeModel::idForToken(const std::string &token) const
{
    const auto it = m_vocab.find(token);
    return it == m_vocab.end() ? -1 : it->second;
}

const std::string *BpeModel::tokenForId(int32_t id) const
{
    if (id < 0 || std::size_t(id) >= m_idToToken.size() || !m_hasToken[std::size_t(id)])
        return nullptr;
    return &m_idToToken[std::size_t(id)];
}

void BpeModel::encode(const std::string &piece, std::vector<int32_t> &out) const
{
    if (piece.empty())
        return;
    if (m_ignoreMerges) {
        // Llama 3: a pre-token that is itself a token is emitted whole, whatever the merges say.
        const int32_t id = idForToken(piece);
        if (id >= 0) {
            out.push_back(id);
            return;
        }
    }
    const bool cacheable = piece.size() <= kMaxCachedPieceBytes;
    if (cacheable) {
        std::lock_guard<std::mutex> lock(m_cacheMutex);
        const auto it = m_cache.find(piece);
        if (it != m_cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    const std::size_t start = out.size();
    encodeUncached(piece, out);
    if (cacheable) {
        std::lock_guard<std::mutex> lock(m_cacheMutex);
        if (m_cache.size() >= kMaxCacheEntries)
            m_cache.clear();
        m_cache.emplace(
            piece, std::vector<int32_t>(out.begin() + std::ptrdiff_t(start), out.end()));
    }
}

bool BpeModel::hasByteTokens(const std::string &piece, std::size_t pos, std::size_t n) const
{
    // A character falls back to bytes only when every one of its bytes has a token;
    // otherwise it becomes unk (vocabularies may hold only some <0xAB> tokens, or none).
    for (std::size_t k = 0; k < n; ++k)
        if (m_byteIds[static_cast<unsigned char>(piece[pos + k])] < 0)
            return false;
    return true;
}

void BpeModel::encodeUncached(const std::string &piece, std::vector<int32_t> &out) const
{
    // Symbols of the word as a doubly linked list over a vector; merged-away ones get id -1.
    struct Symbol {
        int32_t id;
        int32_t prev;
        int32_t next;
    };
    std::vector<Symbol> syms;
    syms.reserve(piece.size());
    bool lastWasUnk = false;
    auto push = [&](int32_t id) {
        const auto n = int32_t(syms.size());
        syms.push_back({ id, n - 1, n + 1 });
    };
    std::string buf;
    for (std::size_t i = 0; i < piece.size();) {
        const std::size_t n = utf8::charLength(piece, i);
        const bool last = i + n == piece.size();
        buf.clear();
        if (i > 0)
            buf += m_prefix;
        buf.append(piece, i, n);
        if (last)
            buf += m_suffix;
        const auto c0 = static_cast<unsigned char>(piece[i]);
        const int32_t id = (n == 1 && c0 < 0x80 && m_asciiIds[c0] != kNotCached) ? m_asciiIds[c0]
                                                                                 : idForToken(buf);
        if (id >= 0) {
            push(id);
            lastWasUnk = false;
        } else if (m_byteFallback && hasByteTokens(piece, i, n)) {
            for (std::size_t k = 0; k < n; ++k)
                push(m_byteIds[static_cast<unsigned char>(piece[i + k])]);
            lastWasUnk = false;
        } else if (m_unkId >= 0) {
            if (!(m_fuseUnk && lastWasUnk))
                push(m_unkId);
            lastWasUnk = true;
        }
        // Without unk_token an unknown character is dropped, as the tokenizers library does.
        i += n;
    }
    if (syms.empty())
        return;
    syms.back().next = -1;

    // Queue entries are (rank << 32 | position): small and cheap to compare, which matters for
    // SentencePiece-style models that run BPE over whole lines. Ranks are unique per pair, so an
    // entry is current exactly when the pair now at its position still has its rank.
    auto lookup = [&](int32_t pos) -> const std::pair<int32_t, int32_t> * {
        const int32_t nxt = syms[std::size_t(pos)].next;
        if (nxt < 0)
            return nullptr;
        const uint64_t key = (uint64_t(uint32_t(syms[std::size_t(pos)].id)) << 32)
            | uint32_t(syms[std::size_t(nxt)].id);
        const auto it = m_merges.find(key);
        return it == m_merges.end() ? nullptr : &it->second;
    };
    auto entry = [](int32_t rank, int32_t pos) {
        return (uint64_t(uint32_t(rank)) << 32) | uint32_t(pos);
    };
    std::vector<uint64_t> initial;
    initial.reserve(syms.size());
    for (int32_t i = 0; i + 1 < int32_t(syms.size()); ++i)
        if (const auto *m = lookup(i))
            initial.push_back(entry(m->first, i));
    // Built in one go (make_heap is linear), then used as a min-heap.
    std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<uint64_t>> queue(
        std::greater<uint64_t>(), std::move(initial));
    auto consider = [&](int32_t pos) {
        if (pos < 0 || syms[std::size_t(pos)].id < 0)
            return;
        if (const auto *m = lookup(pos))
            queue.push(entry(m->first, pos));
    };
    while (!queue.empty()) {
        const uint64_t top = queue.top();
        queue.pop();
        const auto rank = int32_t(top >> 32);
        const auto pos = int32_t(top & 0xFFFFFFFFu);
        Symbol &l = syms[std::size_t(pos)];
        if (l.id < 0)
            continue; // merged into its left neighbour since
        const auto *m = lookup(pos);
        if (!m || m->first != rank)
            continue; // a neighbour changed since this entry was queued
        Symbol &r = syms[std::size_t(l.next)];
        l.id = m->second;
        l.next = r.next;
        if (r.next >= 0)
            syms[std::size_t(r.next)].prev = pos;
        r.id = -1;
        consider(l.prev);
        consider(pos);
    }
    for (int32_t i = 0; i >= 0; i = syms[std::size_t(i)].next)
        out.push_back(syms[std::size_t(i)].id);
}

} // namespace lathe
