// SPDX-License-Identifier: GPL-3.0-or-later
// The "pre_tokenizer" stage of a Hugging Face tokenizer.json: splits normalized text into
// pieces that the model encodes independently (ByteLevel, Split, Metaspace, Digits,
// Whitespace, WhitespaceSplit and Sequence of those).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace lathe {

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;

    // Splits every piece further (and may rewrite it, e.g. ByteLevel maps bytes to
    // characters). Empty pieces are dropped. `firstSegment` is true when pieces[0] starts at the
    // beginning of the input text (Metaspace's prepend_scheme "first" needs it).
    virtual void apply(std::vector<std::string> &pieces, bool firstSegment) const = 0;

    // Null JSON gives nullptr; unknown types throw UnsupportedError naming the type.
    static std::unique_ptr<PreTokenizer> fromJson(
        const nlohmann::json &j, const std::string &context);
};

} // namespace lathe
