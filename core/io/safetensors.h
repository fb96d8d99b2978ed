// SPDX-License-Identifier: GPL-3.0-or-later
// One .safetensors file, memory-mapped: header parsed and validated, tensors as zero-copy views.
#pragma once

#include "io/tensorview.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class MappedFile;

class SafetensorsFile {
public:
    // Maps and validates the file. Throws FormatError whose message starts with the
    // safetensors error name (e.g. "HeaderTooLarge: ...") and names the file; IoError when
    // the file cannot be read. Never reads past the end of the file.
    static std::shared_ptr<SafetensorsFile> open(const std::string &path);

    const std::string &path() const { return m_path; }
    const std::vector<TensorView> &tensors() const { return m_tensors; } // in header order
    const TensorView *find(const std::string &name) const;
    const std::map<std::string, std::string> &metadata() const { return m_metadata; }
    std::size_t fileSize() const;
    std::size_t headerSize() const { return m_headerSize; }

private:
    std::string m_path;
    std::shared_ptr<MappedFile> m_file;
    std::vector<TensorView> m_tensors;
    std::map<std::string, std::string> m_metadata;
    std::size_t m_headerSize = 0;
};

} // namespace lathe
