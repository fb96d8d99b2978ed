// SPDX-License-Identifier: GPL-3.0-or-later
// Parses Jinja expressions (operators, literals, filters, tests, calls) from jinjalexer tokens
// with Jinja2's precedence. The statement parser (jinjaparser.cpp) builds on it.
#pragma once

#include "text/jinjalexer.h"
#include "text/jinjaparser.h"

#include <string>
#include <vector>

namespace lathe::jinja {

class ExpressionParser {
public:
    explicit ExpressionParser(std::vector<Token> tokens)
        : m_tok(std::move(tokens))
    {
    }

    // A comma-separated list becomes a tuple; a single expression stays as is.
    ExprPtr parseTuple(bool withCond);
    ExprPtr parseExpression(bool withCond = true);
    ExprPtr parseFilterChain(ExprPtr input);

protected:
    const Token &cur() const { return m_tok[m_pos]; }
    const Token &peek(std::size_t n = 1) const
    {
        return m_tok[std::min(m_pos + n, m_tok.size() - 1)];
    }
    void next()
    {
        if (m_pos + 1 < m_tok.size())
            ++m_pos;
    }

    [[noreturn]] void fail(const std::string &what) const
    {
        throw TemplateError(
            "template syntax error at line " + std::to_string(cur().line) + ": " + what);
    }

    bool isOp(const char *op) const { return cur().type == Token::Type::Op && cur().text == op; }
    bool isName(const char *n) const { return cur().type == Token::Type::Name && cur().text == n; }
    void expectOp(const char *op)
    {
        if (!isOp(op))
            fail(std::string("expected '") + op + "'" + found());
        next();
    }
    std::string found() const
    {
        switch (cur().type) {
        case Token::Type::BlockEnd:
            return ", found end of statement block";
        case Token::Type::VarEnd:
            return ", found end of print statement";
        case Token::Type::Eof:
            return ", found end of template";
        default:
            return ", found '" + cur().text + "'";
        }
    }
    std::string expectName()
    {
        if (cur().type != Token::Type::Name)
            fail("expected a name" + found());
        std::string n = cur().text;
        next();
        return n;
    }
    void expectBlockEnd()
    {
        if (cur().type != Token::Type::BlockEnd)
            fail("expected end of statement block" + found());
        next();
    }

    static constexpr int kMaxNesting = 200;
    std::vector<Token> m_tok;
    std::size_t m_pos = 0;
    int m_depth = 0;
    int m_soft = 0; // inside {% if %}: unknown filters and tests fail only when used

private:
    ExprPtr make(Expr::Kind k, int line);
    ExprPtr binary(Expr::Kind k, ExprPtr l, ExprPtr r, int line, const std::string &op = {});
    ExprPtr parseOr();
    ExprPtr parseAnd();
    ExprPtr parseNot();
    ExprPtr parseCompare();
    ExprPtr parseMath1();
    ExprPtr parseConcat();
    ExprPtr parseMath2();
    ExprPtr parsePow();
    ExprPtr parseUnary(bool withFilter);
    ExprPtr parsePrimary();
    ExprPtr parsePostfix(ExprPtr e);
    ExprPtr parseSubscript(ExprPtr obj, int line);
    void parseArgs(Expr &e);
    ExprPtr parseOneFilter(ExprPtr input);
    ExprPtr parseFilterExpr(ExprPtr e);
};

} // namespace lathe::jinja
