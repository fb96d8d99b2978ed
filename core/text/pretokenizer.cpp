// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/pretokenizer.h"

#include "text/textregex.h"
#include "text/utf8.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace lathe {

namespace {

using Span = std::pair<std::size_t, std::size_t>;

// How matched parts are kept, as the tokenizers library's SplitDelimiterBehavior.
enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// Splits `text` at `matches` (sorted, non-overlapping) and appends the non-empty parts.
void splitByMatches(const std::string &text, const std::vector<Span> &matches, Behavior behavior,
    bool invert, std::vector<std::string> &out)
{
    const std::size_t needed = out.size() + 2 * matches.size() + 1;
    if (needed > out.capacity()) // grow geometrically: this runs once per incoming piece
        out.reserve(std::max(needed, 2 * out.capacity()));
    if (behavior == Behavior::Isolated) {
        // The common case (GPT-2 / Llama 3 / Qwen regexes): every match and gap is a piece.
        std::size_t prev = 0;
        for (const auto &m : matches) {
            if (m.first > prev)
                out.emplace_back(text, prev, m.first - prev);
            out.emplace_back(text, m.first, m.second - m.first);
            prev = m.second;
        }
        if (prev < text.size())
            out.emplace_back(text, prev, text.size() - prev);
        return;
    }
    // Every byte of the text in order, each part flagged as match or gap.
    std::vector<std::pair<Span, bool>> parts;
    parts.reserve(matches.size() * 2 + 1);
    std::size_t prev = 0;
    for (const auto &m : matches) {
        if (m.first > prev)
            parts.push_back({ { prev, m.first }, invert });
        parts.push_back({ m, !invert });
        prev = m.second;
    }
    if (prev < text.size())
        parts.push_back({ { prev, text.size() }, invert });

    std::vector<Span> spans;
    bool previousMatch = false;
    switch (behavior) {
    case Behavior::Removed:
        for (const auto &[s, m] : parts)
            if (!m)
                spans.push_back(s);
        break;
    case Behavior::Isolated:
        for (const auto &p : parts)
            spans.push_back(p.first);
        break;
    case Behavior::MergedWithPrevious:
        for (const auto &[s, m] : parts) {
            if (m && !previousMatch && !spans.empty())
                spans.back().second = s.second;
            else
                spans.push_back(s);
            previousMatch = m;
        }
        break;
    case Behavior::MergedWithNext:
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
            if (it->second && !previousMatch && !spans.empty())
                spans.back().first = it->first.first;
            else
                spans.push_back(it->first);
            previousMatch = it->second;
        }
        std::reverse(spans.begin(), spans.end());
        break;
    case Behavior::Contiguous:
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i > 0 && parts[i].second == parts[i - 1].second)
                spans.back().second = parts[i].first.second;
            else
                spans.push_back(parts[i].first);
        }
        break;
    }
    for (const auto &s : spans)
        if (s.second > s.first)
            out.push_back(text.substr(s.first, s.second - s.first));
}

std::vector<Span> findLiteral(const std::string &text, const std::string &needle)
{
    std::vector<Span> out;
    if (needle.empty())
        return out;
    for (std::size_t pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + needle.size()))
        out.emplace_back(pos, pos + needle.size());
    return out;
}

Behavior parseBehavior(const std::string &name, const std::string &context)
{
    if (name == "Removed")
        return Behavior::Removed;
    if (name == "Isolated")
        return Behavior::Isolated;
    if (name == "MergedWithPrevious")
        return Behavior::MergedWithPrevious;
    if (name == "MergedWithNext")
        return Behavior::MergedWithNext;
    if (name == "Contiguous")
        return Behavior::Contiguous;
    throw UnsupportedError(context + ": split behavior '" + name + "' is not supported");
}

// Splits with a regex or a literal string.
class SplitPreTokenizer : public PreTokenizer {
public:
    SplitPreTokenizer(std::unique_ptr<TextRegex> re, std::string literal, Behavior b, bool invert)
        : m_regex(std::move(re))
        , m_literal(std::move(literal))
        , m_behavior(b)
        , m_invert(invert)
    {
    }
    void apply(std::vector<std::string> &pieces, bool) const override
    {
        std::vector<std::string> out;
        out.reserve(pieces.size());
        for (const auto &p : pieces) {
            const auto matches = m_regex ? m_regex->findAll(p) : findLiteral(p, m_literal);
            splitByMatches(p, matches, m_behavior, m_invert, out);
        }
        pieces = std::move(out);
    }

private:
    std::unique_ptr<TextRegex> m_regex;
    std::string m_literal;
    Behavior m_behavior;
    bool m_invert;
};

constexpr const char *kGpt2Pattern
    = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// GPT-2 style: optional prefix space, optional GPT-2 regex split, then bytes -> characters.
class ByteLevelPreTokenizer : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex, const std::string &context)
        : m_addPrefixSpace(addPrefixSpace)
    {
        if (useRegex)
            m_regex = std::make_unique<TextRegex>(kGpt2Pattern, context + " (ByteLevel)");
    }
    void apply(std::vector<std::string> &pieces, bool) const override
    {
        std::vector<std::string> split;
        split.reserve(pieces.size());
        for (auto &p : pieces) {
            if (m_addPrefixSpace && !p.empty() && p[0] != ' ')
                p.insert(p.begin(), ' ');
            if (m_regex)
                splitByMatches(p, m_regex->findAll(p), Behavior::Isolated, false, split);
            else if (!p.empty())
                split.push_back(std::move(p));
        }
        std::array<const std::string *, 256> table;
        for (int b = 0; b < 256; ++b)
            table[std::size_t(b)] = &utf8::byteToUnicode(static_cast<unsigned char>(b));
        for (auto &p : split) {
            std::string mapped;
            mapped.reserve(p.size() * 2);
            for (unsigned char c : p)
                mapped += *table[c];
            p = std::move(mapped);
        }
        pieces = std::move(split);
    }

private:
    bool m_addPrefixSpace;
    std::unique_ptr<TextRegex> m_regex;
};

enum class PrependScheme { Always, First, Never };

// SentencePiece style: spaces become the replacement character (U+2581), optionally prepended,
// and each word starts a new piece.
class MetaspacePreTokenizer : public PreTokenizer {
public:
    MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
        : m_replacement(std::move(replacement))
        , m_scheme(scheme)
        , m_split(split)
    {
    }
    void apply(std::vector<std::string> &pieces, bool firstSegment) const override
    {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            const std::string &p = pieces[i];
            if (p.empty())
                continue;
            std::string s;
            for (char c : p) {
                if (c == ' ')
                    s += m_replacement;
                else
                    s += c;
            }
            const bool starts = s.compare(0, m_replacement.size(), m_replacement) == 0;
            if (!starts
                && (m_scheme == PrependScheme::Always
                    || (m_scheme == PrependScheme::First && firstSegment && i == 0)))
                s.insert(0, m_replacement);
            if (m_split)
                splitByMatches(
                    s, findLiteral(s, m_replacement), Behavior::MergedWithNext, false, out);
            else
                out.push_back(std::move(s));
        }
        pieces = std::move(out);
    }

private:
    std::string m_replacement;
    PrependScheme m_scheme;
    bool m_split;
};

// Any splitter that is a regex plus a behavior (Digits, Whitespace, WhitespaceSplit).
class RegexSplitter : public PreTokenizer {
public:
    RegexSplitter(const char *pattern, Behavior b, bool invert, const std::string &context)
        : m_regex(pattern, context)
        , m_behavior(b)
        , m_invert(invert)
    {
    }
    void apply(std::vector<std::string> &pieces, bool) const override
    {
        std::vector<std::string> out;
        for (const auto &p : pieces)
            splitByMatches(p, m_regex.findAll(p), m_behavior, m_invert, out);
        pieces = std::move(out);
    }

private:
    TextRegex m_regex;
    Behavior m_behavior;
    bool m_invert;
};

class SequencePreTokenizer : public PreTokenizer {
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
        : m_parts(std::move(parts))
    {
    }
    void apply(std::vector<std::string> &pieces, bool firstSegment) const override
    {
        for (const auto &p : m_parts)
            p->apply(pieces, firstSegment);
    }

private:
    std::vector<std::unique_ptr<PreTokenizer>> m_parts;
};

} // namespace

std::unique_ptr<PreTokenizer> PreTokenizer::fromJson(
    const nlohmann::json &j, const std::string &context)
{
    if (j.is_null())
        return nullptr;
    if (!j.is_object() || !j.contains("type"))
        throw FormatError(context + ": pre_tokenizer has no \"type\"");
    const std::string type = j.at("type").get<std::string>();
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelPreTokenizer>(
            j.value("add_prefix_space", true), j.value("use_regex", true), context);
    if (type == "Split") {
        const auto &pat = j.at("pattern");
        const Behavior b = parseBehavior(j.at("behavior").get<std::string>(), context);
        const bool invert = j.value("invert", false);
        if (pat.contains("Regex"))
            return std::make_unique<SplitPreTokenizer>(
                std::make_unique<TextRegex>(
                    pat.at("Regex").get<std::string>(), context + " (Split pre-tokenizer)"),
                std::string(), b, invert);
        if (pat.contains("String"))
            return std::make_unique<SplitPreTokenizer>(
                nullptr, pat.at("String").get<std::string>(), b, invert);
        throw FormatError(context + ": Split pre-tokenizer pattern is neither String nor Regex");
    }
    if (type == "Metaspace") {
        std::string replacement = "\xE2\x96\x81";
        if (j.contains("replacement"))
            replacement = j.at("replacement").get<std::string>();
        PrependScheme scheme = PrependScheme::Always;
        if (j.contains("prepend_scheme")) {
            const std::string s = j.at("prepend_scheme").get<std::string>();
            if (s == "always")
                scheme = PrependScheme::Always;
            else if (s == "first")
                scheme = PrependScheme::First;
            else if (s == "never")
                scheme = PrependScheme::Never;
            else
                throw UnsupportedError(
                    context + ": Metaspace prepend_scheme '" + s + "' is not supported");
        } else if (j.contains("add_prefix_space") && !j.at("add_prefix_space").get<bool>()) {
            scheme = PrependScheme::Never; // older files
        }
        return std::make_unique<MetaspacePreTokenizer>(replacement, scheme, j.value("split", true));
    }
    if (type == "Digits") {
        if (j.value("individual_digits", false))
            return std::make_unique<RegexSplitter>(R"(\p{N})", Behavior::Isolated, false, context);
        return std::make_unique<RegexSplitter>(R"(\p{N}+)", Behavior::Isolated, false, context);
    }
    if (type == "Whitespace")
        return std::make_unique<RegexSplitter>(R"(\w+|[^\w\s]+)", Behavior::Removed, true, context);
    if (type == "WhitespaceSplit")
        return std::make_unique<RegexSplitter>(R"(\s+)", Behavior::Removed, false, context);
    if (type == "Sequence") {
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        for (const auto &p : j.at("pretokenizers"))
            if (auto t = fromJson(p, context))
                parts.push_back(std::move(t));
        return std::make_unique<SequencePreTokenizer>(std::move(parts));
    }
    throw UnsupportedError(context + ": pre_tokenizer type '" + type + "' is not supported");
}

} // namespace lathe
