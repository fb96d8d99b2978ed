// SPDX-License-Identifier: GPL-3.0-or-later
// Turns one row of logits into the next token id: the sampler chain of llama.cpp / HF
// generate (repetition penalty, greedy or top-k / top-p / min-p / temperature + seeded draw).
// Plain C++ on float arrays, so the GUI facade and tests use it without libtorch.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace lathe {

struct SamplerSettings {
    double temperature = 0.8;      // divides the logits; 0 or less = greedy (argmax)
    int topK = 40;                 // keep only the K most likely tokens; 0 = off
    double topP = 0.95;            // keep the smallest set whose probability sum >= P; 1 = off
    double minP = 0.05;            // drop tokens with p < minP * p(most likely); 0 = off
    double repetitionPenalty = 1.0; // > 1 discourages recently seen tokens; 1 = off
    int repeatLastN = 64;          // how many trailing history ids are penalised; 0 = none,
                                   // negative = the whole history
    std::uint64_t seed = 0;        // seed of the draw; the same seed gives the same tokens
};

// One sampler per generation stream; it owns the random generator, so reuse it across the
// tokens of one reply. Chain, in this order (llama.cpp's default order):
//   1. repetition penalty over the distinct ids among the last repeatLastN history ids:
//      logit > 0 ? logit / penalty : logit * penalty (HF / llama.cpp semantics)
//   2. temperature <= 0: return the argmax (ties go to the lowest id); nothing else applies
//   3. top-k, 4. top-p (on the softmax of the penalised logits, temperature 1),
//   5. min-p (relative to the most likely remaining token), 6. temperature,
//   7. softmax over the survivors, 8. draw with a seeded std::mt19937_64.
// Every step is deterministic (stable ordering: higher logit first, then lower id), so a
// given seed reproduces the same tokens across runs and machines.
class Sampler {
public:
    // Throws InvalidArgument for out-of-range settings (negative topK, topP outside (0, 1],
    // minP outside [0, 1], penalty <= 0, non-finite temperature).
    explicit Sampler(SamplerSettings settings = {});

    const SamplerSettings &settings() const { return m_settings; }

    // Picks the next id from `vocab` logits. `history` holds the ids seen so far (prompt +
    // generated) for the repetition penalty. Throws InvalidArgument for NaN logits, a vocab
    // of zero, all-infinite logits or history ids outside the vocabulary.
    std::int32_t sample(const float *logits, std::int64_t vocab,
                        const std::vector<std::int32_t> &history);
    std::int32_t sample(const std::vector<float> &logits, const std::vector<std::int32_t> &history)
    {
        return sample(logits.data(), static_cast<std::int64_t>(logits.size()), history);
    }

    // Restarts the random stream as if constructed with `seed`.
    void reseed(std::uint64_t seed);

private:
    struct Candidate {
        float logit;
        std::int32_t id;
    };

    void applyRepetitionPenalty(std::int64_t vocab, const std::vector<std::int32_t> &history);
    double nextUniform(); // in [0, 1), identical on every standard library

    SamplerSettings m_settings;
    std::mt19937_64 m_rng;
    std::vector<Candidate> m_candidates; // reused between calls
    std::vector<double> m_weights;       // reused between calls
};

} // namespace lathe
