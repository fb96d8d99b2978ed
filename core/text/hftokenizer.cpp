// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/hftokenizer.h"

#include "text/addedtokens.h"
#include "text/bpemodel.h"
#include "text/tokenmodel.h"
#include "text/decoder.h"
#include "text/normalizer.h"
#include "text/pretokenizer.h"
#include "text/utf8.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lathe {

namespace fs = std::filesystem;

namespace {

nlohmann::json readJson(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot open '" + path.string() + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::exception &e) {
        throw FormatError("'" + path.string() + "' is not valid JSON: " + e.what());
    }
}

// tokenizer_config.json writes special tokens as a string, null, or {"content": ...}.
std::string tokenContent(const nlohmann::json &j)
{
    if (j.is_string())
        return j.get<std::string>();
    if (j.is_object() && j.contains("content") && j.at("content").is_string())
        return j.at("content").get<std::string>();
    return {};
}

} // namespace

HfTokenizer::HfTokenizer()
    : m_added(std::make_unique<AddedTokens>())
{
}
HfTokenizer::~HfTokenizer() = default;

std::shared_ptr<Tokenizer> Tokenizer::fromTokenizerJson(const std::string &path)
{
    return HfTokenizer::fromFile(path);
}

std::shared_ptr<HfTokenizer> HfTokenizer::fromFile(const std::string &path)
{
    fs::path file(path);
    if (fs::is_directory(file))
        file /= "tokenizer.json";
    if (!fs::exists(file))
        throw IoError("tokenizer file '" + file.string() + "' does not exist");
    const nlohmann::json j = readJson(file);
    const fs::path configPath = file.parent_path() / "tokenizer_config.json";
    const nlohmann::json config = fs::exists(configPath) ? readJson(configPath) : nlohmann::json();
    if (!config.is_null() && !config.is_object())
        throw FormatError("'" + configPath.string() + "': top level is not a JSON object");
    return fromJson(j, file.string(), config);
}

std::shared_ptr<HfTokenizer> HfTokenizer::fromJson(const nlohmann::json &j,
    const std::string &context, const nlohmann::json &config, std::unique_ptr<TokenModel> model,
    std::string kind)
{
    const std::string &ctx = context;
    if (!j.is_object())
        throw FormatError(ctx + ": top level is not a JSON object");

    auto tok = std::shared_ptr<HfTokenizer>(new HfTokenizer);
    tok->m_path = ctx;
    tok->m_kind = std::move(kind);
    try {
        if (model) {
            tok->m_model = std::move(model);
        } else {
            if (!j.contains("model"))
                throw FormatError(ctx + ": no \"model\"");
            tok->m_model = BpeModel::fromJson(j.at("model"), ctx);
        }
        tok->m_normalizer = Normalizer::fromJson(j.value("normalizer", nlohmann::json()), ctx);
        tok->m_preTokenizer
            = PreTokenizer::fromJson(j.value("pre_tokenizer", nlohmann::json()), ctx);
        tok->m_decoder = Decoder::fromJson(j.value("decoder", nlohmann::json()), ctx);
        tok->m_vocabSize = tok->m_model->size();
        for (const auto &a : j.value("added_tokens", nlohmann::json::array())) {
            AddedToken t;
            t.id = a.at("id").get<int32_t>();
            t.content = a.at("content").get<std::string>();
            t.lstrip = a.value("lstrip", false);
            t.rstrip = a.value("rstrip", false);
            t.singleWord = a.value("single_word", false);
            t.normalized = a.value("normalized", false);
            t.special = a.value("special", false);
            const std::string normalized = (t.normalized && tok->m_normalizer)
                ? tok->m_normalizer->normalize(t.content)
                : t.content;
            tok->m_added->add(t, normalized);
            tok->m_vocabSize = std::max(tok->m_vocabSize, std::size_t(t.id) + 1);
        }

        // Post-processor: only the single-sequence template matters for encode().
        std::vector<nlohmann::json> procs;
        const nlohmann::json pp = j.value("post_processor", nlohmann::json());
        if (!pp.is_null()) {
            if (pp.value("type", std::string()) == "Sequence")
                for (const auto &p : pp.at("processors"))
                    procs.push_back(p);
            else
                procs.push_back(pp);
        }
        for (const auto &p : procs) {
            const std::string type = p.value("type", std::string());
            if (type == "ByteLevel")
                continue; // only adjusts offsets
            if (tok->m_hasTemplate)
                throw UnsupportedError(ctx + ": more than one post-processor adds tokens");
            tok->m_hasTemplate = true;
            if (type == "TemplateProcessing") {
                const auto &specials = p.at("special_tokens");
                for (const auto &item : p.at("single")) {
                    TemplateItem ti;
                    if (item.contains("Sequence")) {
                        ti.sequence = true;
                    } else if (item.contains("SpecialToken")) {
                        const std::string name = item.at("SpecialToken").at("id");
                        if (!specials.contains(name))
                            throw FormatError(ctx + ": post-processor token '" + name
                                + "' is not in its special_tokens");
                        ti.ids = specials.at(name).at("ids").get<std::vector<int32_t>>();
                    } else {
                        throw FormatError(ctx + ": unknown TemplateProcessing item");
                    }
                    tok->m_template.push_back(std::move(ti));
                }
            } else if (type == "RobertaProcessing" || type == "BertProcessing") {
                tok->m_template.push_back({ false, { p.at("cls").at(1).get<int32_t>() } });
                tok->m_template.push_back({ true, {} });
                tok->m_template.push_back({ false, { p.at("sep").at(1).get<int32_t>() } });
            } else {
                throw UnsupportedError(
                    ctx + ": post_processor type '" + type + "' is not supported");
            }
        }
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(ctx + ": unexpected structure: " + e.what());
    }

    if (config.is_object())
        tok->applyConfig(config, ctx);
    return tok;
}

void HfTokenizer::applyConfig(const nlohmann::json &c, const std::string &context)
{
    try {
        if (c.contains("bos_token"))
            m_bosId = idForToken(tokenContent(c.at("bos_token")));
        if (c.contains("eos_token"))
            m_eosId = idForToken(tokenContent(c.at("eos_token")));
        if (c.contains("add_bos_token") && c.at("add_bos_token").is_boolean())
            m_configAddBos = c.at("add_bos_token").get<bool>();
        if (c.contains("add_eos_token") && c.at("add_eos_token").is_boolean())
            m_configAddEos = c.at("add_eos_token").get<bool>();
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(context + ": unexpected tokenizer_config structure: " + e.what());
    }
}

void HfTokenizer::setAddFlags(bool addBos, bool addEos)
{
    m_hasTemplate = false;
    m_template.clear();
    m_configAddBos = addBos;
    m_configAddEos = addEos;
}

void HfTokenizer::encodeText(
    const std::string &text, bool firstSegment, std::vector<int32_t> &out) const
{
    if (text.empty())
        return;
    if (!m_preTokenizer) {
        m_model->encode(text, out);
        return;
    }
    std::vector<std::string> pieces { text };
    m_preTokenizer->apply(pieces, firstSegment);
    for (const auto &p : pieces)
        m_model->encode(p, out);
}

std::vector<int32_t> HfTokenizer::encode(const std::string &text, bool addSpecialTokens) const
{
    // Regexes run in UTF mode; repair invalid input first, as a Rust &str would never hold it.
    const std::string input = utf8::isValid(text) ? text : utf8::repairLossy(text);
    std::vector<int32_t> ids;
    ids.reserve(input.size() / 3 + 4);
    for (const auto &seg : m_added->split(input, false)) {
        if (seg.id >= 0) {
            ids.push_back(seg.id);
            continue;
        }
        const std::string norm = m_normalizer ? m_normalizer->normalize(seg.text) : seg.text;
        for (const auto &sub : m_added->split(norm, true)) {
            if (sub.id >= 0)
                ids.push_back(sub.id);
            else
                encodeText(sub.text, seg.offset == 0 && sub.offset == 0, ids);
        }
    }
    if (!addSpecialTokens)
        return ids;
    std::vector<int32_t> out;
    if (m_hasTemplate) {
        for (const auto &item : m_template) {
            if (item.sequence)
                out.insert(out.end(), ids.begin(), ids.end());
            else
                out.insert(out.end(), item.ids.begin(), item.ids.end());
        }
        return out;
    }
    if (m_configAddBos && m_bosId >= 0)
        out.push_back(m_bosId);
    out.insert(out.end(), ids.begin(), ids.end());
    if (m_configAddEos && m_eosId >= 0)
        out.push_back(m_eosId);
    return out;
}

std::string HfTokenizer::decode(const std::vector<int32_t> &ids, bool skipSpecialTokens) const
{
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
        if (const AddedToken *a = m_added->byId(id)) {
            if (!(skipSpecialTokens && a->special))
                tokens.push_back(a->content);
        } else if (const std::string *t = m_model->tokenForId(id)) {
            tokens.push_back(*t);
        }
    }
    if (m_decoder)
        return m_decoder->decode(std::move(tokens));
    std::string out;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i > 0)
            out += ' ';
        out += tokens[i];
    }
    return utf8::isValid(out) ? out : utf8::repairLossy(out);
}

std::string HfTokenizer::tokenToString(int32_t id) const
{
    if (const AddedToken *a = m_added->byId(id))
        return a->content;
    if (const std::string *t = m_model->tokenForId(id))
        return *t;
    return {};
}

int32_t HfTokenizer::idForToken(const std::string &token) const
{
    if (token.empty())
        return -1;
    const int32_t id = m_added->idFor(token);
    return id >= 0 ? id : m_model->idForToken(token);
}

bool HfTokenizer::isSpecial(int32_t id) const
{
    return m_added->isSpecial(id);
}

bool HfTokenizer::addsBos() const
{
    if (m_hasTemplate) {
        return m_bosId >= 0 && !m_template.empty() && !m_template.front().sequence
            && !m_template.front().ids.empty() && m_template.front().ids.front() == m_bosId;
    }
    return m_configAddBos && m_bosId >= 0;
}

} // namespace lathe
