// SPDX-License-Identifier: GPL-3.0-or-later
// Python str semantics on UTF-8 strings (code points, Unicode case and whitespace), used by
// the Jinja string methods and filters.
#pragma once

#include "text/jinjavalue.h"

#include <string>

namespace lathe::jinja {

std::string upperString(const std::string &s);
std::string lowerString(const std::string &s);
std::string titleString(const std::string &s); // str.title()
std::string capitalizeString(const std::string &s); // str.capitalize()
// str.strip/lstrip/rstrip; `chars` of nullptr means whitespace.
std::string stripString(const std::string &s, const std::string *chars, bool left, bool right);
List splitString(const std::string &s, const Value &sep, std::int64_t maxsplit);
std::string replaceString(
    const std::string &s, const std::string &old, const std::string &with, std::int64_t count);

// Python's printf-style `fmt % args` (%s %r %d %i %f %x %%, flags, width, precision).
std::string percentFormat(const std::string &fmt, const Value &args);

// s.<name>(args) for the str methods templates use.
Value callStringMethod(const std::string &s, const std::string &name, CallArgs &args);

} // namespace lathe::jinja
