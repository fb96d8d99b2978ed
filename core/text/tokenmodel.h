// SPDX-License-Identifier: GPL-3.0-or-later
// The "model" stage of a tokenizer pipeline: turns one pre-token into ids and owns the
// vocabulary. BpeModel (ranked merges) and SpmModel (SentencePiece scores) implement it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

class TokenModel {
public:
    virtual ~TokenModel() = default;
    // Appends the ids of one pre-token.
    virtual void encode(const std::string &piece, std::vector<int32_t> &out) const = 0;
    // -1 when the token is not in the vocabulary.
    virtual int32_t idForToken(const std::string &token) const = 0;
    // nullptr when no token has this id.
    virtual const std::string *tokenForId(int32_t id) const = 0;
    // One more than the largest id.
    virtual std::size_t size() const = 0;
};

} // namespace lathe
