// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/addedtokens.h"

#include "text/utf8.h"

#include <utf8proc.h>

#include <algorithm>

namespace lathe {

namespace {

bool isWordChar(char32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')
            || cp == '_';
    const auto cat = utf8proc_category(utf8proc_int32_t(cp));
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO)
        || (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

bool isSpaceChar(char32_t cp)
{
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0)
        return true;
    const auto cat = utf8proc_category(utf8proc_int32_t(cp));
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL
        || cat == UTF8PROC_CATEGORY_ZP;
}

// Start of the character that ends at `end` (exclusive).
std::size_t previousCharStart(const std::string &s, std::size_t end)
{
    std::size_t p = end - 1;
    while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80)
        --p;
    return p;
}

} // namespace

void AddedTokens::add(const AddedToken &token, const std::string &normalizedContent)
{
    if (token.content.empty())
        return;
    const std::size_t index = m_tokens.size();
    m_tokens.push_back(token);
    m_byId[token.id] = index;
    m_byContent[token.content] = token.id;
    Matcher &m = token.normalized ? m_normalized : m_raw;
    const std::string &pattern = token.normalized ? normalizedContent : token.content;
    if (pattern.empty())
        return;
    auto &bucket = m.byFirstByte[static_cast<unsigned char>(pattern[0])];
    bucket.emplace_back(pattern, index);
    std::stable_sort(bucket.begin(), bucket.end(),
        [](const auto &a, const auto &b) { return a.first.size() > b.first.size(); });
    m.empty = false;
}

std::vector<TextSegment> AddedTokens::split(const std::string &text, bool normalizedStage) const
{
    const Matcher &m = normalizedStage ? m_normalized : m_raw;
    std::vector<TextSegment> out;
    if (m.empty) {
        if (!text.empty())
            out.push_back({ text, -1, 0 });
        return out;
    }
    std::size_t textStart = 0; // start of the pending text segment
    std::size_t i = 0;
    while (i < text.size()) {
        const auto &bucket = m.byFirstByte[static_cast<unsigned char>(text[i])];
        const std::pair<std::string, std::size_t> *hit = nullptr;
        for (const auto &cand : bucket)
            if (text.compare(i, cand.first.size(), cand.first) == 0) {
                hit = &cand;
                break;
            }
        if (!hit) {
            ++i;
            continue;
        }
        const AddedToken &tok = m_tokens[hit->second];
        std::size_t begin = i, end = i + hit->first.size();
        if (tok.singleWord) {
            const bool leftOk
                = begin == 0 || !isWordChar(utf8::decodeAt(text, previousCharStart(text, begin)));
            const bool rightOk = end >= text.size() || !isWordChar(utf8::decodeAt(text, end));
            if (!leftOk || !rightOk) {
                i = end; // the matched text stays ordinary text
                continue;
            }
        }
        if (tok.lstrip) {
            while (begin > textStart) {
                const std::size_t p = previousCharStart(text, begin);
                if (!isSpaceChar(utf8::decodeAt(text, p)))
                    break;
                begin = p;
            }
        }
        if (tok.rstrip) {
            while (end < text.size() && isSpaceChar(utf8::decodeAt(text, end)))
                end += utf8::charLength(text, end);
        }
        if (begin > textStart)
            out.push_back({ text.substr(textStart, begin - textStart), -1, textStart });
        out.push_back({ std::string(), tok.id, begin });
        textStart = end;
        i = end;
    }
    if (textStart < text.size())
        out.push_back({ text.substr(textStart), -1, textStart });
    return out;
}

const AddedToken *AddedTokens::byId(int32_t id) const
{
    const auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

int32_t AddedTokens::idFor(const std::string &content) const
{
    const auto it = m_byContent.find(content);
    return it == m_byContent.end() ? -1 : it->second;
}

bool AddedTokens::isSpecial(int32_t id) const
{
    const AddedToken *t = byId(id);
    return t && t->special;
}

} // namespace lathe
