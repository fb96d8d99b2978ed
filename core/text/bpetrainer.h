// SPDX-License-Identifier: GPL-3.0-or-later
// Trains a byte-level BPE tokenizer (GPT-2 style: bytes mapped to printable characters, a
// pre-tokenizer regex, digits split one by one so arithmetic stays learnable) on documents,
// and writes it as standard Hugging Face files any tool can read: tokenizer.json and
// tokenizer_config.json (BOS/EOS, add_bos_token, chat template).
#pragma once

#include "util/progress.h"

#include <string>
#include <vector>

namespace lathe {

struct BpeTrainOptions {
    int vocabSize = 2048;                   // specials + 256 bytes + merges
    int minFrequency = 2;                   // pairs seen fewer times are not merged
    std::vector<std::string> specialTokens; // ids 0.. in this order; matched before BPE
    std::string bosToken;                   // must be one of specialTokens
    std::string eosToken;                   // must be one of specialTokens
    bool addBosToken = true;                // tokenizer_config add_bos_token
    std::string chatTemplate;               // tokenizer_config chat_template ("" = none)
    int modelMaxLength = 1024;              // tokenizer_config model_max_length
};

// Writes DIR/tokenizer.json and DIR/tokenizer_config.json (each to a temporary file that is
// then renamed). Deterministic: same documents and options -> byte-identical files.
// Throws InvalidArgument for a vocabulary smaller than specials + 256, CancelledError.
void trainByteLevelBpe(const std::vector<std::string> &documents, const BpeTrainOptions &options,
    const std::string &outDir, const ProgressFn &progress = {}, const CancelToken &cancel = {});

} // namespace lathe
