// SPDX-License-Identifier: GPL-3.0-or-later
// A SentencePiece BPE vocabulary (GGUF "llama" or tokenizer.model) as a full tokenizer: the
// pipeline Hugging Face uses for Llama's SentencePiece tokenizers (Prepend "▁" + Replace
// " " -> "▁", score-based merges with byte fallback, decoders Replace/ByteFallback/Fuse/Strip),
// control and user-defined pieces matched as added tokens.
#pragma once

#include "text/spmmodel.h"
#include "text/tokenizer.h"

#include <memory>
#include <string>

namespace lathe {

std::shared_ptr<Tokenizer> makeSpmTokenizer(
    const SpmVocabulary &vocab, const std::string &sourcePath, const std::string &kind);

} // namespace lathe
