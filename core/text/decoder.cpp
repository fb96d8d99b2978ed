// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/decoder.h"

#include "text/textregex.h"
#include "text/utf8.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

namespace lathe {

namespace {

std::string replaceLiteral(const std::string &text, const std::string &from, const std::string &to)
{
    if (from.empty())
        return text;
    std::string out;
    std::size_t prev = 0;
    for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, prev)) {
        out.append(text, prev, pos - prev);
        out += to;
        prev = pos + from.size();
    }
    out.append(text, prev);
    return out;
}

// Maps GPT-2 byte characters back to bytes; a token with any other character stays as it is.
class ByteLevelDecoder : public Decoder {
public:
    void apply(std::vector<std::string> &tokens) const override
    {
        std::string bytes;
        for (const auto &t : tokens) {
            std::string mapped;
            bool ok = true;
            for (std::size_t i = 0; i < t.size();) {
                const int b = utf8::unicodeToByte(utf8::decodeAt(t, i));
                if (b < 0 || utf8::validSequenceLength(t, i) == 0) {
                    ok = false;
                    break;
                }
                mapped += char(b);
                i += utf8::charLength(t, i);
            }
            bytes += ok ? mapped : t;
        }
        tokens.assign(1, utf8::repairLossy(bytes));
    }
};

class MetaspaceDecoder : public Decoder {
public:
    MetaspaceDecoder(std::string replacement, bool stripFirst)
        : m_replacement(std::move(replacement))
        , m_stripFirst(stripFirst)
    {
    }
    void apply(std::vector<std::string> &tokens) const override
    {
        // As the tokenizers library does: in the first token every replacement character is
        // dropped (not only a leading one); elsewhere each becomes a space.
        for (std::size_t i = 0; i < tokens.size(); ++i)
            tokens[i]
                = replaceLiteral(tokens[i], m_replacement, (i == 0 && m_stripFirst) ? "" : " ");
    }

private:
    std::string m_replacement;
    bool m_stripFirst;
};

class ReplaceDecoder : public Decoder {
public:
    ReplaceDecoder(std::string literal, std::unique_ptr<TextRegex> re, std::string content)
        : m_literal(std::move(literal))
        , m_regex(std::move(re))
        , m_content(std::move(content))
    {
    }
    void apply(std::vector<std::string> &tokens) const override
    {
        for (auto &t : tokens)
            t = m_regex ? m_regex->replaceAll(t, m_content)
                        : replaceLiteral(t, m_literal, m_content);
    }

private:
    std::string m_literal;
    std::unique_ptr<TextRegex> m_regex;
    std::string m_content;
};

// Runs of <0xAB> tokens become their bytes; an invalid run becomes one U+FFFD per byte.
class ByteFallbackDecoder : public Decoder {
public:
    void apply(std::vector<std::string> &tokens) const override
    {
        std::vector<std::string> out;
        out.reserve(tokens.size());
        std::string pending;
        std::size_t pendingCount = 0;
        auto flush = [&]() {
            if (pendingCount == 0)
                return;
            if (utf8::isValid(pending))
                out.push_back(pending);
            else
                for (std::size_t k = 0; k < pendingCount; ++k)
                    out.emplace_back("\xEF\xBF\xBD");
            pending.clear();
            pendingCount = 0;
        };
        for (auto &t : tokens) {
            int byte = -1;
            if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
                char *end = nullptr;
                const std::string hex = t.substr(3, 2);
                const long v = std::strtol(hex.c_str(), &end, 16);
                if (end == hex.c_str() + 2)
                    byte = int(v);
            }
            if (byte >= 0) {
                pending += char(byte);
                ++pendingCount;
            } else {
                flush();
                out.push_back(std::move(t));
            }
        }
        flush();
        tokens = std::move(out);
    }
};

class FuseDecoder : public Decoder {
public:
    void apply(std::vector<std::string> &tokens) const override
    {
        std::string all;
        for (const auto &t : tokens)
            all += t;
        tokens.assign(1, std::move(all));
    }
};

// Removes up to `start` leading and `stop` trailing copies of one character from each token.
class StripDecoder : public Decoder {
public:
    StripDecoder(std::string content, std::size_t start, std::size_t stop)
        : m_content(std::move(content))
        , m_start(start)
        , m_stop(stop)
    {
    }
    void apply(std::vector<std::string> &tokens) const override
    {
        if (m_content.empty())
            return;
        for (auto &t : tokens) {
            std::size_t b = 0, e = t.size();
            for (std::size_t k = 0; k < m_start && t.compare(b, m_content.size(), m_content) == 0
                 && b + m_content.size() <= e;
                 ++k)
                b += m_content.size();
            for (std::size_t k = 0; k < m_stop && e >= b + m_content.size()
                 && t.compare(e - m_content.size(), m_content.size(), m_content) == 0;
                 ++k)
                e -= m_content.size();
            t = t.substr(b, e - b);
        }
    }

private:
    std::string m_content;
    std::size_t m_start, m_stop;
};

class SequenceDecoder : public Decoder {
public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts)
        : m_parts(std::move(parts))
    {
    }
    void apply(std::vector<std::string> &tokens) const override
    {
        for (const auto &p : m_parts)
            p->apply(tokens);
    }

private:
    std::vector<std::unique_ptr<Decoder>> m_parts;
};

} // namespace

std::string Decoder::decode(std::vector<std::string> tokens) const
{
    apply(tokens);
    std::string out;
    for (const auto &t : tokens)
        out += t;
    return utf8::isValid(out) ? out : utf8::repairLossy(out);
}

std::unique_ptr<Decoder> Decoder::fromJson(const nlohmann::json &j, const std::string &context)
{
    if (j.is_null())
        return nullptr;
    if (!j.is_object() || !j.contains("type"))
        throw FormatError(context + ": decoder has no \"type\"");
    const std::string type = j.at("type").get<std::string>();
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelDecoder>();
    if (type == "Metaspace") {
        std::string replacement = "\xE2\x96\x81";
        if (j.contains("replacement"))
            replacement = j.at("replacement").get<std::string>();
        bool strip = true;
        if (j.contains("prepend_scheme"))
            strip = j.at("prepend_scheme").get<std::string>() != "never";
        else if (j.contains("add_prefix_space"))
            strip = j.at("add_prefix_space").get<bool>();
        return std::make_unique<MetaspaceDecoder>(replacement, strip);
    }
    if (type == "Replace") {
        const auto &pat = j.at("pattern");
        const std::string content = j.at("content").get<std::string>();
        if (pat.contains("String"))
            return std::make_unique<ReplaceDecoder>(
                pat.at("String").get<std::string>(), nullptr, content);
        if (pat.contains("Regex"))
            return std::make_unique<ReplaceDecoder>(std::string(),
                std::make_unique<TextRegex>(
                    pat.at("Regex").get<std::string>(), context + " (Replace decoder)"),
                content);
        throw FormatError(context + ": Replace decoder pattern is neither String nor Regex");
    }
    if (type == "ByteFallback")
        return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse")
        return std::make_unique<FuseDecoder>();
    if (type == "Strip")
        return std::make_unique<StripDecoder>(j.at("content").get<std::string>(),
            j.value("start", std::size_t(0)), j.value("stop", std::size_t(0)));
    if (type == "Sequence") {
        std::vector<std::unique_ptr<Decoder>> parts;
        for (const auto &d : j.at("decoders"))
            if (auto p = fromJson(d, context))
                parts.push_back(std::move(p));
        return std::make_unique<SequenceDecoder>(std::move(parts));
    }
    throw UnsupportedError(context + ": decoder type '" + type + "' is not supported");
}

} // namespace lathe
