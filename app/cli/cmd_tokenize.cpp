// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli tokenize MODEL --text S` and `lathe-cli detokenize MODEL --ids 1,2,3`: text to
// token ids and back with the tokenizer of a model, a tokenizer-only folder, a (vocab-only)
// GGUF or a SentencePiece tokenizer.model.
#include "clicommon.h"
#include "clitext.h"

#include "text/tokenizer.h"
#include "util/demomodel.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace lathe::cli {

namespace {

const char *const kTokenizerHelp =
    "Model folder, tokenizer.json or a folder holding one, .gguf (vocab-only too), "
    "tokenizer.model, or 'demo'";

struct TokenizeOptions {
    std::string model;
    std::string text;
    std::string file;
    bool special = false;
    bool pieces = false;
};

// A token's vocabulary string as a JSON string literal: shows spaces, newlines and byte
// tokens unambiguously on a terminal.
std::string quoted(const std::string &piece)
{
    return Json(piece).dump(-1, ' ', false, Json::error_handler_t::replace);
}

void runTokenize(const TokenizeOptions &o, const GlobalOptions &globals)
{
    const std::string model = resolveModelArgument(o.model);
    std::string text = o.text;
    if (!o.file.empty())
        text = readTextFile(o.file);
    const auto tokenizer = loadTokenizerFor(model);
    std::vector<std::int32_t> ids;
    withPathContext(model, [&] { ids = tokenizer->encode(text, o.special); });

    if (globals.json) {
        Json j;
        j["ids"] = ids;
        j["count"] = ids.size();
        j["tokenizer"] = tokenizer->kind();
        if (o.pieces) {
            Json pieces = Json::array();
            for (const auto id : ids)
                pieces.push_back(tokenizer->tokenToString(id));
            j["pieces"] = pieces;
        }
        printJson(j);
        return;
    }
    if (o.pieces) {
        for (const auto id : ids)
            std::cout << id << '\t' << quoted(tokenizer->tokenToString(id)) << '\n';
        std::cout.flush();
        return;
    }
    std::string line;
    for (std::size_t i = 0; i < ids.size(); ++i)
        line += (i ? " " : "") + std::to_string(ids[i]);
    printLine(line);
}

struct DetokenizeOptions {
    std::string model;
    std::string ids;
    bool skipSpecial = false;
};

void runDetokenize(const DetokenizeOptions &o, const GlobalOptions &globals)
{
    const auto ids = parseIdList(o.ids, "--ids");
    const std::string model = resolveModelArgument(o.model);
    const auto tokenizer = loadTokenizerFor(model);
    const auto vocab = static_cast<std::int64_t>(tokenizer->vocabSize());
    for (const auto id : ids)
        if (id >= vocab)
            throw InvalidArgument("--ids: " + std::to_string(id) + " is outside the vocabulary of '"
                                  + model + "' (" + std::to_string(vocab) + " tokens)");
    std::string text;
    withPathContext(model, [&] { text = tokenizer->decode(ids, o.skipSpecial); });
    if (globals.json) {
        printJson(Json{{"text", text}});
    } else {
        printExactText(text);
    }
}

} // namespace

Command addTokenizeCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<TokenizeOptions>();
    CLI::App *cmd = parent.add_subcommand("tokenize", "Turn text into token ids");
    cmd->footer("Prints the ids space separated on one line (--pieces: one line per token,\n"
                "'ID<TAB>\"piece\"'; --json: {\"ids\", \"count\", \"tokenizer\"}).\n"
                "Example: lathe-cli tokenize models/tinystories-656k --text 'Once upon a time' "
                "--special");
    cmd->add_option("MODEL", o->model, kTokenizerHelp)->required();
    CLI::Option_group *source = cmd->add_option_group("Input", "The text, given or from a file");
    source->add_option("--text", o->text, "The text to encode");
    source->add_option("--file", o->file, "Encode this file's contents (bytes as is)");
    source->require_option(1);
    cmd->add_flag("--special", o->special,
                  "Add special tokens (BOS, ...) as the tokenizer's configuration says");
    cmd->add_flag("--pieces", o->pieces, "Also show each token's vocabulary string");
    addCommonOptions(*cmd, globals);
    return {cmd, [o, &globals] { runTokenize(*o, globals); }};
}

Command addDetokenizeCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<DetokenizeOptions>();
    CLI::App *cmd = parent.add_subcommand("detokenize", "Turn token ids into text");
    cmd->footer("Prints exactly the decoded text (no newline added); --json: {\"text\"}.\n"
                "Example: lathe-cli detokenize models/tinystories-656k --ids 1,80,147");
    cmd->add_option("MODEL", o->model, kTokenizerHelp)->required();
    cmd->add_option("--ids", o->ids, "Token ids, comma separated (e.g. 1,2,3)")->required();
    cmd->add_flag("--skip-special", o->skipSpecial, "Leave out special tokens (BOS, EOS, ...)");
    addCommonOptions(*cmd, globals);
    return {cmd, [o, &globals] { runDetokenize(*o, globals); }};
}

} // namespace lathe::cli
