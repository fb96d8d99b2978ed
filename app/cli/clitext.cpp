// SPDX-License-Identifier: GPL-3.0-or-later
#include "clitext.h"

#include "io/modelconfig.h"
#include "text/tokenizer.h"
#include "text/tokenizerloader.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace lathe::cli {

namespace {

bool isJinjaFile(const std::string &path)
{
    const std::string ext = std::filesystem::path(path).extension().string();
    return ext == ".jinja" || ext == ".j2";
}

} // namespace

std::string readTextFile(const std::string &path)
{
    requireExists(path);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw IoError("'" + path + "' is a folder, not a text file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot open '" + path + "': " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw IoError("cannot read '" + path + "'");
    return text.str();
}

std::shared_ptr<Tokenizer> loadTokenizerFor(const std::string &path)
{
    requireExists(path);
    std::shared_ptr<Tokenizer> tokenizer;
    withPathContext(path, [&] { tokenizer = loadTokenizer(path); });
    return tokenizer;
}

ChatTemplateChoice chooseChatTemplate(const std::string &model, const std::string &templateFile,
                                      const Tokenizer *tokenizer)
{
    ChatTemplateChoice choice;
    const bool modelIsTemplate = templateFile.empty() && isJinjaFile(model);
    std::optional<ChatTemplateSource> own;
    if (!modelIsTemplate) {
        requireExists(model);
        withPathContext(model, [&] { own = findChatTemplate(model); });
    }
    if (!templateFile.empty() || modelIsTemplate) {
        choice.origin = modelIsTemplate ? model : templateFile;
        withPathContext(choice.origin, [&] { choice.text = readTextFile(choice.origin); });
    } else if (own) {
        choice.text = own->text;
        choice.origin = own->origin;
    } else {
        throw InvalidArgument("'" + model + "' has no chat template (no chat_template in its "
                              "tokenizer_config.json, no chat_template.jinja, no GGUF "
                              "tokenizer.chat_template); give one with --template FILE.jinja");
    }
    if (own) {
        choice.bosToken = own->bosToken;
        choice.eosToken = own->eosToken;
    }
    if (tokenizer) {
        if (choice.bosToken.empty() && tokenizer->bosId() >= 0)
            choice.bosToken = tokenizer->tokenToString(tokenizer->bosId());
        if (choice.eosToken.empty() && tokenizer->eosId() >= 0)
            choice.eosToken = tokenizer->tokenToString(tokenizer->eosId());
    }
    return choice;
}

std::vector<std::int32_t> encodeChatPrompt(const Tokenizer &tokenizer, const std::string &prompt)
{
    std::vector<std::int32_t> ids = tokenizer.encode(prompt, false);
    const std::int32_t bos = tokenizer.bosId();
    // Templates written for BOS-adding tokenizers usually print bos_token themselves; one that
    // does not would otherwise give the model a prompt it never saw in training.
    if (tokenizer.addsBos() && bos >= 0 && (ids.empty() || ids.front() != bos))
        ids.insert(ids.begin(), bos);
    return ids;
}

void addSamplerOptions(CLI::App &cmd, SamplerCliOptions &o, int defaultMaxTokens)
{
    cmd.add_option("-n,--max-tokens", o.maxTokens,
                   std::string("Most tokens to generate (default: max_new_tokens of "
                               "generation_config.json, else ")
                       + std::to_string(defaultMaxTokens) + ")")
        ->check(CLI::NonNegativeNumber);
    cmd.add_option("--temp", o.temperature, "Temperature; 0 = greedy (argmax)")
        ->check(CLI::NonNegativeNumber);
    cmd.add_option("--top-k", o.topK, "Keep the K most likely tokens; 0 = off")
        ->check(CLI::NonNegativeNumber);
    cmd.add_option("--top-p", o.topP,
                   "Keep the smallest set of tokens whose probabilities add up to P; 1 = off")
        ->check(CLI::Range(0.0, 1.0));
    cmd.add_option("--min-p", o.minP,
                   "Drop tokens less likely than M times the most likely one; 0 = off")
        ->check(CLI::Range(0.0, 1.0));
    cmd.add_option("--repeat-penalty", o.repeatPenalty,
                   "Penalty for tokens seen in the last --repeat-last-n ids; 1 = off")
        ->check(CLI::PositiveNumber);
    cmd.add_option("--repeat-last-n", o.repeatLastN,
                   "How many recent ids the repetition penalty looks at; -1 = all")
        ->default_val(64);
    cmd.add_option("--seed", o.seed, "Random seed (default: a random one, printed with --json)");
    cmd.add_option("--stop-ids", o.stopIds,
                   "Extra ids that end generation, comma separated (the model's end-of-sequence "
                   "ids always stop it unless --ignore-eos)");
    cmd.add_flag("--ignore-eos", o.ignoreEos, "Do not stop at the model's end-of-sequence ids");
}

SamplerSettings samplerSettings(const SamplerCliOptions &o, const GenerationDefaults &d)
{
    SamplerSettings s; // llama.cpp-like defaults
    const bool modelSaysGreedy = d.doSample.has_value() && !*d.doSample;
    if (o.temperature)
        s.temperature = *o.temperature;
    else if (modelSaysGreedy)
        s.temperature = 0.0;
    else if (d.temperature)
        s.temperature = *d.temperature;
    if (o.topK)
        s.topK = *o.topK;
    else if (d.topK)
        s.topK = *d.topK;
    if (o.topP)
        s.topP = *o.topP;
    else if (d.topP)
        s.topP = *d.topP;
    if (o.minP)
        s.minP = *o.minP;
    else if (d.minP)
        s.minP = *d.minP;
    if (o.repeatPenalty)
        s.repetitionPenalty = *o.repeatPenalty;
    else if (d.repetitionPenalty)
        s.repetitionPenalty = *d.repetitionPenalty;
    s.repeatLastN = o.repeatLastN;
    if (o.seed) {
        s.seed = *o.seed;
    } else {
        std::random_device device;
        s.seed = (static_cast<std::uint64_t>(device()) << 32) | device();
    }
    return s;
}

Json samplerJson(const SamplerSettings &s)
{
    return {{"temperature", s.temperature},   {"top_k", s.topK},
            {"top_p", s.topP},                 {"min_p", s.minP},
            {"repeat_penalty", s.repetitionPenalty}, {"repeat_last_n", s.repeatLastN},
            {"seed", s.seed}};
}

} // namespace lathe::cli
