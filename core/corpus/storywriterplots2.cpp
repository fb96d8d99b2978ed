// SPDX-License-Identifier: GPL-3.0-or-later
// More plot shapes of StoryWriter (see storywriterplots.cpp).
#include "corpus/storywriter.h"

namespace lathe::corpus {

void StoryWriter::gift()
{
    const std::string present = m_rng.pick(kGifts);
    set("gift", present);
    static const std::vector<std::string> kOccasions = { "birthday", "special day", "big party" };
    set("day", m_rng.pick(kOccasions));
    opening();
    sentence("Soon it would be {A}'s {day}.");
    sentence("{N} wanted to make {gift} for {A}.");
    say("N",
        m_rng.pick(std::vector<std::string> {
            "I will make the best present ever!", "It will be a surprise!" }));
    paragraph();
    sentence({ "{^he} worked on it all morning.", "{^he} worked very hard on it." });
    static const std::vector<std::string> kMishaps
        = { "But then {he} bumped the table, and water spilled all over it.",
              "But then {F} ran in and knocked it onto the floor.",
              "But then a gust of wind blew it out the window.",
              "But then {he} saw that one part was broken." };
    sentence(m_rng.pick(kMishaps));
    sentence({ "{N} felt {sad} and started to cry.", "{N} was so {sad} that {he} sat down." });
    sentence({ "{F} came to help.", "{F} saw {N} and came over." });
    say("F",
        m_rng.pick(std::vector<std::string> { "Don't be sad. We can fix it together.",
            "I can help you. Two friends can fix anything!" }));
    sentence({ "They worked together, and soon it was even better than before.",
        "Together they fixed it, and it looked beautiful." });
    paragraph();
    sentence("On {A}'s {day}, {N} gave {ahim} the present.");
    say("A",
        m_rng.pick(std::vector<std::string> {
            "Oh, {N}! I love it. Thank you!", "This is the best present I have ever had!" }));
    sentence({ "{A} gave {N} a big hug.", "{A} smiled and hugged {N} and {F}." });
    sentence({ "{N} felt {happy} because {he} made {A} smile.",
        "{N} learned that the best presents come from the heart." });
    ask("What did {N} make for {A}?", "{N} made {gift} for {A}.");
    ask("Who helped {N} fix the present?", "{F} helped {N} fix it.");
}

void StoryWriter::badWeather()
{
    const std::string weather = m_rng.pick(kWeatherBad);
    const std::string game = m_rng.pick(kIndoorGames);
    set("game", game);
    opening();
    sentence("One morning, {N} wanted to go to the {P} with {F}.");
    say("N",
        m_rng.pick(std::vector<std::string> {
            "Let's go to the {P} today!", "I can't wait to go to the {P}!" }));
    sentence(weather);
    sentence({ "{N} looked out the window and felt {sad}.", "{N} was {sad}." });
    say("N", "Now we can't go outside.");
    paragraph();
    say("A",
        m_rng.pick(std::vector<std::string> { "We can have fun inside too.",
            "Why don't you play inside until the weather gets better?" }));
    sentence("So {N} and {F} {game}.");
    sentence({ "They laughed and laughed.", "It was more fun than they thought." });
    paragraph();
    sentence({ "After a while, the sun came out again.", "Later, the sky turned blue again." });
    sentence("{N} and {F} ran to the {P}.");
    sentence("They {act} until it was time for dinner.");
    sentence({ "It was a good day after all.",
        "{N} learned that a rainy day can still be a good day." });
    ask("Why couldn't {N} go to the {P} at first?", "Because the weather was bad.");
    ask("What did {N} and {F} do inside?", "They {game}.");
    ask("Where did {N} want to go?", "{N} wanted to go to the {P}.");
}

void StoryWriter::discovery()
{
    const std::string found = m_rng.pick(kFoundThings);
    set("found", found);
    set("foundnoun", found.substr(found.find(' ') + 1));
    opening();
    sentence(
        { "{^he} was very curious and liked to explore.", "{^he} loved to look for new things." });
    sentence("One day, {N} was {Pat} with {F}.");
    sentence(m_rng.pick(m_cast.place->scenery));
    sentence({ "{N} saw something small {hide}.", "Suddenly, {N} spotted something {hide}." });
    sentence("It was {found}!");
    say("N",
        m_rng.pick(std::vector<std::string> {
            "Look what I found!", "What is this? Where did it come from?" }));
    say("F",
        m_rng.pick(
            std::vector<std::string> { "Maybe it belongs to someone.", "Let's show it to {A}." }));
    paragraph();
    sentence("They took the {foundnoun} to {A}.");
    say("A", "That belongs to old Mrs. Green. She lost it last week.");
    sentence({ "{N} and {F} walked to Mrs. Green's house and gave it back.",
        "So {N} gave the {foundnoun} back to Mrs. Green." });
    say("N", "We found this {Pat}.");
    sentence("Mrs. Green was so {happy} that she gave them cookies.");
    sentence({ "{N} felt proud because {he} had done the right thing.",
        "{N} learned that it is kind to give back what is not yours." });
    ask("What did {N} find?", "{N} found {found}.");
    ask("Where did {N} find it?", "{N} found it {hide}, {Pat}.");
    ask("Who did the {foundnoun} belong to?", "It belonged to Mrs. Green.");
}

void StoryWriter::notListening()
{
    static const std::vector<std::pair<std::string, std::string>> kDangers
        = { { "near the pond", "it fell into the pond" },
              { "near the tall tree", "it got stuck in the tree" },
              { "near the road", "it rolled into the road" }, { "in the mud", "it got all muddy" },
              { "near the fence", "it went over the fence" } };
    const auto &[near, result] = m_rng.pick(kDangers);
    set("near", near);
    set("result", result);
    opening();
    sentence("{^he} had {a_oa} {oa} {o}.");
    sentence("One day, {N} wanted to {ov} {his} {o} {near}.");
    say("A", "Be careful, {N}. Don't {ov} your {o} {near}.");
    sentence({ "But {N} did not listen.", "{N} did not listen to {A}." });
    sentence("{^he} went {near} anyway.");
    paragraph();
    sentence("Oh no! The {o} slipped, and {result}.");
    sentence({ "{N} felt {sad} and a little silly.", "{N} started to cry." });
    sentence("{A} came and helped {him} get the {o} back.");
    say("N",
        m_rng.pick(std::vector<std::string> {
            "I am sorry. I should have listened.", "I'm sorry, {A}. Next time I will listen." }));
    say("A", "It's okay. Everyone makes mistakes. I am glad you are safe.");
    sentence({ "{N} learned that it is important to listen.",
        "From then on, {N} always listened to {A}." });
    ask("What happened to the {o}?", "Oh no, {result}.");
    ask("Why did the {o} get lost?", "Because {N} did not listen to {A}.");
    ask("What did {N} learn?", "{N} learned that it is important to listen.");
}

void StoryWriter::cooking()
{
    const Food &food = m_rng.pick(kFoods);
    set("food", food.made);
    set("foodnoun", food.noun);
    set("was", food.plural ? "were" : "was");
    opening();
    sentence("One day, {N} and {A} decided to make {food}.");
    say("N", "Can I help? Please?");
    say("A", "Yes, you can. First, wash your hands.");
    paragraph();
    sentence({ "{N} mixed and stirred.", "{N} helped to mix everything in a big bowl." });
    sentence(
        { "A little flour landed on {his} nose, and they both laughed.", "It smelled so good!" });
    sentence("{N} did not want to wait.");
    say("N", "Is it ready yet?");
    say("A", "Not yet. Good things take time.");
    sentence("So {N} waited and waited.");
    paragraph();
    sentence("At last, the {foodnoun} {was} ready.");
    sentence("Just then, {F} knocked on the door.");
    sentence({ "{N} shared the {foodnoun} with {F}.", "{N} gave {F} some of the {foodnoun}." });
    say("F",
        m_rng.pick(std::vector<std::string> {
            "Yum! This is so good!", "Thank you, {N}! You are a great cook!" }));
    sentence("{N} felt {happy} and proud.");
    ask("What did {N} and {A} make?", "They made {food}.");
    ask("Who did {N} share the food with?", "{N} shared it with {F}.");
}

void StoryWriter::newFriend()
{
    opening();
    sentence({ "{^he} had just moved to a new town.", "{^he} was new in town and felt lonely." });
    sentence("{^he} did not have any friends yet.");
    paragraph();
    sentence("One day, {N} went to the {P} with {his} {oa} {o}.");
    sentence("There {he} saw {fdesc} sitting alone.");
    say("N",
        m_rng.pick(std::vector<std::string> {
            "Hi! My name is {N}. What is your name?", "Hello! Do you want to play with me?" }));
    say("F", "I am {F}. Can I {ov} your {o} with you?");
    say("N", "Yes! Let's play together.");
    paragraph();
    sentence("They {act}.");
    sentence({ "They laughed and talked all afternoon.", "They had so much fun together." });
    sentence({ "When it was time to go home, {F} said goodbye.",
        "When the sun began to set, they had to go home." });
    say("F", "Can we play again tomorrow?");
    say("N", "Yes! See you tomorrow!");
    sentence({ "{N} was not lonely anymore.", "{N} went home feeling {happy}." });
    sentence("{^he} had a new friend.");
    ask("Who did {N} meet {Pat}?", "{N} met {F}.");
    ask("How did {N} feel at the start?", "{N} felt lonely because {he} had no friends.");
    ask("How did {N} feel at the end?", "{N} felt {happy} because {he} had a new friend.");
}

} // namespace lathe::corpus
