// SPDX-License-Identifier: GPL-3.0-or-later
// The "decoder" stage of a Hugging Face tokenizer.json: turns token strings back into text
// (ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip and Sequence of those). Like the
// tokenizers library, each step maps a list of token strings to a new list.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace lathe {

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual void apply(std::vector<std::string> &tokens) const = 0;

    // Applies the chain and joins the result (always valid UTF-8).
    std::string decode(std::vector<std::string> tokens) const;

    // Null JSON gives nullptr; unknown types throw UnsupportedError naming the type.
    static std::unique_ptr<Decoder> fromJson(const nlohmann::json &j, const std::string &context);
};

} // namespace lathe
