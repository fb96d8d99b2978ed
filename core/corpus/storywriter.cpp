// SPDX-License-Identifier: GPL-3.0-or-later
#include "corpus/storywriter.h"

namespace lathe::corpus {

StoryWriter::StoryWriter(CorpusRng &rng, const Cast &cast)
    : m_rng(rng)
    , m_cast(cast)
{
    const Person &h = cast.hero;
    const Person &f = cast.friendChar;
    const Person &a = cast.adult;
    m_vars = { { "N", h.name }, { "he", h.he }, { "him", h.him }, { "his", h.his },
        { "desc", h.desc }, { "kind", h.kind }, { "F", f.name }, { "fhe", f.he }, { "fhim", f.him },
        { "fhis", f.his }, { "fdesc", f.desc }, { "fkind", f.kind }, { "A", a.name },
        { "akind", a.kind }, { "ahe", a.he }, { "ahim", a.him }, { "ahis", a.his },
        { "o", cast.thing.noun }, { "oa", cast.thing.adj }, { "ov", cast.thing.verb },
        { "a_oa", article(cast.thing.adj) }, { "owhere", cast.thing.where },
        { "P", cast.place->name }, { "Pat", cast.place->prep + " the " + cast.place->name },
        { "hide", m_rng.pick(cast.place->hideouts) }, { "act", m_rng.pick(cast.place->activities) },
        { "happy", m_rng.pick(kHappyFeelings) }, { "sad", m_rng.pick(kSadFeelings) } };
}

void StoryWriter::set(const std::string &key, const std::string &value)
{
    for (auto &kv : m_vars)
        if (kv.first == key) {
            kv.second = value;
            return;
        }
    m_vars.emplace_back(key, value);
}

std::string StoryWriter::expand(const std::string &text) const
{
    std::string out;
    out.reserve(text.size() + 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '{') {
            out += text[i];
            continue;
        }
        const std::size_t close = text.find('}', i);
        std::string key = text.substr(i + 1, close - i - 1);
        const bool cap = !key.empty() && key[0] == '^';
        if (cap)
            key.erase(0, 1);
        std::string value = "?";
        for (const auto &kv : m_vars)
            if (kv.first == key) {
                value = kv.second;
                break;
            }
        out += cap ? capitalize(value) : value;
        i = close;
    }
    return out;
}

void StoryWriter::sentence(const std::string &text)
{
    if (!m_out.empty() && m_out.back() != '\n')
        m_out += ' ';
    m_out += expand(text);
}

void StoryWriter::sentence(std::initializer_list<const char *> choices)
{
    sentence(std::string(choices.begin()[m_rng.below(choices.size())]));
}

void StoryWriter::paragraph()
{
    if (!m_out.empty() && m_out.back() != '\n')
        m_out += "\n\n";
}

void StoryWriter::ask(const std::string &question, const std::string &answer)
{
    m_facts.questions.emplace_back(expand(question), expand(answer));
}

// Quoted speech with the punctuation inside the quotes: `Lily said, "Hi."`,
// `"Hi," said Lily.`, `"Can I play?" asked Lily.`
void StoryWriter::say(const std::string &speakerKey, const std::string &lineTemplate)
{
    const std::string speaker = expand("{" + speakerKey + "}");
    std::string line = expand(lineTemplate);
    const char end = line.empty() ? '.' : line.back();
    std::string verb = "said";
    if (end == '?')
        verb = m_rng.chance(0.7) ? "asked" : "said";
    else if (end == '!')
        verb = m_rng.pick(std::vector<std::string> { "shouted", "said", "cried", "said" });
    else if (m_lastWasQuestion)
        verb = m_rng.pick(std::vector<std::string> { "said", "replied", "answered" });
    else
        verb = m_rng.pick(std::vector<std::string> { "said", "said", "whispered" });
    m_lastWasQuestion = end == '?';
    if (!m_out.empty() && m_out.back() != '\n')
        m_out += ' ';
    const int form = m_rng.range(0, 2);
    if (form == 0) {
        m_out += capitalize(speaker) + " " + verb + ", \"" + line + "\"";
        return;
    }
    if (end == '.')
        line.back() = ',';
    m_out += "\"" + line + "\" ";
    m_out += form == 1 ? verb + " " + speaker + "." : speaker + " " + verb + ".";
}

void StoryWriter::opening()
{
    sentence({ "Once upon a time, there was {desc} named {N}.",
        "Once upon a time, there was {desc} named {N}.", "There once was {desc} called {N}.",
        "Long ago, in a little town, there lived {desc} named {N}.",
        "{N} was {desc} who lived in a small house near the {P}.",
        "Every morning, {desc} named {N} woke up early.",
        "In a small village, there lived {desc} named {N}." });
    if (m_cast.hero.kind == "grandma" || m_cast.hero.kind == "grandpa")
        sentence({ "{^he} loved to spend time with {his} {akind}, {A}.",
            "{^his} {akind}, {A}, often came to visit." });
}

std::string StoryWriter::write(StoryFacts *facts, int plot)
{
    m_out.clear();
    m_facts = {};
    if (plot < 0)
        plot = m_rng.range(0, 13);
    // Sharing, fears, not listening and baking lessons are written for children and animals.
    const bool grandparent = m_cast.hero.kind == "grandma" || m_cast.hero.kind == "grandpa";
    if (grandparent && (plot == 1 || plot == 7 || plot == 13)) {
        plot = 0; // still about the object
    } else if (grandparent && (plot == 2 || plot == 8)) {
        static const int kGrandparentPlots[] = { 3, 4, 6 };
        plot = m_rng.pick(kGrandparentPlots);
    }
    switch (plot) {
    case 0:
        lostThing();
        break;
    case 1:
        sharing();
        break;
    case 2:
        fear();
        break;
    case 3:
        helpAnimal();
        break;
    case 4:
        gift();
        break;
    case 5:
        badWeather();
        break;
    case 6:
        discovery();
        break;
    case 7:
        notListening();
        break;
    case 8:
        cooking();
        break;
    case 9:
        newFriend();
        break;
    case 10:
        race();
        break;
    case 11:
        growingSeed();
        break;
    case 12:
        bedtime();
        break;
    default:
        conversation();
        break;
    }
    ask("What was the name of the {kind} in the story?", "The {kind} was named {N}.");
    if (facts)
        *facts = m_facts;
    return m_out;
}

} // namespace lathe::corpus
