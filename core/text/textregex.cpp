// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/textregex.h"

#include "util/error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace lathe {

struct TextRegex::Impl {
    pcre2_code *code = nullptr;
};

namespace {

// Match data is per thread: encode() is const and may run on several threads at once.
struct MatchData {
    pcre2_match_data *data = nullptr;
    ~MatchData()
    {
        if (data)
            pcre2_match_data_free(data);
    }
};

pcre2_match_data *threadMatchData()
{
    thread_local MatchData md;
    if (!md.data)
        md.data = pcre2_match_data_create(4, nullptr);
    return md.data;
}

} // namespace

TextRegex::TextRegex(const std::string &pattern, const std::string &context)
    : m_impl(std::make_unique<Impl>())
{
    int err = 0;
    PCRE2_SIZE errOffset = 0;
    m_impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
        PCRE2_UTF | PCRE2_UCP, &err, &errOffset, nullptr);
    if (!m_impl->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        throw FormatError(context + ": regular expression '" + pattern + "' does not compile ("
            + reinterpret_cast<const char *>(msg) + " at offset " + std::to_string(errOffset)
            + ")");
    }
    pcre2_jit_compile(m_impl->code, PCRE2_JIT_COMPLETE); // falls back to the interpreter
}

TextRegex::~TextRegex()
{
    if (m_impl && m_impl->code)
        pcre2_code_free(m_impl->code);
}

std::vector<std::pair<std::size_t, std::size_t>> TextRegex::findAll(std::string_view text) const
{
    std::vector<std::pair<std::size_t, std::size_t>> out;
    pcre2_match_data *md = threadMatchData();
    const auto *subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::size_t start = 0;
    // The text was validated once by the caller; skipping PCRE2's check saves a pass per call.
    uint32_t options = PCRE2_NO_UTF_CHECK;
    while (start <= text.size()) {
        const int rc = pcre2_match(m_impl->code, subject, text.size(), start, options, md, nullptr);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0)
            throw FormatError(
                "regular expression match failed (PCRE2 error " + std::to_string(rc) + ")");
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        const std::size_t b = ov[0], e = ov[1];
        if (e > b) {
            out.emplace_back(b, e);
            start = e;
        } else {
            // Empty match: step over one character so the scan advances.
            if (b >= text.size())
                break;
            std::size_t n = 1;
            while (b + n < text.size() && (static_cast<unsigned char>(text[b + n]) & 0xC0) == 0x80)
                ++n;
            start = b + n;
        }
    }
    return out;
}

std::string TextRegex::replaceAll(std::string_view text, std::string_view replacement) const
{
    std::string out;
    std::size_t prev = 0;
    for (const auto &[b, e] : findAll(text)) {
        out.append(text.substr(prev, b - prev));
        out.append(replacement);
        prev = e;
    }
    out.append(text.substr(prev));
    return out;
}

} // namespace lathe
