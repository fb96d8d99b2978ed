// SPDX-License-Identifier: GPL-3.0-or-later
// Reads a SentencePiece tokenizer.model (a serialized ModelProto) into an SpmVocabulary.
// We parse the protobuf wire format ourselves: libsentencepiece cannot share a process with
// libtorch (their protobuf copies clash at startup). Only BPE models with the identity
// normalizer are accepted; anything else is reported by name, never approximated.
#pragma once

#include "text/spmmodel.h"

#include <cstdint>
#include <string>

namespace lathe {

// Throws IoError when unreadable, FormatError when the bytes are not a ModelProto,
// UnsupportedError for a model type or normalizer we do not implement.
SpmVocabulary readSentencePieceModel(const std::string &path);
SpmVocabulary parseSentencePieceModel(
    const std::uint8_t *data, std::size_t size, const std::string &context);

} // namespace lathe
