// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/tokenfile.h"

#include "util/error.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace lathe {

namespace {

bool isSeparator(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '\f' ||
           c == '\v';
}

} // namespace

std::vector<std::int32_t> parseTokenIds(const std::string &text, const std::string &source)
{
    std::vector<std::int32_t> ids;
    std::size_t line = 1;
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        const char c = text[i];
        if (isSeparator(c)) {
            if (c == '\n')
                ++line;
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < n && !isSeparator(text[end]))
            ++end;
        const std::string word = text.substr(i, end - i);
        std::int64_t value = 0;
        bool ok = true;
        for (char d : word) {
            if (d < '0' || d > '9') {
                ok = false;
                break;
            }
            value = value * 10 + (d - '0');
            if (value > std::numeric_limits<std::int32_t>::max()) {
                ok = false;
                break;
            }
        }
        if (!ok) {
            std::string shown = word.size() > 40 ? word.substr(0, 40) + "..." : word;
            throw FormatError(source + " line " + std::to_string(line) + ": '" + shown +
                              "' is not a token id (expected non-negative integers separated "
                              "by spaces, commas or newlines)");
        }
        ids.push_back(static_cast<std::int32_t>(value));
        i = end;
    }
    return ids;
}

std::vector<std::int32_t> readTokenIds(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot open token-id file " + path + ": " + std::strerror(errno));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw IoError("cannot read token-id file " + path);
    return parseTokenIds(buffer.str(), path);
}

} // namespace lathe
