// SPDX-License-Identifier: GPL-3.0-or-later
// Test helper: builds .safetensors bytes by hand (header written in the given order), so
// tests control every byte without depending on the library's own writer.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace lathe::test {

struct RawTensor {
    std::string name;
    std::string dtype; // safetensors dtype string
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> bytes;
};

template<typename T>
std::vector<std::uint8_t> bytesOf(const std::vector<T> &values)
{
    std::vector<std::uint8_t> out(values.size() * sizeof(T));
    if (!out.empty())
        std::memcpy(out.data(), values.data(), out.size());
    return out;
}

// Header length field + header text + buffer.
inline std::string safetensorsBytes(const std::string &header, const std::string &buffer = {})
{
    std::string out(8, '\0');
    std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
        out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
    return out + header + buffer;
}

// A valid file: tensors stored back to back in the order given.
inline std::string safetensorsBytes(const std::vector<RawTensor> &tensors,
                                    const std::vector<std::pair<std::string, std::string>>
                                        &metadata = {})
{
    std::string header = "{";
    std::string buffer;
    if (!metadata.empty()) {
        header += "\"__metadata__\":{";
        for (std::size_t i = 0; i < metadata.size(); ++i)
            header += (i ? "," : "") + ("\"" + metadata[i].first + "\":\"" + metadata[i].second
                                        + "\"");
        header += "}";
    }
    for (const auto &t : tensors) {
        if (header.size() > 1)
            header += ",";
        header += "\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
        for (std::size_t i = 0; i < t.shape.size(); ++i)
            header += (i ? "," : "") + std::to_string(t.shape[i]);
        header += "],\"data_offsets\":[" + std::to_string(buffer.size()) + ",";
        buffer.append(reinterpret_cast<const char *>(t.bytes.data()), t.bytes.size());
        header += std::to_string(buffer.size()) + "]}";
    }
    header += "}";
    return safetensorsBytes(header, buffer);
}

inline void writeBytes(const std::string &path, const std::string &bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace lathe::test
