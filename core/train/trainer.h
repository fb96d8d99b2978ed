// SPDX-License-Identifier: GPL-3.0-or-later
// The training loop: random windows of the training tokens, AdamW with warmup + cosine
// schedule and gradient clipping, periodic validation loss, resumable checkpoints (weights,
// AdamW moments, step and loss curve in one atomically written safetensors file), progress
// and cancellation. Batches depend only on (seed, step), so a resumed run continues exactly
// where the interrupted one stopped.
#pragma once

#include "train/trainconfig.h"
#include "util/progress.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

class AdamW;
class TrainableLlama;

// Token streams: documents (BOS ... EOS) concatenated, split by document.
struct TokenSplit {
    std::vector<std::int32_t> train;
    std::vector<std::int32_t> val;
    // Offsets in `train` where a document (its BOS) begins. When given, every training window
    // starts at one, so the model learns to continue a document from position 0 with nothing
    // before it, as it is used; when empty, windows start anywhere.
    std::vector<std::size_t> trainDocumentStarts;
};

// The windows of ctx + 1 tokens (inputs and next-token targets) that training step `step`
// reads, [batch, ctx + 1]: offsets depend only on (seed, step), so resuming is exact. With
// document starts, each window begins at one that leaves room for a whole window.
at::Tensor trainingBatch(const TokenSplit &data, std::uint64_t seed, std::int64_t step,
    std::int64_t batch, std::int64_t ctx);

// One row of the loss curve.
struct TrainPoint {
    std::int64_t step = 0; // steps done (1-based)
    double lr = 0.0; // learning rate of that step
    double trainLoss = 0.0; // its batch loss (nats/token)
    double valLoss = -1.0; // validation loss after it; < 0 when not measured
    double tokensPerSecond = 0.0; // training tokens per second of that step
    double seconds = 0.0; // training time so far (all sessions)
};

struct TrainResult {
    std::vector<TrainPoint> curve;
    std::int64_t steps = 0;
    std::int64_t resumedFrom = 0; // step the run resumed at (0: fresh start)
    double seconds = 0.0; // training time of all sessions
    double tokensPerSecond = 0.0; // mean over the whole run
    double finalValLoss = 0.0;
    int threads = 0;
};

class Trainer {
public:
    // `checkpointPath` is the .safetensors file checkpoints go to ("" = none).
    // `fingerprint` identifies the config; resuming from a checkpoint with another one fails.
    Trainer(TrainableLlama &model, TrainOptions options, std::string checkpointPath,
        std::string fingerprint = {});

    // Trains to options.steps. With `resume`, starts from the checkpoint (IoError when there is
    // none). Uses `threads` cores (0 = all) and restores the engine's thread settings after.
    // On cancel, writes a checkpoint of the steps done and throws CancelledError.
    TrainResult train(const TokenSplit &data, bool resume, int threads = 0,
        const ProgressFn &progress = {}, const CancelToken &cancel = {});

    // Mean loss over the first options.evalBatches batches of consecutive windows of `ids`.
    double validationLoss(const std::vector<std::int32_t> &ids) const;

    // Writes the curve as CSV (step,lr,train_loss,val_loss,tokens_per_s,seconds) and JSON.
    static void writeLossCurve(const std::vector<TrainPoint> &curve, const std::string &csvPath,
        const std::string &jsonPath);

private:
    void saveCheckpoint(std::int64_t step, const std::vector<TrainPoint> &curve, double seconds,
        const AdamW &optimizer) const;

    TrainableLlama &m_model;
    TrainOptions m_options;
    std::string m_checkpointPath;
    std::string m_fingerprint;
};

} // namespace lathe
