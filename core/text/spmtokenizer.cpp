// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/spmtokenizer.h"

#include "text/hftokenizer.h"

#include <nlohmann/json.hpp>

namespace lathe {

namespace {

const char *const kSpace = "\xE2\x96\x81"; // U+2581, SentencePiece's visible space

nlohmann::json replaceStep(const std::string &from, const std::string &to)
{
    return { { "type", "Replace" }, { "pattern", { { "String", from } } }, { "content", to } };
}

} // namespace

std::shared_ptr<Tokenizer> makeSpmTokenizer(
    const SpmVocabulary &vocab, const std::string &sourcePath, const std::string &kind)
{
    nlohmann::json j = nlohmann::json::object();
    nlohmann::json normalizers = nlohmann::json::array();
    if (vocab.addDummyPrefix)
        normalizers.push_back({ { "type", "Prepend" }, { "prepend", kSpace } });
    normalizers.push_back(replaceStep(" ", kSpace));
    j["normalizer"] = { { "type", "Sequence" }, { "normalizers", normalizers } };
    j["pre_tokenizer"] = nullptr;

    nlohmann::json decoders = nlohmann::json::array(
        { replaceStep(kSpace, " "), { { "type", "ByteFallback" } }, { { "type", "Fuse" } } });
    if (vocab.addDummyPrefix)
        decoders.push_back({ { "type", "Strip" }, { "content", " " }, { "start", 1 },
            { "stop", 0 } });
    j["decoder"] = { { "type", "Sequence" }, { "decoders", decoders } };

    // Control and unknown pieces are special; user-defined ones are plain added tokens. Both
    // are matched in the text before the model runs, as SentencePiece and HF do.
    nlohmann::json added = nlohmann::json::array();
    for (std::size_t i = 0; i < vocab.pieces.size() && i < vocab.types.size(); ++i) {
        const int type = vocab.types[i];
        const bool special = type == SpmVocabulary::Control || type == SpmVocabulary::Unknown;
        if (!special && type != SpmVocabulary::UserDefined)
            continue;
        added.push_back({ { "id", i }, { "content", vocab.pieces[i] }, { "special", special },
            { "normalized", false } });
    }
    j["added_tokens"] = added;

    auto model = std::make_unique<SpmModel>(vocab, sourcePath);
    auto tok = HfTokenizer::fromJson(j, sourcePath, nlohmann::json(), std::move(model), kind);
    tok->setSpecialIds(vocab.bosId, vocab.eosId);
    tok->setAddFlags(vocab.addBos, vocab.addEos);
    return tok;
}

} // namespace lathe
