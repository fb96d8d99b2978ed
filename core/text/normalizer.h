// SPDX-License-Identifier: GPL-3.0-or-later
// The "normalizer" stage of a Hugging Face tokenizer.json: rewrites text before it is split
// (Unicode normalization, Prepend, Replace, Lowercase, Strip and Sequence of those).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>

namespace lathe {

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual std::string normalize(const std::string &text) const = 0;

    // Builds the normalizer described by `j`; null JSON gives nullptr. Unknown types throw
    // UnsupportedError naming the type and `context` (the file).
    static std::unique_ptr<Normalizer> fromJson(
        const nlohmann::json &j, const std::string &context);
};

} // namespace lathe
