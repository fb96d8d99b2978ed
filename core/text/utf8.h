// SPDX-License-Identifier: GPL-3.0-or-later
// UTF-8 helpers shared by the tokenizer parts: code point iteration, lossy repair of
// invalid byte sequences (the way Rust's from_utf8_lossy does it, which is what Hugging Face
// decoders produce) and the GPT-2 byte <-> printable-character table used by byte-level BPE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lathe::utf8 {

// Length in bytes of the valid UTF-8 sequence starting at s[pos], or 0 when it is invalid
// or truncated.
std::size_t validSequenceLength(std::string_view s, std::size_t pos);

// Length of the next character for iteration: the valid sequence length, or 1 for a stray
// byte so that loops always advance.
std::size_t charLength(std::string_view s, std::size_t pos);

// Decodes the code point at s[pos] (U+FFFD for an invalid byte).
char32_t decodeAt(std::string_view s, std::size_t pos);

void append(std::string &out, char32_t cp);
std::string encode(char32_t cp);

bool isValid(std::string_view s);

// Replaces each maximal invalid subsequence by U+FFFD (Unicode "maximal subpart" practice).
std::string repairLossy(std::string_view s);

// Number of bytes at the end of s that form the start of a character that is not complete
// yet (0..3). Used by streaming decoders to hold bytes back.
std::size_t incompleteTailLength(std::string_view s);

// GPT-2 byte-level mapping: byte -> printable code point (UTF-8 encoded), and back.
const std::string &byteToUnicode(unsigned char b);
// Returns -1 when the code point is not in the table.
int unicodeToByte(char32_t cp);

} // namespace lathe::utf8
