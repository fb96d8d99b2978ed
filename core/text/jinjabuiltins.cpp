// SPDX-License-Identifier: GPL-3.0-or-later
// Attribute access, Python str/dict methods, tests, globals and JSON output.
#include "text/jinjabuiltins.h"

#include "text/jinjastrings.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace lathe::jinja {
namespace {

const Value *keyword(const CallArgs &a, const std::string &name)
{
    for (const auto &[k, v] : a.keyword)
        if (k == name)
            return &v;
    return nullptr;
}

// Positional argument i, else keyword `name`, else nullptr.
const Value *arg(const CallArgs &a, std::size_t i, const std::string &name)
{
    if (i < a.positional.size())
        return &a.positional[i];
    return keyword(a, name);
}

Value missingAttr(const Value &obj, const std::string &name)
{
    return Value::undefined("'" + obj.typeName() + " object' has no attribute '" + name + "'");
}

Value boundStringMethod(const std::string &s, const std::string &name)
{
    static const char *names[] = { "strip", "lstrip", "rstrip", "split", "startswith", "endswith",
        "upper", "lower", "title", "capitalize", "replace", "find", "count", "join", "format",
        "isdigit", "isspace", "isalpha", "isalnum", "islower", "isupper", "rsplit", "splitlines" };
    if (std::find_if(std::begin(names), std::end(names), [&](const char *n) { return name == n; })
        == std::end(names))
        return Value();
    return Value::function([s, name](CallArgs &a) { return callStringMethod(s, name, a); });
}

Value boundDictMethod(const Value &d, const std::string &name)
{
    if (name == "items" || name == "keys" || name == "values") {
        return Value::function([d, name](CallArgs &) {
            List out;
            for (const auto &[k, v] : d.entries().entries) {
                if (name == "items")
                    out.push_back(Value::list({ k, v }, true));
                else
                    out.push_back(name == "keys" ? k : v);
            }
            return Value::list(std::move(out));
        });
    }
    if (name == "get") {
        return Value::function([d](CallArgs &a) {
            if (a.positional.empty())
                throw BuiltinError("get expected at least 1 argument, got 0");
            const Value *v = d.entries().find(a.positional[0]);
            if (v)
                return *v;
            return a.positional.size() > 1 ? a.positional[1] : Value::none();
        });
    }
    if (name == "update" || name == "pop" || name == "setdefault" || name == "clear") {
        return Value::function([name](CallArgs &) -> Value {
            throw BuiltinError("access to attribute '" + name
                + "' of 'dict' object is unsafe (immutable sandbox)");
        });
    }
    return Value();
}

std::int64_t toIndex(const Value &v)
{
    if (v.isInt() || v.isBool())
        return v.integer();
    throw BuiltinError("slice indices must be integers or None");
}

} // namespace

Value getAttribute(const Value &obj, const std::string &name)
{
    if (obj.isDict()) {
        if (!obj.isNamespace()) {
            Value m = boundDictMethod(obj, name);
            if (!m.isUndefined())
                return m;
        }
        const Value *v = obj.entries().find(name);
        return v ? *v : missingAttr(obj, name);
    }
    if (obj.isString()) {
        Value m = boundStringMethod(obj.str(), name);
        if (!m.isUndefined())
            return m;
    }
    if (obj.isList()
        && (name == "append" || name == "pop" || name == "extend" || name == "insert"
            || name == "remove")) {
        return Value::function([name](CallArgs &) -> Value {
            throw BuiltinError("access to attribute '" + name
                + "' of 'list' object is unsafe (immutable sandbox)");
        });
    }
    return missingAttr(obj, name);
}

Value getItem(const Value &obj, const Value &key)
{
    if (obj.isDict()) {
        const Value *v = obj.entries().find(key);
        if (v)
            return *v;
        if (key.isString())
            return getAttribute(obj, key.str());
        return Value::undefined("'dict object' has no element " + key.repr());
    }
    if ((obj.isList() || obj.isString()) && (key.isInt() || key.isBool())) {
        std::int64_t i = key.integer();
        if (obj.isList()) {
            const auto n = static_cast<std::int64_t>(obj.items().size());
            if (i < 0)
                i += n;
            if (i < 0 || i >= n)
                return Value::undefined("'" + obj.typeName() + " object' has no element "
                    + std::to_string(key.integer()));
            return obj.items()[static_cast<std::size_t>(i)];
        }
        const auto cps = decodeUtf8(obj.str());
        const auto n = static_cast<std::int64_t>(cps.size());
        if (i < 0)
            i += n;
        if (i < 0 || i >= n)
            return Value::undefined("'str object' has no element " + std::to_string(key.integer()));
        std::string s;
        appendUtf8(s, cps[static_cast<std::size_t>(i)]);
        return Value(s);
    }
    if (key.isString())
        return getAttribute(obj, key.str());
    return Value::undefined("'" + obj.typeName() + " object' has no element " + key.repr());
}

Value sliceValue(const Value &obj, const Value &start, const Value &stop, const Value &step)
{
    const std::int64_t st = step.isNone() ? 1 : toIndex(step);
    if (st == 0)
        throw BuiltinError("slice step cannot be zero");
    std::vector<char32_t> cps;
    std::int64_t n;
    if (obj.isString()) {
        cps = decodeUtf8(obj.str());
        n = static_cast<std::int64_t>(cps.size());
    } else if (obj.isList()) {
        n = static_cast<std::int64_t>(obj.items().size());
    } else {
        throw BuiltinError("'" + obj.typeName() + "' object is not subscriptable");
    }
    // Python's slice.indices().
    auto clamp = [&](const Value &v, std::int64_t dflt) {
        if (v.isNone())
            return dflt;
        std::int64_t i = toIndex(v);
        if (i < 0) {
            i += n;
            if (i < 0)
                i = st < 0 ? -1 : 0;
        } else if (i >= n) {
            i = st < 0 ? n - 1 : n;
        }
        return i;
    };
    const std::int64_t b = clamp(start, st < 0 ? n - 1 : 0);
    const std::int64_t e = clamp(stop, st < 0 ? -1 : n);
    std::vector<std::size_t> idx;
    for (std::int64_t i = b; st > 0 ? i < e : i > e; i += st)
        idx.push_back(static_cast<std::size_t>(i));
    if (obj.isString()) {
        std::string s;
        for (auto i : idx)
            appendUtf8(s, cps[i]);
        return Value(s);
    }
    List out;
    for (auto i : idx)
        out.push_back(obj.items()[i]);
    return Value::list(std::move(out), obj.isTuple());
}

List iterate(const Value &v)
{
    if (v.isList())
        return v.items();
    if (v.isUndefined())
        return {};
    if (v.isDict()) {
        List keys;
        for (const auto &e : v.entries().entries)
            keys.push_back(e.first);
        return keys;
    }
    if (v.isString()) {
        List chars;
        for (char32_t cp : decodeUtf8(v.str())) {
            std::string s;
            appendUtf8(s, cp);
            chars.push_back(Value(s));
        }
        return chars;
    }
    throw BuiltinError("'" + v.typeName() + "' object is not iterable");
}

int compareValues(const Value &a, const Value &b)
{
    if (a.isNumber() && b.isNumber()) {
        const double x = a.number(), y = b.number();
        if (!a.isFloat() && !b.isFloat())
            return a.integer() < b.integer() ? -1 : a.integer() > b.integer() ? 1 : 0;
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.isString() && b.isString())
        return a.str() < b.str() ? -1 : a.str() > b.str() ? 1 : 0;
    if (a.isList() && b.isList()) {
        const auto &x = a.items();
        const auto &y = b.items();
        for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
            if (x[i] == y[i])
                continue;
            return compareValues(x[i], y[i]);
        }
        return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
    }
    if (a.isUndefined() || b.isUndefined())
        throw BuiltinError((a.isUndefined() ? a : b).undefinedHint());
    throw BuiltinError(
        "'<' not supported between instances of '" + a.typeName() + "' and '" + b.typeName() + "'");
}

bool hasTest(const std::string &name)
{
    static const char *names[] = { "defined", "undefined", "none", "string", "number", "integer",
        "float", "mapping", "iterable", "sequence", "boolean", "true", "false", "even", "odd",
        "divisibleby", "equalto", "eq", "==", "ne", "!=", "lt", "<", "le", "<=", "gt", ">", "ge",
        ">=", "in", "callable", "lower", "upper", "sameas", "lessthan", "greaterthan", "escaped" };
    return std::find_if(std::begin(names), std::end(names), [&](const char *n) {
        return name == n;
    }) != std::end(names);
}

bool isJinjaFilter(const std::string &name)
{
    static const char *names[] = { "abs", "attr", "batch", "capitalize", "center", "count", "d",
        "default", "dictsort", "e", "escape", "filesizeformat", "first", "float", "forceescape",
        "format", "groupby", "indent", "int", "items", "join", "last", "length", "list", "lower",
        "map", "max", "min", "pprint", "random", "reject", "rejectattr", "replace", "reverse",
        "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags", "sum",
        "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize",
        "wordcount", "wordwrap", "xmlattr" };
    return std::find_if(std::begin(names), std::end(names), [&](const char *n) {
        return name == n;
    }) != std::end(names);
}

bool isJinjaTest(const std::string &name)
{
    return hasTest(name) || name == "filter" || name == "test";
}

bool applyTest(const std::string &name, const Value &v, CallArgs &a)
{
    const Value *other = arg(a, 0, "value");
    auto need = [&]() -> const Value & {
        if (!other)
            throw BuiltinError("test '" + name + "' needs an argument");
        return *other;
    };
    if (name == "defined")
        return !v.isUndefined();
    if (name == "undefined")
        return v.isUndefined();
    if (name == "none")
        return v.isNone();
    if (name == "string")
        return v.isString();
    if (name == "number")
        return v.isNumber();
    if (name == "integer")
        return v.isInt();
    if (name == "float")
        return v.isFloat();
    if (name == "mapping")
        return v.isDict() && !v.isNamespace();
    if (name == "iterable")
        return v.isString() || v.isList() || v.isDict() || v.isUndefined();
    if (name == "sequence")
        return v.isString() || v.isList() || (v.isDict() && !v.isNamespace()) || v.isUndefined();
    if (name == "boolean")
        return v.isBool();
    if (name == "true")
        return v.isBool() && v.boolean();
    if (name == "false")
        return v.isBool() && !v.boolean();
    if (name == "callable")
        return v.isCallable();
    if (name == "escaped")
        return false;
    if (name == "lower" || name == "upper") {
        const std::string s = v.toString();
        return s == (name == "lower" ? lowerString(s) : upperString(s));
    }
    if (name == "even" || name == "odd" || name == "divisibleby") {
        // Jinja2 computes value % n with Python semantics, so floats are allowed.
        if (!v.isNumber())
            throw BuiltinError("test '" + name + "' needs a number, not " + v.typeName());
        Value n = Value(2);
        if (name == "divisibleby") {
            n = need();
            if (!n.isNumber() || n.number() == 0)
                throw BuiltinError("divisibleby needs a non-zero number");
        }
        double rem;
        if (!v.isFloat() && !n.isFloat()) {
            const std::int64_t r = v.integer() % n.integer();
            rem = static_cast<double>(
                (r != 0 && ((r < 0) != (n.integer() < 0))) ? r + n.integer() : r);
        } else {
            rem = std::fmod(v.number(), n.number());
            if (rem != 0 && ((rem < 0) != (n.number() < 0)))
                rem += n.number();
        }
        if (name == "odd")
            return rem == 1;
        return rem == 0;
    }
    if (name == "equalto" || name == "eq" || name == "==" || name == "sameas")
        return v == need();
    if (name == "ne" || name == "!=")
        return !(v == need());
    if (name == "in") {
        const Value &c = need();
        if (c.isString() && v.isString())
            return c.str().find(v.str()) != std::string::npos;
        if (c.isDict())
            return c.entries().find(v) != nullptr;
        for (const auto &x : iterate(c))
            if (x == v)
                return true;
        return false;
    }
    const int c = compareValues(v, need());
    if (name == "lt" || name == "<" || name == "lessthan")
        return c < 0;
    if (name == "le" || name == "<=")
        return c <= 0;
    if (name == "gt" || name == ">" || name == "greaterthan")
        return c > 0;
    if (name == "ge" || name == ">=")
        return c >= 0;
    throw BuiltinError("no test named '" + name + "'");
}

Value makeGlobals(const RenderOptions &options)
{
    Value g = Value::dict();
    Dict &d = g.entries();
    d.set("range", Value::function([](CallArgs &a) {
        std::int64_t start = 0, stop = 0, step = 1;
        auto num = [](const Value &v) {
            if (!v.isInt() && !v.isBool())
                throw BuiltinError("range() arguments must be integers, not " + v.typeName());
            return v.integer();
        };
        const auto &p = a.positional;
        if (p.size() == 1) {
            stop = num(p[0]);
        } else if (p.size() == 2 || p.size() == 3) {
            start = num(p[0]);
            stop = num(p[1]);
            if (p.size() == 3)
                step = num(p[2]);
        } else {
            throw BuiltinError("range expected 1 to 3 arguments");
        }
        if (step == 0)
            throw BuiltinError("range() arg 3 must not be zero");
        List out;
        for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
            if (out.size() >= 100000)
                throw BuiltinError("Range too big. The sandbox blocks ranges larger than "
                                   "MAX_RANGE (100000).");
            out.push_back(Value(i));
        }
        return Value::list(std::move(out));
    }));
    d.set("namespace", Value::function([](CallArgs &a) {
        Value ns = Value::makeNamespace();
        for (const auto &p : a.positional)
            if (p.isDict())
                for (const auto &[k, v] : p.entries().entries)
                    ns.entries().set(k, v);
        for (const auto &[k, v] : a.keyword)
            ns.entries().set(Value(k), v);
        return ns;
    }));
    d.set("dict", Value::function([](CallArgs &a) {
        Value out = Value::dict();
        for (const auto &p : a.positional)
            if (p.isDict())
                for (const auto &[k, v] : p.entries().entries)
                    out.entries().set(k, v);
        for (const auto &[k, v] : a.keyword)
            out.entries().set(Value(k), v);
        return out;
    }));
    d.set("raise_exception", Value::function([](CallArgs &a) -> Value {
        throw BuiltinError(a.positional.empty() ? std::string("raise_exception called")
                                                : a.positional[0].toString());
    }));
    auto now = options.now;
    d.set("strftime_now", Value::function([now](CallArgs &a) {
        if (a.positional.empty() || !a.positional[0].isString())
            throw BuiltinError("strftime_now() needs a format string");
        std::tm tm {};
        if (now) {
            tm = now();
        } else {
            const std::time_t t = std::time(nullptr);
#ifdef _WIN32
            localtime_s(&tm, &t);
#else
            localtime_r(&t, &tm);
#endif
        }
        char buf[512];
        const std::size_t n = std::strftime(buf, sizeof buf, a.positional[0].str().c_str(), &tm);
        return Value(std::string(buf, n));
    }));
    return g;
}

namespace {

void jsonString(std::string &out, const std::string &s)
{
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (c < 0x20) {
                char b[8];
                std::snprintf(b, sizeof b, "\\u%04x", c);
                out += b;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
}

void jsonValue(std::string &out, const Value &v, int indent, int level, const std::string &itemSep,
    const std::string &keySep, bool sortKeys)
{
    if (level > 200)
        throw BuiltinError("tojson: value nested too deeply");
    const auto newline = [&](int lvl) {
        if (indent >= 0) {
            out += '\n';
            out.append(static_cast<std::size_t>(indent * lvl), ' ');
        }
    };
    switch (v.kind()) {
    case Value::Kind::None:
        out += "null";
        return;
    case Value::Kind::Bool:
        out += v.boolean() ? "true" : "false";
        return;
    case Value::Kind::Int:
        out += std::to_string(v.integer());
        return;
    case Value::Kind::Float:
        if (std::isnan(v.number()))
            out += "NaN";
        else if (std::isinf(v.number()))
            out += v.number() > 0 ? "Infinity" : "-Infinity";
        else
            out += pyFloatRepr(v.number());
        return;
    case Value::Kind::String:
        jsonString(out, v.str());
        return;
    case Value::Kind::List: {
        if (v.items().empty()) {
            out += "[]";
            return;
        }
        out += '[';
        bool first = true;
        for (const auto &e : v.items()) {
            if (!first)
                out += itemSep;
            first = false;
            newline(level + 1);
            jsonValue(out, e, indent, level + 1, itemSep, keySep, sortKeys);
        }
        newline(level);
        out += ']';
        return;
    }
    case Value::Kind::Dict: {
        if (v.isNamespace())
            break;
        if (v.entries().entries.empty()) {
            out += "{}";
            return;
        }
        auto entries = v.entries().entries;
        if (sortKeys)
            std::stable_sort(entries.begin(), entries.end(),
                [](const auto &x, const auto &y) { return compareValues(x.first, y.first) < 0; });
        out += '{';
        bool first = true;
        for (const auto &[k, e] : entries) {
            if (!first)
                out += itemSep;
            first = false;
            newline(level + 1);
            if (k.isString())
                jsonString(out, k.str());
            else if (k.isNone())
                out += "\"null\"";
            else if (k.isBool())
                out += k.boolean() ? "\"true\"" : "\"false\"";
            else if (k.isNumber())
                jsonString(out, k.repr());
            else
                throw BuiltinError(
                    "keys must be str, int, float, bool or None, not " + k.typeName());
            out += keySep;
            jsonValue(out, e, indent, level + 1, itemSep, keySep, sortKeys);
        }
        newline(level);
        out += '}';
        return;
    }
    default:
        break;
    }
    throw BuiltinError("Object of type " + v.typeName() + " is not JSON serializable");
}

} // namespace

std::string toJson(const Value &v, int indent, const std::string &itemSep,
    const std::string &keySep, bool sortKeys)
{
    std::string out;
    jsonValue(out, v, indent, 0, itemSep, keySep, sortKeys);
    return out;
}

} // namespace lathe::jinja
