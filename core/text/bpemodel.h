// SPDX-License-Identifier: GPL-3.0-or-later
// The BPE "model" of a Hugging Face tokenizer.json: vocabulary, ranked merges and the options
// that byte-level (GPT-2, Llama 3, Qwen) and SentencePiece-style (byte_fallback, unk) models use.
// Encodes one pre-token at a time; results are cached per pre-token.
#pragma once

#include "text/tokenmodel.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace lathe {

class BpeModel : public TokenModel {
public:
    // `j` is the "model" object. Throws FormatError / UnsupportedError naming `context`.
    static std::unique_ptr<BpeModel> fromJson(const nlohmann::json &j, const std::string &context);

    // Appends the ids of one pre-token.
    void encode(const std::string &piece, std::vector<int32_t> &out) const override;

    // -1 when the token is not in the vocabulary.
    int32_t idForToken(const std::string &token) const override;
    // nullptr when no token has this id.
    const std::string *tokenForId(int32_t id) const override;
    // One more than the largest id.
    std::size_t size() const override { return m_idToToken.size(); }

private:
    void encodeUncached(const std::string &piece, std::vector<int32_t> &out) const;
    bool hasByteTokens(const std::string &piece, std::size_t pos, std::size_t n) const;

    std::unordered_map<std::string, int32_t> m_vocab;
    std::vector<std::string> m_idToToken;
    std::vector<bool> m_hasToken;
    // (left id << 32 | right id) -> (rank, merged id)
    std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> m_merges;
    static constexpr int32_t kNotCached = -2;
    std::array<int32_t, 128> m_asciiIds {}; // id of each one-byte token, or kNotCached
    std::array<int32_t, 256> m_byteIds {}; // <0xAB> token ids, -1 where missing
    int32_t m_unkId = -1;
    bool m_fuseUnk = false;
    bool m_byteFallback = false;
    bool m_ignoreMerges = false;
    std::string m_prefix; // continuing_subword_prefix
    std::string m_suffix; // end_of_word_suffix

    mutable std::mutex m_cacheMutex;
    mutable std::unordered_map<std::string, std::vector<int32_t>> m_cache;
};

} // namespace lathe
