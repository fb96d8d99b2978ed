// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli generate MODEL --prompt TEXT` (or --prompt-ids ...): generation with the sampler
// chain, streaming the text (or, for an ids prompt, the ids) as it comes.
#include "clicommon.h"
#include "clitext.h"

#include "generate/generator.h"
#include "model/kvcache.h"
#include "model/model.h"
#include "model/transformer.h"
#include "text/chattemplate.h"
#include "text/streamdecoder.h"
#include "text/tokenizer.h"
#include "text/tokenizerloader.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>

namespace lathe::cli {

namespace {

constexpr int kDefaultMaxTokens = 128;

struct GenerateCliOptions {
    std::string model;
    std::string promptIds;
    std::optional<std::string> prompt;
    bool chat = false;
    std::string templateFile;
    SamplerCliOptions sampling;
};

bool contains(const std::vector<std::int64_t> &ids, std::int32_t id)
{
    return std::find(ids.begin(), ids.end(), std::int64_t(id)) != ids.end();
}

// The prompt as ids: given as ids, or the text encoded with the model's tokenizer (with its
// special tokens), or with --chat the text as a user message in the chat template.
std::vector<std::int32_t> promptIds(const GenerateCliOptions &o, const std::string &model,
                                    const Tokenizer *tokenizer)
{
    if (!o.prompt)
        return parseIdList(o.promptIds, "--prompt-ids");
    if (!o.chat) {
        std::vector<std::int32_t> ids;
        withPathContext(model, [&] { ids = tokenizer->encode(*o.prompt, true); });
        return ids;
    }
    const ChatTemplateChoice choice = chooseChatTemplate(model, o.templateFile, tokenizer);
    ChatTemplateInputs inputs;
    inputs.messages.push_back({{"role", "user"}, {"content", *o.prompt}});
    inputs.addGenerationPrompt = true;
    inputs.bosToken = choice.bosToken;
    inputs.eosToken = choice.eosToken;
    std::string text;
    withPathContext(choice.origin, [&] { text = renderChatTemplate(choice.text, inputs); });
    return encodeChatPrompt(*tokenizer, text);
}

void run(const GenerateCliOptions &o, const GlobalOptions &globals)
{
    if (o.chat && !o.prompt)
        throw InvalidArgument("--chat needs the prompt as text (--prompt TEXT)");
    if (!o.templateFile.empty() && !o.chat)
        throw InvalidArgument("--template is used with --chat");
    if (!o.prompt)
        parseIdList(o.promptIds, "--prompt-ids"); // bad ids fail before the model loads
    std::vector<std::int32_t> stopIds;
    if (!o.sampling.stopIds.empty())
        stopIds = parseIdList(o.sampling.stopIds, "--stop-ids");
    const std::string modelPath = resolveModelArgument(o.model);
    requireExists(modelPath);

    // Text in needs the tokenizer; with ids in, it only adds "text" to the JSON when there.
    std::shared_ptr<Tokenizer> tokenizer;
    if (o.prompt) {
        tokenizer = loadTokenizerFor(modelPath);
    } else if (globals.json) {
        try {
            tokenizer = loadTokenizer(modelPath);
        } catch (const Error &) {
            tokenizer.reset(); // e.g. a weights-only folder: the ids are the whole answer
        }
    }
    const auto prompt = promptIds(o, modelPath, tokenizer.get());

    std::shared_ptr<Model> model;
    withPathContext(modelPath, [&] {
        ProgressLine progress(globals, "loading");
        model = Model::load(modelPath, progress.callback(), cancelToken());
    });
    const ModelConfig &config = model->config();

    GenerateOptions options;
    options.sampler = samplerSettings(o.sampling, config.generation);
    options.maxTokens = o.sampling.maxTokens ? *o.sampling.maxTokens
                                             : config.generation.maxNewTokens.value_or(
                                                   kDefaultMaxTokens);
    options.stopIds = stopIds;
    options.stopAtEos = !o.sampling.ignoreEos;
    // A GGUF or tokenizer may name an end-of-sequence token the model config does not list.
    if (tokenizer && options.stopAtEos && tokenizer->eosId() >= 0
        && !contains(config.eosTokenIds, tokenizer->eosId()))
        options.stopIds.push_back(tokenizer->eosId());

    const Transformer transformer(model);
    const auto promptSize = static_cast<std::int64_t>(prompt.size());
    std::int64_t capacity = promptSize + options.maxTokens;
    if (config.maxPositions > 0)
        capacity = std::min(capacity, config.maxPositions);
    KVCache cache = transformer.newCache(std::max<std::int64_t>(capacity, 1));

    const bool streamText = o.prompt.has_value() && !globals.json;
    std::optional<StreamDecoder> decoder;
    if (streamText)
        decoder.emplace(tokenizer, true);
    const auto isStop = [&](std::int32_t id) {
        return (options.stopAtEos && contains(config.eosTokenIds, id))
               || std::find(options.stopIds.begin(), options.stopIds.end(), id)
                      != options.stopIds.end();
    };
    bool first = true;
    auto onToken = [&](std::int32_t id) {
        if (globals.json) {
            // nothing: one object at the end
        } else if (decoder) {
            if (!isStop(id))
                std::cout << decoder->push(id);
            std::cout.flush();
        } else { // stream as they come
            std::cout << (first ? "" : " ") << id;
            std::cout.flush();
        }
        first = false;
        return true;
    };
    const GenerateResult result =
        generate(transformer, cache, prompt, options, onToken, cancelToken());

    if (globals.json) {
        Json j;
        j["prompt_ids"] = prompt;
        j["ids"] = result.ids;
        if (tokenizer) {
            std::vector<std::int32_t> shown = result.ids;
            if (!shown.empty() && (result.stopReason == StopReason::Eos
                                   || result.stopReason == StopReason::StopId))
                shown.pop_back(); // the stop token is no part of the text
            j["text"] = tokenizer->decode(shown, true);
        }
        j["stop_reason"] = stopReasonName(result.stopReason);
        j["prompt_tokens"] = result.promptTokens;
        j["generated_tokens"] = result.ids.size();
        j["time_to_first_token_s"] = result.timeToFirstTokenSeconds;
        j["prefill_s"] = result.prefillSeconds;
        j["decode_s"] = result.decodeSeconds;
        j["decode_tokens_per_s"] = result.decodeTokensPerSecond;
        j["sampler"] = samplerJson(options.sampler);
        j["model"] = modelPath;
        printJson(j);
    } else {
        if (decoder)
            std::cout << decoder->flush();
        std::cout << '\n';
        std::cout.flush();
        printStatus(std::to_string(result.ids.size()) + " tokens, stopped: "
                    + stopReasonName(result.stopReason) + "; first token after "
                    + formatFixed(result.timeToFirstTokenSeconds, 3) + " s, decode "
                    + formatFixed(result.decodeTokensPerSecond, 1) + " tokens/s");
    }
    if (result.stopReason == StopReason::Cancelled)
        throw CancelledError();
}

} // namespace

Command addGenerateCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<GenerateCliOptions>();
    CLI::App *cmd = parent.add_subcommand("generate", "Generate text or token ids after a prompt");
    cmd->footer("The generated text (--prompt) or ids (--prompt-ids, space separated) stream to\n"
                "stdout as they are produced (a summary goes to stderr); --json prints one object\n"
                "at the end instead, with \"text\" when the model has a tokenizer. Sampling\n"
                "options not given come from the model's generation_config.json, else\n"
                "llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no\n"
                "repetition penalty. --temp 0 is greedy. Generation stops at the model's\n"
                "end-of-sequence ids, at --stop-ids, or after --max-tokens. --chat sends the\n"
                "prompt as a user message through the chat template.\n"
                "Example: lathe-cli generate models/tinystories-656k --prompt 'Once upon a time' "
                "--temp 0");
    cmd->add_option("MODEL", o->model,
                    "Hugging Face folder, .safetensors file with config.json beside it, .gguf, "
                    "or 'demo'")
        ->required();
    // Exactly one of the two: a usage error otherwise.
    CLI::Option_group *source = cmd->add_option_group("Prompt", "The prompt, as text or as ids");
    source->add_option("-p,--prompt", o->prompt,
                       "Prompt text, encoded with the model's tokenizer (special tokens added "
                       "as it says)");
    source->add_option("--prompt-ids", o->promptIds,
                       "Prompt token ids, comma separated (e.g. 1,2,3)");
    source->require_option(1);
    cmd->add_flag("--chat", o->chat,
                  "Send --prompt as a user message through the model's chat template");
    cmd->add_option("--template", o->templateFile,
                    "With --chat: use this .jinja file instead of the model's template");
    addSamplerOptions(*cmd, o->sampling, kDefaultMaxTokens);
    addCommonOptions(*cmd, globals);

    return {cmd, [o, &globals] { run(*o, globals); }};
}

} // namespace lathe::cli
