// SPDX-License-Identifier: GPL-3.0-or-later
// A compiled PCRE2 pattern in UTF + Unicode-property mode (so \p{L}, \s and \w follow Unicode,
// as the Oniguruma / Rust regexes of Hugging Face tokenizers do), JIT-compiled when possible.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lathe {

class TextRegex {
public:
    // Throws FormatError naming `context` when the pattern does not compile.
    TextRegex(const std::string &pattern, const std::string &context);
    ~TextRegex();
    TextRegex(const TextRegex &) = delete;
    TextRegex &operator=(const TextRegex &) = delete;

    // All non-overlapping non-empty matches in `text` (valid UTF-8), as [begin, end) byte offsets.
    std::vector<std::pair<std::size_t, std::size_t>> findAll(std::string_view text) const;

    // Replaces every match by `replacement` (taken literally).
    std::string replaceAll(std::string_view text, std::string_view replacement) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace lathe
