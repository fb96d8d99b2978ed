// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/jinjaexpressionparser.h"

#include "text/jinjabuiltins.h"

namespace lathe::jinja {

using TT = Token::Type;

ExprPtr ExpressionParser::make(Expr::Kind k, int line)
{
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = line;
    return e;
}

// A comma-separated list becomes a tuple; a single expression stays as is.
// A comma-separated list becomes a tuple; a single expression stays as is.
ExprPtr ExpressionParser::parseTuple(bool withCond)
{
    const int line = cur().line;
    ExprPtr first = parseExpression(withCond);
    if (!isOp(","))
        return first;
    auto t = make(Expr::Kind::Tuple, line);
    t->children.push_back(std::move(first));
    while (isOp(",")) {
        next();
        if (cur().type == TT::VarEnd || cur().type == TT::BlockEnd || isOp(")"))
            break;
        t->children.push_back(parseExpression(withCond));
    }
    return t;
}

ExprPtr ExpressionParser::parseExpression(bool withCond)
{
    if (++m_depth > kMaxNesting)
        fail("expression nested too deeply");
    ExprPtr e = parseOr();
    if (withCond) {
        while (isName("if")) {
            auto c = make(Expr::Kind::Cond, cur().line);
            next();
            c->children.push_back(std::move(e));
            ++m_soft; // Jinja2 checks filters of a conditional expression only when used
            c->children.push_back(parseOr());
            if (isName("else")) {
                next();
                c->children.push_back(parseExpression(true));
            } else {
                c->children.push_back(nullptr);
            }
            --m_soft;
            e = std::move(c);
        }
    }
    --m_depth;
    return e;
}

ExprPtr ExpressionParser::binary(
    Expr::Kind k, ExprPtr l, ExprPtr r, int line, const std::string &op)
{
    auto e = make(k, line);
    e->name = op;
    e->children.push_back(std::move(l));
    e->children.push_back(std::move(r));
    return e;
}

ExprPtr ExpressionParser::parseOr()
{
    ExprPtr e = parseAnd();
    while (isName("or")) {
        const int line = cur().line;
        next();
        e = binary(Expr::Kind::Or, std::move(e), parseAnd(), line);
    }
    return e;
}

ExprPtr ExpressionParser::parseAnd()
{
    ExprPtr e = parseNot();
    while (isName("and")) {
        const int line = cur().line;
        next();
        e = binary(Expr::Kind::And, std::move(e), parseNot(), line);
    }
    return e;
}

ExprPtr ExpressionParser::parseNot()
{
    if (isName("not")) {
        auto e = make(Expr::Kind::Not, cur().line);
        next();
        if (++m_depth > kMaxNesting)
            fail("expression nested too deeply");
        e->children.push_back(parseNot());
        --m_depth;
        return e;
    }
    return parseCompare();
}

ExprPtr ExpressionParser::parseCompare()
{
    const int line = cur().line;
    ExprPtr first = parseMath1();
    ExprPtr cmp;
    while (true) {
        std::string op;
        if (cur().type == TT::Op
            && (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == ">"
                || cur().text == "<=" || cur().text == ">=")) {
            op = cur().text;
            next();
        } else if (isName("in")) {
            op = "in";
            next();
        } else if (isName("not") && peek().type == TT::Name && peek().text == "in") {
            op = "not in";
            next();
            next();
        } else {
            break;
        }
        if (!cmp) {
            cmp = make(Expr::Kind::Compare, line);
            cmp->children.push_back(std::move(first));
        }
        cmp->ops.push_back(op);
        cmp->children.push_back(parseMath1());
    }
    return cmp ? std::move(cmp) : std::move(first);
}

ExprPtr ExpressionParser::parseMath1()
{
    ExprPtr e = parseConcat();
    while (isOp("+") || isOp("-")) {
        const std::string op = cur().text;
        const int line = cur().line;
        next();
        e = binary(Expr::Kind::Binary, std::move(e), parseConcat(), line, op);
    }
    return e;
}

ExprPtr ExpressionParser::parseConcat()
{
    ExprPtr e = parseMath2();
    while (isOp("~")) {
        const int line = cur().line;
        next();
        e = binary(Expr::Kind::Binary, std::move(e), parseMath2(), line, "~");
    }
    return e;
}

ExprPtr ExpressionParser::parseMath2()
{
    ExprPtr e = parsePow();
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
        const std::string op = cur().text;
        const int line = cur().line;
        next();
        e = binary(Expr::Kind::Binary, std::move(e), parsePow(), line, op);
    }
    return e;
}

ExprPtr ExpressionParser::parsePow()
{
    ExprPtr e = parseUnary(true);
    while (isOp("**")) {
        const int line = cur().line;
        next();
        e = binary(Expr::Kind::Binary, std::move(e), parseUnary(true), line, "**");
    }
    return e;
}

ExprPtr ExpressionParser::parseUnary(bool withFilter)
{
    ExprPtr e;
    if (isOp("-") || isOp("+")) {
        e = make(Expr::Kind::Unary, cur().line);
        e->name = cur().text;
        next();
        if (++m_depth > kMaxNesting)
            fail("expression nested too deeply");
        e->children.push_back(parseUnary(false));
        --m_depth;
    } else {
        e = parsePrimary();
    }
    e = parsePostfix(std::move(e));
    if (withFilter)
        e = parseFilterExpr(std::move(e));
    return e;
}

ExprPtr ExpressionParser::parsePrimary()
{
    const Token &t = cur();
    auto e = make(Expr::Kind::Literal, t.line);
    switch (t.type) {
    case TT::Name:
        if (t.text == "true" || t.text == "True")
            e->literal = Value(true);
        else if (t.text == "false" || t.text == "False")
            e->literal = Value(false);
        else if (t.text == "none" || t.text == "None")
            e->literal = Value::none();
        else {
            e->kind = Expr::Kind::Name;
            e->name = t.text;
        }
        next();
        return e;
    case TT::String: {
        std::string s;
        while (cur().type == TT::String) {
            s += cur().text;
            next();
        }
        e->literal = Value(std::move(s));
        return e;
    }
    case TT::Int:
        e->literal = Value(t.intValue);
        next();
        return e;
    case TT::Float:
        e->literal = Value(t.floatValue);
        next();
        return e;
    default:
        break;
    }
    if (isOp("(")) {
        next();
        if (isOp(")")) {
            next();
            e->kind = Expr::Kind::Tuple;
            return e;
        }
        ExprPtr inner = parseExpression(true);
        if (isOp(",")) {
            auto tup = make(Expr::Kind::Tuple, t.line);
            tup->children.push_back(std::move(inner));
            while (isOp(",")) {
                next();
                if (isOp(")"))
                    break;
                tup->children.push_back(parseExpression(true));
            }
            inner = std::move(tup);
        }
        expectOp(")");
        return inner;
    }
    if (isOp("[")) {
        next();
        e->kind = Expr::Kind::List;
        while (!isOp("]")) {
            if (!e->children.empty()) {
                expectOp(",");
                if (isOp("]"))
                    break;
            }
            e->children.push_back(parseExpression(true));
        }
        next();
        return e;
    }
    if (isOp("{")) {
        next();
        e->kind = Expr::Kind::Dict;
        while (!isOp("}")) {
            if (!e->children.empty()) {
                expectOp(",");
                if (isOp("}"))
                    break;
            }
            e->children.push_back(parseExpression(true));
            expectOp(":");
            e->children.push_back(parseExpression(true));
        }
        next();
        return e;
    }
    fail("unexpected token" + found());
}

ExprPtr ExpressionParser::parsePostfix(ExprPtr e)
{
    while (true) {
        const int line = cur().line;
        if (isOp(".")) {
            next();
            auto a = make(Expr::Kind::Attr, line);
            if (cur().type == TT::Int) {
                a->kind = Expr::Kind::Subscript;
                a->children.push_back(std::move(e));
                auto idx = make(Expr::Kind::Literal, line);
                idx->literal = Value(cur().intValue);
                a->children.push_back(std::move(idx));
                next();
            } else {
                a->name = expectName();
                a->children.push_back(std::move(e));
            }
            e = std::move(a);
        } else if (isOp("[")) {
            next();
            e = parseSubscript(std::move(e), line);
        } else if (isOp("(")) {
            auto c = make(Expr::Kind::Call, line);
            c->children.push_back(std::move(e));
            parseArgs(*c);
            e = std::move(c);
        } else {
            return e;
        }
    }
}

ExprPtr ExpressionParser::parseSubscript(ExprPtr obj, int line)
{
    ExprPtr parts[3];
    int colons = 0;
    if (!isOp(":"))
        parts[0] = parseExpression(true);
    while (isOp(":") && colons < 2) {
        ++colons;
        next();
        if (!isOp(":") && !isOp("]"))
            parts[colons] = parseExpression(true);
    }
    expectOp("]");
    auto e = make(colons ? Expr::Kind::Slice : Expr::Kind::Subscript, line);
    e->children.push_back(std::move(obj));
    e->children.push_back(std::move(parts[0]));
    if (colons) {
        e->children.push_back(std::move(parts[1]));
        e->children.push_back(std::move(parts[2]));
    }
    return e;
}

// Parses "(a, b, key=value)" into e.children (after those already there) and e.argNames.
void ExpressionParser::parseArgs(Expr &e)
{
    expectOp("(");
    bool first = true;
    while (!isOp(")")) {
        if (!first) {
            expectOp(",");
            if (isOp(")"))
                break;
        }
        first = false;
        if (cur().type == TT::Name && peek().type == TT::Op && peek().text == "=") {
            e.argNames.push_back(cur().text);
            next();
            next();
        } else {
            e.argNames.emplace_back();
        }
        e.children.push_back(parseExpression(true));
    }
    next();
}

ExprPtr ExpressionParser::parseFilterChain(ExprPtr input)
{
    if (isOp("|"))
        next();
    ExprPtr e = parseOneFilter(std::move(input));
    while (isOp("|")) {
        next();
        e = parseOneFilter(std::move(e));
    }
    return e;
}

ExprPtr ExpressionParser::parseOneFilter(ExprPtr input)
{
    auto f = make(Expr::Kind::Filter, cur().line);
    f->name = expectName();
    while (isOp(".")) {
        next();
        f->name += "." + expectName();
    }
    // Jinja2 rejects unknown filters when compiling, except inside {% if %} blocks.
    if (m_soft == 0 && !isJinjaFilter(f->name))
        fail("No filter named '" + f->name + "'.");
    f->children.push_back(std::move(input));
    if (isOp("("))
        parseArgs(*f);
    return f;
}

ExprPtr ExpressionParser::parseFilterExpr(ExprPtr e)
{
    while (true) {
        if (isOp("|")) {
            next();
            e = parseOneFilter(std::move(e));
        } else if (isName("is")) {
            auto t = make(Expr::Kind::Test, cur().line);
            next();
            if (isName("not")) {
                t->negated = true;
                next();
            }
            t->name = expectName();
            if (isName("is"))
                fail("You cannot chain multiple tests with is");
            if (m_soft == 0 && !isJinjaTest(t->name))
                fail("No test named '" + t->name + "'.");
            t->children.push_back(std::move(e));
            if (isOp("(")) {
                parseArgs(*t);
            } else if ((cur().type == TT::Name || cur().type == TT::String || cur().type == TT::Int
                           || cur().type == TT::Float || isOp("[") || isOp("{"))
                && !isName("else") && !isName("or") && !isName("and")) {
                // As in Jinja2, any other name here is the test's argument ("x is sameas y").
                t->argNames.emplace_back();
                t->children.push_back(parsePostfix(parsePrimary()));
            }
            e = std::move(t);
        } else if (isOp("(")) {
            auto c = make(Expr::Kind::Call, cur().line);
            c->children.push_back(std::move(e));
            parseArgs(*c);
            e = std::move(c);
        } else {
            return e;
        }
    }
}

std::vector<Token> m_tok;
std::size_t m_pos = 0;
int m_depth = 0;

} // namespace lathe::jinja
