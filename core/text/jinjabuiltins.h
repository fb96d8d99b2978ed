// SPDX-License-Identifier: GPL-3.0-or-later
// Jinja2's filters, tests, global functions and the Python methods of str, dict and list that
// chat templates call. Errors are thrown as BuiltinError; the interpreter adds the line.
#pragma once

#include "text/jinjainterpreter.h"
#include "text/jinjavalue.h"

#include <stdexcept>
#include <string>

namespace lathe::jinja {

struct BuiltinError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// obj.name: dict keys, then methods of str/dict/list; an Undefined with Jinja2's hint otherwise.
Value getAttribute(const Value &obj, const std::string &name);
// obj[key]: dict keys, list/str indices (negative allowed), then attributes.
Value getItem(const Value &obj, const Value &key);
Value sliceValue(const Value &obj, const Value &start, const Value &stop, const Value &step);
// Python iteration: list items, dict keys, string characters.
List iterate(const Value &v);

Value applyFilter(const std::string &name, const Value &input, CallArgs &args);
bool applyTest(const std::string &name, const Value &v, CallArgs &args);
bool hasTest(const std::string &name);
// Names Jinja2 knows as filters / tests (some of the filters are not implemented here).
bool isJinjaFilter(const std::string &name);
bool isJinjaTest(const std::string &name);
Value makeGlobals(const RenderOptions &options);

// json.dumps(v, ensure_ascii=False, indent=indent, separators=..., sort_keys=...)
std::string toJson(const Value &v, int indent, const std::string &itemSep,
    const std::string &keySep, bool sortKeys);

// Python comparison for sort() and the < <= > >= operators.
int compareValues(const Value &a, const Value &b);

} // namespace lathe::jinja
