// SPDX-License-Identifier: GPL-3.0-or-later
// Jinja2's built-in filters plus transformers' tojson.
#include "text/jinjabuiltins.h"
#include "text/jinjastrings.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace lathe::jinja {
namespace {

// Positional argument i, else keyword `name`, else nullptr.
const Value *arg(const CallArgs &a, std::size_t i, const std::string &name)
{
    if (i < a.positional.size())
        return &a.positional[i];
    for (const auto &[k, v] : a.keyword)
        if (k == name)
            return &v;
    return nullptr;
}

bool flag(const CallArgs &a, std::size_t i, const std::string &name)
{
    const Value *v = arg(a, i, name);
    return v && v->truthy();
}

// Attribute lookup as Jinja2's make_attrgetter does: dotted paths, integer parts as indices.
Value attrPath(const Value &v, const std::string &path)
{
    Value cur = v;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const std::size_t dot = path.find('.', pos);
        const std::string part
            = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        const bool digits = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
        cur = digits ? getItem(cur, Value(static_cast<std::int64_t>(std::stoll(part))))
                     : getItem(cur, Value(part));
        if (dot == std::string::npos)
            break;
        pos = dot + 1;
    }
    return cur;
}

// The text of a Python int()/float() literal: stripped, '_' between digits dropped; empty
// when it holds characters Python would reject (so "0x1A" is not read as hex).
std::string pyNumberText(const std::string &text)
{
    const std::string s = stripString(text, nullptr, true, true);
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '_' && i > 0 && i + 1 < s.size()
            && std::isdigit(static_cast<unsigned char>(s[i - 1]))
            && std::isdigit(static_cast<unsigned char>(s[i + 1])))
            continue;
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != 'e' && c != 'E'
            && c != '+' && c != '-')
            return {};
        out += c;
    }
    return out;
}

Value sortKey(const Value &v, bool caseSensitive)
{
    if (!caseSensitive && v.isString())
        return Value(lowerString(v.str()));
    return v;
}

std::string htmlEscape(const std::string &s)
{
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&#34;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

double roundHalfEven(double x, std::int64_t digits)
{
    const double scale = std::pow(10.0, static_cast<double>(digits));
    const double y = x * scale;
    double r = std::round(y);
    if (std::fabs(y - std::trunc(y)) == 0.5)
        r = 2.0 * std::round(y / 2.0);
    return r / scale;
}

Value selectOrReject(const Value &input, CallArgs &a, bool select, bool byAttr)
{
    List out;
    std::size_t next = 0;
    std::string attribute;
    if (byAttr) {
        if (a.positional.empty() || !a.positional[0].isString())
            throw BuiltinError("selectattr/rejectattr need an attribute name");
        attribute = a.positional[0].str();
        next = 1;
    }
    std::string test;
    if (next < a.positional.size()) {
        if (!a.positional[next].isString())
            throw BuiltinError("the test name must be a string");
        test = a.positional[next].str();
        if (!hasTest(test))
            throw BuiltinError("No test named '" + test + "'.");
    }
    CallArgs testArgs;
    for (std::size_t i = next + 1; i < a.positional.size(); ++i)
        testArgs.positional.push_back(a.positional[i]);
    for (const auto &item : iterate(input)) {
        const Value v = byAttr ? attrPath(item, attribute) : item;
        const bool ok = test.empty() ? v.truthy() : applyTest(test, v, testArgs);
        if (ok == select)
            out.push_back(item);
    }
    return Value::list(std::move(out));
}

std::string indentText(const std::string &text, const Value *width, bool first, bool blank)
{
    std::string ind;
    if (width && width->isString())
        ind = width->str();
    else
        ind.assign(static_cast<std::size_t>(width && width->isInt() ? width->integer() : 4), ' ');
    // Jinja2 appends a newline and splits into lines, so a trailing newline survives.
    const List lines = splitString(text + "\n", Value("\n"), -1);
    std::vector<std::string> parts;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i)
        parts.push_back(lines[i].str());
    std::string rv;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0)
            rv += "\n";
        if (i > 0 && (blank || !parts[i].empty()))
            rv += ind;
        rv += parts[i];
    }
    if (first)
        rv = ind + rv;
    return rv;
}

} // namespace

Value applyFilter(const std::string &name, const Value &input, CallArgs &a)
{
    const auto &p = a.positional;
    if (name == "default" || name == "d") {
        const bool boolean = flag(a, 1, "boolean");
        if (input.isUndefined() || (boolean && !input.truthy())) {
            const Value *d = arg(a, 0, "default_value");
            return d ? *d : Value("");
        }
        return input;
    }
    if (input.isUndefined() && name != "length" && name != "count" && name != "string"
        && name != "trim" && name != "list" && name != "items" && name != "join" && name != "upper"
        && name != "lower" && name != "safe" && name != "escape" && name != "e" && name != "tojson"
        && name != "first" && name != "last")
        throw BuiltinError(input.undefinedHint());
    if (name == "trim") {
        const Value *chars = arg(a, 0, "chars");
        return Value(stripString(
            input.toString(), chars && chars->isString() ? &chars->str() : nullptr, true, true));
    }
    if (name == "upper")
        return Value(upperString(input.toString()));
    if (name == "lower")
        return Value(lowerString(input.toString()));
    if (name == "capitalize")
        return Value(capitalizeString(input.toString()));
    if (name == "title") {
        // Jinja2 capitalises after spaces, '-', and opening brackets.
        auto cps = decodeUtf8(input.toString());
        bool start = true;
        for (auto &c : cps) {
            const bool delim
                = isPySpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
            if (delim) {
                start = true;
                continue;
            }
            std::string one;
            appendUtf8(one, c);
            one = start ? upperString(one) : lowerString(one);
            c = decodeUtf8(one)[0];
            start = false;
        }
        return Value(encodeUtf8(cps));
    }
    if (name == "length" || name == "count")
        return Value(input.length());
    if (name == "first" || name == "last") {
        const List items = iterate(input);
        if (items.empty())
            return Value::undefined("No " + name + " item, sequence was empty.");
        return name == "first" ? items.front() : items.back();
    }
    if (name == "join") {
        const Value *sep = arg(a, 0, "d");
        const Value *attribute = arg(a, 1, "attribute");
        std::string out;
        bool firstItem = true;
        for (const auto &item : iterate(input)) {
            if (!firstItem && sep)
                out += sep->toString();
            firstItem = false;
            out += (attribute ? attrPath(item, attribute->toString()) : item).toString();
        }
        return Value(out);
    }
    if (name == "tojson") {
        const Value *indent = arg(a, 1, "indent");
        const int ind = indent && indent->isInt() ? static_cast<int>(indent->integer()) : -1;
        std::string itemSep = ind >= 0 ? "," : ", ";
        std::string keySep = ": ";
        if (const Value *sep = arg(a, 2, "separators");
            sep && sep->isList() && sep->items().size() == 2) {
            itemSep = sep->items()[0].toString();
            keySep = sep->items()[1].toString();
        }
        std::string text = toJson(input, ind, itemSep, keySep, flag(a, 3, "sort_keys"));
        if (flag(a, 0, "ensure_ascii")) {
            // Escape non-ASCII as \uXXXX (UTF-16 surrogate pairs above the BMP), as json.dumps
            // does.
            std::string ascii;
            for (char32_t cp : decodeUtf8(text)) {
                char b[16];
                if (cp < 0x80) {
                    ascii += static_cast<char>(cp);
                } else if (cp < 0x10000) {
                    std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(cp));
                    ascii += b;
                } else {
                    const unsigned v = static_cast<unsigned>(cp) - 0x10000;
                    std::snprintf(
                        b, sizeof b, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
                    ascii += b;
                }
            }
            text = ascii;
        }
        return Value(text);
    }
    if (name == "string")
        return Value(input.toString());
    if (name == "format") {
        // "%s, %s"|format(a, b) is Python's printf-style formatting.
        if (!a.keyword.empty()) {
            Value named = Value::dict();
            for (const auto &[k, v] : a.keyword)
                named.entries().set(Value(k), v);
            return Value(percentFormat(input.toString(), named));
        }
        return Value(percentFormat(input.toString(), Value::list(p, true)));
    }
    if (name == "int") {
        const Value *d = arg(a, 0, "default");
        const Value dflt = d ? *d : Value(0);
        if (input.isNumber())
            return Value(input.isFloat() ? static_cast<std::int64_t>(std::trunc(input.number()))
                                         : input.integer());
        if (input.isString()) {
            const std::string s = pyNumberText(input.str());
            try {
                std::size_t used = 0;
                const long long v = std::stoll(s, &used, 10);
                if (used == s.size())
                    return Value(static_cast<std::int64_t>(v));
                const double f = std::stod(s, &used);
                if (used == s.size())
                    return Value(static_cast<std::int64_t>(std::trunc(f)));
            } catch (const std::exception &) {
            }
        }
        return dflt;
    }
    if (name == "float") {
        const Value *d = arg(a, 0, "default");
        if (input.isNumber())
            return Value(input.number());
        if (input.isString()) {
            try {
                std::size_t used = 0;
                const std::string s = pyNumberText(input.str());
                const double f = std::stod(s, &used);
                if (used == s.size())
                    return Value(f);
            } catch (const std::exception &) {
            }
        }
        return d ? *d : Value(0.0);
    }
    if (name == "list")
        return Value::list(iterate(input));
    if (name == "items") {
        List out;
        if (input.isDict())
            for (const auto &[k, v] : input.entries().entries)
                out.push_back(Value::list({ k, v }, true));
        else if (!input.isUndefined())
            throw BuiltinError("can only get item pairs from a mapping.");
        return Value::list(std::move(out));
    }
    if (name == "dictsort") {
        if (!input.isDict())
            throw BuiltinError("dictsort needs a mapping");
        auto entries = input.entries().entries;
        const bool cs = flag(a, 0, "case_sensitive");
        std::stable_sort(entries.begin(), entries.end(), [&](const auto &x, const auto &y) {
            return compareValues(sortKey(x.first, cs), sortKey(y.first, cs)) < 0;
        });
        List out;
        for (const auto &[k, v] : entries)
            out.push_back(Value::list({ k, v }, true));
        return Value::list(std::move(out));
    }
    if (name == "replace") {
        if (p.size() < 2)
            throw BuiltinError("replace needs the old and the new string");
        const std::int64_t count = p.size() > 2 && p[2].isInt() ? p[2].integer() : -1;
        return Value(replaceString(input.toString(), p[0].toString(), p[1].toString(), count));
    }
    if (name == "round") {
        const Value *prec = arg(a, 0, "precision");
        const Value *method = arg(a, 1, "method");
        const std::int64_t digits = prec && prec->isInt() ? prec->integer() : 0;
        const std::string m = method ? method->toString() : "common";
        if (!input.isNumber())
            throw BuiltinError("round needs a number");
        const double scale = std::pow(10.0, static_cast<double>(digits));
        if (m == "ceil")
            return Value(std::ceil(input.number() * scale) / scale);
        if (m == "floor")
            return Value(std::floor(input.number() * scale) / scale);
        return Value(roundHalfEven(input.number(), digits));
    }
    if (name == "abs") {
        if (input.isFloat())
            return Value(std::fabs(input.number()));
        if (input.isNumber())
            return Value(input.integer() < 0 ? -input.integer() : input.integer());
        throw BuiltinError("bad operand type for abs(): '" + input.typeName() + "'");
    }
    if (name == "attr")
        return getAttribute(input, p.empty() ? std::string() : p[0].toString());
    if (name == "map") {
        List out;
        const Value *attribute = arg(a, 99, "attribute");
        if (attribute) {
            const Value *dflt = arg(a, 99, "default");
            for (const auto &item : iterate(input)) {
                Value v = attrPath(item, attribute->toString());
                out.push_back(v.isUndefined() && dflt ? *dflt : v);
            }
            return Value::list(std::move(out));
        }
        if (p.empty() || !p[0].isString())
            throw BuiltinError("map needs a filter name or attribute=");
        CallArgs rest;
        rest.positional.assign(p.begin() + 1, p.end());
        rest.keyword = a.keyword;
        for (const auto &item : iterate(input)) {
            CallArgs copy = rest;
            out.push_back(applyFilter(p[0].str(), item, copy));
        }
        return Value::list(std::move(out));
    }
    if (name == "select" || name == "reject")
        return selectOrReject(input, a, name == "select", false);
    if (name == "selectattr" || name == "rejectattr")
        return selectOrReject(input, a, name == "selectattr", true);
    if (name == "unique" || name == "sort") {
        const bool cs = flag(a, name == "sort" ? 1 : 0, "case_sensitive");
        const Value *attribute = arg(a, name == "sort" ? 2 : 1, "attribute");
        auto key = [&](const Value &v) {
            return sortKey(attribute ? attrPath(v, attribute->toString()) : v, cs);
        };
        List items = iterate(input);
        if (name == "sort") {
            const bool reverse = flag(a, 0, "reverse");
            std::stable_sort(items.begin(), items.end(), [&](const Value &x, const Value &y) {
                const int c = compareValues(key(x), key(y));
                return reverse ? c > 0 : c < 0;
            });
            return Value::list(std::move(items));
        }
        List out, seen;
        for (const auto &item : items) {
            const Value k = key(item);
            if (std::find(seen.begin(), seen.end(), k) == seen.end()) {
                seen.push_back(k);
                out.push_back(item);
            }
        }
        return Value::list(std::move(out));
    }
    if (name == "reverse") {
        if (input.isString()) {
            auto cps = decodeUtf8(input.str());
            std::reverse(cps.begin(), cps.end());
            return Value(encodeUtf8(cps));
        }
        List items = iterate(input);
        std::reverse(items.begin(), items.end());
        return Value::list(std::move(items));
    }
    if (name == "batch") {
        const Value *count = arg(a, 0, "linecount");
        const Value *fill = arg(a, 1, "fill_with");
        if (!count || !count->isInt() || count->integer() <= 0)
            throw BuiltinError("batch needs a positive line count");
        const auto n = static_cast<std::size_t>(count->integer());
        List out, cur;
        for (const auto &item : iterate(input)) {
            cur.push_back(item);
            if (cur.size() == n) {
                out.push_back(Value::list(std::move(cur)));
                cur.clear();
            }
        }
        if (!cur.empty()) {
            while (fill && !fill->isNone() && cur.size() < n)
                cur.push_back(*fill);
            out.push_back(Value::list(std::move(cur)));
        }
        return Value::list(std::move(out));
    }
    if (name == "safe")
        return input;
    if (name == "escape" || name == "e" || name == "forceescape")
        return Value(htmlEscape(input.toString()));
    if (name == "indent")
        return Value(indentText(
            input.toString(), arg(a, 0, "width"), flag(a, 1, "first"), flag(a, 2, "blank")));
    if (name == "wordcount") {
        std::int64_t n = 0;
        bool inWord = false;
        for (char32_t c : decodeUtf8(input.toString())) {
            const bool w = c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z') || (c > 0x7f && !isPySpace(c));
            if (w && !inWord)
                ++n;
            inWord = w;
        }
        return Value(n);
    }
    if (name == "center") {
        const Value *w = arg(a, 0, "width");
        const std::int64_t width = w && w->isInt() ? w->integer() : 80;
        const std::string s = input.toString();
        const std::int64_t len = static_cast<std::int64_t>(decodeUtf8(s).size());
        if (width <= len)
            return Value(s);
        // Python's str.center puts the extra space on the right unless the width is odd.
        const std::int64_t marg = width - len;
        const std::int64_t left = marg / 2 + (marg & width & 1);
        return Value(std::string(static_cast<std::size_t>(left), ' ') + s
            + std::string(static_cast<std::size_t>(marg - left), ' '));
    }
    if (name == "sum" || name == "min" || name == "max") {
        List items = iterate(input);
        const Value *attribute = arg(a, name == "sum" ? 0 : 1, "attribute");
        if (attribute)
            for (auto &v : items)
                v = attrPath(v, attribute->toString());
        if (name == "sum") {
            const Value *start = arg(a, 1, "start");
            Value acc = start ? *start : Value(0);
            for (const auto &v : items) {
                if (!v.isNumber() || !acc.isNumber())
                    throw BuiltinError("sum needs numbers");
                acc = acc.isFloat() || v.isFloat() ? Value(acc.number() + v.number())
                                                   : Value(acc.integer() + v.integer());
            }
            return acc;
        }
        if (items.empty())
            return Value::undefined("No aggregated item, sequence was empty.");
        const bool cs = flag(a, 0, "case_sensitive");
        Value best = items[0];
        for (const auto &v : items) {
            const int c = compareValues(sortKey(v, cs), sortKey(best, cs));
            if (name == "min" ? c < 0 : c > 0)
                best = v;
        }
        return best;
    }
    if (isJinjaFilter(name))
        throw BuiltinError("the '" + name + "' filter is not supported");
    throw BuiltinError("No filter named '" + name + "'.");
}

} // namespace lathe::jinja
