// SPDX-License-Identifier: GPL-3.0-or-later
// What `lathe-cli train` reads from its YAML (or JSON) config: where the text comes from, which
// tokenizer, the model's shape and the optimisation settings. Parsing checks every key and
// range up front, so a bad config fails before anything is written.
#pragma once

#include "io/modelconfig.h"

#include <cstdint>
#include <string>

namespace lathe {

// The training text: the generated story corpus, or a text file of documents.
struct CorpusSpec {
    bool generated = true; // false: read `dataPath`
    std::uint64_t seed = 1; // generateStoryCorpus seed
    std::size_t chars = 4'000'000; // generateStoryCorpus targetChars
    double arithmeticShare = 0.06; // fraction of arithmetic documents
    double chatShare = 0.12; // fraction of chat documents
    std::string dataPath; // text file; documents separated by blank lines
};

// The tokenizer: trained on the corpus (vocabSize), or an existing folder (path).
struct TokenizerSpec {
    std::string path; // non-empty: load this tokenizer instead of training one
    int vocabSize = 2048; // trained tokenizer size (specials + 256 bytes + merges)
};

// The Llama's shape.
struct ModelShape {
    std::int64_t hidden = 128;
    std::int64_t layers = 4;
    std::int64_t heads = 4;
    std::int64_t kvHeads = 2;
    std::int64_t ffn = 384;
    std::int64_t ctx = 256; // max_position_embeddings
    double ropeTheta = 10000.0;
    bool tieEmbeddings = true;
    double normEps = 1e-5;
};

// Optimisation settings.
struct TrainOptions {
    std::int64_t steps = 1000;
    std::int64_t batch = 16; // sequences per step
    std::int64_t ctx = 256; // tokens per sequence (<= model ctx)
    double lr = 3e-3; // peak learning rate
    double minLr = 3e-4; // end of the cosine decay
    std::int64_t warmup = 100; // linear warmup steps
    double weightDecay = 0.1; // AdamW decoupled decay (not on norms)
    double clip = 1.0; // global gradient-norm clip (0 = off)
    double beta1 = 0.9;
    double beta2 = 0.95;
    double adamEps = 1e-8;
    std::int64_t evalEvery = 100; // validation loss every N steps (and at the end)
    std::int64_t evalBatches = 8; // batches of the validation split per measurement
    std::int64_t checkpointEvery = 200; // resumable checkpoint every N steps (0 = only at the end)
    double valFraction = 0.05; // share of documents held out for validation
    std::uint64_t seed = 1; // initialisation and batch order
};

struct TrainConfig {
    CorpusSpec corpus;
    TokenizerSpec tokenizer;
    ModelShape model;
    TrainOptions train;
};

// Parses YAML (JSON is YAML too). `source` names the file in errors. Relative paths
// (data, tokenizer) are resolved against `baseDir` when it is not empty. Throws
// InvalidArgument naming the key ("train.lr: must be > 0") or FormatError for bad YAML.
TrainConfig parseTrainConfig(
    const std::string &yamlText, const std::string &source, const std::string &baseDir = {});
// Reads and parses a config file (IoError when it cannot be read).
TrainConfig loadTrainConfig(const std::string &path);

// The engine config for a shape and a tokenizer's vocabulary and special ids.
ModelConfig modelConfigFor(const ModelShape &shape, std::int64_t vocabSize, std::int64_t bosId,
    const std::vector<std::int64_t> &eosIds);

// A canonical one-line JSON of the config, stored in checkpoints so --resume can refuse a
// changed config.
std::string trainConfigJson(const TrainConfig &config);

} // namespace lathe
