// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/utf8.h"

#include <array>
#include <unordered_map>

namespace lathe::utf8 {

std::size_t validSequenceLength(std::string_view s, std::size_t pos)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    if (b0 < 0x80)
        return 1;
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (pos + len > s.size())
        return 0;
    const auto b1 = static_cast<unsigned char>(s[pos + 1]);
    if (b1 < lo || b1 > hi)
        return 0;
    for (std::size_t i = 2; i < len; ++i) {
        const auto b = static_cast<unsigned char>(s[pos + i]);
        if (b < 0x80 || b > 0xBF)
            return 0;
    }
    return len;
}

std::size_t charLength(std::string_view s, std::size_t pos)
{
    const std::size_t n = validSequenceLength(s, pos);
    return n == 0 ? 1 : n;
}

char32_t decodeAt(std::string_view s, std::size_t pos)
{
    const std::size_t n = validSequenceLength(s, pos);
    const auto b0 = static_cast<unsigned char>(s[pos]);
    switch (n) {
    case 1:
        return b0;
    case 2:
        return (char32_t(b0 & 0x1F) << 6) | (s[pos + 1] & 0x3F);
    case 3:
        return (char32_t(b0 & 0x0F) << 12) | (char32_t(s[pos + 1] & 0x3F) << 6)
            | (s[pos + 2] & 0x3F);
    case 4:
        return (char32_t(b0 & 0x07) << 18) | (char32_t(s[pos + 1] & 0x3F) << 12)
            | (char32_t(s[pos + 2] & 0x3F) << 6) | (s[pos + 3] & 0x3F);
    default:
        return 0xFFFD;
    }
}

void append(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

std::string encode(char32_t cp)
{
    std::string s;
    append(s, cp);
    return s;
}

bool isValid(std::string_view s)
{
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = validSequenceLength(s, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

// Length of the longest prefix of an invalid sequence at pos that could still have been the
// start of a valid character; this whole prefix becomes one U+FFFD.
static std::size_t maximalSubpart(std::string_view s, std::size_t pos)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF)
        len = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else
        return 1;
    std::size_t i = 1;
    for (; i < len && pos + i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[pos + i]);
        const unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h)
            break;
    }
    return i;
}

std::string repairLossy(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = validSequenceLength(s, i);
        if (n > 0) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            i += maximalSubpart(s, i);
        }
    }
    return out;
}

std::size_t incompleteTailLength(std::string_view s)
{
    for (std::size_t back = 1; back <= 3 && back <= s.size(); ++back) {
        const std::size_t pos = s.size() - back;
        const auto b = static_cast<unsigned char>(s[pos]);
        if ((b & 0xC0) == 0x80)
            continue; // continuation byte: look further back for the lead byte
        if (b < 0x80)
            return 0;
        if (validSequenceLength(s, pos) != 0)
            return 0;
        return maximalSubpart(s, pos) == back ? back : 0;
    }
    return 0;
}

namespace {

struct ByteTable {
    std::array<std::string, 256> toUnicode;
    std::unordered_map<char32_t, int> toByte;
    ByteTable()
    {
        // Printable Latin-1 bytes map to themselves; the rest to U+0100 upwards, in order.
        int next = 0;
        for (int b = 0; b < 256; ++b) {
            const bool printable
                = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            const char32_t cp = printable ? char32_t(b) : char32_t(256 + next++);
            toUnicode[b] = encode(cp);
            toByte[cp] = b;
        }
    }
};

const ByteTable &table()
{
    static const ByteTable t;
    return t;
}

} // namespace

const std::string &byteToUnicode(unsigned char b)
{
    return table().toUnicode[b];
}

int unicodeToByte(char32_t cp)
{
    const auto &m = table().toByte;
    const auto it = m.find(cp);
    return it == m.end() ? -1 : it->second;
}

} // namespace lathe::utf8
