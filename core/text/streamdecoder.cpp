// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/streamdecoder.h"

#include "text/tokenizer.h"
#include "util/error.h"

namespace lathe {

namespace {

bool endsWithReplacement(const std::string &s)
{
    return s.size() >= 3 && s.compare(s.size() - 3, 3, "\xEF\xBF\xBD") == 0;
}

} // namespace

StreamDecoder::StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skipSpecialTokens)
    : m_tokenizer(std::move(tokenizer))
    , m_skipSpecial(skipSpecialTokens)
{
    if (!m_tokenizer)
        throw InvalidArgument("StreamDecoder needs a tokenizer");
}

std::string StreamDecoder::push(int32_t id)
{
    m_window.push_back(id);
    const std::string text = m_tokenizer->decode(m_window, m_skipSpecial);
    // A trailing U+FFFD may be the first bytes of a character that the next id completes.
    if (text.size() <= m_prefix.size() || endsWithReplacement(text)
        || text.compare(0, m_prefix.size(), m_prefix) != 0)
        return {};
    std::string piece = text.substr(m_prefix.size());
    // Keep the ids of this piece as context for the next one.
    m_window.erase(m_window.begin(), m_window.begin() + std::ptrdiff_t(m_prefixCount));
    m_prefixCount = m_window.size();
    m_prefix = m_tokenizer->decode(m_window, m_skipSpecial);
    return piece;
}

std::string StreamDecoder::flush()
{
    const std::string text = m_tokenizer->decode(m_window, m_skipSpecial);
    std::string piece;
    if (text.size() > m_prefix.size() && text.compare(0, m_prefix.size(), m_prefix) == 0)
        piece = text.substr(m_prefix.size());
    reset();
    return piece;
}

void StreamDecoder::reset()
{
    m_window.clear();
    m_prefixCount = 0;
    m_prefix.clear();
}

} // namespace lathe
