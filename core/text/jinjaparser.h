// SPDX-License-Identifier: GPL-3.0-or-later
// Syntax tree of a Jinja template and the parser that builds it from jinjalexer tokens.
// Grammar and operator precedence follow Jinja2's parser.
#pragma once

#include "text/jinjalexer.h"
#include "text/jinjavalue.h"

#include <memory>
#include <string>
#include <vector>

namespace lathe::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        Literal,
        Name,
        List,
        Tuple,
        Dict,
        Attr,
        Subscript,
        Slice,
        Call,
        Filter,
        Test,
        Unary,
        Binary,
        Compare,
        And,
        Or,
        Not,
        Cond
    };
    Kind kind = Kind::Literal;
    int line = 1;
    Value literal;
    std::string name; // variable, attribute, filter, test, operator
    std::vector<ExprPtr> children; // operands; Slice may hold nullptr parts
    std::vector<std::string> argNames; // Call/Filter/Test: per argument, "" when positional
    std::vector<std::string> ops; // Compare: operators between children
    bool negated = false; // Test: "is not"

    Expr() = default;
    Expr(const Expr &) = delete;
    Expr &operator=(const Expr &) = delete;
    // Iterative, so that very long operator chains (a + a + ... + a) cannot overflow the stack.
    ~Expr();
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
    enum class Kind {
        Text,
        Output,
        If,
        For,
        Set,
        SetBlock,
        Macro,
        Break,
        Continue,
        FilterBlock,
        Block
    };
    Kind kind = Kind::Text;
    int line = 1;
    std::string text; // Text
    std::vector<ExprPtr> exprs; // Output: value; If: conditions; For: iter, cond;
                                // Set: value, (target object for ns.attr); Macro: defaults
    std::vector<Body> bodies; // If: one per condition (+ else); For: body, else
    std::vector<std::string> names; // For/Set targets; Macro: name then parameters
    std::string attr; // Set ns.attr: the attribute; Macro: 'v'/'k' when it uses varargs/kwargs
    ExprPtr filter; // SetBlock / FilterBlock: filter chain (input is nullptr)
};

// Parses the whole template; throws TemplateError naming the line on syntax errors.
Body parseTemplate(const std::string &source);

} // namespace lathe::jinja
