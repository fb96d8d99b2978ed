// SPDX-License-Identifier: GPL-3.0-or-later
// Word lists of the demo corpus (names, animals, objects, places, feelings) and the cast of one
// story: who it is about, who helps, what they carry and where it happens. Private to corpus/.
#pragma once

#include "corpus/corpusrng.h"

#include <string>
#include <utility>
#include <vector>

namespace lathe::corpus {

struct Person {
    std::string name; // "Lily", "Max", "Mom"
    std::string kind; // "girl", "dog", "grandma"
    std::string desc; // "a little girl", "a small brown dog"
    std::string he, him, his;
    bool animal = false;
};

struct Thing {
    std::string noun; // "kite"
    std::string adj; // "red"
    std::string verb; // "fly" (as in "fly her kite")
    std::string where; // a hiding spot in the world: "under the bed"
};

struct Place {
    std::string name; // "park"
    std::string prep; // "at" (at the park)
    std::vector<std::string> scenery; // whole sentences
    std::vector<std::string> activities; // "played on the swings"
    std::vector<std::string> hideouts; // "behind a big tree"
};

// Everything one story carries from its beginning to its end.
struct Cast {
    Person hero;
    Person friendChar; // another child or animal
    Person adult; // Mom, Dad, Grandma, Grandpa, a teacher
    Thing thing;
    const Place *place = nullptr;
};

Person pickChild(CorpusRng &rng);
Person pickAnimal(CorpusRng &rng);
Person pickHero(CorpusRng &rng); // child (most often), animal or grandparent
Person pickFriend(CorpusRng &rng, const Person &notThis);
Person pickAdult(CorpusRng &rng, const Person &hero);
Thing pickThing(CorpusRng &rng);
const Place &pickPlace(CorpusRng &rng);
Cast pickCast(CorpusRng &rng);

// "a" or "an" for the word that follows.
std::string article(const std::string &word);
std::string capitalize(std::string s);

extern const std::vector<std::string> kHappyFeelings; // "happy", "glad", "proud"
extern const std::vector<std::string> kSadFeelings; // "sad", "upset"
// What a hero fears, and the sentence that brings it into the story.
extern const std::vector<std::pair<std::string, std::string>> kScaryThings;
struct Food {
    std::string made; // "a cake" (as in "make a cake")
    std::string noun; // "cake" (as in "the cake was ready")
    bool plural = false;
};
extern const std::vector<Food> kFoods;
extern const std::vector<std::string> kGifts; // "a card", "a cake"
extern const std::vector<std::string> kWeatherBad; // sentences
extern const std::vector<std::string> kIndoorGames; // "built a fort with pillows"
extern const std::vector<std::string> kLessons; // "sharing makes everyone happy"
extern const std::vector<std::string> kFoundThings; // "a shiny key"

} // namespace lathe::corpus
