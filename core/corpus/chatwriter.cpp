// SPDX-License-Identifier: GPL-3.0-or-later
#include "corpus/chatwriter.h"

#include "corpus/arithmeticlines.h"
#include "corpus/storycorpus.h"
#include "corpus/storywriter.h"
#include "text/chattemplate.h"

namespace lathe::corpus {

namespace {

const std::vector<std::string> kSystemPrompts
    = { "You are a friendly assistant who tells short stories to children.",
          "You are a helpful assistant.", "You are a kind helper. Keep your answers short.",
          "You tell simple stories and help with sums." };

} // namespace

void ChatWriter::add(nlohmann::ordered_json &messages, const char *role, const std::string &content)
{
    messages.push_back({ { "role", role }, { "content", content } });
}

std::string ChatWriter::write()
{
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    if (m_rng.chance(0.3))
        add(messages, "system", m_rng.pick(kSystemPrompts));
    const int kind = m_rng.range(0, 9);
    if (kind < 4)
        storyRequest(messages);
    else if (kind < 6)
        sums(messages);
    else if (kind < 8)
        greeting(messages);
    else
        storyQuestion(messages);
    ChatTemplateInputs inputs;
    inputs.messages = std::move(messages);
    return renderChatTemplate(demoChatTemplate(), inputs);
}

void ChatWriter::storyRequest(nlohmann::ordered_json &messages)
{
    const Cast cast = pickCast(m_rng);
    StoryWriter writer(m_rng, cast);
    std::string topic;
    int plot = -1;
    switch (m_rng.range(0, 3)) {
    case 0:
        topic = article(cast.hero.kind) + " " + cast.hero.kind;
        break;
    case 1:
        topic = writer.expand("{desc} named {N}");
        break;
    case 2: {
        static const int kThingPlots[] = { 0, 1, 7 };
        plot = m_rng.pick(kThingPlots);
        topic = writer.expand("{a_oa} {oa} {o}");
        break;
    }
    default: {
        static const int kPlacePlots[] = { 0, 3, 5, 6, 9, 10, 13 };
        plot = m_rng.pick(kPlacePlots);
        topic = writer.expand("a day {Pat}");
        break;
    }
    }
    static const std::vector<std::string> kAsks
        = { "Tell me a story about TOPIC.", "Can you tell me a short story about TOPIC?",
              "Please write a story about TOPIC.", "I want a story about TOPIC.",
              "Tell me a bedtime story about TOPIC, please.", "Write a short story about TOPIC." };
    std::string ask = m_rng.pick(kAsks);
    ask.replace(ask.find("TOPIC"), 5, topic);
    add(messages, "user", ask);

    StoryFacts facts;
    const std::string story = writer.write(&facts, plot);
    static const std::vector<std::string> kIntros
        = { "", "", "Sure! Here is a story about TOPIC.\n\n", "Of course!\n\n",
              "Here is a short story for you.\n\n" };
    std::string intro = m_rng.pick(kIntros);
    if (const auto pos = intro.find("TOPIC"); pos != std::string::npos)
        intro.replace(pos, 5, topic);
    add(messages, "assistant", intro + story);
    if (!facts.questions.empty() && m_rng.chance(0.5)) {
        const auto &[q, a] = m_rng.pick(facts.questions);
        add(messages, "user", q);
        add(messages, "assistant", a);
    }
    if (m_rng.chance(0.2)) {
        add(messages, "user", m_rng.chance(0.5) ? "Thank you!" : "I liked that story.");
        add(messages, "assistant",
            m_rng.chance(0.5) ? "You're welcome!" : "I am glad you liked it!");
    }
}

void ChatWriter::sums(nlohmann::ordered_json &messages)
{
    const int turns = m_rng.range(1, 3);
    for (int i = 0; i < turns; ++i) {
        const auto [a, b, minus] = trainingArithmetic(m_rng);
        const std::string sa = std::to_string(a);
        const std::string sb = std::to_string(b);
        std::string q;
        switch (m_rng.range(0, 3)) {
        case 0:
            q = "What is " + sa + (minus ? " - " : " + ") + sb + "?";
            break;
        case 1:
            q = "What is " + sa + (minus ? " minus " : " plus ") + sb + "?";
            break;
        case 2:
            q = minus ? "Can you take " + sb + " away from " + sa + "?"
                      : "Can you add " + sa + " and " + sb + "?";
            break;
        default:
            q = "How much is " + sa + (minus ? " - " : " + ") + sb + "?";
            break;
        }
        add(messages, "user", q);
        add(messages, "assistant", arithmeticLine(a, b, minus) + ".");
    }
}

void ChatWriter::greeting(nlohmann::ordered_json &messages)
{
    static const std::vector<std::string> kHellos
        = { "Hi!", "Hello!", "Good morning!", "Hey there!", "Hi, how are you?" };
    static const std::vector<std::string> kReplies
        = { "Hello! How can I help you today?", "Hi there! What would you like to do today?",
              "Hello! I am happy to see you. Would you like to hear a story?",
              "I am fine, thank you! Would you like a story or a sum?" };
    add(messages, "user", m_rng.pick(kHellos));
    add(messages, "assistant", m_rng.pick(kReplies));
    switch (m_rng.range(0, 2)) {
    case 0: {
        add(messages, "user",
            m_rng.chance(0.5) ? "Yes, please tell me a story." : "A story, please!");
        StoryWriter writer(m_rng, pickCast(m_rng));
        add(messages, "assistant", writer.write());
        break;
    }
    case 1:
        sums(messages);
        break;
    default:
        add(messages, "user", "What can you do?");
        add(messages, "assistant",
            "I can tell short stories and help with simple sums like 12 + 35 = 47.");
        break;
    }
    if (m_rng.chance(0.4)) {
        add(messages, "user", m_rng.chance(0.5) ? "Bye!" : "Thank you, goodbye!");
        add(messages, "assistant", "Goodbye! Have a nice day!");
    }
}

void ChatWriter::storyQuestion(nlohmann::ordered_json &messages)
{
    StoryWriter writer(m_rng, pickCast(m_rng));
    StoryFacts facts;
    const std::string story = writer.write(&facts);
    const auto &[q, a] = m_rng.pick(facts.questions);
    static const std::vector<std::string> kLeads
        = { "Read this story:\n\n", "Here is a story.\n\n", "" };
    const std::string lead = m_rng.pick(kLeads);
    add(messages, "user", lead + story + "\n\n" + q);
    add(messages, "assistant", a);
}

} // namespace lathe::corpus
