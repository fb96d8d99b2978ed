// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/ggufvocab.h"

#include "io/gguf.h"
#include "text/hftokenizer.h"
#include "text/spmtokenizer.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

namespace lathe {

namespace {

// llama.cpp's token types (same numbering as SentencePiece's piece types).
constexpr int kControl = 3;
constexpr int kUserDefined = 4;

// Pre-tokenizer regexes of the byte-level BPE families (from their tokenizer.json files).
const char *const kLlama3Regex
    = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
      "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char *const kQwen2Regex
    = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
      "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

struct PreTokenizerChoice {
    nlohmann::json json;
    bool ignoreMerges = false;
};

nlohmann::json byteLevel(bool useRegex)
{
    return { { "type", "ByteLevel" }, { "add_prefix_space", false }, { "trim_offsets", false },
        { "use_regex", useRegex } };
}

nlohmann::json splitThenByteLevel(const char *regex)
{
    const nlohmann::json split = { { "type", "Split" }, { "pattern", { { "Regex", regex } } },
        { "behavior", "Isolated" }, { "invert", false } };
    return { { "type", "Sequence" }, { "pretokenizers", { split, byteLevel(false) } } };
}

PreTokenizerChoice preTokenizerFor(const std::string &pre, const std::string &context)
{
    // GPT-2's regex is built into the ByteLevel pre-tokenizer; "default" is what llama.cpp
    // assumes when a converter wrote no pre type.
    if (pre == "gpt-2" || pre == "default" || pre == "phi-2")
        return { byteLevel(true), false };
    if (pre == "llama3" || pre == "llama-bpe" || pre == "llama-v3" || pre == "smaug-bpe")
        return { splitThenByteLevel(kLlama3Regex), true };
    if (pre == "qwen2" || pre == "deepseek-r1-qwen")
        return { splitThenByteLevel(kQwen2Regex), false };
    throw UnsupportedError(context + ": GGUF pre-tokenizer '" + pre
        + "' (tokenizer.ggml.pre) is not supported; supported: gpt-2, default, phi-2, llama3, "
          "llama-bpe, smaug-bpe, qwen2, deepseek-r1-qwen");
}

const GgufValue &requireArray(const GgufFile &gguf, const std::string &key, std::size_t size)
{
    const GgufValue *v = gguf.find(key);
    if (!v || !v->isArray())
        throw FormatError(gguf.path() + ": metadata '" + key + "' is missing or not an array");
    if (size != 0 && v->arraySize != size)
        throw FormatError(gguf.path() + ": metadata '" + key + "' has "
            + std::to_string(v->arraySize) + " entries for " + std::to_string(size) + " tokens");
    return *v;
}

int32_t optionalId(const GgufFile &gguf, const std::string &key, std::size_t vocabSize)
{
    const auto v = gguf.getInt(key);
    if (!v || *v < 0 || std::size_t(*v) >= vocabSize)
        return -1; // absent, or llama.cpp's "none" (0xFFFFFFFF)
    return int32_t(*v);
}

std::vector<int> tokenTypes(const GgufFile &gguf, std::size_t n)
{
    const GgufValue *v = gguf.find("tokenizer.ggml.token_type");
    if (!v)
        return std::vector<int>(n, 1);
    requireArray(gguf, "tokenizer.ggml.token_type", n);
    return std::vector<int>(v->ints.begin(), v->ints.end());
}

std::shared_ptr<Tokenizer> spmFromGguf(
    const GgufFile &gguf, const std::vector<std::string> &tokens, const std::string &kind)
{
    const std::size_t n = tokens.size();
    SpmVocabulary v;
    v.pieces = tokens;
    const GgufValue *scores = gguf.find("tokenizer.ggml.scores");
    if (scores) {
        requireArray(gguf, "tokenizer.ggml.scores", n);
        v.scores.assign(scores->floats.begin(), scores->floats.end());
    } else {
        v.scores.assign(n, 0.0f);
    }
    v.types = tokenTypes(gguf, n);
    v.unkId = optionalId(gguf, "tokenizer.ggml.unknown_token_id", n);
    v.bosId = optionalId(gguf, "tokenizer.ggml.bos_token_id", n);
    v.eosId = optionalId(gguf, "tokenizer.ggml.eos_token_id", n);
    v.addDummyPrefix = gguf.getBool("tokenizer.ggml.add_space_prefix").value_or(true);
    v.addBos = gguf.getBool("tokenizer.ggml.add_bos_token").value_or(true) && v.bosId >= 0;
    v.addEos = gguf.getBool("tokenizer.ggml.add_eos_token").value_or(false) && v.eosId >= 0;
    return makeSpmTokenizer(v, gguf.path(), kind);
}

std::shared_ptr<Tokenizer> bpeFromGguf(
    const GgufFile &gguf, const std::vector<std::string> &tokens, const std::string &kind)
{
    const std::string &ctx = gguf.path();
    const std::size_t n = tokens.size();
    const std::string pre = gguf.getString("tokenizer.ggml.pre").value_or("default");
    const PreTokenizerChoice choice = preTokenizerFor(pre, ctx);
    const GgufValue &merges = requireArray(gguf, "tokenizer.ggml.merges", 0);
    const std::vector<int> types = tokenTypes(gguf, n);

    // Express the vocabulary as the tokenizer.json it was converted from.
    nlohmann::json vocab = nlohmann::json::object();
    nlohmann::json added = nlohmann::json::array();
    for (std::size_t i = 0; i < n; ++i) {
        vocab[tokens[i]] = i;
        if (types[i] == kControl || types[i] == kUserDefined)
            added.push_back({ { "id", i }, { "content", tokens[i] },
                { "special", types[i] == kControl }, { "normalized", false } });
    }
    nlohmann::json j = nlohmann::json::object();
    j["model"] = { { "type", "BPE" }, { "vocab", std::move(vocab) }, { "merges", merges.strings },
        { "byte_fallback", false }, { "ignore_merges", choice.ignoreMerges } };
    j["pre_tokenizer"] = choice.json;
    j["decoder"] = byteLevel(true);
    j["added_tokens"] = std::move(added);
    auto tok = HfTokenizer::fromJson(j, ctx, nlohmann::json(), nullptr, kind + " (" + pre + ")");
    const int32_t bos = optionalId(gguf, "tokenizer.ggml.bos_token_id", n);
    const int32_t eos = optionalId(gguf, "tokenizer.ggml.eos_token_id", n);
    tok->setSpecialIds(bos, eos);
    tok->setAddFlags(gguf.getBool("tokenizer.ggml.add_bos_token").value_or(false) && bos >= 0,
        gguf.getBool("tokenizer.ggml.add_eos_token").value_or(false) && eos >= 0);
    return tok;
}

} // namespace

std::shared_ptr<Tokenizer> tokenizerFromGguf(const GgufFile &gguf)
{
    const auto model = gguf.getString("tokenizer.ggml.model");
    if (!model)
        throw FormatError(gguf.path() + ": no tokenizer in this GGUF (tokenizer.ggml.model)");
    const GgufValue &tokensValue = requireArray(gguf, "tokenizer.ggml.tokens", 0);
    if (tokensValue.strings.empty())
        throw FormatError(gguf.path() + ": tokenizer.ggml.tokens is empty");
    const std::string kind = "GGUF " + *model + " vocabulary";
    if (*model == "llama")
        return spmFromGguf(gguf, tokensValue.strings, kind);
    if (*model == "gpt2")
        return bpeFromGguf(gguf, tokensValue.strings, kind);
    throw UnsupportedError(gguf.path() + ": GGUF tokenizer model '" + *model
        + "' (tokenizer.ggml.model) is not supported; supported: llama, gpt2");
}

} // namespace lathe
