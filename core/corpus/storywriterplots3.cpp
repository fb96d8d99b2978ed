// SPDX-License-Identifier: GPL-3.0-or-later
// More plot shapes of StoryWriter (see storywriterplots.cpp).
#include "corpus/storywriter.h"

namespace lathe::corpus {

void StoryWriter::race()
{
    opening();
    sentence({ "{N} and {F} liked to run.", "{N} was very fast, and so was {F}." });
    // Races need open ground: indoor or crowded places become the park.
    const std::string &place = m_cast.place->name;
    const bool open = !(place == "library" || place == "school" || place == "market"
        || place == "zoo" || place == "river" || place == "lake");
    if (!open) {
        set("P", "park");
        set("Pat", "at the park");
    }
    sentence("One day, they went to the {P} with {A}.");
    sentence(open ? m_rng.pick(m_cast.place->scenery)
                  : std::string("The grass was green and the sky was blue."));
    say("F",
        m_rng.pick(
            std::vector<std::string> { "Let's have a race!", "I bet I can run faster than you!" }));
    say("N", "Okay! Ready, set, go!");
    paragraph();
    sentence({ "They ran as fast as they could.", "Off they went, faster and faster." });
    const bool heroFell = m_rng.chance(0.5);
    sentence(heroFell ? "But then {N} tripped over a stone and fell down."
                      : "But then {F} slipped on the wet grass and fell.");
    set("faller", heroFell ? m_cast.hero.name : m_cast.friendChar.name);
    set("helper", heroFell ? m_cast.friendChar.name : m_cast.hero.name);
    set("fhim2", heroFell ? m_cast.hero.him : m_cast.friendChar.him);
    sentence("{helper} stopped running and went back.");
    say(heroFell ? "F" : "N", "Are you okay? Let me help you up.");
    sentence("{helper} helped {fhim2} stand up.");
    paragraph();
    sentence({ "They walked to the finish together, holding hands.",
        "They decided to finish the race together." });
    say("A",
        m_rng.pick(std::vector<std::string> { "You are both winners today.",
            "I am proud of you. Helping a friend is better than winning." }));
    sentence({ "{N} and {F} smiled.", "They laughed and gave each other a hug." });
    sentence("{N} learned that friends help each other.");
    ask("Who fell down during the race?", "{faller} fell down.");
    ask("Who helped {faller}?", "{helper} helped {faller} stand up.");
    ask("Who won the race?", "Nobody won. They finished the race together.");
}

void StoryWriter::growingSeed()
{
    static const std::vector<std::string> kPlants = { "sunflower", "tomato plant", "bean plant",
        "rose", "pumpkin", "tulip", "strawberry plant" };
    set("plant", m_rng.pick(kPlants));
    opening();
    sentence("One spring day, {A} gave {N} a tiny seed.");
    say("A", "If you take care of it, it will grow into a {plant}.");
    sentence({ "{N} planted the seed in a little pot.", "{N} dug a small hole and planted it." });
    paragraph();
    sentence("Every day, {N} gave the seed some water.");
    sentence("But nothing happened.");
    say("N",
        m_rng.pick(std::vector<std::string> { "Why is it not growing?", "When will it grow?" }));
    say("A", "Be patient. Good things take time.");
    sentence({ "So {N} waited and kept watering it.",
        "{N} kept watering it every morning, even when {he} was busy." });
    paragraph();
    sentence("One morning, {N} saw a little green leaf!");
    sentence({ "Soon the leaf became a stem, and the stem grew tall.",
        "Day by day, it grew bigger and bigger." });
    sentence("At last, there was a beautiful {plant}.");
    sentence({ "{N} was so {happy} that {he} showed it to {F}.",
        "{N} felt proud. {^he} had grown it all by {him}self." });
    sentence("{N} learned that waiting can be worth it.");
    ask("What did {A} give {N}?", "{A} gave {N} a tiny seed.");
    ask("What did the seed grow into?", "It grew into a {plant}.");
    ask("What did {N} learn?", "{N} learned to be patient.");
}

void StoryWriter::bedtime()
{
    // A teacher does not come to a child's bed at night: family puts them to sleep.
    if (m_cast.adult.name.rfind("Miss ", 0) == 0 || m_cast.adult.name.rfind("Mr. ", 0) == 0) {
        const bool mom = m_cast.adult.he == "she";
        set("A", mom ? "Mom" : "Dad");
    }
    opening();
    sentence("One night, {N} could not sleep.");
    sentence({ "{^he} turned this way and that way in {his} bed.",
        "{^he} kept thinking about the day." });
    say("N",
        m_rng.pick(
            std::vector<std::string> { "{A}, I can't sleep.", "{A}, will you stay with me?" }));
    sentence("{A} came in and sat on the bed.");
    say("A",
        m_rng.pick(std::vector<std::string> {
            "Close your eyes and think of something nice.", "Let me tell you a little story." }));
    paragraph();
    sentence("{N} closed {his} eyes and thought about the {P}.");
    sentence("{^he} thought about how {he} {act} with {F}.");
    sentence({ "Soon {he} felt warm and sleepy.", "Slowly, {his} eyes felt heavy." });
    sentence("That night, {N} dreamed that {he} could fly high over the {P}.");
    sentence({ "In the dream, {he} flew with the birds and waved to {F}.",
        "In the dream, the clouds were soft like pillows." });
    paragraph();
    sentence("In the morning, {N} woke up with a big smile.");
    say("N", "I had the best dream!");
    ask("Why did {A} come to {N}'s room?", "Because {N} could not sleep.");
    ask("What did {N} dream about?", "{N} dreamed about flying over the {P}.");
}

void StoryWriter::conversation()
{
    sentence({ "{N} and {F} sat under a big tree.", "It was a sunny morning.",
        "{N} and {F} were sitting on the steps in front of the house." });
    say("F",
        m_rng.pick(std::vector<std::string> {
            "What do you want to do today?", "I am bored. What should we do?" }));
    say("N",
        m_rng.pick(
            std::vector<std::string> { "Let's go to the {P}!", "I know! We can go to the {P}." }));
    say("F", "That is a good idea. But we have to ask {A} first.");
    sentence("So they ran inside.");
    say("N", "{A}, can we go to the {P}, please?");
    say("A",
        m_rng.pick(std::vector<std::string> {
            "Yes, you can. Be home before dinner.", "Yes, but I will come with you." }));
    say("N", "Thank you!");
    paragraph();
    sentence("So they went to the {P}.");
    sentence(m_rng.pick(m_cast.place->scenery));
    sentence("They {act}.");
    say("F",
        m_rng.pick(std::vector<std::string> {
            "This is the best day ever!", "I am so glad we came here." }));
    say("N",
        m_rng.pick(std::vector<std::string> {
            "Me too! Let's come back tomorrow.", "Me too. You are my best friend." }));
    sentence({ "When the sun went down, they walked home together, tired and {happy}.",
        "Then they went home, {happy} and hungry." });
    ask("Where did {N} and {F} go?", "They went to the {P}.");
    ask("Who did they ask first?", "They asked {A}.");
    ask("What did they do {Pat}?", "They {act}.");
}

} // namespace lathe::corpus
