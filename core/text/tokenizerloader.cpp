// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/tokenizerloader.h"

#include "io/gguf.h"
#include "text/chattemplate.h"
#include "text/ggufvocab.h"
#include "text/hftokenizer.h"
#include "text/spmodelfile.h"
#include "text/spmtokenizer.h"
#include "util/error.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lathe {

namespace fs = std::filesystem;

namespace {

bool hasExtension(const fs::path &p, const char *ext)
{
    return p.extension() == ext;
}

std::shared_ptr<Tokenizer> sentencePieceTokenizer(const fs::path &file)
{
    return makeSpmTokenizer(
        readSentencePieceModel(file.string()), file.string(), "SentencePiece model");
}

// A folder's tokenizer: tokenizer.json first (it carries added tokens and the exact
// pipeline), then a SentencePiece tokenizer.model.
std::shared_ptr<Tokenizer> folderTokenizer(const fs::path &dir)
{
    if (fs::is_regular_file(dir / "tokenizer.json"))
        return HfTokenizer::fromFile((dir / "tokenizer.json").string());
    if (fs::is_regular_file(dir / "tokenizer.model"))
        return sentencePieceTokenizer(dir / "tokenizer.model");
    throw IoError("no tokenizer.json or tokenizer.model in '" + dir.string() + "'");
}

std::string readText(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot open '" + path.string() + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::optional<ChatTemplateSource> folderChatTemplate(const fs::path &dir)
{
    ChatTemplateSource src;
    const fs::path config = dir / "tokenizer_config.json";
    nlohmann::ordered_json c;
    if (fs::is_regular_file(config)) {
        try {
            c = nlohmann::ordered_json::parse(readText(config));
        } catch (const nlohmann::json::exception &e) {
            throw FormatError("'" + config.string() + "' is not valid JSON: " + e.what());
        }
        if (!c.is_object())
            throw FormatError("'" + config.string() + "': top level is not a JSON object");
        src.bosToken = tokenizerConfigToken(c, "bos_token");
        src.eosToken = tokenizerConfigToken(c, "eos_token");
        if (c.contains("chat_template") && !c.at("chat_template").is_null()) {
            src.text = chatTemplateFromConfig(c);
            src.origin = config.string();
            return src;
        }
    }
    // Newer transformers save the template as its own file.
    const fs::path jinja = dir / "chat_template.jinja";
    if (fs::is_regular_file(jinja)) {
        src.text = readText(jinja);
        src.origin = jinja.string();
        return src;
    }
    return std::nullopt;
}

std::optional<ChatTemplateSource> ggufChatTemplate(const fs::path &file)
{
    const auto gguf = GgufFile::open(file.string());
    const auto text = gguf->getString("tokenizer.chat_template");
    if (!text)
        return std::nullopt;
    ChatTemplateSource src;
    src.text = *text;
    src.origin = file.string() + " (tokenizer.chat_template)";
    const GgufValue *tokens = gguf->find("tokenizer.ggml.tokens");
    const auto tokenText = [&](const char *key) -> std::string {
        const auto id = gguf->getInt(key);
        if (!tokens || !id || *id < 0 || std::size_t(*id) >= tokens->strings.size())
            return {};
        return tokens->strings[std::size_t(*id)];
    };
    src.bosToken = tokenText("tokenizer.ggml.bos_token_id");
    src.eosToken = tokenText("tokenizer.ggml.eos_token_id");
    return src;
}

void requirePath(const fs::path &p)
{
    std::error_code ec;
    if (!fs::exists(p, ec))
        throw IoError("'" + p.string() + "': no such file or folder");
}

} // namespace

std::shared_ptr<Tokenizer> loadTokenizer(const std::string &path)
{
    const fs::path p(path);
    requirePath(p);
    if (fs::is_directory(p))
        return folderTokenizer(p);
    if (hasExtension(p, ".gguf"))
        return tokenizerFromGguf(*GgufFile::open(path));
    if (hasExtension(p, ".json"))
        return HfTokenizer::fromFile(path);
    if (hasExtension(p, ".model"))
        return sentencePieceTokenizer(p);
    // A weights file (.safetensors, shard index, ...): the tokenizer lives beside it.
    return folderTokenizer(p.has_parent_path() ? p.parent_path() : fs::path("."));
}

std::optional<ChatTemplateSource> findChatTemplate(const std::string &path)
{
    const fs::path p(path);
    requirePath(p);
    if (fs::is_directory(p))
        return folderChatTemplate(p);
    if (hasExtension(p, ".gguf"))
        return ggufChatTemplate(p);
    return folderChatTemplate(p.has_parent_path() ? p.parent_path() : fs::path("."));
}

} // namespace lathe
