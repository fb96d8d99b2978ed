// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/modelcard.h"

#include "train/trainconfig.h"
#include "train/trainpipeline.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace lathe {

namespace {

std::string fixed(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string percent(int correct, int total)
{
    return total > 0 ? fixed(100.0 * correct / total, 1) + "%" : "n/a";
}

} // namespace

std::string modelCard(const TrainConfig &config, const TrainRunReport &r, const ModelConfig &m,
    const std::string &command)
{
    const TrainOptions &t = config.train;
    std::ostringstream s;
    s << "---\nlicense: gpl-3.0\nlibrary_name: lathe\ntags:\n- llama\n- lathe\n- demo\n---\n\n";
    s << (config.corpus.generated ? "# Lathe demo model\n\n" : "# Lathe-trained model\n\n");
    s << "A " << fixed(static_cast<double>(r.parameters) / 1e6, 2)
      << " M-parameter Llama trained from scratch by Lathe's own trainer (libtorch autograd "
         "through Lathe's Llama implementation)";
    if (config.corpus.generated)
        s << " on Lathe's own generated corpus of short stories, dialogue, chat conversations "
             "and arithmetic. It is small enough to ship and good enough that damage from "
             "compression is easy to see: the healthy model writes simple coherent stories and "
             "mostly correct sums.\n\n";
    else
        s << " on `" << config.corpus.dataPath << "`.\n\n";

    s << "## Results\n\n";
    s << "| | trained | untrained (same init) |\n|---|---|---|\n";
    s << "| validation perplexity | " << fixed(r.valPerplexity, 3) << " | "
      << fixed(r.untrainedValPerplexity, 1) << " |\n";
    s << "| arithmetic accuracy (" << r.arithmeticTotal << " held-out sums) | "
      << percent(r.arithmeticCorrect, r.arithmeticTotal) << " (" << r.arithmeticCorrect << "/"
      << r.arithmeticTotal << ") | " << percent(r.untrainedArithmeticCorrect, r.arithmeticTotal)
      << " |\n\n";
    s << "Validation perplexity: Lathe's engine on the held-out documents (" << r.valTokens
      << " tokens), non-overlapping windows of " << t.ctx << " tokens (`lathe-cli perplexity` "
      << "windows protocol). Arithmetic: greedy generation with the engine after the prompt "
         "(e.g. `12 + 35 =`, BOS first); a sum is correct when the generated text starts with "
         "the expected answer. Probes: `arithmeticProbes("
      << config.corpus.seed << ", " << r.arithmeticTotal << ")`.\n\n";

    s << "## Greedy samples\n\n";
    for (const auto &[prompt, text] : r.samples)
        s << "> **" << prompt << "**" << text << "\n\n";

    s << "## How it was made\n\n";
    if (config.corpus.generated)
        s << "- Corpus: `generateStoryCorpus` seed " << config.corpus.seed << ", "
          << config.corpus.chars << " characters requested (" << r.corpusChars
          << " generated), arithmetic share " << config.corpus.arithmeticShare << ", chat share "
          << config.corpus.chatShare << "; " << r.documents << " documents.\n";
    else
        s << "- Text: `" << config.corpus.dataPath << "`, " << r.documents << " documents, "
          << r.corpusChars << " characters.\n";
    if (config.tokenizer.path.empty())
        s << "- Tokenizer: byte-level BPE trained by Lathe on the corpus, " << m.vocabSize
          << " tokens (specials `<s>` `</s>` `<|system|>` `<|user|>` `<|assistant|>` "
             "`<|end|>`, digits split one by one), with the demo chat template.\n";
    else
        s << "- Tokenizer: `" << config.tokenizer.path << "` (" << m.vocabSize << " tokens).\n";
    s << "- Split: " << r.trainTokens << " training tokens, " << r.valTokens
      << " validation tokens (" << fixed(100 * t.valFraction, 1)
      << "% of the documents held out); each document is BOS + text + EOS.\n";
    s << "- Architecture: Llama, hidden " << m.hiddenSize << ", " << m.numLayers << " layers, "
      << m.numHeads << " heads of " << m.headDim << " (" << m.numKvHeads << " KV heads, GQA), "
      << "SwiGLU MLP " << m.intermediateSize << ", context " << m.maxPositions << ", RoPE theta "
      << m.ropeTheta << ", " << (m.tieWordEmbeddings ? "tied" : "untied") << " embeddings; "
      << r.parameters << " parameters.\n";
    s << "- Training: " << r.training.steps << " steps of " << t.batch << " x " << t.ctx
      << " tokens (" << fixed(static_cast<double>(r.training.steps * t.batch * t.ctx) / 1e6, 2)
      << " M tokens), AdamW (beta " << t.beta1 << "/" << t.beta2 << ", weight decay "
      << t.weightDecay << ", none on norms), peak lr " << t.lr << " after " << t.warmup
      << " warmup steps, cosine decay to " << t.minLr << ", gradient clipping at " << t.clip
      << ", seed " << t.seed << ".\n";
    s << "- Time: " << fixed(r.training.seconds / 60.0, 1) << " minutes of training ("
      << fixed(r.training.tokensPerSecond, 0) << " tokens/s on " << r.training.threads
      << " CPU threads), " << fixed(r.totalSeconds / 60.0, 1)
      << " minutes for the whole command. Final validation loss "
      << fixed(r.training.finalValLoss, 4) << " (trainer, " << t.evalBatches << " batches).\n";
    s << "- Loss curve: `loss_curve.csv` / `loss_curve.json`; summary: `training.json`.\n\n";

    s << "## Regenerate\n\n```sh\n" << command << "\n```\n\n";
    s << "The corpus, tokenizer, initialisation and batch order are deterministic; floating-"
         "point sums in multi-threaded kernels may differ slightly between machines.\n";
    return s.str();
}

std::string trainingSummaryJson(
    const TrainConfig &config, const TrainRunReport &r, const std::string &command)
{
    nlohmann::ordered_json j;
    j["command"] = command;
    j["config"] = nlohmann::ordered_json::parse(trainConfigJson(config));
    j["parameters"] = r.parameters;
    j["documents"] = r.documents;
    j["corpus_chars"] = r.corpusChars;
    j["train_tokens"] = r.trainTokens;
    j["val_tokens"] = r.valTokens;
    j["steps"] = r.training.steps;
    j["training_seconds"] = r.training.seconds;
    j["tokens_per_s"] = r.training.tokensPerSecond;
    j["threads"] = r.training.threads;
    j["final_val_loss"] = r.training.finalValLoss;
    j["val_ppl"] = r.valPerplexity;
    j["val_ppl_protocol"] = "windows";
    j["val_ppl_ctx"] = config.train.ctx;
    j["untrained_val_ppl"] = r.untrainedValPerplexity;
    j["arithmetic_correct"] = r.arithmeticCorrect;
    j["arithmetic_total"] = r.arithmeticTotal;
    j["arithmetic_accuracy"] = r.arithmeticTotal > 0
        ? static_cast<double>(r.arithmeticCorrect) / r.arithmeticTotal
        : 0.0;
    j["untrained_arithmetic_correct"] = r.untrainedArithmeticCorrect;
    j["total_seconds"] = r.totalSeconds;
    return j.dump(2) + "\n";
}

} // namespace lathe
