// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/safetensors.h"

#include "util/error.h"
#include "util/mappedfile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

namespace lathe {

namespace {

using json = nlohmann::json;

// Same cap as the safetensors project: a header above this is refused before it is parsed,
// so a hostile length cannot make us allocate or scan gigabytes.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

// Errors carry the safetensors project's error names first so they can be matched against
// its test suite, then say what is wrong in words.
[[noreturn]] void fail(const char *kind, const std::string &what)
{
    throw FormatError(std::string(kind) + ": " + what);
}

std::string inQuotes(const std::string &s) { return "'" + s + "'"; }

std::string shapeText(const std::vector<std::uint64_t> &shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// Strict UTF-8 check (no overlong forms, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(const std::uint8_t *p, std::size_t n)
{
    std::size_t i = 0;
    while (i < n) {
        const std::uint8_t c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        static constexpr std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

struct RawEntry {
    std::string name;
    std::string dtype;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

// Reads a non-negative integer array element; anything else is a structural error.
std::uint64_t unsignedValue(const json &v, const std::string &what)
{
    if (!v.is_number_unsigned())
        throw FormatError(what + " must be a non-negative integer, not " + v.dump());
    return v.get<std::uint64_t>();
}

RawEntry parseEntry(const std::string &name, const json &v)
{
    // Structural problems are reported with the InvalidHeaderDeserialization prefix by the
    // caller, which catches this FormatError and prepends it.
    const std::string where = "tensor " + inQuotes(name);
    if (!v.is_object())
        throw FormatError(where + " is described by " + std::string(v.type_name())
                          + " instead of an object");
    RawEntry e;
    e.name = name;
    const auto dtype = v.find("dtype");
    if (dtype == v.end() || !dtype->is_string())
        throw FormatError(where + " has no \"dtype\" string");
    e.dtype = dtype->get<std::string>();
    const auto shape = v.find("shape");
    if (shape == v.end() || !shape->is_array())
        throw FormatError(where + " has no \"shape\" array");
    for (const auto &d : *shape)
        e.shape.push_back(unsignedValue(d, where + ": a shape dimension"));
    const auto offsets = v.find("data_offsets");
    if (offsets == v.end() || !offsets->is_array() || offsets->size() != 2)
        throw FormatError(where + " has no \"data_offsets\" pair [begin, end]");
    e.begin = unsignedValue((*offsets)[0], where + ": data_offsets");
    e.end = unsignedValue((*offsets)[1], where + ": data_offsets");
    return e;
}

} // namespace

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string &path)
{
    auto file = MappedFile::open(path);
    const std::uint8_t *bytes = file->data();
    const std::size_t size = file->size();
    const std::string where = inQuotes(path);

    if (size < 8)
        fail("HeaderTooSmall", where + " has " + std::to_string(size)
                                   + " bytes, too few for the 8-byte header length");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | bytes[i];
    if (n > kMaxHeaderBytes)
        fail("HeaderTooLarge", where + " declares a " + std::to_string(n)
                                   + "-byte header but the file has " + std::to_string(size)
                                   + " bytes (the limit is 100 MB)");
    if (n > size - 8)
        fail("InvalidHeaderLength", where + " declares a " + std::to_string(n)
                                        + "-byte header but only " + std::to_string(size - 8)
                                        + " bytes follow the length field; the file is "
                                          "truncated or not a safetensors file");
    const std::uint8_t *headerBytes = bytes + 8;
    if (!isValidUtf8(headerBytes, n))
        fail("InvalidHeader", where + " has a header that is not valid UTF-8 text; "
                                      "it is not a safetensors file");

    // Tensors are kept in the order the header lists them; the callback records that order
    // (nlohmann::json sorts keys), rejects duplicate names and refuses nesting deeper than
    // any valid header needs, so absurd input cannot build a huge tree.
    std::vector<std::string> order;
    std::set<std::string> seen;
    std::string duplicate;
    json header;
    try {
        header = json::parse(
            headerBytes, headerBytes + n,
            [&](int depth, json::parse_event_t event, json &parsed) {
                if ((event == json::parse_event_t::object_start
                     || event == json::parse_event_t::array_start)
                    && depth > 2)
                    throw FormatError("the header nests objects or arrays too deeply");
                if (event == json::parse_event_t::key && depth == 1) {
                    const auto &key = parsed.get_ref<const std::string &>();
                    if (!seen.insert(key).second)
                        throw FormatError("the header lists " + inQuotes(key) + " twice");
                    order.push_back(key);
                }
                return true;
            });
    } catch (const json::exception &e) {
        std::string msg = e.what();
        if (auto pos = msg.find("] "); pos != std::string::npos)
            msg = msg.substr(pos + 2);
        fail("InvalidHeaderDeserialization", where + " has a header that is not valid JSON ("
                                                 + msg + ")");
    } catch (const FormatError &e) {
        fail("InvalidHeaderDeserialization", where + ": " + e.what());
    }

    auto result = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
    result->m_path = path;
    result->m_file = file;
    result->m_headerSize = static_cast<std::size_t>(n);

    std::vector<RawEntry> entries;
    try {
        if (!header.is_object())
            throw FormatError("the header is " + std::string(header.type_name())
                              + " instead of a JSON object");
        for (const auto &key : order) {
            const json &v = header.at(key);
            if (key == "__metadata__") {
                if (v.is_null())
                    continue;
                if (!v.is_object())
                    throw FormatError("\"__metadata__\" must be an object of strings");
                for (const auto &[k, value] : v.items()) {
                    if (!value.is_string())
                        throw FormatError("\"__metadata__\" entry " + inQuotes(k)
                                          + " is not a string");
                    result->m_metadata[k] = value.get<std::string>();
                }
                continue;
            }
            entries.push_back(parseEntry(key, v));
            if (!dtypeFromSafetensors(entries.back().dtype))
                throw FormatError("tensor " + inQuotes(key) + " has unknown dtype "
                                  + inQuotes(entries.back().dtype));
        }
    } catch (const FormatError &e) {
        fail("InvalidHeaderDeserialization", where + ": " + e.what());
    }

    // Same validation order as the safetensors project: walk the tensors by offset; each
    // must start where the previous ended and span exactly shape x dtype bytes; together
    // they must cover the byte buffer exactly.
    std::vector<const RawEntry *> byOffset;
    for (const auto &e : entries)
        byOffset.push_back(&e);
    std::stable_sort(byOffset.begin(), byOffset.end(), [](const RawEntry *a, const RawEntry *b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t expected = 0;
    for (const RawEntry *e : byOffset) {
        const std::string tensor = "tensor " + inQuotes(e->name) + " in " + where;
        if (e->begin != expected || e->end < e->begin)
            fail("InvalidOffset", tensor + " has data_offsets [" + std::to_string(e->begin)
                                      + ", " + std::to_string(e->end) + "] but the next free "
                                      "byte is " + std::to_string(expected)
                                      + " (tensors must not overlap or leave gaps)");
        std::uint64_t elements = 1;
        for (auto d : e->shape) {
            if (d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                || (d != 0 && elements > static_cast<std::uint64_t>(
                                              std::numeric_limits<std::int64_t>::max())
                                              / d))
                fail("ValidationOverflow", tensor + " has shape " + shapeText(e->shape)
                                               + ", whose element count overflows");
            elements *= d;
        }
        const DType dtype = *dtypeFromSafetensors(e->dtype);
        const auto nbytes = dtypeStorageBytes(dtype, elements);
        if (!nbytes)
            fail("ValidationOverflow", tensor + " has shape " + shapeText(e->shape)
                                           + ", whose byte size overflows");
        if (e->end - e->begin != *nbytes)
            fail("TensorInvalidInfo", tensor + " has shape " + shapeText(e->shape) + " of "
                                          + e->dtype + " (" + std::to_string(*nbytes)
                                          + " bytes) but its data_offsets span "
                                          + std::to_string(e->end - e->begin) + " bytes");
        expected = e->end;
    }
    const std::uint64_t bufferSize = size - 8 - n;
    if (expected != bufferSize)
        fail("MetadataIncompleteBuffer",
             where + " has a " + std::to_string(bufferSize) + "-byte data buffer but its "
                 + "tensors " + (expected > bufferSize ? "need " : "cover only ")
                 + std::to_string(expected) + " bytes"
                 + (expected > bufferSize ? "; the file is truncated" : ""));

    const std::uint8_t *buffer = bytes + 8 + n;
    std::shared_ptr<const void> owner = file;
    for (const auto &e : entries) {
        TensorView view;
        view.name = e.name;
        view.dtype = *dtypeFromSafetensors(e.dtype);
        for (auto d : e.shape)
            view.shape.push_back(static_cast<std::int64_t>(d));
        view.data = buffer + e.begin;
        view.nbytes = static_cast<std::size_t>(e.end - e.begin);
        view.owner = owner;
        result->m_tensors.push_back(std::move(view));
    }
    return result;
}

const TensorView *SafetensorsFile::find(const std::string &name) const
{
    // Linear: files hold at most a few thousand tensors and callers index them once.
    for (const auto &t : m_tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

std::size_t SafetensorsFile::fileSize() const { return m_file ? m_file->size() : 0; }

} // namespace lathe
