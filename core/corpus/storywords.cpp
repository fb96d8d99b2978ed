// SPDX-License-Identifier: GPL-3.0-or-later
#include "corpus/storywords.h"

#include <cctype>

namespace lathe::corpus {

namespace {

const std::vector<std::string> kGirlNames = { "Lily", "Mia", "Emma", "Sara", "Lucy", "Anna", "Zoe",
    "Ella", "Amy", "Rosa", "Nina", "Lena", "Maya", "Ruby", "Sophie", "Chloe", "Grace", "Hannah",
    "Ivy", "Julia", "Kate", "Leah", "Molly", "Nora", "Olive", "Penny", "Alice", "Daisy", "Eva",
    "Fiona", "Hazel", "Jade", "Laura", "Tina", "Wendy", "Amara", "Priya", "Yuki", "Lila", "Clara" };
const std::vector<std::string> kBoyNames = { "Tom", "Ben", "Sam", "Max", "Leo", "Jack", "Tim",
    "Noah", "Liam", "Jake", "Finn", "Luke", "Adam", "Eli", "Owen", "Ryan", "Theo", "Oscar", "Henry",
    "Kai", "Omar", "Paul", "Peter", "Dan", "Joe", "Hugo", "Ravi", "Milo", "Ned", "Toby", "Alex",
    "Carl", "David", "Ethan", "Felix", "George", "Ian", "Jon", "Kenji", "Marco" };
const std::vector<std::string> kPetNames = { "Spot", "Bella", "Coco", "Pip", "Sunny", "Rosie",
    "Benny", "Buddy", "Ginger", "Pepper", "Ziggy", "Fluffy", "Patch", "Bubbles", "Shadow", "Button",
    "Peanut", "Honey", "Socks", "Whiskers", "Biscuit", "Tiger", "Daisy", "Oreo", "Mittens",
    "Bramble", "Nutmeg", "Pebble", "Twig", "Clover" };
const std::vector<std::string> kAnimals
    = { "dog", "puppy", "cat", "kitten", "bunny", "bear", "fox", "mouse", "duck", "frog", "bird",
          "squirrel", "turtle", "owl", "pig", "lamb", "horse", "monkey", "hedgehog", "goat" };
const std::vector<std::string> kChildAdjs = { "little", "kind", "curious", "happy", "brave", "shy",
    "clever", "cheerful", "young", "small" };
const std::vector<std::string> kAnimalAdjs = { "little", "small", "fluffy", "brown", "white",
    "friendly", "curious", "happy", "tiny", "playful", "gray", "spotted", "clever", "sleepy" };

struct ThingSpec {
    const char *noun;
    const char *verb;
    std::vector<std::string> adjs;
};
const std::vector<ThingSpec> kThings = {
    { "ball", "play with", { "red", "blue", "bouncy", "big", "yellow", "striped" } },
    { "kite", "fly", { "red", "green", "colorful", "new", "long", "bright" } },
    { "teddy bear", "hug", { "soft", "old", "brown", "fluffy", "little" } },
    { "toy car", "race", { "red", "fast", "shiny", "little", "blue" } },
    { "book", "read", { "big", "new", "old", "funny", "thick" } },
    { "boat", "sail", { "little", "wooden", "paper", "blue", "toy" } },
    { "hat", "wear", { "blue", "funny", "warm", "tall", "green", "straw" } },
    { "drum", "play", { "little", "loud", "red", "toy" } },
    { "doll", "play with", { "pretty", "old", "little", "soft" } },
    { "bike", "ride", { "new", "red", "shiny", "blue", "small" } },
    { "crayon box", "draw with", { "new", "big", "colorful" } },
    { "balloon", "play with", { "red", "yellow", "big", "round", "pink" } },
    { "shell", "look at", { "pretty", "pink", "shiny", "tiny", "white" } },
    { "scarf", "wear", { "warm", "long", "soft", "purple", "striped" } },
    { "robot", "play with", { "toy", "silver", "little", "funny" } },
    { "truck", "push", { "toy", "yellow", "big", "red" } },
    { "whistle", "blow", { "shiny", "little", "silver" } },
    { "puzzle", "do", { "new", "big", "hard" } },
    { "blanket", "cuddle", { "soft", "warm", "blue", "old" } },
    { "train", "play with", { "toy", "wooden", "long", "red" } },
    { "umbrella", "carry", { "yellow", "big", "red", "spotted" } },
    { "flute", "play", { "little", "wooden", "silver" } },
};
const std::vector<std::string> kHomeHideouts = { "under the bed", "behind the sofa",
    "in the toy box", "under a pillow", "behind the door", "in the closet", "under the table",
    "in the laundry basket", "on top of the shelf", "in the garden shed" };

const std::vector<Place> kPlaces = {
    { "park", "at",
        { "The sun was shining and the birds were singing.",
            "There were tall trees and a big slide.", "Children were laughing on the swings." },
        { "played on the swings", "went down the slide", "ran on the grass", "fed the birds" },
        { "behind a big tree", "under a bench", "in the tall grass", "next to the slide" } },
    { "beach", "at",
        { "The sand was warm and the waves were splashing.", "The sea was blue and sparkly.",
            "Seagulls flew over the water." },
        { "built a sandcastle", "looked for shells", "splashed in the waves", "dug a big hole" },
        { "under a pile of sand", "next to a big rock", "near the water", "behind a sandcastle" } },
    { "forest", "in",
        { "The trees were very tall and the air smelled fresh.",
            "Leaves crunched under their feet.", "A little stream ran between the trees." },
        { "looked for pinecones", "climbed a log", "listened to the birds", "picked berries" },
        { "under a pile of leaves", "behind a mossy log", "next to a big rock", "in a bush" } },
    { "garden", "in",
        { "The flowers were red, yellow and pink.", "Bees were buzzing around the flowers.",
            "The garden smelled sweet after the rain." },
        { "watered the flowers", "dug in the dirt", "looked at the bugs", "picked tomatoes" },
        { "under a big leaf", "behind the flower pots", "in the vegetable patch",
            "by the fence" } },
    { "farm", "on",
        { "Cows were eating grass and the pigs were rolling in the mud.",
            "The big red barn stood next to a field.", "A rooster crowed on the fence." },
        { "fed the chickens", "rode on the tractor", "petted the cows", "collected eggs" },
        { "in the hay", "behind the barn", "next to the chicken coop", "under the tractor" } },
    { "lake", "at",
        { "The water was calm and clear.", "Ducks were swimming near the shore.",
            "The sun made the water sparkle." },
        { "fed the ducks", "threw stones into the water", "fished from the dock", "swam" },
        { "under the dock", "in the reeds", "behind a big rock", "on the shore" } },
    { "school", "at",
        { "The classroom was bright and full of pictures.", "The bell rang loudly.",
            "Children sat at their desks." },
        { "painted pictures", "sang songs", "played in the yard", "read stories" },
        { "under a desk", "in the cubby", "behind the bookshelf", "in the lost and found box" } },
    { "zoo", "at",
        { "There were lions, monkeys and tall giraffes.", "The elephants were spraying water.",
            "Many families walked along the paths." },
        { "watched the monkeys", "looked at the lions", "fed the goats", "saw the penguins" },
        { "under a bench", "near the monkey cage", "by the ice cream stand", "next to a gate" } },
    { "market", "at",
        { "There were apples, bread and bright flowers.", "People were talking and laughing.",
            "The stalls had red and white roofs." },
        { "bought apples", "smelled the bread", "looked at the flowers", "tasted cheese" },
        { "under a stall", "behind a basket of apples", "next to the flower cart", "by a box" } },
    { "hill", "on",
        { "The wind was blowing softly.", "They could see the whole town from the top.",
            "The grass was green and soft." },
        { "rolled down the grass", "looked at the clouds", "had a picnic", "ran to the top" },
        { "behind a bush", "in the long grass", "under a rock", "near the old fence" } },
    { "library", "at",
        { "It was quiet and full of books.", "There were soft chairs and big windows." },
        { "read picture books", "listened to a story", "looked at maps", "found a book" },
        { "under a chair", "behind a shelf", "on a table", "in a basket of books" } },
    { "playground", "at",
        { "There was a sandbox, a slide and a climbing frame.", "Kids were playing tag." },
        { "climbed the climbing frame", "played in the sandbox", "played tag", "swung" },
        { "in the sandbox", "under the slide", "behind the climbing frame", "by the gate" } },
    { "meadow", "in",
        { "Butterflies danced over the flowers.", "The grass was tall and full of daisies." },
        { "chased butterflies", "picked daisies", "made flower crowns", "watched the clouds" },
        { "in the tall grass", "under a daisy bush", "near a small pond", "by an old tree" } },
    { "river", "by",
        { "The water was rushing over the stones.", "Frogs were croaking on the bank." },
        { "skipped stones", "watched the fish", "built a little dam", "dipped their toes" },
        { "between two stones", "under a bush", "on the muddy bank", "near the bridge" } },
};

} // namespace

const std::vector<std::string> kHappyFeelings
    = { "happy", "glad", "excited", "joyful", "cheerful" };
const std::vector<std::string> kSadFeelings = { "sad", "upset", "worried", "unhappy" };
const std::vector<std::pair<std::string, std::string>> kScaryThings = {
    { "the dark", "One night, the lights went out and the room was very dark." },
    { "thunder", "One night, a big storm came and thunder boomed outside." },
    { "the big slide",
        "One day, {N} and {F} went to the park, and {F} wanted to go down the big slide "
        "together." },
    { "deep water", "One day, {A} took {N} to the lake to learn to swim." },
    { "the big waves", "One day, {N} and {A} went to the beach, and the waves were very big." },
    { "the first day of school", "Soon it was {N}'s first day at a new school." },
    { "riding a bike", "One day, {A} took the training wheels off {N}'s bike." },
    { "the loud dog next door", "One day, the loud dog next door ran up to the fence and barked." },
    { "climbing trees", "One day, {F} climbed up a big tree and called to {N} to come up too." },
    { "the doctor", "One day, {A} said it was time to visit the doctor for a checkup." }
};
const std::vector<Food> kFoods = { { "cookies", "cookies", true }, { "pancakes", "pancakes", true },
    { "an apple pie", "apple pie", false }, { "vegetable soup", "soup", false },
    { "muffins", "muffins", true }, { "sandwiches", "sandwiches", true },
    { "a cake", "cake", false }, { "banana bread", "banana bread", false },
    { "a pizza", "pizza", false }, { "lemonade", "lemonade", false } };
const std::vector<std::string> kGifts = { "a card", "a drawing", "a bracelet", "a paper crown",
    "a clay bowl", "a painted rock", "a bunch of flowers", "a little poem" };
const std::vector<std::string> kWeatherBad = { "Dark clouds came and it started to rain.",
    "The wind began to blow very hard.", "Snow started to fall and it got very cold.",
    "It began to thunder and rain poured down." };
const std::vector<std::string> kIndoorGames
    = { "built a fort with pillows", "played a board game", "drew pictures", "baked cookies",
          "read a story together", "made a puppet show", "played hide and seek" };
const std::vector<std::string> kLessons = { "sharing makes everyone happy",
    "it is good to ask for help", "being brave means trying even when you are scared",
    "friends help each other", "it is important to listen", "kindness is always worth it",
    "taking turns is fair", "it is good to say sorry" };
const std::vector<std::string> kFoundThings = { "a shiny key", "an old map", "a tiny box",
    "a golden coin", "a blue feather", "a round stone", "a little bell", "a glass bottle" };

std::string article(const std::string &word)
{
    if (word.empty())
        return "a";
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(word[0])));
    return (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') ? "an" : "a";
}

std::string capitalize(std::string s)
{
    if (!s.empty())
        s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

static void setPronouns(Person &p, bool female)
{
    p.he = female ? "she" : "he";
    p.him = female ? "her" : "him";
    p.his = female ? "her" : "his";
}

Person pickChild(CorpusRng &rng)
{
    Person p;
    const bool girl = rng.chance(0.5);
    p.name = girl ? rng.pick(kGirlNames) : rng.pick(kBoyNames);
    p.kind = girl ? "girl" : "boy";
    const std::string &adj = rng.pick(kChildAdjs);
    p.desc = article(adj) + " " + adj + " " + p.kind;
    setPronouns(p, girl);
    return p;
}

Person pickAnimal(CorpusRng &rng)
{
    Person p;
    p.animal = true;
    p.name = rng.pick(kPetNames);
    p.kind = rng.pick(kAnimals);
    const std::string &adj = rng.pick(kAnimalAdjs);
    p.desc = article(adj) + " " + adj + " " + p.kind;
    setPronouns(p, rng.chance(0.5));
    return p;
}

Person pickHero(CorpusRng &rng)
{
    const int r = rng.range(0, 9);
    if (r < 6)
        return pickChild(rng);
    if (r < 9)
        return pickAnimal(rng);
    Person p;
    const bool woman = rng.chance(0.5);
    p.name = woman ? "Grandma " + rng.pick(kGirlNames) : "Grandpa " + rng.pick(kBoyNames);
    p.kind = woman ? "grandma" : "grandpa";
    p.desc = woman ? "a kind old woman" : "a kind old man";
    setPronouns(p, woman);
    return p;
}

Person pickFriend(CorpusRng &rng, const Person &notThis)
{
    for (;;) {
        Person p = notThis.animal && rng.chance(0.6) ? pickAnimal(rng) : pickChild(rng);
        if (p.name != notThis.name)
            return p;
    }
}

Person pickAdult(CorpusRng &rng, const Person &hero)
{
    static const std::vector<std::pair<std::string, bool>> kAdults = { { "Mom", true },
        { "Dad", false }, { "Grandma", true }, { "Grandpa", false }, { "Miss Lee", true },
        { "Mr. Brown", false }, { "Aunt May", true }, { "Uncle Ben", false } };
    Person p;
    if (hero.kind == "grandma" || hero.kind == "grandpa") {
        // A grandparent's story has a grandchild at their side instead of a grown-up.
        p = pickChild(rng);
        p.kind = p.kind == "girl" ? "granddaughter" : "grandson";
        p.desc = hero.his + " " + p.kind;
        return p;
    }
    const auto &[name, female] = rng.pick(kAdults);
    p.name = name;
    p.kind = "grown-up";
    p.desc = name;
    setPronouns(p, female);
    return p;
}

Thing pickThing(CorpusRng &rng)
{
    const ThingSpec &s = rng.pick(kThings);
    Thing t;
    t.noun = s.noun;
    t.verb = s.verb;
    t.adj = rng.pick(s.adjs);
    t.where = rng.pick(kHomeHideouts);
    return t;
}

const Place &pickPlace(CorpusRng &rng)
{
    return rng.pick(kPlaces);
}

Cast pickCast(CorpusRng &rng)
{
    Cast c;
    c.hero = pickHero(rng);
    c.friendChar = pickFriend(rng, c.hero);
    c.adult = pickAdult(rng, c.hero);
    c.thing = pickThing(rng);
    c.place = &pickPlace(rng);
    return c;
}

} // namespace lathe::corpus
