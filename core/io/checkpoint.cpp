// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/checkpoint.h"

#include "io/gguf.h"
#include "io/safetensors.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lathe {

namespace fs = std::filesystem;

namespace {

constexpr const char *kIndexName = "model.safetensors.index.json";

std::string inQuotes(const std::string &s) { return "'" + s + "'"; }

bool hasExtension(const fs::path &p, const char *ext)
{
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    return e == ext;
}

bool isFile(const fs::path &p)
{
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

// Files in `dir` with the given extension, sorted by name.
std::vector<fs::path> filesWithExtension(const fs::path &dir, const char *ext)
{
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file(ec) && hasExtension(entry.path(), ext))
            out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string listNames(const std::vector<fs::path> &files)
{
    std::string s;
    for (const auto &f : files)
        s += (s.empty() ? "" : ", ") + f.filename().string();
    return s;
}

bool startsWithGgufMagic(const fs::path &p)
{
    std::ifstream in(p, std::ios::binary);
    char magic[4] = {};
    return in.read(magic, 4) && std::string(magic, 4) == "GGUF";
}

std::string readText(const fs::path &p)
{
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw IoError("cannot read " + inQuotes(p.string()));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

std::shared_ptr<Checkpoint> Checkpoint::open(const std::string &path)
{
    const fs::path p(path);
    std::error_code ec;
    if (!fs::exists(p, ec))
        throw IoError(inQuotes(path) + " does not exist");

    auto ckpt = std::shared_ptr<Checkpoint>(new Checkpoint());
    ckpt->m_path = path;

    if (fs::is_directory(p, ec)) {
        ckpt->m_folder = path;
        if (isFile(p / kIndexName)) {
            ckpt->loadShardedIndex((p / kIndexName).string());
            return ckpt;
        }
        if (isFile(p / "model.safetensors")) {
            ckpt->loadSafetensors({(p / "model.safetensors").string()});
            return ckpt;
        }
        const auto safetensors = filesWithExtension(p, ".safetensors");
        if (safetensors.size() == 1) {
            ckpt->loadSafetensors({safetensors.front().string()});
            return ckpt;
        }
        if (safetensors.size() > 1)
            throw FormatError("the folder " + inQuotes(path) + " holds several .safetensors "
                              "files (" + listNames(safetensors) + ") but no " + kIndexName
                              + " saying which belong to the model");
        const auto ggufs = filesWithExtension(p, ".gguf");
        if (ggufs.size() == 1) {
            ckpt->loadGguf(ggufs.front().string());
            return ckpt;
        }
        if (ggufs.size() > 1)
            throw FormatError("the folder " + inQuotes(path) + " holds several .gguf files ("
                              + listNames(ggufs) + "); open one of them directly");
        throw IoError("no model found in " + inQuotes(path) + ": expected config.json with "
                      "model.safetensors, a sharded index, or a .gguf file");
    }

    // A single file: the folder that holds it is where config.json and friends live.
    ckpt->m_folder = p.has_parent_path() ? p.parent_path().string() : std::string(".");
    if (p.filename() == kIndexName) {
        ckpt->loadShardedIndex(path);
    } else if (hasExtension(p, ".gguf") || startsWithGgufMagic(p)) {
        ckpt->loadGguf(path);
    } else if (hasExtension(p, ".safetensors")) {
        ckpt->m_format = CheckpointFormat::SafetensorsFile;
        ckpt->loadSafetensors({path});
    } else {
        throw UnsupportedError(inQuotes(path) + " is not a model file Lathe can open: expected "
                               "a model folder, a .safetensors file or a .gguf file");
    }
    return ckpt;
}

void Checkpoint::loadShardedIndex(const std::string &indexPath)
{
    using json = nlohmann::json;
    const fs::path folder = fs::path(indexPath).parent_path();
    json index;
    try {
        index = json::parse(readText(indexPath));
    } catch (const json::exception &e) {
        throw FormatError(inQuotes(indexPath) + " is not valid JSON: " + e.what());
    }
    const auto map = index.is_object() ? index.find("weight_map") : index.end();
    if (map == index.end() || !map->is_object())
        throw FormatError(inQuotes(indexPath) + " has no \"weight_map\" object mapping tensor "
                          "names to shard files");

    // Shards in name order; each listed tensor remembers which shard must hold it.
    std::vector<std::string> shards;
    std::vector<std::pair<std::string, std::string>> listed; // tensor, shard
    for (const auto &[tensor, shard] : map->items()) {
        if (!shard.is_string())
            throw FormatError(inQuotes(indexPath) + " maps tensor " + inQuotes(tensor)
                              + " to " + shard.dump() + " instead of a file name");
        const std::string name = shard.get<std::string>();
        const fs::path rel(name);
        const bool escapes = std::any_of(rel.begin(), rel.end(),
                                         [](const fs::path &c) { return c == ".."; });
        if (name.empty() || rel.is_absolute() || escapes)
            throw FormatError(inQuotes(indexPath) + " maps tensor " + inQuotes(tensor)
                              + " to " + inQuotes(name)
                              + ", which is not a file inside the model folder");
        listed.emplace_back(tensor, name);
        if (std::find(shards.begin(), shards.end(), name) == shards.end())
            shards.push_back(name);
    }
    if (shards.empty())
        throw FormatError(inQuotes(indexPath) + " lists no tensors in its \"weight_map\"");
    std::sort(shards.begin(), shards.end());

    std::vector<std::string> shardPaths;
    for (const auto &s : shards) {
        const fs::path sp = folder / s;
        if (!isFile(sp))
            throw IoError("shard " + inQuotes(s) + " listed in " + inQuotes(indexPath)
                          + " is missing: " + inQuotes(sp.string()) + " does not exist");
        shardPaths.push_back(sp.string());
    }
    const auto opened = loadSafetensors(shardPaths);

    for (const auto &[tensor, shard] : listed) {
        const auto &file = opened[static_cast<std::size_t>(
            std::find(shards.begin(), shards.end(), shard) - shards.begin())];
        if (!file->find(tensor))
            throw FormatError("tensor " + inQuotes(tensor) + " is listed in " + inQuotes(indexPath)
                              + " as stored in " + inQuotes(shard) + ", but "
                              + inQuotes(file->path()) + " does not contain it");
    }
}

std::vector<std::shared_ptr<SafetensorsFile>>
Checkpoint::loadSafetensors(const std::vector<std::string> &paths)
{
    std::vector<std::shared_ptr<SafetensorsFile>> opened;
    std::map<std::string, std::string> origin; // tensor -> file, to report duplicates
    for (const auto &path : paths) {
        auto file = SafetensorsFile::open(path);
        for (const auto &t : file->tensors()) {
            auto [it, inserted] = origin.emplace(t.name, path);
            if (!inserted)
                throw FormatError("tensor " + inQuotes(t.name) + " is stored twice, in "
                                  + inQuotes(it->second) + " and in " + inQuotes(path));
            m_index[t.name] = m_tensors.size();
            m_tensors.push_back(t);
        }
        for (const auto &[k, v] : file->metadata())
            m_metadata[k] = v;
        m_files.push_back(path);
        opened.push_back(std::move(file));
    }
    // Tied weights saved once (safetensors' save_model) leave "alias": "stored name" entries
    // in __metadata__; anything else there ("format": "pt") is ordinary metadata.
    for (const auto &[k, v] : m_metadata)
        if (!m_index.count(k) && m_index.count(v))
            m_aliases[k] = v;
    return opened;
}

void Checkpoint::loadGguf(const std::string &path)
{
    m_format = CheckpointFormat::Gguf;
    auto gguf = GgufFile::open(path);
    for (const auto &t : gguf->tensors()) {
        if (m_index.count(t.name))
            throw FormatError("tensor " + inQuotes(t.name) + " appears twice in "
                              + inQuotes(path));
        m_index[t.name] = m_tensors.size();
        m_tensors.push_back(t);
    }
    m_gguf = std::move(gguf);
    m_files.push_back(path);
}

const TensorView *Checkpoint::find(const std::string &name) const
{
    auto it = m_index.find(name);
    if (it == m_index.end()) {
        auto alias = m_aliases.find(name);
        if (alias == m_aliases.end())
            return nullptr;
        it = m_index.find(alias->second);
        if (it == m_index.end())
            return nullptr;
    }
    return &m_tensors[it->second];
}

std::size_t Checkpoint::totalBytes() const
{
    std::size_t total = 0;
    for (const auto &t : m_tensors)
        total += t.nbytes;
    return total;
}

} // namespace lathe
