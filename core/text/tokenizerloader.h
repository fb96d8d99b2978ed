// SPDX-License-Identifier: GPL-3.0-or-later
// Finds the tokenizer and the chat template of a model, or of a tokenizer-only path:
//   - an HF folder or a tokenizer.json file (tokenizer_config.json beside it is read too),
//   - a folder with only a SentencePiece tokenizer.model, or that .model file itself,
//   - a GGUF file (full model or vocab-only): tokenizer.ggml.* metadata,
//   - a .safetensors file: the folder it is in.
#pragma once

#include "text/tokenizer.h"

#include <memory>
#include <optional>
#include <string>

namespace lathe {

// Throws IoError when `path` holds no tokenizer ("no tokenizer.json, tokenizer.model or GGUF
// vocabulary in 'PATH'"), FormatError / UnsupportedError when the one found cannot be read.
std::shared_ptr<Tokenizer> loadTokenizer(const std::string &path);

// A chat template and the special-token strings it expects.
struct ChatTemplateSource {
    std::string text;     // the Jinja template
    std::string bosToken; // "" when unknown
    std::string eosToken;
    std::string origin; // where it came from, for messages: "PATH/tokenizer_config.json", ...
};

// The model's chat template: tokenizer_config.json's "chat_template" (or a chat_template.jinja
// file beside it) for folders and files in them; GGUF "tokenizer.chat_template" for GGUF files.
// nullopt when the model has none. Throws FormatError when the file holding it is malformed.
std::optional<ChatTemplateSource> findChatTemplate(const std::string &path);

} // namespace lathe
