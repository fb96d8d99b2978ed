// SPDX-License-Identifier: GPL-3.0-or-later
// Lathe's own training corpus for the demo model, generated deterministically from a seed:
// short grammatical English stories and dialogue (characters, places, objects, feelings,
// simple cause and effect, quoted speech), simple arithmetic lines ("12 + 35 = 47") and
// chat-formatted conversations in the demo chat template. Damage from compression is then
// easy to see: a healthy model writes coherent stories and mostly correct sums.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

struct StoryCorpusOptions {
    std::uint64_t seed = 1;
    std::size_t targetChars = 4'000'000; // stop once the documents hold this many bytes
    double arithmeticShare = 0.06;       // fraction of documents that are arithmetic lines
    double chatShare = 0.12;             // fraction that are chat conversations
};

// The documents, in order; each is one story, one arithmetic block or one conversation
// (chat documents are rendered with demoChatTemplate() and an empty bos_token: the trainer
// adds BOS when encoding, as for every document). Same options -> byte-identical output.
std::vector<std::string> generateStoryCorpus(const StoryCorpusOptions &options);

// Special tokens of the demo tokenizer, in id order starting at 0:
// "<s>" (BOS), "</s>" (EOS), "<|system|>", "<|user|>", "<|assistant|>", "<|end|>".
const std::vector<std::string> &demoSpecialTokens();

// The demo chat template (Jinja, as in tokenizer_config.json): bos_token, then per message
// "<|ROLE|>\nCONTENT<|end|>\n", then "<|assistant|>\n" with add_generation_prompt.
const std::string &demoChatTemplate();

// "12 + 35 = 47"-style prompts for measuring arithmetic accuracy: `count` held-out sums
// (seeded), each split into the prompt ("12 + 35 =") and the expected answer (" 47").
struct ArithmeticProbe {
    std::string prompt;
    std::string answer;
};
std::vector<ArithmeticProbe> arithmeticProbes(std::uint64_t seed, int count);

} // namespace lathe
