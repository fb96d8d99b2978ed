// SPDX-License-Identifier: GPL-3.0-or-later
// GGUF parsing. Every read goes through a bounds-checked cursor so a malformed or truncated
// file ends in a FormatError naming the problem, never in a read past the mapping.
#include "io/gguf.h"

#include "util/error.h"
#include "util/mappedfile.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <sstream>

namespace lathe {

namespace {

constexpr std::uint32_t kMagic = 0x46554747u; // "GGUF" read as a little-endian u32
constexpr std::uint32_t kMaxDims = 4;
constexpr int kMaxArrayDepth = 8;
constexpr std::uint64_t kDefaultAlignment = 32;

// ggml type ids (ggml.h's enum ggml_type) of the formats Lathe reads.
std::optional<DType> dtypeFromGgml(std::uint32_t id)
{
    switch (id) {
    case 0: return DType::F32;
    case 1: return DType::F16;
    case 2: return DType::Q4_0;
    case 3: return DType::Q4_1;
    case 6: return DType::Q5_0;
    case 7: return DType::Q5_1;
    case 8: return DType::Q8_0;
    case 9: return DType::Q8_1;
    case 10: return DType::Q2_K;
    case 11: return DType::Q3_K;
    case 12: return DType::Q4_K;
    case 13: return DType::Q5_K;
    case 14: return DType::Q6_K;
    case 15: return DType::Q8_K;
    case 24: return DType::I8;
    case 25: return DType::I16;
    case 26: return DType::I32;
    case 27: return DType::I64;
    case 28: return DType::F64;
    case 30: return DType::BF16;
    default: return std::nullopt;
    }
}

// ggml types that exist but that Lathe cannot decode, so the error can name them.
const char *unsupportedGgmlTypeName(std::uint32_t id)
{
    switch (id) {
    case 4: case 5: return "Q4_2/Q4_3 (removed from ggml)";
    case 16: return "IQ2_XXS";
    case 17: return "IQ2_XS";
    case 18: return "IQ3_XXS";
    case 19: return "IQ1_S";
    case 20: return "IQ4_NL";
    case 21: return "IQ3_S";
    case 22: return "IQ2_S";
    case 23: return "IQ4_XS";
    case 29: return "IQ1_M";
    case 34: return "TQ1_0";
    case 35: return "TQ2_0";
    case 39: return "MXFP4";
    default: return nullptr;
    }
}

const char *valueTypeName(std::uint32_t t)
{
    static const char *names[] = {"uint8", "int8",  "uint16", "int16", "uint32",
                                  "int32", "float32", "bool", "string", "array",
                                  "uint64", "int64", "float64"};
    return t < 13 ? names[t] : "unknown";
}

// Smallest encoded size of one value of a type, used to reject counts that cannot fit.
std::uint64_t minEncodedSize(std::uint32_t t)
{
    switch (t) {
    case 0: case 1: case 7: return 1;
    case 2: case 3: return 2;
    case 4: case 5: case 6: return 4;
    case 8: return 8;      // u64 length of an empty string
    case 9: return 4 + 8;  // element type + count of an empty array
    default: return 8;     // uint64, int64, float64
    }
}

// Bounds-checked little-endian reader over the mapping.
class Cursor {
public:
    Cursor(const std::uint8_t *data, std::size_t size, const std::string &path)
        : m_data(data), m_size(size), m_path(path)
    {
    }

    [[noreturn]] void fail(const std::string &problem) const
    {
        throw FormatError("GGUF file '" + m_path + "': " + problem);
    }

    std::size_t pos() const { return m_pos; }
    std::size_t remaining() const { return m_size - m_pos; }

    void need(std::uint64_t n, const std::string &what) const
    {
        if (n > remaining())
            fail("truncated: " + what + " at byte " + std::to_string(m_pos) + " needs "
                 + std::to_string(n) + " bytes but the file ends at byte "
                 + std::to_string(m_size));
    }

    template <typename T>
    T read(const std::string &what)
    {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, m_data + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return v;
    }

    std::string readString(const std::string &what)
    {
        const auto len = read<std::uint64_t>("length of " + what);
        if (len > remaining())
            fail(what + " at byte " + std::to_string(m_pos - 8) + " claims "
                 + std::to_string(len) + " bytes, past the end of the file ("
                 + std::to_string(remaining()) + " bytes left)");
        std::string s(reinterpret_cast<const char *>(m_data + m_pos),
                      static_cast<std::size_t>(len));
        m_pos += static_cast<std::size_t>(len);
        return s;
    }

    void skip(std::uint64_t n, const std::string &what)
    {
        need(n, what);
        m_pos += static_cast<std::size_t>(n);
    }

private:
    const std::uint8_t *m_data;
    std::size_t m_size;
    std::size_t m_pos = 0;
    const std::string &m_path;
};

// float32 metadata (eps, rope base) is shown and used as the shortest decimal that
// round-trips, so 1e-5f reads back as 1e-5 rather than 9.99999974738e-06.
double shortestDouble(float f)
{
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), f);
    if (res.ec != std::errc())
        return static_cast<double>(f);
    double d = static_cast<double>(f);
    std::from_chars(buf, res.ptr, d);
    return d;
}

bool isIntegerType(GgufValue::Type t)
{
    using T = GgufValue::Type;
    return t == T::UInt8 || t == T::Int8 || t == T::UInt16 || t == T::Int16 || t == T::UInt32
           || t == T::Int32 || t == T::UInt64 || t == T::Int64;
}

bool isFloatType(GgufValue::Type t)
{
    return t == GgufValue::Type::Float32 || t == GgufValue::Type::Float64;
}

// Reads one scalar of type `t` into v (i/u for integers and bools, f for floats).
void readScalar(Cursor &c, std::uint32_t t, GgufValue &v, const std::string &what)
{
    switch (t) {
    case 0: v.u = c.read<std::uint8_t>(what); v.i = static_cast<std::int64_t>(v.u); break;
    case 1: v.i = c.read<std::int8_t>(what); v.u = static_cast<std::uint64_t>(v.i); break;
    case 2: v.u = c.read<std::uint16_t>(what); v.i = static_cast<std::int64_t>(v.u); break;
    case 3: v.i = c.read<std::int16_t>(what); v.u = static_cast<std::uint64_t>(v.i); break;
    case 4: v.u = c.read<std::uint32_t>(what); v.i = static_cast<std::int64_t>(v.u); break;
    case 5: v.i = c.read<std::int32_t>(what); v.u = static_cast<std::uint64_t>(v.i); break;
    case 10:
        v.u = c.read<std::uint64_t>(what);
        v.i = v.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                      ? std::numeric_limits<std::int64_t>::max()
                      : static_cast<std::int64_t>(v.u);
        break;
    case 11: v.i = c.read<std::int64_t>(what); v.u = static_cast<std::uint64_t>(v.i); break;
    case 6: v.f = static_cast<double>(c.read<float>(what)); break;
    case 12: v.f = c.read<double>(what); break;
    case 7: {
        // The spec says 0 or 1; like llama.cpp, read any other byte as true.
        const bool b = c.read<std::uint8_t>(what) != 0;
        v.i = b ? 1 : 0;
        v.u = b ? 1 : 0;
        break;
    }
    default:
        c.fail(what + " has unknown value type " + std::to_string(t));
    }
}

// Validates and skips an array nested inside an array (legal GGUF, unused by any model
// Lathe knows); its contents are not kept.
void skipArray(Cursor &c, const std::string &what, int depth)
{
    if (depth > kMaxArrayDepth)
        c.fail(what + " nests arrays deeper than " + std::to_string(kMaxArrayDepth) + " levels");
    const auto et = c.read<std::uint32_t>("element type of " + what);
    const auto n = c.read<std::uint64_t>("length of " + what);
    if (et > 12)
        c.fail(what + " has unknown element type " + std::to_string(et));
    if (n > c.remaining() / minEncodedSize(et))
        c.fail(what + " claims " + std::to_string(n) + " elements, more than the "
               + std::to_string(c.remaining()) + " bytes left in the file can hold");
    for (std::uint64_t k = 0; k < n; ++k) {
        if (et == 8)
            c.skip(c.read<std::uint64_t>("string length in " + what), "string in " + what);
        else if (et == 9)
            skipArray(c, what, depth + 1);
        else
            c.skip(minEncodedSize(et), "element of " + what);
    }
}

GgufValue readValue(Cursor &c, std::uint32_t type, const std::string &key)
{
    const std::string what = "value of '" + key + "'";
    GgufValue v;
    if (type > 12)
        c.fail("metadata key '" + key + "' has unknown value type " + std::to_string(type));
    v.type = static_cast<GgufValue::Type>(type);
    if (type == 8) {
        v.s = c.readString(what);
        return v;
    }
    if (type == 6) {
        v.f = shortestDouble(c.read<float>(what));
        return v;
    }
    if (type != 9) {
        readScalar(c, type, v, what);
        return v;
    }

    const auto et = c.read<std::uint32_t>("element type of array '" + key + "'");
    const auto n = c.read<std::uint64_t>("length of array '" + key + "'");
    if (et > 12)
        c.fail("array '" + key + "' has unknown element type " + std::to_string(et));
    if (n > c.remaining() / minEncodedSize(et))
        c.fail("array '" + key + "' claims " + std::to_string(n) + " " + valueTypeName(et)
               + " elements, more than the " + std::to_string(c.remaining())
               + " bytes left in the file can hold");
    v.elementType = static_cast<GgufValue::Type>(et);
    v.arraySize = n;
    const auto count = static_cast<std::size_t>(n);
    if (et == 8) {
        v.strings.reserve(count);
        for (std::size_t k = 0; k < count; ++k)
            v.strings.push_back(c.readString("string " + std::to_string(k) + " of '" + key + "'"));
    } else if (et == 9) {
        for (std::size_t k = 0; k < count; ++k)
            skipArray(c, "array " + std::to_string(k) + " inside '" + key + "'", 2);
    } else if (et == 6 || et == 12) {
        v.floats.reserve(count);
        GgufValue tmp;
        for (std::size_t k = 0; k < count; ++k) {
            readScalar(c, et, tmp, "element of '" + key + "'");
            v.floats.push_back(tmp.f);
        }
    } else {
        v.ints.reserve(count);
        GgufValue tmp;
        for (std::size_t k = 0; k < count; ++k) {
            readScalar(c, et, tmp, "element of '" + key + "'");
            v.ints.push_back(tmp.i);
        }
    }
    return v;
}

// Shortest text that reads back as the same float32 (scores like -1.5e-05, not
// -1.49999996e-05).
std::string formatFloat32(double d)
{
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(d));
    return res.ec == std::errc() ? std::string(buf, res.ptr) : std::to_string(d);
}

std::string formatDouble(double d)
{
    std::ostringstream os;
    os.precision(10);
    os << d;
    return os.str();
}

// Quoted for display: shortened past `limit` bytes (on a UTF-8 boundary), with quotes,
// backslashes and control characters escaped so tokens like "\n" stay visible.
std::string quoted(const std::string &s, std::size_t limit)
{
    std::size_t cut = s.size();
    if (cut > limit) {
        cut = limit;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0u) == 0x80u)
            --cut;
    }
    std::string out = "\"";
    for (std::size_t k = 0; k < cut; ++k) {
        const auto ch = static_cast<unsigned char>(s[k]);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += static_cast<char>(ch);
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (ch < 0x20 || ch == 0x7F) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[ch >> 4];
            out += hex[ch & 15];
        } else {
            out += static_cast<char>(ch);
        }
    }
    out += '"';
    if (cut < s.size())
        out += "... (" + std::to_string(s.size()) + " bytes)";
    return out;
}

struct RawTensorInfo {
    std::string name;
    std::vector<std::uint64_t> ne; // ggml order: ne[0] innermost
    DType dtype = DType::F32;
    std::uint64_t offset = 0;
    std::size_t nbytes = 0;
};

} // namespace

std::string GgufValue::toString() const
{
    constexpr std::size_t kShownItems = 8;
    const auto scalar = [this](Type t) -> std::string {
        if (t == Type::Bool)
            return i ? "true" : "false";
        if (t == Type::String)
            return quoted(s, 200);
        if (isFloatType(t))
            return formatDouble(f);
        if (t == Type::UInt64)
            return std::to_string(u);
        return std::to_string(i);
    };
    if (!isArray())
        return scalar(type);

    std::string out = "[";
    const auto shown =
        static_cast<std::size_t>(std::min<std::uint64_t>(arraySize, kShownItems));
    for (std::size_t k = 0; k < shown; ++k) {
        if (k)
            out += ", ";
        if (elementType == Type::String && k < strings.size())
            out += quoted(strings[k], 40);
        else if (isFloatType(elementType) && k < floats.size())
            out += elementType == Type::Float32 ? formatFloat32(floats[k])
                                                : formatDouble(floats[k]);
        else if (elementType == Type::Bool && k < ints.size())
            out += ints[k] ? "true" : "false";
        else if (elementType == Type::UInt64 && k < ints.size())
            out += std::to_string(static_cast<std::uint64_t>(ints[k]));
        else if (k < ints.size())
            out += std::to_string(ints[k]);
        else
            out += "[...]"; // nested array, contents not kept
    }
    if (arraySize > shown)
        out += ", ...";
    out += "] (" + std::to_string(arraySize) + " "
           + valueTypeName(static_cast<std::uint32_t>(elementType))
           + (arraySize == 1 ? " item)" : " items)");
    return out;
}

std::shared_ptr<GgufFile> GgufFile::open(const std::string &path)
{
    auto mapped = MappedFile::open(path);
    std::shared_ptr<GgufFile> g(new GgufFile());
    g->m_path = path;
    g->m_file = mapped;
    Cursor c(mapped->data(), mapped->size(), g->m_path);

    if (mapped->size() < 4)
        c.fail("the file has only " + std::to_string(mapped->size())
               + " bytes, too short to be a GGUF file");
    const auto magic = c.read<std::uint32_t>("magic");
    if (magic != kMagic)
        c.fail("not a GGUF file (the first four bytes are not \"GGUF\")");
    g->m_version = c.read<std::uint32_t>("version");
    if (g->m_version == 1)
        c.fail("GGUF version 1 is obsolete and not supported (only versions 2 and 3 are)");
    if (g->m_version != 2 && g->m_version != 3)
        c.fail("unsupported GGUF version " + std::to_string(g->m_version)
               + " (only versions 2 and 3 are supported)");
    const auto tensorCount = c.read<std::uint64_t>("tensor count");
    const auto kvCount = c.read<std::uint64_t>("metadata count");
    // Smallest possible entries: a key/value is a length, a type and one byte; a tensor
    // info is a name length, n_dims, a type and an offset.
    if (kvCount > c.remaining() / 13)
        c.fail("header claims " + std::to_string(kvCount)
               + " metadata entries, more than the file can hold");
    if (tensorCount > c.remaining() / 24)
        c.fail("header claims " + std::to_string(tensorCount)
               + " tensors, more than the file can hold");

    for (std::uint64_t k = 0; k < kvCount; ++k) {
        std::string key = c.readString("key of metadata entry " + std::to_string(k));
        const auto type = c.read<std::uint32_t>("value type of '" + key + "'");
        GgufValue value = readValue(c, type, key);
        if (g->m_metadata.count(key))
            c.fail("metadata key '" + key + "' appears twice");
        g->m_metadata.emplace(std::move(key), std::move(value));
    }

    if (const GgufValue *a = g->find("general.alignment")) {
        if (a->isArray() || !isIntegerType(a->type) || a->i <= 0)
            c.fail("general.alignment must be a positive integer, got " + a->toString());
        const auto al = static_cast<std::uint64_t>(a->i);
        if ((al & (al - 1)) != 0 || al > (1u << 30))
            c.fail("general.alignment " + std::to_string(al)
                   + " is not a power of two of at most 2^30");
        g->m_alignment = al;
    } else {
        g->m_alignment = kDefaultAlignment;
    }

    std::vector<RawTensorInfo> infos;
    infos.reserve(static_cast<std::size_t>(tensorCount));
    for (std::uint64_t k = 0; k < tensorCount; ++k) {
        RawTensorInfo t;
        t.name = c.readString("name of tensor " + std::to_string(k));
        const std::string tn = "tensor '" + t.name + "'";
        const auto nDims = c.read<std::uint32_t>("dimension count of " + tn);
        if (nDims > kMaxDims)
            c.fail(tn + " has " + std::to_string(nDims) + " dimensions (at most "
                   + std::to_string(kMaxDims) + " are allowed)");
        std::uint64_t elements = 1;
        for (std::uint32_t d = 0; d < nDims; ++d) {
            const auto ne = c.read<std::uint64_t>("shape of " + tn);
            if (ne == 0)
                c.fail(tn + " has a zero-sized dimension " + std::to_string(d));
            if (ne > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                || __builtin_mul_overflow(elements, ne, &elements)
                || elements > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                c.fail(tn + " has a shape whose element count overflows");
            t.ne.push_back(ne);
        }
        const auto typeId = c.read<std::uint32_t>("type of " + tn);
        const auto dtype = dtypeFromGgml(typeId);
        if (!dtype) {
            if (const char *known = unsupportedGgmlTypeName(typeId))
                throw UnsupportedError("GGUF file '" + path + "': " + tn + " uses ggml type "
                                       + known + " (" + std::to_string(typeId)
                                       + "), which Lathe cannot read");
            c.fail(tn + " has unknown ggml type id " + std::to_string(typeId));
        }
        t.dtype = *dtype;
        t.offset = c.read<std::uint64_t>("data offset of " + tn);
        const auto block = static_cast<std::uint64_t>(dtypeBlockElements(t.dtype));
        const std::uint64_t rowLength = t.ne.empty() ? 1 : t.ne[0];
        if (rowLength % block != 0)
            c.fail(tn + " has rows of " + std::to_string(rowLength) + " values, not a multiple of "
                   + dtypeName(t.dtype) + "'s block size " + std::to_string(block));
        const auto bytes = dtypeStorageBytes(t.dtype, elements);
        if (!bytes)
            c.fail(tn + " is too large to address");
        t.nbytes = *bytes;
        if (t.offset % g->m_alignment != 0)
            c.fail(tn + " starts at data offset " + std::to_string(t.offset)
                   + ", which is not a multiple of the alignment "
                   + std::to_string(g->m_alignment));
        if (g->m_index.count(t.name))
            c.fail("tensor name '" + t.name + "' appears twice");
        g->m_index.emplace(t.name, static_cast<std::size_t>(k));
        infos.push_back(std::move(t));
    }

    // The data section starts at the next multiple of the alignment. A file without tensors
    // (a vocabulary-only GGUF) may end before that padding.
    const std::uint64_t infoEnd = c.pos();
    const std::uint64_t dataStart = (infoEnd + g->m_alignment - 1) / g->m_alignment
                                    * g->m_alignment;
    g->m_dataOffset = static_cast<std::size_t>(dataStart);
    const std::uint64_t fileSize = mapped->size();
    if (!infos.empty() && dataStart > fileSize)
        c.fail("truncated: the tensor data section should start at byte "
               + std::to_string(dataStart) + " but the file has " + std::to_string(fileSize)
               + " bytes");
    const std::uint64_t dataSize = infos.empty() ? 0 : fileSize - dataStart;

    for (const auto &t : infos) {
        if (t.offset > dataSize || t.nbytes > dataSize - t.offset)
            c.fail("tensor '" + t.name + "' (" + std::to_string(t.nbytes)
                   + " bytes at data offset " + std::to_string(t.offset) + ") ends at byte "
                   + std::to_string(dataStart + t.offset + t.nbytes) + " but the file has "
                   + std::to_string(fileSize) + " bytes");
    }
    std::vector<const RawTensorInfo *> byOffset;
    byOffset.reserve(infos.size());
    for (const auto &t : infos)
        byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const RawTensorInfo *a, const RawTensorInfo *b) { return a->offset < b->offset; });
    for (std::size_t k = 1; k < byOffset.size(); ++k) {
        const auto *prev = byOffset[k - 1];
        const auto *cur = byOffset[k];
        if (prev->offset + prev->nbytes > cur->offset)
            c.fail("tensors '" + prev->name + "' and '" + cur->name + "' overlap in the data "
                   "section (data offsets " + std::to_string(prev->offset) + " and "
                   + std::to_string(cur->offset) + ")");
    }

    g->m_tensors.reserve(infos.size());
    const std::shared_ptr<const void> owner = mapped;
    for (const auto &t : infos) {
        TensorView v;
        v.name = t.name;
        v.dtype = t.dtype;
        v.shape.assign(t.ne.rbegin(), t.ne.rend());
        v.data = mapped->data() + dataStart + t.offset;
        v.nbytes = t.nbytes;
        v.owner = owner;
        g->m_tensors.push_back(std::move(v));
    }
    return g;
}

const GgufValue *GgufFile::find(const std::string &key) const
{
    auto it = m_metadata.find(key);
    return it == m_metadata.end() ? nullptr : &it->second;
}

std::optional<std::string> GgufFile::getString(const std::string &key) const
{
    const GgufValue *v = find(key);
    if (!v || v->type != GgufValue::Type::String)
        return std::nullopt;
    return v->s;
}

std::optional<std::int64_t> GgufFile::getInt(const std::string &key) const
{
    const GgufValue *v = find(key);
    if (!v || !isIntegerType(v->type))
        return std::nullopt;
    if (v->type == GgufValue::Type::UInt64
        && v->u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    return v->i;
}

std::optional<double> GgufFile::getFloat(const std::string &key) const
{
    const GgufValue *v = find(key);
    if (!v)
        return std::nullopt;
    if (isFloatType(v->type))
        return v->f;
    // Integers are numbers too (a converter may write rope.freq_base as an integer).
    if (isIntegerType(v->type))
        return v->type == GgufValue::Type::UInt64 ? static_cast<double>(v->u)
                                                  : static_cast<double>(v->i);
    return std::nullopt;
}

std::optional<bool> GgufFile::getBool(const std::string &key) const
{
    const GgufValue *v = find(key);
    if (!v || v->type != GgufValue::Type::Bool)
        return std::nullopt;
    return v->i != 0;
}

const TensorView *GgufFile::findTensor(const std::string &name) const
{
    auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

std::size_t GgufFile::fileSize() const { return m_file ? m_file->size() : 0; }

} // namespace lathe
