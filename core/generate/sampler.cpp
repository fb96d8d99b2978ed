// SPDX-License-Identifier: GPL-3.0-or-later
#include "generate/sampler.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

namespace lathe {

namespace {

// Higher logit first; equal logits keep the lower id first so every step is reproducible.
template <typename C>
bool before(const C &a, const C &b)
{
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

} // namespace

Sampler::Sampler(SamplerSettings settings) : m_settings(settings)
{
    const SamplerSettings &s = m_settings;
    if (!std::isfinite(s.temperature))
        throw InvalidArgument("sampler: temperature must be a finite number");
    if (s.topK < 0)
        throw InvalidArgument("sampler: top-k must be 0 (off) or positive, got " +
                              std::to_string(s.topK));
    if (!(s.topP > 0.0 && s.topP <= 1.0))
        throw InvalidArgument("sampler: top-p must be in (0, 1], got " + std::to_string(s.topP));
    if (!(s.minP >= 0.0 && s.minP <= 1.0))
        throw InvalidArgument("sampler: min-p must be in [0, 1], got " + std::to_string(s.minP));
    if (!(s.repetitionPenalty > 0.0) || !std::isfinite(s.repetitionPenalty))
        throw InvalidArgument("sampler: repetition penalty must be positive, got " +
                              std::to_string(s.repetitionPenalty));
    m_rng.seed(s.seed);
}

void Sampler::reseed(std::uint64_t seed)
{
    m_settings.seed = seed;
    m_rng.seed(seed);
}

double Sampler::nextUniform()
{
    // 53 random bits -> a double in [0, 1). std::uniform_real_distribution is not specified
    // bit for bit, so results would differ between standard libraries.
    return static_cast<double>(m_rng() >> 11) * 0x1.0p-53;
}

void Sampler::applyRepetitionPenalty(std::int64_t vocab, const std::vector<std::int32_t> &history)
{
    const double penalty = m_settings.repetitionPenalty;
    if (penalty == 1.0 || m_settings.repeatLastN == 0 || history.empty())
        return;
    std::size_t n = history.size();
    if (m_settings.repeatLastN > 0)
        n = std::min(n, static_cast<std::size_t>(m_settings.repeatLastN));
    // Each distinct id is penalised once, however often it occurs (as HF and llama.cpp do).
    std::unordered_set<std::int32_t> seen;
    for (std::size_t i = history.size() - n; i < history.size(); ++i) {
        const std::int32_t id = history[i];
        if (id < 0 || id >= vocab)
            throw InvalidArgument("sampler: history id " + std::to_string(id) +
                                  " is outside the vocabulary of " + std::to_string(vocab));
        if (!seen.insert(id).second)
            continue;
        float &logit = m_candidates[static_cast<std::size_t>(id)].logit;
        logit = logit > 0.0f ? static_cast<float>(logit / penalty)
                             : static_cast<float>(logit * penalty);
    }
}

std::int32_t Sampler::sample(const float *logits, std::int64_t vocab,
                             const std::vector<std::int32_t> &history)
{
    if (vocab <= 0 || logits == nullptr)
        throw InvalidArgument("sampler: no logits to sample from");
    if (vocab > INT32_MAX)
        throw InvalidArgument("sampler: vocabulary too large");

    m_candidates.resize(static_cast<std::size_t>(vocab));
    for (std::int64_t i = 0; i < vocab; ++i) {
        if (std::isnan(logits[i]))
            throw InvalidArgument("sampler: logit of token " + std::to_string(i) +
                                  " is NaN (the model produced invalid numbers)");
        m_candidates[static_cast<std::size_t>(i)] = {logits[i], static_cast<std::int32_t>(i)};
    }
    applyRepetitionPenalty(vocab, history);

    // Greedy: argmax, ties to the lowest id (the first one met).
    if (m_settings.temperature <= 0.0) {
        std::size_t best = 0;
        for (std::size_t i = 1; i < m_candidates.size(); ++i)
            if (m_candidates[i].logit > m_candidates[best].logit)
                best = i;
        if (m_candidates[best].logit == -INFINITY)
            throw InvalidArgument("sampler: every logit is -inf");
        return m_candidates[best].id;
    }

    auto cmp = [](const Candidate &a, const Candidate &b) { return before(a, b); };
    bool sorted = false;

    // Top-k: keep the K best, sorted.
    const auto k = static_cast<std::size_t>(m_settings.topK);
    if (k > 0 && k < m_candidates.size()) {
        std::partial_sort(m_candidates.begin(), m_candidates.begin() + static_cast<long>(k),
                          m_candidates.end(), cmp);
        m_candidates.resize(k);
        sorted = true;
    }

    // Top-p: smallest prefix (by probability) whose mass reaches P; at least one token.
    if (m_settings.topP < 1.0 && m_candidates.size() > 1) {
        if (!sorted) {
            std::sort(m_candidates.begin(), m_candidates.end(), cmp);
            sorted = true;
        }
        const double maxLogit = m_candidates.front().logit;
        double total = 0.0;
        for (const Candidate &c : m_candidates)
            total += std::exp(static_cast<double>(c.logit) - maxLogit);
        const double target = m_settings.topP * total;
        double cumulative = 0.0;
        std::size_t keep = m_candidates.size();
        for (std::size_t i = 0; i < m_candidates.size(); ++i) {
            cumulative += std::exp(static_cast<double>(m_candidates[i].logit) - maxLogit);
            if (cumulative >= target) {
                keep = i + 1;
                break;
            }
        }
        m_candidates.resize(keep);
    }

    float maxLogit = -INFINITY;
    for (const Candidate &c : m_candidates)
        maxLogit = std::max(maxLogit, c.logit);
    if (maxLogit == -INFINITY)
        throw InvalidArgument("sampler: every logit is -inf");

    // Min-p: p_i / p_max = exp(l_i - l_max) at temperature 1; the best token always stays.
    if (m_settings.minP > 0.0) {
        const double minP = m_settings.minP;
        std::erase_if(m_candidates, [&](const Candidate &c) {
            return std::exp(static_cast<double>(c.logit) - maxLogit) < minP;
        });
    }

    // Temperature + softmax (unnormalised weights suffice for the draw).
    const double invT = 1.0 / m_settings.temperature;
    std::vector<double> &weights = m_weights;
    weights.resize(m_candidates.size());
    double total = 0.0;
    for (std::size_t i = 0; i < m_candidates.size(); ++i) {
        weights[i] = std::exp((static_cast<double>(m_candidates[i].logit) - maxLogit) * invT);
        total += weights[i];
    }

    const double u = nextUniform() * total;
    double cumulative = 0.0;
    for (std::size_t i = 0; i < m_candidates.size(); ++i) {
        cumulative += weights[i];
        if (u < cumulative)
            return m_candidates[i].id;
    }
    // Rounding left u at the very top: the last token with non-zero weight.
    for (std::size_t i = m_candidates.size(); i-- > 0;)
        if (weights[i] > 0.0)
            return m_candidates[i].id;
    return m_candidates.front().id;
}

} // namespace lathe
