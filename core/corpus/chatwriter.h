// SPDX-License-Identifier: GPL-3.0-or-later
// Writes chat documents for the demo corpus in the demo chat template: story requests answered
// with a story about what was asked, sums, greetings and questions about a story, some with a
// system message. Private to corpus/.
#pragma once

#include "corpus/corpusrng.h"

#include <nlohmann/json.hpp>

#include <string>

namespace lathe::corpus {

class ChatWriter {
public:
    explicit ChatWriter(CorpusRng &rng)
        : m_rng(rng)
    {
    }

    // One conversation rendered with demoChatTemplate() and an empty bos_token.
    std::string write();

private:
    void add(nlohmann::ordered_json &messages, const char *role, const std::string &content);
    void storyRequest(nlohmann::ordered_json &messages);
    void sums(nlohmann::ordered_json &messages);
    void greeting(nlohmann::ordered_json &messages);
    void storyQuestion(nlohmann::ordered_json &messages);

    CorpusRng &m_rng;
};

} // namespace lathe::corpus
