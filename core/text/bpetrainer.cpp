// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/bpetrainer.h"

#include "text/addedtokens.h"
#include "text/bpetrainermerges.h"
#include "text/pretokenizer.h"
#include "text/utf8.h"
#include "util/atomicfile.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace lathe {

namespace {

using ojson = nlohmann::ordered_json;

// Digits one by one (so "47" is "4" "7" and sums stay learnable), then GPT-2's ByteLevel.
ojson preTokenizerJson()
{
    return ojson { { "type", "Sequence" },
        { "pretokenizers",
            ojson::array({ ojson { { "type", "Digits" }, { "individual_digits", true } },
                ojson { { "type", "ByteLevel" }, { "add_prefix_space", false },
                    { "trim_offsets", true }, { "use_regex", true } } }) } };
}

// The 256 byte symbols in GPT-2's order: printable bytes first, then the remapped ones.
std::vector<int> gpt2ByteOrder()
{
    std::vector<int> order;
    std::vector<bool> taken(256, false);
    for (int b = 0; b < 256; ++b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
            order.push_back(b);
            taken[std::size_t(b)] = true;
        }
    }
    for (int b = 0; b < 256; ++b)
        if (!taken[std::size_t(b)])
            order.push_back(b);
    return order;
}

void validate(const BpeTrainOptions &o)
{
    std::unordered_set<std::string> seen;
    for (const auto &t : o.specialTokens) {
        if (t.empty())
            throw InvalidArgument("BPE training: a special token is empty");
        if (!seen.insert(t).second)
            throw InvalidArgument("BPE training: special token '" + t + "' is listed twice");
    }
    const std::size_t minimum = o.specialTokens.size() + 256;
    if (o.vocabSize < 0 || std::size_t(o.vocabSize) < minimum)
        throw InvalidArgument("BPE training: a vocabulary of " + std::to_string(o.vocabSize)
            + " tokens is too small; it needs at least " + std::to_string(minimum)
            + " (the special tokens and the 256 bytes)");
    for (const auto *tok : { &o.bosToken, &o.eosToken })
        if (!tok->empty() && !seen.count(*tok))
            throw InvalidArgument("BPE training: '" + *tok + "' is not one of the special tokens");
    if (o.addBosToken && o.bosToken.empty())
        throw InvalidArgument("BPE training: add_bos_token is set but there is no BOS token");
}

// Pre-tokenizes every document exactly as the written tokenizer.json will, and counts the
// distinct words (as byte sequences).
std::vector<BpeWord> countWords(const std::vector<std::string> &documents,
    const BpeTrainOptions &options, const ProgressFn &progress, const CancelToken &cancel)
{
    AddedTokens specials;
    for (std::size_t i = 0; i < options.specialTokens.size(); ++i) {
        AddedToken t;
        t.id = int32_t(i);
        t.content = options.specialTokens[i];
        t.special = true;
        specials.add(t, t.content);
    }
    const auto pre = PreTokenizer::fromJson(preTokenizerJson(), "BPE trainer");
    std::unordered_map<std::string, int64_t> counts;
    std::vector<std::string> pieces;
    for (std::size_t d = 0; d < documents.size(); ++d) {
        if (d % 256 == 0) {
            cancel.throwIfCancelled();
            reportProgress(progress, double(d) / double(documents.size()),
                "counting words " + std::to_string(d) + "/" + std::to_string(documents.size()));
        }
        // Invalid UTF-8 is repaired as the tokenizer does before it splits.
        const std::string &raw = documents[d];
        const std::string repaired = utf8::isValid(raw) ? std::string() : utf8::repairLossy(raw);
        const std::string &text = repaired.empty() ? raw : repaired;
        for (const auto &seg : specials.split(text, false)) {
            if (seg.id >= 0 || seg.text.empty())
                continue;
            pieces.clear();
            pieces.push_back(seg.text);
            pre->apply(pieces, seg.offset == 0);
            for (auto &p : pieces)
                ++counts[p];
        }
    }
    // A fixed order (sorted by string) keeps the result independent of hash order.
    std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<BpeWord> words;
    words.reserve(sorted.size());
    for (const auto &[piece, count] : sorted) {
        BpeWord w;
        w.count = count;
        for (std::size_t i = 0; i < piece.size();) {
            const std::size_t len = utf8::charLength(piece, i);
            w.symbols.push_back(utf8::unicodeToByte(utf8::decodeAt(piece, i)));
            i += len;
        }
        words.push_back(std::move(w));
    }
    return words;
}

ojson addedTokenJson(int id, const std::string &content)
{
    return ojson { { "id", id }, { "content", content }, { "single_word", false },
        { "lstrip", false }, { "rstrip", false }, { "normalized", false }, { "special", true } };
}

ojson tokenizerJson(const BpeTrainOptions &o, const BpeMergeResult &learned)
{
    ojson added = ojson::array();
    ojson vocab = ojson::object();
    int id = 0;
    for (const auto &t : o.specialTokens) {
        added.push_back(addedTokenJson(id, t));
        vocab[t] = id++;
    }
    for (int b : gpt2ByteOrder())
        vocab[byteSymbol(b)] = id++;
    for (const auto &t : learned.tokens)
        vocab[t] = id++;
    ojson merges = ojson::array();
    for (const auto &[a, b] : learned.merges)
        merges.push_back(a + " " + b);

    ojson post = nullptr;
    if (o.addBosToken) {
        const int bosId = int(std::find(o.specialTokens.begin(), o.specialTokens.end(), o.bosToken)
            - o.specialTokens.begin());
        auto special = [&](int typeId) {
            return ojson { { "SpecialToken", { { "id", o.bosToken }, { "type_id", typeId } } } };
        };
        auto sequence = [](const char *name, int typeId) {
            return ojson { { "Sequence", { { "id", name }, { "type_id", typeId } } } };
        };
        post = ojson { { "type", "TemplateProcessing" },
            { "single", ojson::array({ special(0), sequence("A", 0) }) },
            { "pair",
                ojson::array({ special(0), sequence("A", 0), special(1), sequence("B", 1) }) },
            { "special_tokens",
                { { o.bosToken,
                    { { "id", o.bosToken }, { "ids", ojson::array({ bosId }) },
                        { "tokens", ojson::array({ o.bosToken }) } } } } } };
    }
    ojson model = { { "type", "BPE" }, { "dropout", nullptr }, { "unk_token", nullptr },
        { "continuing_subword_prefix", nullptr }, { "end_of_word_suffix", nullptr },
        { "fuse_unk", false }, { "byte_fallback", false }, { "ignore_merges", false },
        { "vocab", std::move(vocab) }, { "merges", std::move(merges) } };
    return ojson { { "version", "1.0" }, { "truncation", nullptr }, { "padding", nullptr },
        { "added_tokens", std::move(added) }, { "normalizer", nullptr },
        { "pre_tokenizer", preTokenizerJson() }, { "post_processor", std::move(post) },
        { "decoder",
            { { "type", "ByteLevel" }, { "add_prefix_space", true }, { "trim_offsets", true },
                { "use_regex", true } } },
        { "model", std::move(model) } };
}

ojson tokenizerConfigJson(const BpeTrainOptions &o)
{
    ojson decoder = ojson::object();
    for (std::size_t i = 0; i < o.specialTokens.size(); ++i) {
        decoder[std::to_string(i)]
            = { { "content", o.specialTokens[i] }, { "lstrip", false }, { "normalized", false },
                  { "rstrip", false }, { "single_word", false }, { "special", true } };
    }
    ojson c = { { "add_bos_token", o.addBosToken }, { "add_eos_token", false },
        { "added_tokens_decoder", std::move(decoder) } };
    c["bos_token"] = o.bosToken.empty() ? ojson(nullptr) : ojson(o.bosToken);
    if (!o.chatTemplate.empty())
        c["chat_template"] = o.chatTemplate;
    c["clean_up_tokenization_spaces"] = false;
    c["eos_token"] = o.eosToken.empty() ? ojson(nullptr) : ojson(o.eosToken);
    c["model_max_length"] = o.modelMaxLength;
    c["tokenizer_class"] = "PreTrainedTokenizerFast";
    return c;
}

} // namespace

void trainByteLevelBpe(const std::vector<std::string> &documents, const BpeTrainOptions &options,
    const std::string &outDir, const ProgressFn &progress, const CancelToken &cancel)
{
    validate(options);
    auto stage = [&](double from, double to) -> ProgressFn {
        if (!progress)
            return {};
        return [=](double f, const std::string &msg) { progress(from + (to - from) * f, msg); };
    };
    std::vector<BpeWord> words = countWords(documents, options, stage(0.0, 0.15), cancel);
    const int newTokens = options.vocabSize - int(options.specialTokens.size()) - 256;
    const std::unordered_set<std::string> forbidden(
        options.specialTokens.begin(), options.specialTokens.end());
    const BpeMergeResult learned = learnBpeMerges(std::move(words), newTokens,
        std::max(1, options.minFrequency), forbidden, stage(0.15, 0.98), cancel);
    cancel.throwIfCancelled();

    std::error_code ec;
    std::filesystem::create_directories(outDir, ec);
    if (ec)
        throw IoError("cannot create the folder " + outDir + ": " + ec.message());
    const std::filesystem::path dir(outDir);
    writeFileAtomically((dir / "tokenizer.json").string(), tokenizerJson(options, learned).dump(2) + "\n");
    writeFileAtomically((dir / "tokenizer_config.json").string(), tokenizerConfigJson(options).dump(2) + "\n");
    reportProgress(progress, 1.0,
        "tokenizer with "
            + std::to_string(options.specialTokens.size() + 256 + learned.tokens.size())
            + " tokens written");
}

} // namespace lathe
