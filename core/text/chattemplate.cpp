// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/chattemplate.h"

#include "text/jinjaparser.h"
#include "util/error.h"

#include <fstream>
#include <sstream>

namespace lathe {

std::string renderChatTemplate(const std::string &templateText, const ChatTemplateInputs &inputs,
    const jinja::RenderOptions &options)
{
    using jinja::Value;
    Value context = Value::dict();
    jinja::Dict &d = context.entries();
    if (inputs.extra.is_object())
        for (auto it = inputs.extra.begin(); it != inputs.extra.end(); ++it)
            d.set(Value(it.key()), Value::fromJson(it.value()));
    d.set(Value("messages"), Value::fromJson(inputs.messages));
    d.set(Value("add_generation_prompt"), Value(inputs.addGenerationPrompt));
    d.set(Value("bos_token"), Value(inputs.bosToken));
    d.set(Value("eos_token"), Value(inputs.eosToken));
    return jinja::JinjaInterpreter::renderString(templateText, context, options);
}

std::string chatTemplateFromConfig(const nlohmann::ordered_json &config, const std::string &name)
{
    if (!config.is_object() || !config.contains("chat_template"))
        throw FormatError("tokenizer config has no \"chat_template\"");
    const auto &t = config["chat_template"];
    if (t.is_string())
        return t.get<std::string>();
    if (t.is_array()) {
        std::string names;
        for (const auto &e : t) {
            if (!e.is_object() || !e.contains("name") || !e.contains("template")
                || !e["name"].is_string() || !e["template"].is_string())
                throw FormatError("\"chat_template\" list entries need \"name\" and \"template\"");
            if (e["name"].get<std::string>() == name)
                return e["template"].get<std::string>();
            names += (names.empty() ? "" : ", ") + e["name"].get<std::string>();
        }
        throw FormatError(
            "tokenizer config has no chat template named '" + name + "' (it has: " + names + ")");
    }
    throw FormatError("\"chat_template\" must be a string or a list of {name, template}");
}

std::string tokenizerConfigToken(const nlohmann::ordered_json &config, const std::string &key)
{
    if (!config.is_object() || !config.contains(key))
        return {};
    const auto &t = config[key];
    if (t.is_string())
        return t.get<std::string>();
    if (t.is_object() && t.contains("content") && t["content"].is_string())
        return t["content"].get<std::string>();
    return {};
}

std::string loadChatTemplate(const std::string &path, const std::string &name)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::ordered_json config;
    try {
        config = nlohmann::ordered_json::parse(ss.str());
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(path + ": invalid JSON (" + e.what() + ")");
    }
    try {
        return chatTemplateFromConfig(config, name);
    } catch (const FormatError &e) {
        throw FormatError(path + ": " + e.what());
    }
}

} // namespace lathe
