// SPDX-License-Identifier: GPL-3.0-or-later
// The plot shapes of StoryWriter: each one a beginning, a problem and an ending that fit
// together, with several wordings for most sentences.
#include "corpus/storywriter.h"

namespace lathe::corpus {

void StoryWriter::lostThing()
{
    opening();
    sentence({ "{^he} had {a_oa} {oa} {o} that {he} loved very much.",
        "{N}'s favorite thing in the world was {his} {oa} {o}.",
        "{^he} had {a_oa} {oa} {o}, and {he} took it everywhere." });
    sentence(
        { "Every day, {he} liked to {ov} {his} {o}.", "{^he} liked to {ov} it all day long." });
    paragraph();
    sentence({ "One day, {N} went to the {P} with {A}.",
        "One sunny morning, {N} and {A} went to the {P}.",
        "One afternoon, {A} took {N} to the {P}." });
    sentence(m_rng.pick(m_cast.place->scenery));
    sentence("{N} {act} and had a lot of fun.");
    sentence({ "When it was time to go home, {N} looked for {his} {o}, but it was gone!",
        "Later, {N} wanted to {ov} {his} {o}, but {he} could not find it." });
    sentence("{N} felt very {sad}.");
    say("N",
        m_rng.pick(std::vector<std::string> {
            "Oh no! Where is my {o}?", "I lost my {o}!", "Where did my {o} go?" }));
    say("A",
        m_rng.pick(std::vector<std::string> { "Don't worry, we will find it together.",
            "Let's look for it. It can't be far.", "Don't cry. We will look everywhere." }));
    paragraph();
    sentence("They looked everywhere.");
    const bool friendFinds = m_rng.chance(0.5);
    if (friendFinds) {
        sentence("Then {F}, {fdesc}, came to help.");
        sentence("{F} looked {hide} and found the {o}.");
        say("F", "Is this your {o}?");
        set("finder", expand("{F}"));
    } else {
        sentence("At last, {A} looked {hide}, and there was the {o}!");
        say("A", "Look, {N}! Here it is!");
        set("finder", expand("{A}"));
    }
    sentence({ "{N} was so {happy}.", "{N} jumped up and down with joy." });
    say("N", "Thank you so much!");
    sentence({ "{^he} hugged {his} {o} tight.", "{^he} held {his} {o} close." });
    sentence({ "From that day on, {N} always kept {his} {o} close.",
        "After that, {N} was careful to take good care of {his} things.",
        "They all went home, tired but {happy}." });
    ask("Where did {N} go?", "{N} went to the {P} with {A}.");
    ask("What did {N} lose?", "{N} lost {his} {oa} {o}.");
    ask("Who found the {o}?", "{finder} found it {hide}.");
    ask("How did {N} feel when the {o} was lost?", "{N} felt {sad}.");
}

void StoryWriter::sharing()
{
    opening();
    sentence({ "{^he} had a friend named {F}.", "{N}'s best friend was {F}, {fdesc}." });
    sentence({ "One day, {N} got {a_oa} {oa} {o}.", "One day, {A} gave {N} {a_oa} {oa} {o}." });
    sentence("{N} loved to {ov} it.");
    paragraph();
    sentence("{F} came over and saw the {o}.");
    say("F", "Can I {ov} your {o} too?");
    say("N",
        m_rng.pick(std::vector<std::string> {
            "No! It is mine!", "No, it is my {o}!", "Not now. I want to {ov} it first." }));
    sentence({ "{F} felt sad and sat down.", "{F} was sad and looked at the ground.",
        "{F} frowned and walked away." });
    sentence("{A} saw what happened.");
    say("A",
        m_rng.pick(std::vector<std::string> { "{N}, it is nice to share. Why don't you take turns?",
            "When we share, everyone can have fun.",
            "How would you feel if {F} did not share with you?" }));
    paragraph();
    sentence({ "{N} thought about it.", "{N} was quiet for a moment." });
    sentence("Then {he} gave the {o} to {F}.");
    say("N",
        m_rng.pick(std::vector<std::string> { "You can {ov} it first. Then it is my turn.",
            "I am sorry. Let's share it.", "Here you go. We can take turns." }));
    sentence({ "{F} smiled a big smile.", "{F} was very {happy}." });
    sentence({ "They took turns all afternoon, and they had more fun together than alone.",
        "They played together until the sun went down." });
    sentence({ "{N} learned that sharing makes everyone happy.",
        "That day, {N} learned that sharing is fun." });
    ask("Who wanted to {ov} the {o}?", "{F} wanted to {ov} the {o}.");
    ask("What did {N} learn?", "{N} learned that sharing makes everyone happy.");
    ask("Who told {N} to share?", "{A} told {N} to share.");
}

void StoryWriter::fear()
{
    const auto &[scary, situation] = m_rng.pick(kScaryThings);
    set("scary", scary);
    opening();
    sentence({ "{N} was afraid of {scary}.", "There was one thing {N} did not like: {scary}." });
    sentence({ "Every time {he} thought about it, {his} tummy felt funny.",
        "It made {him} feel small and shaky." });
    paragraph();
    sentence(situation);
    say("N",
        m_rng.pick(std::vector<std::string> {
            "I am scared. I don't want to.", "I can't do it!", "What if something bad happens?" }));
    // The helper is whoever the situation brought along; otherwise the grown-up comes.
    const bool adultHelps = situation.find("{F}") == std::string::npos;
    set("helper", adultHelps ? m_cast.adult.name : m_cast.friendChar.name);
    if (adultHelps && situation.find("{A}") == std::string::npos)
        sentence({ "{A} came and sat next to {him}.", "{A} heard {him} and came over." });
    say(adultHelps ? "A" : "F",
        m_rng.pick(std::vector<std::string> { "You are braver than you think.",
            "I will stay right here with you.", "Let's try it together, one small step at a time.",
            "It is okay to be scared. You can still try." }));
    paragraph();
    sentence({ "{N} took a deep breath.", "{N} counted to three." });
    sentence({ "Then {he} tried, slowly and carefully.", "Then {he} did it!" });
    sentence({ "It was not so bad after all.", "It was even a little fun!" });
    sentence({ "{N} felt very proud of {him}self.", "{N} was so proud that {he} smiled all day." });
    say("N",
        m_rng.pick(std::vector<std::string> {
            "I did it!", "Can we do it again?", "I am not scared anymore!" }));
    sentence({ "{N} learned that being brave means trying even when you are scared.",
        "From then on, {scary} did not seem so scary." });
    ask("What was {N} afraid of?", "{N} was afraid of {scary}.");
    ask("Who helped {N} be brave?", "{helper} helped {N} be brave.");
    ask("How did {N} feel at the end?", "{N} felt proud because {he} was brave.");
}

void StoryWriter::helpAnimal()
{
    static const std::vector<std::pair<std::string, std::string>> kTroubles
        = { { "a little bird with a hurt wing", "bird" }, { "a kitten stuck in a tree", "kitten" },
              { "a baby duck that had lost its mother", "duck" },
              { "a puppy with its paw stuck in a fence", "puppy" },
              { "a tiny turtle lying on its back", "turtle" },
              { "a small rabbit caught in some string", "rabbit" } };
    const auto &[trouble, animal] = m_rng.pick(kTroubles);
    set("trouble", trouble);
    set("animal", animal);
    opening();
    sentence({ "{^he} was always kind to animals.", "{^he} loved animals very much." });
    sentence({ "One day, {N} was playing {Pat}.", "One morning, {N} went for a walk {Pat}." });
    sentence(m_rng.pick(m_cast.place->scenery));
    sentence("Suddenly, {N} saw {trouble}.");
    sentence({ "The {animal} looked scared.", "The poor {animal} was crying softly." });
    say("N",
        m_rng.pick(std::vector<std::string> {
            "Don't worry, little {animal}. I will help you.", "Oh no! The {animal} needs help!" }));
    paragraph();
    sentence("{N} ran to get {A}.");
    say("A", "Let's help it together, but we must be very gentle.");
    sentence({ "Slowly and carefully, they helped the {animal}.",
        "{A} held the {animal} while {N} helped it gently." });
    sentence({ "Soon the {animal} was safe.", "After a while, the {animal} was okay." });
    sentence({ "It looked at {N} as if to say thank you.", "It made a happy little sound." });
    paragraph();
    sentence({ "{N} felt warm and {happy} inside.", "{N} was very {happy} that {he} had helped." });
    sentence({ "The {animal} came back to visit {N} every day.",
        "From that day on, the {animal} and {N} were good friends." });
    ask("What animal did {N} help?", "{N} helped {trouble}.");
    ask("Who helped {N}?", "{A} helped {N}.");
    ask("Why did {N} feel {happy}?", "{N} felt {happy} because {he} helped the {animal}.");
}

} // namespace lathe::corpus
