// SPDX-License-Identifier: GPL-3.0-or-later
// The merge loop of the byte-level BPE trainer: given counted words (as byte sequences), learns
// merges by repeatedly joining the most frequent adjacent pair, updating pair counts only for
// the words that hold the merged pair. Private to bpetrainer.cpp.
#pragma once

#include "util/progress.h"

#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace lathe {

struct BpeWord {
    std::vector<int32_t> symbols; // 0..255 bytes, then 256 + n for the n-th learned token
    int64_t count = 0;
};

struct BpeMergeResult {
    // Learned tokens in id order after the 256 bytes, as byte-level strings ("Ġthe").
    std::vector<std::string> tokens;
    // Every merge in order as a pair of byte-level strings.
    std::vector<std::pair<std::string, std::string>> merges;
};

// Learns merges until `newTokens` tokens exist or no pair occurs `minFrequency` times.
// Ties in frequency go to the pair whose (left, right) strings sort first, so the result
// does not depend on hash order. Merges whose result would equal a string in `forbidden`
// (the special tokens) are skipped. `progress` gets fractions in [0, 1].
BpeMergeResult learnBpeMerges(std::vector<BpeWord> words, int newTokens, int64_t minFrequency,
    const std::unordered_set<std::string> &forbidden, const ProgressFn &progress,
    const CancelToken &cancel);

// The byte-level (GPT-2) string of a byte.
const std::string &byteSymbol(int byte);

} // namespace lathe
