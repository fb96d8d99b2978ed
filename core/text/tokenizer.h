// SPDX-License-Identifier: GPL-3.0-or-later
// What every tokenizer offers the engine, the CLI and the GUI: text -> token ids and back,
// whatever file it came from (tokenizer.json, a GGUF vocabulary, a SentencePiece model).
// Implementations are thread-safe for concurrent encode/decode calls.
// loadTokenizer() (text/tokenizerloader.h) picks the right one for a path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // A Hugging Face tokenizer.json file or a folder holding one (see HfTokenizer).
    static std::shared_ptr<Tokenizer> fromTokenizerJson(const std::string &path);

    // Text -> ids. With addSpecialTokens, BOS/EOS-style tokens are added as the tokenizer's
    // own configuration says (post-processor, add_bos_token, GGUF add_bos flag, ...).
    virtual std::vector<int32_t> encode(const std::string &text, bool addSpecialTokens) const = 0;

    // Ids -> text; invalid UTF-8 from byte tokens becomes U+FFFD. Unknown ids are skipped.
    virtual std::string decode(
        const std::vector<int32_t> &ids, bool skipSpecialTokens = false) const = 0;

    // The token's string as stored in the vocabulary ("" for an unknown id).
    virtual std::string tokenToString(int32_t id) const = 0;
    // -1 when there is no such token.
    virtual int32_t idForToken(const std::string &token) const = 0;
    // One more than the largest id.
    virtual std::size_t vocabSize() const = 0;
    // Control/special tokens (BOS, EOS, chat markers): skipped by decode(ids, true).
    virtual bool isSpecial(int32_t id) const = 0;

    // -1 when unknown.
    virtual int32_t bosId() const = 0;
    virtual int32_t eosId() const = 0;
    // Whether encode(text, true) puts BOS first.
    virtual bool addsBos() const = 0;

    // Short description for users: "tokenizer.json (BPE)", "GGUF llama vocabulary", ...
    virtual std::string kind() const = 0;
    // The file it was read from.
    const std::string &sourcePath() const { return m_path; }

protected:
    std::string m_path;
};

} // namespace lathe
