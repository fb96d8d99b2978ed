// SPDX-License-Identifier: GPL-3.0-or-later
// A GGUF (v2/v3) file, memory-mapped: metadata key/values, tensor infos, tensor data views.
#pragma once

#include "io/tensorview.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lathe {

class MappedFile;

// One metadata value. Arrays hold values of a single element type.
struct GgufValue {
    enum class Type : std::uint32_t {
        UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6,
        Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
    };
    Type type = Type::UInt32;
    Type elementType = Type::UInt32; // for arrays
    // Scalars: integers in `i` (uint64 values that fit), floats in `f`, bools in `i`,
    // strings in `s`. Arrays: numbers in `ints`/`floats`, strings in `strings`.
    std::int64_t i = 0;
    std::uint64_t u = 0;
    double f = 0.0;
    std::string s;
    std::vector<std::int64_t> ints;
    std::vector<double> floats;
    std::vector<std::string> strings;
    std::uint64_t arraySize = 0;

    bool isArray() const { return type == Type::Array; }
    std::string toString() const; // short human-readable form (arrays abbreviated)
};

class GgufFile {
public:
    // Throws FormatError naming the file and the problem (bad magic/version, truncated,
    // absurd counts, offsets or sizes out of range, unknown tensor type).
    static std::shared_ptr<GgufFile> open(const std::string &path);

    const std::string &path() const { return m_path; }
    std::uint32_t version() const { return m_version; }
    std::uint64_t alignment() const { return m_alignment; }
    const std::map<std::string, GgufValue> &metadata() const { return m_metadata; }
    const GgufValue *find(const std::string &key) const;
    // Typed getters; nullopt when absent or of another kind.
    std::optional<std::string> getString(const std::string &key) const;
    std::optional<std::int64_t> getInt(const std::string &key) const;
    std::optional<double> getFloat(const std::string &key) const;
    std::optional<bool> getBool(const std::string &key) const;

    // Shapes are row-major (GGUF's ne[] reversed): a 2-D weight of ne = [in, out] appears as
    // shape {out, in}. Names are as stored ("blk.0.attn_q.weight").
    const std::vector<TensorView> &tensors() const { return m_tensors; }
    const TensorView *findTensor(const std::string &name) const;
    std::size_t fileSize() const;
    // Byte offset in the file where the tensor data section starts.
    std::size_t dataOffset() const { return m_dataOffset; }

private:
    std::string m_path;
    std::shared_ptr<MappedFile> m_file;
    std::uint32_t m_version = 0;
    std::uint64_t m_alignment = 32;
    std::size_t m_dataOffset = 0;
    std::map<std::string, GgufValue> m_metadata;
    std::vector<TensorView> m_tensors;
    std::map<std::string, std::size_t> m_index;
};

} // namespace lathe
