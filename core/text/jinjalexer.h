// SPDX-License-Identifier: GPL-3.0-or-later
// Splits a Jinja template into tokens the way Jinja2 does with trim_blocks and lstrip_blocks on
// (transformers' settings): text, {{ }} and {% %} delimiters, and the expression tokens inside.
// Whitespace control (-, +), comments and {% raw %} are resolved here, so the parser only
// sees text that is printed verbatim.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::jinja {

struct Token {
    enum class Type {
        Text,
        VarBegin,
        VarEnd,
        BlockBegin,
        BlockEnd,
        Name,
        String,
        Int,
        Float,
        Op,
        Eof
    };
    Type type = Type::Eof;
    std::string text; // text, name, operator or decoded string literal
    std::int64_t intValue = 0;
    double floatValue = 0.0;
    int line = 1;
};

// Throws TemplateError with the line number on unterminated tags, strings or comments.
std::vector<Token> tokenizeTemplate(const std::string &source);

} // namespace lathe::jinja
