// SPDX-License-Identifier: GPL-3.0-or-later
// Writes one short story for the demo corpus from a cast: picks a plot shape (a lost toy, a
// fear overcome, sharing, helping an animal, ...) and fills it with varied sentences, keeping
// the same characters, object and place from beginning to end. Private to corpus/.
#pragma once

#include "corpus/corpusrng.h"
#include "corpus/storywords.h"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace lathe::corpus {

// Questions a reader could answer from the story, with their answers (for chat documents).
struct StoryFacts {
    std::vector<std::pair<std::string, std::string>> questions;
};

class StoryWriter {
public:
    StoryWriter(CorpusRng &rng, const Cast &cast);

    // The story text (no trailing newline) and what can be asked about it. `plot` picks one
    // of the plots (0 lost thing, 1 sharing, 2 fear, 3 helping an animal, 4 gift, 5 bad
    // weather, 6 discovery, 7 not listening, 8 cooking, 9 new friend, 10 race, 11 growing a
    // seed, 12 bedtime, 13 a conversation); -1 draws one.
    std::string write(StoryFacts *facts = nullptr, int plot = -1);

    // Replaces {key} by the cast's words ({^key} capitalized): N/he/him/his/desc (hero),
    // F/fhe/fhim/fhis/fdesc (friend), A/ahe/ahim/ahis (grown-up), o/oa/ov (object noun,
    // adjective, verb), P (place), Pat ("at the park").
    std::string expand(const std::string &text) const;
    void set(const std::string &key, const std::string &value);

private:
    void sentence(const std::string &text); // expanded and appended
    void sentence(std::initializer_list<const char *> choices); // one of them
    void say(const std::string &speakerKey, const std::string &line);
    void paragraph();
    void ask(const std::string &question, const std::string &answer);
    void opening();

    void lostThing();
    void sharing();
    void fear();
    void helpAnimal();
    void gift();
    void badWeather();
    void discovery();
    void notListening();
    void cooking();
    void newFriend();
    void race();
    void growingSeed();
    void bedtime();
    void conversation();

    CorpusRng &m_rng;
    Cast m_cast;
    std::vector<std::pair<std::string, std::string>> m_vars;
    std::string m_out;
    StoryFacts m_facts;
    bool m_lastWasQuestion = false; // "replied" only answers a question
};

} // namespace lathe::corpus
