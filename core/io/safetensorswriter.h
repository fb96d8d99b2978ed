// SPDX-License-Identifier: GPL-3.0-or-later
// Writes named tensors (plus string `__metadata__`) to a .safetensors file. The file appears
// atomically: everything goes to a temporary file in the destination folder, which is
// fsync'ed and then renamed over the destination, so an error or a crash never leaves a
// half-written file and never damages an existing file of the same name (which may well be
// the memory-mapped source of the tensors being written).
#pragma once

#include "io/dtype.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class SafetensorsWriter {
public:
    SafetensorsWriter() = default;

    // Adds a tensor whose bytes (row-major, little-endian) stay owned by the caller and must
    // remain valid until write() returns. Throws InvalidArgument for an empty or duplicate
    // name, a ggml block dtype, a negative dimension, or a byte count that does not match
    // the shape and dtype.
    void addTensor(const std::string &name, DType dtype, const std::vector<std::int64_t> &shape,
                   const void *data, std::size_t nbytes);
    // Same, but the writer keeps the bytes.
    void addTensor(const std::string &name, DType dtype, const std::vector<std::int64_t> &shape,
                   std::vector<std::uint8_t> bytes);
    // One `__metadata__` entry (e.g. {"format", "pt"}).
    void setMetadata(const std::string &key, const std::string &value);

    std::size_t tensorCount() const { return m_tensors.size(); }
    // Bytes the file will have: 8 + header + data.
    std::size_t fileSize() const;

    // Writes the file. Throws IoError naming `path` (disk full, no permission, missing
    // folder); the destination is then left exactly as it was.
    void write(const std::string &path) const;

private:
    struct Entry {
        std::string name;
        DType dtype = DType::F32;
        std::vector<std::int64_t> shape;
        const std::uint8_t *data = nullptr;
        std::size_t nbytes = 0;
        std::shared_ptr<const std::vector<std::uint8_t>> owned;
    };
    // Data order: larger elements first, so every tensor starts aligned to its element size.
    std::vector<const Entry *> dataOrder() const;
    std::string header() const;

    std::vector<Entry> m_tensors;
    std::map<std::string, std::string> m_metadata;
};

} // namespace lathe
