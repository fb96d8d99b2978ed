// SPDX-License-Identifier: GPL-3.0-or-later
// A tokenizer built as Hugging Face tokenizers builds one: normalizer -> pre-tokenizer ->
// model -> post-processor, with added tokens matched first, and a decoder chain. Read from
// a tokenizer.json (plus tokenizer_config.json beside it for BOS/EOS), or assembled from a
// GGUF vocabulary by expressing it as the equivalent tokenizer.json (ggufvocab.cpp).
#pragma once

#include "text/tokenizer.h"

#include <nlohmann/json_fwd.hpp>

#include <memory>

namespace lathe {

class AddedTokens;
class Decoder;
class Normalizer;
class PreTokenizer;
class TokenModel;

class HfTokenizer : public Tokenizer {
public:
    ~HfTokenizer() override;

    // `path` is a tokenizer.json file or a folder holding one. Throws IoError / FormatError /
    // UnsupportedError (naming the component type that is not supported).
    static std::shared_ptr<HfTokenizer> fromFile(const std::string &path);

    // From a parsed tokenizer.json object `j`; `context` names its source in errors. When
    // `model` is given it replaces j["model"] (vocabularies tokenizer.json cannot express).
    // `config` is a parsed tokenizer_config.json or null.
    static std::shared_ptr<HfTokenizer> fromJson(const nlohmann::json &j,
        const std::string &context, const nlohmann::json &config,
        std::unique_ptr<TokenModel> model = nullptr, std::string kind = "tokenizer.json");

    std::vector<int32_t> encode(const std::string &text, bool addSpecialTokens) const override;
    std::string decode(
        const std::vector<int32_t> &ids, bool skipSpecialTokens = false) const override;
    std::string tokenToString(int32_t id) const override;
    int32_t idForToken(const std::string &token) const override;
    std::size_t vocabSize() const override { return m_vocabSize; }
    bool isSpecial(int32_t id) const override;
    int32_t bosId() const override { return m_bosId; }
    int32_t eosId() const override { return m_eosId; }
    bool addsBos() const override;
    std::string kind() const override { return m_kind; }

    // Overrides for sources that state them outside tokenizer_config.json (GGUF flags).
    void setSpecialIds(int32_t bos, int32_t eos) { m_bosId = bos; m_eosId = eos; }
    void setAddFlags(bool addBos, bool addEos);

private:
    HfTokenizer();
    void applyConfig(const nlohmann::json &config, const std::string &context);
    void encodeText(const std::string &text, bool firstSegment, std::vector<int32_t> &out) const;

    // One item of the post-processing template: fixed ids, or the encoded sequence.
    struct TemplateItem {
        bool sequence = false;
        std::vector<int32_t> ids;
    };

    std::string m_kind;
    std::unique_ptr<Normalizer> m_normalizer;
    std::unique_ptr<PreTokenizer> m_preTokenizer;
    std::unique_ptr<TokenModel> m_model;
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
