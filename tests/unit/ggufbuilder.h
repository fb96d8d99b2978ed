// SPDX-License-Identifier: GPL-3.0-or-later
// Builds GGUF files byte by byte for unit tests (any metadata, tensors, deliberate damage),
// plus a temporary-file holder and an exception-message helper.
#pragma once

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lathe::test::gguf {

template <typename T>
std::string le(T v)
{
    std::string s(sizeof(T), '\0');
    std::memcpy(s.data(), &v, sizeof(T));
    return s;
}
inline std::string gstr(const std::string &s) { return le<std::uint64_t>(s.size()) + s; }

// Encoded value type + value.
inline std::string vU32(std::uint32_t v) { return le<std::uint32_t>(4) + le(v); }
inline std::string vI32(std::int32_t v) { return le<std::uint32_t>(5) + le(v); }
inline std::string vF32(float v) { return le<std::uint32_t>(6) + le(v); }
inline std::string vStr(const std::string &s) { return le<std::uint32_t>(8) + gstr(s); }
inline std::string vArrStr(const std::vector<std::string> &items)
{
    std::string s = le<std::uint32_t>(9) + le<std::uint32_t>(8) + le<std::uint64_t>(items.size());
    for (const auto &i : items)
        s += gstr(i);
    return s;
}
inline std::string vBool(bool v) { return le<std::uint32_t>(7) + std::string(1, v ? 1 : 0); }
inline std::string vArrF32(const std::vector<float> &items)
{
    std::string s = le<std::uint32_t>(9) + le<std::uint32_t>(6) + le<std::uint64_t>(items.size());
    for (auto i : items)
        s += le(i);
    return s;
}
inline std::string vArrI32(const std::vector<std::int32_t> &items)
{
    std::string s = le<std::uint32_t>(9) + le<std::uint32_t>(5) + le<std::uint64_t>(items.size());
    for (auto i : items)
        s += le(i);
    return s;
}

struct TensorSpec {
    std::string name;
    std::vector<std::uint64_t> ne; // ggml order
    std::uint32_t type = 0;        // ggml type id
    std::string data;              // raw bytes
    std::optional<std::uint64_t> offset; // default: packed at the alignment
    bool place = true; // false: leave the data out of the file (offsets past the end)
};

struct GgufSpec {
    std::uint32_t magic = 0x46554747u;
    std::uint32_t version = 3;
    std::vector<std::pair<std::string, std::string>> kvs;
    std::vector<TensorSpec> tensors;
    std::uint64_t alignment = 32; // for layout; add general.alignment yourself to change it
    std::optional<std::uint64_t> tensorCount, kvCount;

    std::string build() const
    {
        std::string out = le(magic) + le(version)
                          + le<std::uint64_t>(tensorCount.value_or(tensors.size()))
                          + le<std::uint64_t>(kvCount.value_or(kvs.size()));
        for (const auto &[k, v] : kvs)
            out += gstr(k) + v;
        std::vector<std::uint64_t> offsets;
        std::uint64_t next = 0;
        for (const auto &t : tensors) {
            const std::uint64_t off = t.offset.value_or(next);
            offsets.push_back(off);
            next = (off + t.data.size() + alignment - 1) / alignment * alignment;
            out += gstr(t.name) + le<std::uint32_t>(static_cast<std::uint32_t>(t.ne.size()));
            for (auto n : t.ne)
                out += le(n);
            out += le(t.type) + le(off);
        }
        if (tensors.empty())
            return out;
        const std::size_t dataStart = (out.size() + alignment - 1) / alignment * alignment;
        out.resize(dataStart, '\0');
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            if (!tensors[i].place)
                continue;
            const std::size_t at = dataStart + offsets[i];
            if (out.size() < at + tensors[i].data.size())
                out.resize(at + tensors[i].data.size(), '\0');
            std::memcpy(out.data() + at, tensors[i].data.data(), tensors[i].data.size());
        }
        return out;
    }
};

class TempFiles {
public:
    std::string write(const std::string &name, const std::string &bytes)
    {
        const std::string path = m_dir.filePath(QString::fromStdString(name)).toStdString();
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return path;
    }

private:
    QTemporaryDir m_dir;
};

// Runs f and returns the message of the exception of type E it throws ("" if none; a
// different exception type fails the test).
template <typename E>
QString errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const E &e) {
        return QString::fromUtf8(e.what());
    } catch (const std::exception &e) {
        return QStringLiteral("WRONG EXCEPTION TYPE: ") + QString::fromUtf8(e.what());
    }
    return QString();
}

} // namespace lathe::test::gguf
