// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli generate MODEL --prompt-ids ...`: token-level generation with the sampler chain,
// streaming ids as they come. (Text in, text out belongs to the tokenizer layer.)
#include "clicommon.h"

#include "generate/generator.h"
#include "model/kvcache.h"
#include "model/model.h"
#include "model/transformer.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <random>

namespace lathe::cli {

namespace {

struct GenerateCliOptions {
    std::string model;
    std::string promptIds;
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

// Flags win; then the model's generation_config.json; then llama.cpp's defaults (the
// SamplerSettings defaults). do_sample = false in generation_config means greedy, as in HF.
SamplerSettings samplerSettings(const GenerateCliOptions &o, const GenerationDefaults &d)
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

void run(const GenerateCliOptions &o, const GlobalOptions &globals)
{
    const auto prompt = parseIdList(o.promptIds, "--prompt-ids");
    std::vector<std::int32_t> stopIds;
    if (!o.stopIds.empty())
        stopIds = parseIdList(o.stopIds, "--stop-ids");
    requireExists(o.model);

    std::shared_ptr<Model> model;
    withPathContext(o.model, [&] {
        ProgressLine progress(globals, "loading");
        model = Model::load(o.model, progress.callback(), cancelToken());
    });
    const ModelConfig &config = model->config();

    GenerateOptions options;
    options.sampler = samplerSettings(o, config.generation);
    options.maxTokens = o.maxTokens ? *o.maxTokens : config.generation.maxNewTokens.value_or(128);
    options.stopIds = stopIds;
    options.stopAtEos = !o.ignoreEos;

    const Transformer transformer(model);
    const auto promptSize = static_cast<std::int64_t>(prompt.size());
    std::int64_t capacity = promptSize + options.maxTokens;
    if (config.maxPositions > 0)
        capacity = std::min(capacity, config.maxPositions);
    KVCache cache = transformer.newCache(std::max<std::int64_t>(capacity, 1));

    bool first = true;
    auto onToken = [&](std::int32_t id) {
        if (!globals.json) { // stream as they come
            std::cout << (first ? "" : " ") << id;
            std::cout.flush();
        }
        first = false;
        return true;
    };
    const GenerateResult result =
        generate(transformer, cache, prompt, options, onToken, cancelToken());

    if (globals.json) {
        const auto &s = options.sampler;
        Json j;
        j["prompt_ids"] = prompt;
        j["ids"] = result.ids;
        j["stop_reason"] = stopReasonName(result.stopReason);
        j["prompt_tokens"] = result.promptTokens;
        j["generated_tokens"] = result.ids.size();
        j["time_to_first_token_s"] = result.timeToFirstTokenSeconds;
        j["prefill_s"] = result.prefillSeconds;
        j["decode_s"] = result.decodeSeconds;
        j["decode_tokens_per_s"] = result.decodeTokensPerSecond;
        j["sampler"] = {{"temperature", s.temperature},
                        {"top_k", s.topK},
                        {"top_p", s.topP},
                        {"min_p", s.minP},
                        {"repeat_penalty", s.repetitionPenalty},
                        {"repeat_last_n", s.repeatLastN},
                        {"seed", s.seed}};
        j["model"] = o.model;
        printJson(j);
    } else {
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
    CLI::App *cmd = parent.add_subcommand("generate", "Generate token ids after a prompt");
    cmd->footer("Generated ids stream to stdout, space separated, as they are produced (a summary\n"
                "goes to stderr); --json prints one object at the end instead. Sampling options\n"
                "not given come from the model's generation_config.json, else llama.cpp's\n"
                "defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repetition\n"
                "penalty. --temp 0 is greedy. Generation stops at the model's end-of-sequence\n"
                "ids, at --stop-ids, or after --max-tokens.\n"
                "Example: lathe-cli generate models/tinystories-656k --prompt-ids 1,80,147 "
                "--temp 0");
    cmd->add_option("MODEL", o->model,
                    "Hugging Face folder, .safetensors file with config.json beside it, or .gguf")
        ->required();
    cmd->add_option("--prompt-ids", o->promptIds, "Prompt token ids, comma separated (e.g. 1,2,3)")
        ->required();
    cmd->add_option("-n,--max-tokens", o->maxTokens,
                    "Most tokens to generate (default: max_new_tokens of generation_config.json, "
                    "else 128)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--temp", o->temperature, "Temperature; 0 = greedy (argmax)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--top-k", o->topK, "Keep the K most likely tokens; 0 = off")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--top-p", o->topP,
                    "Keep the smallest set of tokens whose probabilities add up to P; 1 = off")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--min-p", o->minP,
                    "Drop tokens less likely than M times the most likely one; 0 = off")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--repeat-penalty", o->repeatPenalty,
                    "Penalty for tokens seen in the last --repeat-last-n ids; 1 = off")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--repeat-last-n", o->repeatLastN,
                    "How many recent ids the repetition penalty looks at; -1 = all")
        ->default_val(64);
    cmd->add_option("--seed", o->seed, "Random seed (default: a random one, printed with --json)");
    cmd->add_option("--stop-ids", o->stopIds,
                    "Extra ids that end generation, comma separated (the model's end-of-sequence "
                    "ids always stop it unless --ignore-eos)");
    cmd->add_flag("--ignore-eos", o->ignoreEos, "Do not stop at the model's end-of-sequence ids");
    addCommonOptions(*cmd, globals);

    return {cmd, [o, &globals] { run(*o, globals); }};
}

} // namespace lathe::cli
