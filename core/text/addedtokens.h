// SPDX-License-Identifier: GPL-3.0-or-later
// The "added_tokens" of a Hugging Face tokenizer.json: tokens (mostly special ones such as
// <|im_start|>) that are found in the text by exact match before the model sees it, honouring
// lstrip / rstrip / single_word, and matched before (normalized=false) or after normalization.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace lathe {

struct AddedToken {
    int32_t id = -1;
    std::string content;
    bool lstrip = false; // swallow whitespace on the left
    bool rstrip = false; // swallow whitespace on the right
    bool singleWord = false; // only match as a whole word
    bool normalized = false; // matched in the normalized text instead of the raw text
    bool special = false; // dropped by decode(skipSpecialTokens=true)
};

// One piece of the input: text still to be tokenized, or an added token.
struct TextSegment {
    std::string text;
    int32_t id = -1; // added token id, or -1 for text
    std::size_t offset = 0; // byte offset in the string that was split
};

class AddedTokens {
public:
    // `normalizedContent` is the content as the normalizer rewrites it (used when normalized).
    void add(const AddedToken &token, const std::string &normalizedContent);

    // Splits raw text by the tokens with normalized=false (normalizedStage=false), or
    // normalized text by the tokens with normalized=true (normalizedStage=true).
    std::vector<TextSegment> split(const std::string &text, bool normalizedStage) const;

    const AddedToken *byId(int32_t id) const;
    int32_t idFor(const std::string &content) const;
    bool isSpecial(int32_t id) const;
    const std::vector<AddedToken> &all() const { return m_tokens; }

private:
    struct Matcher {
        // Patterns by first byte, longest first: (pattern, index into m_tokens).
        std::array<std::vector<std::pair<std::string, std::size_t>>, 256> byFirstByte;
        bool empty = true;
    };
    std::vector<AddedToken> m_tokens;
    std::unordered_map<int32_t, std::size_t> m_byId;
    std::unordered_map<std::string, int32_t> m_byContent;
    Matcher m_raw;
    Matcher m_normalized;
};

} // namespace lathe
