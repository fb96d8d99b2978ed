// SPDX-License-Identifier: GPL-3.0-or-later
// A model's stored tensors, whatever the container: a Hugging Face folder (single or sharded
// safetensors), a bare .safetensors file, or a GGUF file. Tensors keep their stored names and
// dtypes; nothing is converted here.
#pragma once

#include "io/tensorview.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lathe {

class GgufFile;
class SafetensorsFile;

enum class CheckpointFormat { SafetensorsFolder, SafetensorsFile, Gguf };

class Checkpoint {
public:
    // Opens a folder (model.safetensors.index.json, model.safetensors, or the only
    // *.safetensors / *.gguf in it), a .safetensors file or a .gguf file. Throws IoError /
    // FormatError naming the file and the problem.
    static std::shared_ptr<Checkpoint> open(const std::string &path);

    CheckpointFormat format() const { return m_format; }
    const std::string &path() const { return m_path; }   // what the user opened
    const std::string &folder() const { return m_folder; } // folder holding config.json etc.
    const std::vector<TensorView> &tensors() const { return m_tensors; }
    // Looks a tensor up by stored name, then by alias (safetensors `__metadata__` aliases for
    // tied weights stored once, e.g. model.embed_tokens.weight -> lm_head.weight).
    const TensorView *find(const std::string &name) const;
    // alias name -> stored name
    const std::map<std::string, std::string> &aliases() const { return m_aliases; }
    // Merged `__metadata__` of all shards (safetensors); empty for GGUF.
    const std::map<std::string, std::string> &metadata() const { return m_metadata; }
    // Set for GGUF checkpoints.
    std::shared_ptr<const GgufFile> gguf() const { return m_gguf; }
    std::size_t totalBytes() const; // sum of tensor bytes
    std::vector<std::string> files() const { return m_files; }

private:
    void loadShardedIndex(const std::string &indexPath);
    // Opens the files in order and appends their tensors; returns them in the same order.
    std::vector<std::shared_ptr<SafetensorsFile>>
    loadSafetensors(const std::vector<std::string> &paths);
    void loadGguf(const std::string &path);

    CheckpointFormat m_format = CheckpointFormat::SafetensorsFolder;
    std::string m_path;
    std::string m_folder;
    std::vector<TensorView> m_tensors;
    std::map<std::string, std::size_t> m_index;
    std::map<std::string, std::string> m_aliases;
    std::map<std::string, std::string> m_metadata;
    std::shared_ptr<const GgufFile> m_gguf;
    std::vector<std::string> m_files;
};

} // namespace lathe
