// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli chat MODEL`: an interactive chat in the terminal. Each turn renders the whole
// conversation with the chat template, runs only the part of the prompt the KV cache does not
// already hold, and streams the reply. Works on a pipe as well as on a terminal.
#include "clicommon.h"
#include "clitext.h"

#include "generate/generator.h"
#include "model/kvcache.h"
#include "model/model.h"
#include "model/transformer.h"
#include "text/chattemplate.h"
#include "text/streamdecoder.h"
#include "text/tokenizer.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace lathe::cli {

namespace {

constexpr int kDefaultMaxTokens = 512; // a reply, not a continuation: allow longer ones

struct ChatOptions {
    std::string model;
    std::string system;
    std::string templateFile;
    std::optional<std::int64_t> ctx;
    SamplerCliOptions sampling;
};

// End-of-turn markers of common chat formats. Chat models stop on them even where the
// model's config lists only the end-of-text token.
const char *const kEndOfTurnTokens[] = {"<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>",
                                        "<|endoftext|>", "</s>", "<|end_of_text|>"};

std::vector<std::int32_t> chatStopIds(const SamplerCliOptions &o, const Tokenizer &tokenizer,
                                      const ChatTemplateChoice &choice)
{
    std::vector<std::int32_t> ids;
    if (!o.stopIds.empty())
        ids = parseIdList(o.stopIds, "--stop-ids");
    if (o.ignoreEos)
        return ids;
    const auto add = [&](std::int32_t id) {
        if (id >= 0 && std::find(ids.begin(), ids.end(), id) == ids.end())
            ids.push_back(id);
    };
    add(tokenizer.eosId());
    if (!choice.eosToken.empty())
        add(tokenizer.idForToken(choice.eosToken));
    for (const char *marker : kEndOfTurnTokens) {
        const std::int32_t id = tokenizer.idForToken(marker);
        if (id >= 0 && tokenizer.isSpecial(id))
            add(id);
    }
    return ids;
}

std::size_t commonPrefix(const std::vector<std::int32_t> &a, const std::vector<std::int32_t> &b)
{
    std::size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n])
        ++n;
    return n;
}

class ChatSession {
public:
    ChatSession(const ChatOptions &o, const GlobalOptions &globals) : m_globals(globals)
    {
        const std::string path = resolveModelArgument(o.model);
        m_tokenizer = loadTokenizerFor(path);
        m_template = chooseChatTemplate(path, o.templateFile, m_tokenizer.get());
        withPathContext(path, [&] {
            ProgressLine progress(globals, "loading");
            m_model = Model::load(path, progress.callback(), cancelToken());
        });
        const ModelConfig &config = m_model->config();
        m_options.sampler = samplerSettings(o.sampling, config.generation);
        m_options.maxTokens =
            o.sampling.maxTokens ? *o.sampling.maxTokens
                                 : config.generation.maxNewTokens.value_or(kDefaultMaxTokens);
        m_options.stopAtEos = !o.sampling.ignoreEos;
        m_options.stopIds = chatStopIds(o.sampling, *m_tokenizer, m_template);
        std::int64_t ctx = o.ctx ? *o.ctx : 4096;
        if (config.maxPositions > 0 && !o.ctx)
            ctx = std::min(ctx, config.maxPositions);
        m_transformer = std::make_unique<Transformer>(m_model);
        m_cache = m_transformer->newCache(ctx);
        m_system = o.system;
        for (const auto id : config.eosTokenIds)
            m_modelEos.push_back(static_cast<std::int32_t>(id));
    }

    // One line of input: a command or a user message. False ends the chat.
    bool handle(const std::string &line)
    {
        if (line == "/exit" || line == "/quit")
            return false;
        if (line == "/reset") {
            m_messages = nlohmann::ordered_json::array();
            status("conversation cleared");
            return true;
        }
        if (line == "/system" || line.rfind("/system ", 0) == 0) {
            m_system = line.size() > 8 ? line.substr(8) : std::string();
            status(m_system.empty() ? "system message removed" : "system message set");
            return true;
        }
        if (line == "/help" || (!line.empty() && line.front() == '/' && line.rfind("//", 0) != 0)) {
            status("commands: /reset (new conversation), /system TEXT (set the system "
                   "message; /system alone removes it), /exit; start a message with // to "
                   "send a leading /");
            return true;
        }
        reply(line.rfind("//", 0) == 0 ? line.substr(1) : line);
        return true;
    }

private:
    void status(const std::string &text)
    {
        if (!m_globals.json)
            printStatus("[" + text + "]");
    }

    std::string render(const nlohmann::ordered_json &messages)
    {
        ChatTemplateInputs inputs;
        if (!m_system.empty())
            inputs.messages.push_back({{"role", "system"}, {"content", m_system}});
        for (const auto &m : messages)
            inputs.messages.push_back(m);
        inputs.addGenerationPrompt = true;
        inputs.bosToken = m_template.bosToken;
        inputs.eosToken = m_template.eosToken;
        std::string text;
        withPathContext(m_template.origin,
                        [&] { text = renderChatTemplate(m_template.text, inputs); });
        return text;
    }

    bool isStop(std::int32_t id) const
    {
        const auto has = [id](const std::vector<std::int32_t> &v) {
            return std::find(v.begin(), v.end(), id) != v.end();
        };
        return (m_options.stopAtEos && has(m_modelEos)) || has(m_options.stopIds);
    }

    void reply(const std::string &userText)
    {
        nlohmann::ordered_json messages = m_messages;
        messages.push_back({{"role", "user"}, {"content", userText}});
        // A template error (e.g. roles out of order) ends this turn, not the chat.
        std::vector<std::int32_t> prompt;
        try {
            prompt = encodeChatPrompt(*m_tokenizer, render(messages));
        } catch (const TemplateError &e) {
            printStatus(std::string("lathe-cli: error: ") + e.what());
            return;
        }
        const auto capacity = m_cache.capacity();
        if (prompt.empty()) {
            printStatus("lathe-cli: error: the chat template rendered an empty prompt");
            return;
        }
        if (static_cast<std::int64_t>(prompt.size()) >= capacity) {
            printStatus("lathe-cli: error: the conversation (" + std::to_string(prompt.size())
                        + " tokens) does not fit the context of " + std::to_string(capacity)
                        + " tokens; /reset starts a new one (or use a larger --ctx)");
            return;
        }

        // Reuse what the cache already holds; at least one id must run to get logits.
        std::size_t reused = commonPrefix(prompt, m_cacheIds);
        reused = std::min(reused, prompt.size() - 1);
        reused = std::min<std::size_t>(reused, static_cast<std::size_t>(m_cache.length()));
        m_cache.truncate(static_cast<std::int64_t>(reused));
        const std::vector<std::int32_t> newIds(prompt.begin() + std::ptrdiff_t(reused),
                                               prompt.end());

        GenerateOptions options = m_options;
        const std::int64_t room = capacity - static_cast<std::int64_t>(prompt.size());
        options.maxTokens = static_cast<int>(std::min<std::int64_t>(options.maxTokens, room));
        StreamDecoder decoder(m_tokenizer, true);
        auto onToken = [&](std::int32_t id) {
            if (!m_globals.json && !isStop(id)) {
                std::cout << decoder.push(id);
                std::cout.flush();
            }
            return true;
        };
        const GenerateResult result =
            generate(*m_transformer, m_cache, newIds, options, onToken, cancelToken());

        std::vector<std::int32_t> replyIds = result.ids;
        if (!replyIds.empty() && isStop(replyIds.back()))
            replyIds.pop_back();
        const std::string text = m_tokenizer->decode(replyIds, true);

        // The cache holds the prompt and every generated id but the last (see generate()).
        m_cacheIds = prompt;
        if (!result.ids.empty())
            m_cacheIds.insert(m_cacheIds.end(), result.ids.begin(), result.ids.end() - 1);
        if (static_cast<std::int64_t>(m_cacheIds.size()) != m_cache.length())
            m_cacheIds.resize(std::min<std::size_t>(m_cacheIds.size(),
                                                    static_cast<std::size_t>(m_cache.length())));

        messages.push_back({{"role", "assistant"}, {"content", text}});
        m_messages = messages;
        ++m_turn;

        if (m_globals.json) {
            Json j;
            j["turn"] = m_turn;
            j["reply"] = text;
            j["reply_ids"] = result.ids;
            j["stop_reason"] = stopReasonName(result.stopReason);
            j["prompt_tokens"] = prompt.size();
            j["reused_tokens"] = reused;
            j["prefill_tokens"] = newIds.size();
            j["generated_tokens"] = result.ids.size();
            j["prefill_s"] = result.prefillSeconds;
            j["decode_tokens_per_s"] = result.decodeTokensPerSecond;
            // JSON Lines: one compact object per turn.
            std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
        } else {
            std::cout << decoder.flush() << '\n';
        }
        std::cout.flush();
        status("prompt " + std::to_string(prompt.size()) + " tokens (" + std::to_string(reused)
               + " reused, " + std::to_string(newIds.size()) + " prefilled), "
               + std::to_string(result.ids.size()) + " generated, stopped: "
               + stopReasonName(result.stopReason) + ", "
               + formatFixed(result.decodeTokensPerSecond, 1) + " tokens/s");
        if (result.stopReason == StopReason::Cancelled)
            throw CancelledError();
    }

    const GlobalOptions &m_globals;
    std::shared_ptr<Tokenizer> m_tokenizer;
    ChatTemplateChoice m_template;
    std::shared_ptr<Model> m_model;
    std::unique_ptr<Transformer> m_transformer;
    KVCache m_cache;
    GenerateOptions m_options;
    std::vector<std::int32_t> m_modelEos;
    std::string m_system;
    nlohmann::ordered_json m_messages = nlohmann::ordered_json::array();
    std::vector<std::int32_t> m_cacheIds; // what m_cache holds, position by position
    int m_turn = 0;
};

void run(const ChatOptions &o, const GlobalOptions &globals)
{
    at::InferenceMode guard;
    ChatSession session(o, globals);
    const bool interactive = ::isatty(STDIN_FILENO) == 1;
    if (interactive && !globals.json)
        printStatus("[chat: /reset, /system TEXT, /exit or Ctrl-D to end]");
    std::string line;
    while (true) {
        if (interactive) {
            std::cerr << "> ";
            std::cerr.flush();
        }
        if (!std::getline(std::cin, line))
            break;
        if (!line.empty() && line.back() == '\r')
            line.pop_back(); // CRLF input
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        if (!session.handle(line))
            break;
    }
    if (interactive)
        std::cerr << '\n';
}

} // namespace

Command addChatCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<ChatOptions>();
    CLI::App *cmd = parent.add_subcommand("chat", "Chat with a model in the terminal");
    cmd->footer(
        "Reads one user message per line from stdin (a terminal or a pipe), renders the whole\n"
        "conversation with the model's chat template (or --template) and streams the reply to\n"
        "stdout; prompts and per-turn statistics go to stderr. The KV cache is kept between\n"
        "turns: only the new part of the prompt is run. Replies stop at the end-of-sequence\n"
        "and end-of-turn tokens. Commands: /reset, /system TEXT, /exit (or end of input).\n"
        "--json prints one JSON object per turn (JSON Lines) instead of the streamed text.\n"
        "Example: lathe-cli chat models/qwen2.5-0.5b-instruct --system 'Be brief.'");
    cmd->add_option("MODEL", o->model,
                    "Hugging Face folder or .gguf with a tokenizer, or 'demo'")
        ->required();
    cmd->add_option("--system", o->system, "System message to start the conversation with");
    cmd->add_option("--template", o->templateFile,
                    "Chat template (.jinja file) to use instead of the model's");
    cmd->add_option("--ctx", o->ctx,
                    "Context length of the conversation in tokens (default: the model's, at "
                    "most 4096)")
        ->check(CLI::PositiveNumber);
    addSamplerOptions(*cmd, o->sampling, kDefaultMaxTokens);
    addCommonOptions(*cmd, globals);
    return {cmd, [o, &globals] { run(*o, globals); }};
}

} // namespace lathe::cli
