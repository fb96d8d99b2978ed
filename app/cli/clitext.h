// SPDX-License-Identifier: GPL-3.0-or-later
// Text-side pieces shared by the lathe-cli commands that take or print text: loading a
// tokenizer or a chat template for a MODEL argument, reading text files, turning a rendered
// chat prompt into ids, and the sampler flags of `generate` and `chat`.
#pragma once

#include "clicommon.h"

#include "generate/sampler.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace lathe {
class Tokenizer;
struct GenerationDefaults;
} // namespace lathe

namespace lathe::cli {

// The whole file as bytes. Throws IoError naming the file when it cannot be read.
std::string readTextFile(const std::string &path);

// loadTokenizer(path) with the CLI's checks: the path must exist, errors name it.
std::shared_ptr<Tokenizer> loadTokenizerFor(const std::string &path);

// A chat template chosen for a command.
struct ChatTemplateChoice {
    std::string text;
    std::string bosToken;
    std::string eosToken;
    std::string origin; // file it came from, for messages
};

// The template for MODEL: `templateFile` when given (a .jinja file), else MODEL itself when it
// is a .jinja file, else the model's own (findChatTemplate). bos/eos come from the model's
// template source, else from the model's tokenizer (when `tokenizer` is given). Throws
// InvalidArgument naming MODEL and suggesting --template when it has no chat template.
ChatTemplateChoice chooseChatTemplate(const std::string &model, const std::string &templateFile,
                                      const Tokenizer *tokenizer);

// Ids of a rendered chat prompt, as transformers' apply_chat_template(tokenize=True) does
// (the template writes the special tokens itself), except that a BOS the tokenizer always
// adds is put first when the template did not write one.
std::vector<std::int32_t> encodeChatPrompt(const Tokenizer &tokenizer, const std::string &prompt);

// Sampling flags shared by `generate` and `chat`.
struct SamplerCliOptions {
    std::optional<int> maxTokens;
    std::optional<double> temperature;
    std::optional<int> topK;
    std::optional<double> topP;
    std::optional<double> minP;
    std::optional<double> repeatPenalty;
    int repeatLastN = 64;
    std::optional<std::uint64_t> seed;
    std::string stopIds;
    bool ignoreEos = false;
};

// `defaultMaxTokens` is what --max-tokens means when neither it nor generation_config.json
// says (shown in the help).
void addSamplerOptions(CLI::App &command, SamplerCliOptions &options, int defaultMaxTokens);

// Flags win; then the model's generation_config.json; then llama.cpp's defaults (the
// SamplerSettings defaults). do_sample = false in generation_config means greedy, as in HF.
SamplerSettings samplerSettings(const SamplerCliOptions &o, const GenerationDefaults &d);

Json samplerJson(const SamplerSettings &s);

} // namespace lathe::cli
