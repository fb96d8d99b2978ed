// SPDX-License-Identifier: GPL-3.0-or-later
// A Hugging Face tokenizer.json tokenizer (BPE models: GPT-2 / Llama 3 / Qwen byte-level ones
// and SentencePiece-style ones with byte fallback): text -> token ids and back. Reads
// tokenizer_config.json beside the file for the BOS/EOS tokens. Thread-safe for concurrent
// encode/decode calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class AddedTokens;
class BpeModel;
class Decoder;
class Normalizer;
class PreTokenizer;

class Tokenizer {
public:
    ~Tokenizer();

    // `path` is a tokenizer.json file or a folder holding one. Throws IoError / FormatError /
    // UnsupportedError (naming the component type that is not supported).
    static std::shared_ptr<Tokenizer> fromTokenizerJson(const std::string &path);

    // Text -> ids. With addSpecialTokens the post-processor (or tokenizer_config's add_bos_token
    // / add_eos_token when the file has none) adds BOS/EOS-style tokens.
    std::vector<int32_t> encode(const std::string &text, bool addSpecialTokens) const;

    // Ids -> text; invalid UTF-8 from byte tokens becomes U+FFFD. Unknown ids are skipped.
    std::string decode(const std::vector<int32_t> &ids, bool skipSpecialTokens = false) const;

    // The token's string as stored in the vocabulary ("" for an unknown id).
    std::string tokenToString(int32_t id) const;
    // -1 when there is no such token.
    int32_t idForToken(const std::string &token) const;
    // One more than the largest id of the model or the added tokens.
    std::size_t vocabSize() const { return m_vocabSize; }
    bool isSpecial(int32_t id) const;

    // -1 when unknown.
    int32_t bosId() const { return m_bosId; }
    int32_t eosId() const { return m_eosId; }
    // Whether encode(text, true) puts BOS first.
    bool addsBos() const;

    const std::string &sourcePath() const { return m_path; }

private:
    Tokenizer();
    void loadConfig(const std::string &configPath);
    void encodeText(const std::string &text, bool firstSegment, std::vector<int32_t> &out) const;

    // One item of the post-processing template: fixed ids, or the encoded sequence.
    struct TemplateItem {
        bool sequence = false;
        std::vector<int32_t> ids;
    };

    std::string m_path;
    std::unique_ptr<Normalizer> m_normalizer;
    std::unique_ptr<PreTokenizer> m_preTokenizer;
    std::unique_ptr<BpeModel> m_model;
    std::unique_ptr<Decoder> m_decoder;
    std::unique_ptr<AddedTokens> m_added;
    bool m_hasTemplate = false;
    std::vector<TemplateItem> m_template;
    std::size_t m_vocabSize = 0;
    int32_t m_bosId = -1;
    int32_t m_eosId = -1;
    bool m_configAddBos = false;
    bool m_configAddEos = false;
};

} // namespace lathe
