// SPDX-License-Identifier: GPL-3.0-or-later
// Incremental detokenization for generation: ids go in one at a time, text comes out in pieces
// that never split a UTF-8 character; the pieces (plus flush()) concatenate to decode(all ids).
// It re-decodes a short window of recent ids so decoders that look at neighbours (byte runs,
// Metaspace's first-token rule, Strip) behave as in a full decode.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class Tokenizer;

class StreamDecoder {
public:
    explicit StreamDecoder(
        std::shared_ptr<const Tokenizer> tokenizer, bool skipSpecialTokens = false);

    // Text that became final with this id (often empty while a character is incomplete).
    std::string push(int32_t id);
    // Whatever is still held back (an incomplete character becomes U+FFFD); then starts over.
    std::string flush();
    void reset();

private:
    std::shared_ptr<const Tokenizer> m_tokenizer;
    bool m_skipSpecial;
    std::vector<int32_t> m_window; // ids from the start of the previous emitted piece
    std::size_t m_prefixCount = 0; // ids of m_window already turned into text
    std::string m_prefix; // decode of m_window[0, m_prefixCount)
};

} // namespace lathe
