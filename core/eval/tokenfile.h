// SPDX-License-Identifier: GPL-3.0-or-later
// Reading token-id lists (perplexity inputs, reference outputs): integers separated by
// spaces, tabs, commas or newlines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

// Parses `text`; `source` names it in errors. Throws FormatError with the line number and
// the offending word for anything that is not a non-negative 32-bit integer.
std::vector<std::int32_t> parseTokenIds(const std::string &text, const std::string &source);

// Reads and parses a token-id file. Throws IoError when it cannot be read.
std::vector<std::int32_t> readTokenIds(const std::string &path);

} // namespace lathe
