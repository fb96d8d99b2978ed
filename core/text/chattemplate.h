// SPDX-License-Identifier: GPL-3.0-or-later
// Renders a model's chat template the way transformers' apply_chat_template does: the
// template gets `messages`, `add_generation_prompt`, `bos_token`, `eos_token` and any extra
// variables (tools, date_string, ...). Errors, including the template's own
// raise_exception(), throw TemplateError with the template line.
#pragma once

#include "text/jinjainterpreter.h"
#include "text/jinjavalue.h"

#include <nlohmann/json.hpp>

#include <string>

namespace lathe {

struct ChatTemplateInputs {
    // ordered_json keeps key order as written, as Python dicts do (it shows in tojson output).
    // A plain nlohmann::json converts implicitly, with its keys sorted.
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    bool addGenerationPrompt = false;
    std::string bosToken;
    std::string eosToken;
    nlohmann::ordered_json extra = nlohmann::ordered_json::object(); // more template variables
};

std::string renderChatTemplate(const std::string &templateText, const ChatTemplateInputs &inputs,
    const jinja::RenderOptions &options = {});

// The chat template of a tokenizer_config.json: "chat_template" as a string, or a list of
// {name, template} entries where `name` picks one (default: "default").
// Throws FormatError when the file has none or names a missing one; IoError when unreadable.
std::string loadChatTemplate(
    const std::string &tokenizerConfigPath, const std::string &name = "default");
std::string chatTemplateFromConfig(
    const nlohmann::ordered_json &config, const std::string &name = "default");
// A special token of a tokenizer_config.json ("bos_token", "eos_token"): a string or an
// AddedToken object {"content": ...}; empty when absent or null.
std::string tokenizerConfigToken(const nlohmann::ordered_json &config, const std::string &key);

} // namespace lathe
