// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/normalizer.h"

#include "text/textregex.h"
#include "text/utf8.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <utf8proc.h>

#include <cstdlib>
#include <vector>

namespace lathe {

namespace {

class UnicodeNormalizer : public Normalizer {
public:
    explicit UnicodeNormalizer(int options)
        : m_options(options)
    {
    }
    std::string normalize(const std::string &text) const override
    {
        bool ascii = true;
        for (char c : text)
            if (static_cast<unsigned char>(c) >= 0x80) {
                ascii = false;
                break;
            }
        if (ascii) // ASCII is invariant under every normalization form
            return text;
        utf8proc_uint8_t *out = nullptr;
        const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t *>(text.data()),
            utf8proc_ssize_t(text.size()), &out, utf8proc_option_t(m_options));
        if (n < 0)
            return text;
        std::string s(reinterpret_cast<const char *>(out), std::size_t(n));
        std::free(out);
        return s;
    }

private:
    int m_options;
};

class PrependNormalizer : public Normalizer {
public:
    explicit PrependNormalizer(std::string p)
        : m_prepend(std::move(p))
    {
    }
    std::string normalize(const std::string &text) const override
    {
        return text.empty() ? text : m_prepend + text;
    }

private:
    std::string m_prepend;
};

class ReplaceNormalizer : public Normalizer {
public:
    ReplaceNormalizer(std::string literal, std::unique_ptr<TextRegex> re, std::string content)
        : m_literal(std::move(literal))
        , m_regex(std::move(re))
        , m_content(std::move(content))
    {
    }
    std::string normalize(const std::string &text) const override
    {
        if (m_regex)
            return m_regex->replaceAll(text, m_content);
        if (m_literal.empty())
            return text;
        std::string out;
        std::size_t prev = 0;
        for (std::size_t pos = text.find(m_literal); pos != std::string::npos;
             pos = text.find(m_literal, prev)) {
            out.append(text, prev, pos - prev);
            out += m_content;
            prev = pos + m_literal.size();
        }
        out.append(text, prev);
        return out;
    }

private:
    std::string m_literal;
    std::unique_ptr<TextRegex> m_regex;
    std::string m_content;
};

class LowercaseNormalizer : public Normalizer {
public:
    std::string normalize(const std::string &text) const override
    {
        std::string out;
        out.reserve(text.size());
        for (std::size_t i = 0; i < text.size();) {
            const char32_t cp = utf8::decodeAt(text, i);
            utf8::append(out, char32_t(utf8proc_tolower(utf8proc_int32_t(cp))));
            i += utf8::charLength(text, i);
        }
        return out;
    }
};

class StripNormalizer : public Normalizer {
public:
    StripNormalizer(bool left, bool right)
        : m_left(left)
        , m_right(right)
    {
    }
    std::string normalize(const std::string &text) const override
    {
        // Collect character boundaries so Unicode whitespace is stripped as whole characters.
        std::size_t begin = 0, end = text.size();
        if (m_left) {
            while (begin < end) {
                const char32_t cp = utf8::decodeAt(text, begin);
                if (!isSpace(cp))
                    break;
                begin += utf8::charLength(text, begin);
            }
        }
        if (m_right) {
            while (end > begin) {
                std::size_t p = end - 1;
                while (p > begin && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80)
                    --p;
                if (!isSpace(utf8::decodeAt(text, p)))
                    break;
                end = p;
            }
        }
        return text.substr(begin, end - begin);
    }

private:
    static bool isSpace(char32_t cp)
    {
        if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0)
            return true;
        const auto cat = utf8proc_category(utf8proc_int32_t(cp));
        return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL
            || cat == UTF8PROC_CATEGORY_ZP;
    }
    bool m_left, m_right;
};

class SequenceNormalizer : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
        : m_parts(std::move(parts))
    {
    }
    std::string normalize(const std::string &text) const override
    {
        std::string s = text;
        for (const auto &p : m_parts)
            s = p->normalize(s);
        return s;
    }

private:
    std::vector<std::unique_ptr<Normalizer>> m_parts;
};

} // namespace

std::unique_ptr<Normalizer> Normalizer::fromJson(
    const nlohmann::json &j, const std::string &context)
{
    if (j.is_null())
        return nullptr;
    if (!j.is_object() || !j.contains("type"))
        throw FormatError(context + ": normalizer has no \"type\"");
    const std::string type = j.at("type").get<std::string>();
    if (type == "NFC")
        return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (type == "NFKC")
        return std::make_unique<UnicodeNormalizer>(
            UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    if (type == "NFD")
        return std::make_unique<UnicodeNormalizer>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
    if (type == "NFKD")
        return std::make_unique<UnicodeNormalizer>(
            UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
    if (type == "Prepend")
        return std::make_unique<PrependNormalizer>(j.at("prepend").get<std::string>());
    if (type == "Replace") {
        const auto &pat = j.at("pattern");
        const std::string content = j.at("content").get<std::string>();
        if (pat.contains("String"))
            return std::make_unique<ReplaceNormalizer>(
                pat.at("String").get<std::string>(), nullptr, content);
        if (pat.contains("Regex"))
            return std::make_unique<ReplaceNormalizer>(std::string(),
                std::make_unique<TextRegex>(
                    pat.at("Regex").get<std::string>(), context + " (Replace normalizer)"),
                content);
        throw FormatError(context + ": Replace normalizer pattern is neither String nor Regex");
    }
    if (type == "Lowercase")
        return std::make_unique<LowercaseNormalizer>();
    if (type == "Strip")
        return std::make_unique<StripNormalizer>(j.value("left", true), j.value("right", true));
    if (type == "Sequence") {
        std::vector<std::unique_ptr<Normalizer>> parts;
        for (const auto &n : j.at("normalizers"))
            if (auto p = fromJson(n, context))
                parts.push_back(std::move(p));
        return std::make_unique<SequenceNormalizer>(std::move(parts));
    }
    throw UnsupportedError(context + ": normalizer type '" + type + "' is not supported");
}

} // namespace lathe
