// SPDX-License-Identifier: GPL-3.0-or-later
// The value type of the Jinja interpreter: what template variables hold. Mirrors the Python
// objects Jinja2 sees when transformers renders a chat template (None, bool, int, float, str,
// list/tuple, insertion-ordered dict, namespace, callables) plus Jinja2's Undefined.
#pragma once

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lathe {

// A chat template could not be parsed, or rendering it failed (including raise_exception()).
class TemplateError : public Error {
public:
    using Error::Error;
};

namespace jinja {

class Value;
struct Dict;
using List = std::vector<Value>;

// Arguments of a call: positional ones, then name=value ones in source order.
struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keyword;
};
using Function = std::function<Value(CallArgs &)>;

class Value {
public:
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Callable };

    Value() = default;
    Value(bool b)
        : m_kind(Kind::Bool)
        , m_int(b ? 1 : 0)
    {
    }
    Value(int i)
        : m_kind(Kind::Int)
        , m_int(i)
    {
    }
    Value(std::int64_t i)
        : m_kind(Kind::Int)
        , m_int(i)
    {
    }
    Value(double f)
        : m_kind(Kind::Float)
        , m_float(f)
    {
    }
    Value(std::string s)
        : m_kind(Kind::String)
        , m_str(std::move(s))
    {
    }
    Value(const char *s)
        : m_kind(Kind::String)
        , m_str(s)
    {
    }

    // `hint` is the message Jinja2 would raise when the undefined value is used.
    static Value undefined(std::string hint);
    static Value none();
    static Value list(List items = {}, bool tuple = false);
    static Value dict();
    static Value makeNamespace();
    static Value function(Function f);

    template <class Json> static Value fromJson(const Json &j);

    Kind kind() const { return m_kind; }
    bool isUndefined() const { return m_kind == Kind::Undefined; }
    bool isNone() const { return m_kind == Kind::None; }
    bool isBool() const { return m_kind == Kind::Bool; }
    bool isInt() const { return m_kind == Kind::Int; }
    bool isFloat() const { return m_kind == Kind::Float; }
    bool isNumber() const { return isInt() || isFloat() || isBool(); }
    bool isString() const { return m_kind == Kind::String; }
    bool isList() const { return m_kind == Kind::List; }
    bool isDict() const { return m_kind == Kind::Dict; }
    bool isCallable() const { return m_kind == Kind::Callable; }
    bool isTuple() const { return isList() && m_flag; }
    bool isNamespace() const { return isDict() && m_flag; }

    bool boolean() const { return m_int != 0; }
    std::int64_t integer() const { return m_int; }
    double number() const { return isFloat() ? m_float : static_cast<double>(m_int); }
    const std::string &str() const { return m_str; }
    List &items() const { return *m_list; }
    Dict &entries() const { return *m_dict; }
    Function &callable() const { return *m_fn; }
    const std::string &undefinedHint() const { return m_str; }

    bool truthy() const;
    std::string toString() const; // Python str()
    std::string repr() const; // Python repr()
    std::string repr(int depth) const;
    std::string typeName() const; // Python type name, as in "'dict object' has no attribute"
    bool operator==(const Value &other) const;

    // Length in Python terms (code points for strings); throws for values without one.
    std::int64_t length() const;

private:
    Kind m_kind = Kind::Undefined;
    bool m_flag = false; // tuple for lists, namespace for dicts
    std::int64_t m_int = 0;
    double m_float = 0.0;
    std::string m_str;
    std::shared_ptr<List> m_list;
    std::shared_ptr<Dict> m_dict;
    std::shared_ptr<Function> m_fn;
};

// Insertion-ordered mapping, as Python dicts are.
struct Dict {
    std::vector<std::pair<Value, Value>> entries;

    const Value *find(const Value &key) const;
    const Value *find(const std::string &key) const;
    void set(const Value &key, Value value);
};

template <class Json> Value Value::fromJson(const Json &j)
{
    if (j.is_null())
        return none();
    if (j.is_boolean())
        return Value(j.template get<bool>());
    if (j.is_number_unsigned() && j.template get<std::uint64_t>() > INT64_MAX)
        return Value(static_cast<double>(j.template get<std::uint64_t>())); // beyond int64
    if (j.is_number_integer())
        return Value(j.template get<std::int64_t>());
    if (j.is_number_float())
        return Value(j.template get<double>());
    if (j.is_string())
        return Value(j.template get<std::string>());
    if (j.is_array()) {
        List items;
        for (const auto &e : j)
            items.push_back(fromJson(e));
        return list(std::move(items));
    }
    if (j.is_object()) {
        Value d = dict();
        for (auto it = j.begin(); it != j.end(); ++it)
            d.entries().entries.emplace_back(Value(it.key()), fromJson(it.value()));
        return d;
    }
    return none();
}

// UTF-8 helpers: Python strings count and index code points.
std::vector<char32_t> decodeUtf8(const std::string &s);
std::string encodeUtf8(const std::vector<char32_t> &cps);
void appendUtf8(std::string &out, char32_t cp);
bool isPySpace(char32_t cp);
std::string pyFloatRepr(double f);
std::string pyStringRepr(const std::string &s);

} // namespace jinja
} // namespace lathe
