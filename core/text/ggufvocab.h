// SPDX-License-Identifier: GPL-3.0-or-later
// The tokenizer stored in a GGUF file's tokenizer.ggml.* metadata, as llama.cpp writes it:
//   "llama": SentencePiece pieces with scores and types (SpmModel),
//   "gpt2":  byte-level BPE with merges; tokenizer.ggml.pre names the pre-tokenizer regex.
// BOS/EOS/unknown ids and the add-BOS/add-EOS flags come from the same metadata.
#pragma once

#include "text/tokenizer.h"

#include <memory>

namespace lathe {

class GgufFile;

// Throws FormatError when the metadata is missing or inconsistent, UnsupportedError naming a
// tokenizer.ggml.model or tokenizer.ggml.pre we do not implement.
std::shared_ptr<Tokenizer> tokenizerFromGguf(const GgufFile &gguf);

} // namespace lathe
