// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli template MODEL --messages FILE.json`: renders a conversation with the model's chat
// template (or a .jinja file) exactly as transformers' apply_chat_template would, and prints
// the prompt byte for byte.
#include "clicommon.h"
#include "clitext.h"

#include "text/chattemplate.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>

namespace lathe::cli {

namespace {

struct TemplateOptions {
    std::string model;
    std::string messagesFile;
    std::string templateFile;
    bool addGenerationPrompt = false;
    std::optional<std::string> bos;
    std::optional<std::string> eos;
};

// The messages file: a JSON array of messages, or an object with "messages" and optionally
// "add_generation_prompt", "tools" and any other template variables.
ChatTemplateInputs readConversation(const std::string &path)
{
    const std::string text = readTextFile(path);
    nlohmann::ordered_json doc;
    try {
        doc = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::exception &e) {
        throw FormatError("'" + path + "' is not valid JSON: " + e.what());
    }
    ChatTemplateInputs in;
    if (doc.is_array()) {
        in.messages = doc;
    } else if (doc.is_object() && doc.contains("messages") && doc["messages"].is_array()) {
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            if (it.key() == "messages") {
                in.messages = it.value();
            } else if (it.key() == "add_generation_prompt") {
                if (!it.value().is_boolean())
                    throw FormatError("'" + path
                                      + "': add_generation_prompt must be true or false");
                in.addGenerationPrompt = it.value().get<bool>();
            } else {
                in.extra[it.key()] = it.value(); // tools, documents, date_string, ...
            }
        }
    } else {
        throw FormatError("'" + path + "' must hold a JSON array of messages or an object with "
                          "a \"messages\" array");
    }
    for (const auto &m : in.messages)
        if (!m.is_object())
            throw FormatError("'" + path + "': every message must be a JSON object such as "
                              "{\"role\": \"user\", \"content\": \"Hi\"}");
    return in;
}

void run(const TemplateOptions &o, const GlobalOptions &globals)
{
    const std::string model = resolveModelArgument(o.model);
    ChatTemplateInputs inputs = readConversation(o.messagesFile);
    if (o.addGenerationPrompt)
        inputs.addGenerationPrompt = true;
    const ChatTemplateChoice choice = chooseChatTemplate(model, o.templateFile, nullptr);
    inputs.bosToken = o.bos ? *o.bos : choice.bosToken;
    inputs.eosToken = o.eos ? *o.eos : choice.eosToken;

    std::string prompt;
    withPathContext(choice.origin,
                    [&] { prompt = renderChatTemplate(choice.text, inputs); });
    if (globals.json) {
        Json j;
        j["prompt"] = prompt;
        j["template"] = choice.origin;
        printJson(j);
    } else {
        printExactText(prompt);
    }
}

} // namespace

Command addTemplateCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<TemplateOptions>();
    CLI::App *cmd =
        parent.add_subcommand("template", "Render a conversation with a chat template");
    cmd->footer(
        "Prints the rendered prompt exactly, with no newline added (--json: {\"prompt\"}).\n"
        "The messages file is a JSON array of {\"role\", \"content\"} objects, or an object with\n"
        "\"messages\" and optionally \"add_generation_prompt\", \"tools\" and other template\n"
        "variables. bos_token / eos_token default to the model's.\n"
        "Example: lathe-cli template models/qwen --messages chat.json --add-generation-prompt");
    cmd->add_option("MODEL", o->model,
                    "Model folder, tokenizer folder or .gguf with a chat template, a .jinja "
                    "template file, or 'demo'")
        ->required();
    cmd->add_option("--messages", o->messagesFile, "JSON file with the conversation")->required();
    cmd->add_flag("--add-generation-prompt", o->addGenerationPrompt,
                  "End with the start of an assistant turn");
    cmd->add_option("--template", o->templateFile,
                    "Use this .jinja file instead of the model's template");
    cmd->add_option("--bos", o->bos, "The bos_token string (default: the model's)");
    cmd->add_option("--eos", o->eos, "The eos_token string (default: the model's)");
    addCommonOptions(*cmd, globals);
    return {cmd, [o, &globals] { run(*o, globals); }};
}

} // namespace lathe::cli
