// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/jinjastrings.h"

#include "text/jinjabuiltins.h"

#include <utf8proc.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace lathe::jinja {
namespace {

char32_t toUpper(char32_t c)
{
    return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(c)));
}
char32_t toLower(char32_t c)
{
    return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
}
char32_t toTitle(char32_t c)
{
    return static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(c)));
}
bool isCased(char32_t c)
{
    return toUpper(c) != c || toLower(c) != c;
}
bool isLetter(char32_t c)
{
    const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

std::string needString(const CallArgs &a, std::size_t i, const char *method)
{
    if (i >= a.positional.size() || !a.positional[i].isString())
        throw BuiltinError(std::string("str.") + method + "() needs a string argument");
    return a.positional[i].str();
}

std::int64_t codepointIndex(const std::string &s, std::size_t bytePos)
{
    std::int64_t n = 0;
    for (std::size_t i = 0; i < bytePos && i < s.size(); ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80)
            ++n;
    return n;
}

bool matchesAny(const std::string &s, const Value &v, bool prefix)
{
    auto one = [&](const Value &p) {
        if (!p.isString())
            throw BuiltinError("startswith/endswith need a string or a tuple of strings");
        const std::string &x = p.str();
        if (x.size() > s.size())
            return false;
        return prefix ? s.compare(0, x.size(), x) == 0
                      : s.compare(s.size() - x.size(), x.size(), x) == 0;
    };
    if (v.isList()) {
        for (const auto &p : v.items())
            if (one(p))
                return true;
        return false;
    }
    return one(v);
}

std::string formatString(const std::string &fmt, const CallArgs &a)
{
    std::string out;
    std::size_t autoIndex = 0;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        const char c = fmt[i];
        if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
            out += '{';
            ++i;
        } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
            out += '}';
            ++i;
        } else if (c == '{') {
            const std::size_t end = fmt.find('}', i);
            if (end == std::string::npos)
                throw BuiltinError("Single '{' encountered in format string");
            std::string field = fmt.substr(i + 1, end - i - 1);
            const auto colon = field.find_first_of(":!");
            if (colon != std::string::npos)
                field.erase(colon);
            const Value *v = nullptr;
            if (field.empty()) {
                if (autoIndex < a.positional.size())
                    v = &a.positional[autoIndex++];
            } else if (std::all_of(field.begin(), field.end(), ::isdigit)) {
                const auto idx = std::stoul(field);
                if (idx < a.positional.size())
                    v = &a.positional[idx];
            } else {
                for (const auto &[k, kv] : a.keyword)
                    if (k == field)
                        v = &kv;
            }
            if (!v)
                throw BuiltinError("format(): no value for field '{" + field + "}'");
            out += v->toString();
            i = end;
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

std::string upperString(const std::string &s)
{
    std::string out;
    for (char32_t c : decodeUtf8(s)) {
        if (c == U'\u00df') // Python's special casing: sharp s upper-cases to "SS"
            out += "SS";
        else
            appendUtf8(out, toUpper(c));
    }
    return out;
}

std::string lowerString(const std::string &s)
{
    auto cps = decodeUtf8(s);
    for (auto &c : cps)
        c = toLower(c);
    return encodeUtf8(cps);
}

std::string titleString(const std::string &s)
{
    auto cps = decodeUtf8(s);
    bool prevCased = false;
    for (auto &c : cps) {
        const bool cased = isCased(c);
        c = cased ? (prevCased ? toLower(c) : toTitle(c)) : c;
        prevCased = cased;
    }
    return encodeUtf8(cps);
}

std::string capitalizeString(const std::string &s)
{
    auto cps = decodeUtf8(s);
    for (std::size_t i = 0; i < cps.size(); ++i)
        cps[i] = i == 0 ? toTitle(cps[i]) : toLower(cps[i]);
    return encodeUtf8(cps);
}

std::string stripString(const std::string &s, const std::string *chars, bool left, bool right)
{
    const auto cps = decodeUtf8(s);
    const auto set = chars ? decodeUtf8(*chars) : std::vector<char32_t> {};
    auto strip = [&](char32_t c) {
        return chars ? std::find(set.begin(), set.end(), c) != set.end() : isPySpace(c);
    };
    std::size_t b = 0, e = cps.size();
    if (left)
        while (b < e && strip(cps[b]))
            ++b;
    if (right)
        while (e > b && strip(cps[e - 1]))
            --e;
    return encodeUtf8(std::vector<char32_t>(cps.begin() + static_cast<std::ptrdiff_t>(b),
        cps.begin() + static_cast<std::ptrdiff_t>(e)));
}

List splitString(const std::string &s, const Value &sep, std::int64_t maxsplit)
{
    List out;
    if (sep.isNone() || sep.isUndefined()) {
        const auto cps = decodeUtf8(s);
        std::size_t i = 0;
        std::int64_t splits = 0;
        while (true) {
            while (i < cps.size() && isPySpace(cps[i]))
                ++i;
            if (i >= cps.size())
                break;
            if (maxsplit >= 0 && splits >= maxsplit) {
                // Python keeps the rest as is, trailing whitespace included.
                const std::size_t e = cps.size();
                out.push_back(Value(encodeUtf8({ cps.begin() + static_cast<std::ptrdiff_t>(i),
                    cps.begin() + static_cast<std::ptrdiff_t>(e) })));
                break;
            }
            std::size_t j = i;
            while (j < cps.size() && !isPySpace(cps[j]))
                ++j;
            out.push_back(Value(encodeUtf8({ cps.begin() + static_cast<std::ptrdiff_t>(i),
                cps.begin() + static_cast<std::ptrdiff_t>(j) })));
            ++splits;
            i = j;
        }
        return out;
    }
    if (!sep.isString())
        throw BuiltinError("must be str or None, not " + sep.typeName());
    const std::string &d = sep.str();
    if (d.empty())
        throw BuiltinError("empty separator");
    std::size_t pos = 0;
    std::int64_t splits = 0;
    while (true) {
        const std::size_t f = s.find(d, pos);
        if (f == std::string::npos || (maxsplit >= 0 && splits >= maxsplit)) {
            out.push_back(Value(s.substr(pos)));
            break;
        }
        out.push_back(Value(s.substr(pos, f - pos)));
        pos = f + d.size();
        ++splits;
    }
    return out;
}

std::string replaceString(
    const std::string &s, const std::string &old, const std::string &with, std::int64_t count)
{
    if (old.empty()) {
        // Python inserts `with` before every code point and at the end.
        std::string out;
        std::int64_t n = 0;
        for (char32_t cp : decodeUtf8(s)) {
            if (count < 0 || n < count) {
                out += with;
                ++n;
            }
            appendUtf8(out, cp);
        }
        if (count < 0 || n < count)
            out += with;
        return out;
    }
    std::string out;
    std::size_t pos = 0;
    std::int64_t n = 0;
    while (count < 0 || n < count) {
        const std::size_t f = s.find(old, pos);
        if (f == std::string::npos)
            break;
        out.append(s, pos, f - pos);
        out += with;
        pos = f + old.size();
        ++n;
    }
    out.append(s, pos, std::string::npos);
    return out;
}

std::string percentFormat(const std::string &fmt, const Value &args)
{
    const bool isTuple = args.isList() && args.isTuple();
    std::size_t next = 0;
    auto take = [&]() -> Value {
        if (!isTuple) {
            if (next++ > 0)
                throw BuiltinError("not enough arguments for format string");
            return args;
        }
        if (next >= args.items().size())
            throw BuiltinError("not enough arguments for format string");
        return args.items()[next++];
    };
    std::string out;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] != '%') {
            out += fmt[i];
            continue;
        }
        std::size_t j = i + 1;
        Value v;
        bool haveValue = false;
        if (j < fmt.size() && fmt[j] == '(') {
            const std::size_t close = fmt.find(')', j);
            if (close == std::string::npos || !args.isDict())
                throw BuiltinError("format requires a mapping");
            const Value *found = args.entries().find(fmt.substr(j + 1, close - j - 1));
            if (!found)
                throw BuiltinError("KeyError in format string");
            v = *found;
            haveValue = true;
            j = close + 1;
        }
        std::string spec = "%";
        while (j < fmt.size() && std::string("-+ 0#").find(fmt[j]) != std::string::npos)
            spec += fmt[j++];
        while (
            j < fmt.size() && (std::isdigit(static_cast<unsigned char>(fmt[j])) || fmt[j] == '.'))
            spec += fmt[j++];
        if (j >= fmt.size())
            throw BuiltinError("incomplete format");
        const char conv = fmt[j];
        i = j;
        if (conv == '%') {
            out += '%';
            continue;
        }
        if (!haveValue)
            v = take();
        char buf[512];
        if (conv == 's' || conv == 'r' || conv == 'a') {
            const std::string text = conv == 's' ? v.toString() : v.repr();
            std::snprintf(buf, sizeof buf, (spec + "s").c_str(), text.c_str());
        } else if (conv == 'd' || conv == 'i' || conv == 'x' || conv == 'X' || conv == 'o') {
            if (!v.isNumber())
                throw BuiltinError("%" + std::string(1, conv)
                    + " format: a number is required, not " + v.typeName());
            const auto n
                = static_cast<long long>(v.isFloat() ? std::trunc(v.number()) : v.integer());
            std::snprintf(buf, sizeof buf, (spec + "ll" + (conv == 'i' ? 'd' : conv)).c_str(), n);
        } else if (conv == 'f' || conv == 'F' || conv == 'e' || conv == 'E' || conv == 'g'
            || conv == 'G') {
            if (!v.isNumber())
                throw BuiltinError("must be real number, not " + v.typeName());
            std::snprintf(buf, sizeof buf, (spec + conv).c_str(), v.number());
        } else {
            throw BuiltinError(std::string("unsupported format character '") + conv + "'");
        }
        out += buf;
    }
    if (!isTuple && next == 0 && !args.isDict() && !args.isList())
        throw BuiltinError("not all arguments converted during string formatting");
    if (isTuple && next < args.items().size())
        throw BuiltinError("not all arguments converted during string formatting");
    return out;
}

Value callStringMethod(const std::string &s, const std::string &name, CallArgs &a)
{
    const auto &p = a.positional;
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const std::string *chars = !p.empty() && p[0].isString() ? &p[0].str() : nullptr;
        return Value(stripString(s, chars, name != "rstrip", name != "lstrip"));
    }
    if (name == "split" || name == "rsplit") {
        Value sep = p.empty() ? Value::none() : p[0];
        std::int64_t maxsplit = p.size() > 1 && p[1].isInt() ? p[1].integer() : -1;
        for (const auto &[k, v] : a.keyword) {
            if (k == "sep")
                sep = v;
            else if (k == "maxsplit" && v.isInt())
                maxsplit = v.integer();
        }
        if (name == "rsplit" && maxsplit >= 0)
            throw BuiltinError("str.rsplit() with maxsplit is not supported");
        return Value::list(splitString(s, sep, maxsplit));
    }
    if (name == "splitlines") {
        List out;
        std::size_t pos = 0;
        while (pos < s.size()) {
            const std::size_t f = s.find('\n', pos);
            if (f == std::string::npos) {
                out.push_back(Value(s.substr(pos)));
                break;
            }
            out.push_back(Value(s.substr(pos, f - pos)));
            pos = f + 1;
        }
        return Value::list(std::move(out));
    }
    if (name == "startswith" || name == "endswith") {
        if (p.empty())
            throw BuiltinError("str." + name + "() takes at least 1 argument");
        return Value(matchesAny(s, p[0], name == "startswith"));
    }
    if (name == "upper")
        return Value(upperString(s));
    if (name == "lower")
        return Value(lowerString(s));
    if (name == "title")
        return Value(titleString(s));
    if (name == "capitalize")
        return Value(capitalizeString(s));
    if (name == "replace") {
        const std::int64_t count = p.size() > 2 && p[2].isInt() ? p[2].integer() : -1;
        return Value(
            replaceString(s, needString(a, 0, "replace"), needString(a, 1, "replace"), count));
    }
    if (name == "find") {
        const std::string sub = needString(a, 0, "find");
        const std::size_t f = s.find(sub);
        return Value(f == std::string::npos ? std::int64_t { -1 } : codepointIndex(s, f));
    }
    if (name == "count") {
        const std::string sub = needString(a, 0, "count");
        if (sub.empty())
            return Value(static_cast<std::int64_t>(decodeUtf8(s).size()) + 1);
        std::int64_t n = 0;
        for (std::size_t f = s.find(sub); f != std::string::npos; f = s.find(sub, f + sub.size()))
            ++n;
        return Value(n);
    }
    if (name == "join") {
        if (p.empty())
            throw BuiltinError("str.join() takes exactly one argument");
        std::string out;
        bool first = true;
        for (const auto &v : iterate(p[0])) {
            if (!v.isString())
                throw BuiltinError(
                    "sequence item: expected str instance, " + v.typeName() + " found");
            if (!first)
                out += s;
            first = false;
            out += v.str();
        }
        return Value(out);
    }
    if (name == "format")
        return Value(formatString(s, a));
    const auto cps = decodeUtf8(s);
    auto all = [&](auto pred) { return !cps.empty() && std::all_of(cps.begin(), cps.end(), pred); };
    if (name == "isspace")
        return Value(all([](char32_t c) { return isPySpace(c); }));
    if (name == "isdigit")
        return Value(all([](char32_t c) { return c >= '0' && c <= '9'; }));
    if (name == "isalpha")
        return Value(all([](char32_t c) { return isLetter(c); }));
    if (name == "isalnum")
        return Value(all([](char32_t c) { return (c >= '0' && c <= '9') || isLetter(c); }));
    if (name == "islower" || name == "isupper") {
        const std::string conv = name == "islower" ? lowerString(s) : upperString(s);
        return Value(conv == s && std::any_of(cps.begin(), cps.end(), isCased));
    }
    throw BuiltinError("'str' object has no attribute '" + name + "'");
}

} // namespace lathe::jinja
