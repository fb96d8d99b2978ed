// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/jinjavalue.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace lathe::jinja {

Value Value::undefined(std::string hint)
{
    Value v;
    v.m_str = std::move(hint);
    return v;
}

Value Value::none()
{
    Value v;
    v.m_kind = Kind::None;
    return v;
}

Value Value::list(List items, bool tuple)
{
    Value v;
    v.m_kind = Kind::List;
    v.m_flag = tuple;
    v.m_list = std::make_shared<List>(std::move(items));
    return v;
}

Value Value::dict()
{
    Value v;
    v.m_kind = Kind::Dict;
    v.m_dict = std::make_shared<Dict>();
    return v;
}

Value Value::makeNamespace()
{
    Value v = dict();
    v.m_flag = true;
    return v;
}

Value Value::function(Function f)
{
    Value v;
    v.m_kind = Kind::Callable;
    v.m_fn = std::make_shared<Function>(std::move(f));
    return v;
}

bool Value::truthy() const
{
    switch (m_kind) {
    case Kind::Undefined:
    case Kind::None:
        return false;
    case Kind::Bool:
    case Kind::Int:
        return m_int != 0;
    case Kind::Float:
        return m_float != 0.0;
    case Kind::String:
        return !m_str.empty();
    case Kind::List:
        return !m_list->empty();
    case Kind::Dict:
        return m_flag || !m_dict->entries.empty();
    case Kind::Callable:
        return true;
    }
    return false;
}

std::string pyFloatRepr(double f)
{
    if (std::isnan(f))
        return "nan";
    if (std::isinf(f))
        return f > 0 ? "inf" : "-inf";
    // Shortest round-trip digits, laid out the way Python's repr() does.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    const auto epos = sci.find('e');
    std::string mant = sci.substr(0, epos);
    const int exp = std::stoi(sci.substr(epos + 1));
    bool neg = false;
    if (!mant.empty() && mant[0] == '-') {
        neg = true;
        mant.erase(0, 1);
    }
    std::string digits;
    for (char c : mant)
        if (c != '.')
            digits += c;
    std::string out;
    if (exp < -4 || exp >= 16) {
        out = digits.substr(0, 1);
        if (digits.size() > 1)
            out += "." + digits.substr(1);
        char eb[16];
        std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
        out += eb;
    } else if (exp < 0) {
        out = "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    } else {
        const auto intLen = static_cast<std::size_t>(exp + 1);
        if (digits.size() <= intLen) {
            out = digits + std::string(intLen - digits.size(), '0') + ".0";
        } else {
            out = digits.substr(0, intLen) + "." + digits.substr(intLen);
        }
    }
    return neg ? "-" + out : out;
}

std::string pyStringRepr(const std::string &s)
{
    const bool hasSingle = s.find('\'') != std::string::npos;
    const bool hasDouble = s.find('"') != std::string::npos;
    const char quote = (hasSingle && !hasDouble) ? '"' : '\'';
    std::string out(1, quote);
    for (unsigned char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == static_cast<unsigned char>(quote))
            out += std::string("\\") + quote;
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        } else
            out += static_cast<char>(c);
    }
    out += quote;
    return out;
}

std::string Value::toString() const
{
    switch (m_kind) {
    case Kind::Undefined:
        return "";
    case Kind::String:
        return m_str;
    default:
        return repr();
    }
}

std::string Value::repr() const
{
    return repr(0);
}

std::string Value::repr(int depth) const
{
    // A namespace can hold itself; printing it must fail instead of recursing forever.
    if (depth > 100)
        throw TemplateError("value nested too deeply to print");
    switch (m_kind) {
    case Kind::Undefined:
        return "Undefined";
    case Kind::None:
        return "None";
    case Kind::Bool:
        return m_int ? "True" : "False";
    case Kind::Int:
        return std::to_string(m_int);
    case Kind::Float:
        return pyFloatRepr(m_float);
    case Kind::String:
        return pyStringRepr(m_str);
    case Kind::List: {
        std::string out = m_flag ? "(" : "[";
        for (std::size_t i = 0; i < m_list->size(); ++i) {
            if (i)
                out += ", ";
            out += (*m_list)[i].repr(depth + 1);
        }
        if (m_flag && m_list->size() == 1)
            out += ",";
        return out + (m_flag ? ")" : "]");
    }
    case Kind::Dict: {
        std::string out = m_flag ? "<Namespace {" : "{";
        bool first = true;
        for (const auto &[k, v] : m_dict->entries) {
            if (!first)
                out += ", ";
            first = false;
            out += k.repr(depth + 1) + ": " + v.repr(depth + 1);
        }
        return out + (m_flag ? "}>" : "}");
    }
    case Kind::Callable:
        return "<function>";
    }
    return "";
}

std::string Value::typeName() const
{
    switch (m_kind) {
    case Kind::Undefined:
        return "Undefined";
    case Kind::None:
        return "NoneType";
    case Kind::Bool:
        return "bool";
    case Kind::Int:
        return "int";
    case Kind::Float:
        return "float";
    case Kind::String:
        return "str";
    case Kind::List:
        return m_flag ? "tuple" : "list";
    case Kind::Dict:
        return m_flag ? "Namespace" : "dict";
    case Kind::Callable:
        return "function";
    }
    return "object";
}

bool Value::operator==(const Value &o) const
{
    if (isNumber() && o.isNumber()) {
        if (isFloat() || o.isFloat())
            return number() == o.number();
        return m_int == o.m_int;
    }
    if (m_kind != o.m_kind)
        return false;
    switch (m_kind) {
    case Kind::Undefined:
    case Kind::None:
        return true;
    case Kind::String:
        return m_str == o.m_str;
    case Kind::List:
        return m_flag == o.m_flag && *m_list == *o.m_list; // (1, 2) != [1, 2] in Python
    case Kind::Dict: {
        if (m_dict == o.m_dict)
            return true;
        if (m_flag || o.m_flag) // namespaces compare by identity, as in Python
            return false;
        if (m_dict->entries.size() != o.m_dict->entries.size())
            return false;
        for (const auto &[k, v] : m_dict->entries) {
            const Value *ov = o.m_dict->find(k);
            if (!ov || !(*ov == v))
                return false;
        }
        return true;
    }
    case Kind::Callable:
        return m_fn == o.m_fn;
    default:
        return false;
    }
}

std::int64_t Value::length() const
{
    switch (m_kind) {
    case Kind::Undefined:
        return 0;
    case Kind::String:
        return static_cast<std::int64_t>(decodeUtf8(m_str).size());
    case Kind::List:
        return static_cast<std::int64_t>(m_list->size());
    case Kind::Dict:
        return static_cast<std::int64_t>(m_dict->entries.size());
    default:
        throw TemplateError("object of type '" + typeName() + "' has no len()");
    }
}

const Value *Dict::find(const Value &key) const
{
    for (const auto &e : entries)
        if (e.first == key)
            return &e.second;
    return nullptr;
}

const Value *Dict::find(const std::string &key) const
{
    for (const auto &e : entries)
        if (e.first.isString() && e.first.str() == key)
            return &e.second;
    return nullptr;
}

void Dict::set(const Value &key, Value value)
{
    for (auto &e : entries) {
        if (e.first == key) {
            e.second = std::move(value);
            return;
        }
    }
    entries.emplace_back(key, std::move(value));
}

std::vector<char32_t> decodeUtf8(const std::string &s)
{
    std::vector<char32_t> out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        int len = 1;
        char32_t cp = c;
        if (c >= 0xf0 && c < 0xf8) {
            len = 4;
            cp = c & 0x07;
        } else if (c >= 0xe0) {
            len = c < 0xf0 ? 3 : 1;
            cp = c & 0x0f;
        } else if (c >= 0xc0) {
            len = 2;
            cp = c & 0x1f;
        }
        if (len == 1 || i + static_cast<std::size_t>(len) > s.size()) {
            out.push_back(c);
            ++i;
            continue;
        }
        for (int k = 1; k < len; ++k)
            cp = (cp << 6)
                | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3f);
        out.push_back(cp);
        i += static_cast<std::size_t>(len);
    }
    return out;
}

void appendUtf8(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

std::string encodeUtf8(const std::vector<char32_t> &cps)
{
    std::string out;
    for (char32_t cp : cps)
        appendUtf8(out, cp);
    return out;
}

bool isPySpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0
        || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f
        || c == 0x205f || c == 0x3000;
}

} // namespace lathe::jinja
