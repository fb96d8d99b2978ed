// SPDX-License-Identifier: GPL-3.0-or-later
// SentencePiece's BPE model as stored in GGUF "llama" vocabularies and tokenizer.model files:
// no merge list, only a score per piece. Encoding starts from single characters and keeps
// merging the adjacent pair whose concatenation is the highest-scoring piece (leftmost on
// ties); characters with no piece fall back to <0xAB> byte pieces, else to the unknown piece.
#pragma once

#include "text/tokenmodel.h"

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lathe {

// A SentencePiece vocabulary, whatever file it came from.
struct SpmVocabulary {
    enum PieceType : int { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5,
        Byte = 6 };
    std::vector<std::string> pieces;
    std::vector<float> scores;
    std::vector<int> types; // PieceType per piece
    int32_t unkId = -1;
    int32_t bosId = -1;
    int32_t eosId = -1;
    bool addDummyPrefix = true; // "▁" before the text, as SentencePiece does
    bool byteFallback = true; // unknown characters become <0xAB> pieces (when present)
    bool addBos = true;
    bool addEos = false;
};

// Lets maps keyed by std::string be searched with a string_view (no temporary strings).
struct TransparentStringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using PieceMap = std::unordered_map<std::string, int32_t, TransparentStringHash, std::equal_to<>>;

class SpmModel : public TokenModel {
public:
    // Throws FormatError naming `context` when the vocabulary is inconsistent.
    SpmModel(const SpmVocabulary &vocab, const std::string &context);

    void encode(const std::string &piece, std::vector<int32_t> &out) const override;
    int32_t idForToken(const std::string &token) const override;
    const std::string *tokenForId(int32_t id) const override;
    std::size_t size() const override { return m_pieces.size(); }

private:
    void encodeSegment(std::string_view piece, std::vector<int32_t> &out) const;
    void emitSymbol(std::string_view text, std::vector<int32_t> &out) const;

    std::vector<std::string> m_pieces;
    std::vector<float> m_scores;
    // Pieces a merge may produce (not control, unused or byte pieces).
    PieceMap m_mergeable;
    PieceMap m_all;
    std::array<int32_t, 256> m_byteIds {};
    int32_t m_unkId = -1;
    // No piece has "▁" right after another character, so no merge crosses the start of a
    // word: long texts can be encoded word by word (same result, small heaps).
    bool m_wordsAreIndependent = false;
};

} // namespace lathe
