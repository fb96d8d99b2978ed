// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/jinjaparser.h"

#include <set>

namespace lathe::jinja {
namespace {

using TT = Token::Type;
constexpr int kMaxNesting = 200;

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : m_tok(std::move(tokens)) {}

    Body parseAll()
    {
        std::string endTag;
        Body body = parseBody({}, endTag);
        return body;
    }

private:
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
        throw TemplateError("template syntax error at line " + std::to_string(cur().line) + ": " +
                            what);
    }

    bool isOp(const char *op) const { return cur().type == TT::Op && cur().text == op; }
    bool isName(const char *n) const { return cur().type == TT::Name && cur().text == n; }
    void expectOp(const char *op)
    {
        if (!isOp(op))
            fail(std::string("expected '") + op + "'" + found());
        next();
    }
    std::string found() const
    {
        switch (cur().type) {
        case TT::BlockEnd:
            return ", found end of statement block";
        case TT::VarEnd:
            return ", found end of print statement";
        case TT::Eof:
            return ", found end of template";
        default:
            return ", found '" + cur().text + "'";
        }
    }
    std::string expectName()
    {
        if (cur().type != TT::Name)
            fail("expected a name" + found());
        std::string n = cur().text;
        next();
        return n;
    }
    void expectBlockEnd()
    {
        if (cur().type != TT::BlockEnd)
            fail("expected end of statement block" + found());
        next();
    }

    // Parses statements until one of `ends` opens a block; returns that tag name in endTag.
    Body parseBody(const std::set<std::string> &ends, std::string &endTag)
    {
        Body body;
        while (true) {
            const Token &t = cur();
            if (t.type == TT::Eof) {
                if (!ends.empty()) {
                    std::string want = *ends.begin();
                    for (const auto &e : ends)
                        if (e.rfind("end", 0) == 0)
                            want = e;
                    fail("unexpected end of template, expected '" + want + "'");
                }
                return body;
            }
            if (t.type == TT::Text) {
                auto s = std::make_unique<Stmt>();
                s->kind = Stmt::Kind::Text;
                s->line = t.line;
                s->text = t.text;
                body.push_back(std::move(s));
                next();
            } else if (t.type == TT::VarBegin) {
                auto s = std::make_unique<Stmt>();
                s->kind = Stmt::Kind::Output;
                s->line = t.line;
                next();
                s->exprs.push_back(parseTuple(true));
                if (cur().type != TT::VarEnd)
                    fail("expected end of print statement" + found());
                next();
                body.push_back(std::move(s));
            } else if (t.type == TT::BlockBegin) {
                next();
                if (cur().type != TT::Name)
                    fail("expected a statement name" + found());
                if (ends.count(cur().text)) {
                    endTag = cur().text;
                    next();
                    return body;
                }
                body.push_back(parseStatement());
            } else {
                fail("unexpected token" + found());
            }
        }
    }

    StmtPtr parseStatement()
    {
        if (++m_depth > kMaxNesting)
            fail("blocks nested too deeply");
        auto s = std::make_unique<Stmt>();
        s->line = cur().line;
        const std::string kw = expectName();
        if (kw == "if")
            parseIf(*s);
        else if (kw == "for")
            parseFor(*s);
        else if (kw == "set")
            parseSet(*s);
        else if (kw == "macro")
            parseMacro(*s);
        else if (kw == "break" || kw == "continue") {
            s->kind = kw == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue;
            expectBlockEnd();
        } else if (kw == "filter") {
            s->kind = Stmt::Kind::FilterBlock;
            s->filter = parseFilterChain(nullptr);
            expectBlockEnd();
            std::string end;
            s->bodies.push_back(parseBody({"endfilter"}, end));
            expectBlockEnd();
        } else if (kw == "generation") {
            // transformers' assistant-mask extension: renders its body unchanged.
            s->kind = Stmt::Kind::Block;
            expectBlockEnd();
            std::string end;
            s->bodies.push_back(parseBody({"endgeneration"}, end));
            expectBlockEnd();
        } else {
            fail("unknown or unsupported tag '" + kw + "'");
        }
        --m_depth;
        return s;
    }

    void parseIf(Stmt &s)
    {
        s.kind = Stmt::Kind::If;
        s.exprs.push_back(parseTuple(true));
        expectBlockEnd();
        while (true) {
            std::string end;
            s.bodies.push_back(parseBody({"elif", "else", "endif"}, end));
            if (end == "elif") {
                s.exprs.push_back(parseTuple(true));
                expectBlockEnd();
            } else if (end == "else") {
                expectBlockEnd();
                s.bodies.push_back(parseBody({"endif"}, end));
                expectBlockEnd();
                return;
            } else {
                expectBlockEnd();
                return;
            }
        }
    }

    std::vector<std::string> parseTargets()
    {
        std::vector<std::string> names;
        const bool paren = isOp("(");
        if (paren)
            next();
        names.push_back(expectName());
        while (isOp(",")) {
            next();
            if (cur().type != TT::Name)
                break;
            names.push_back(expectName());
        }
        if (paren)
            expectOp(")");
        return names;
    }

    void parseFor(Stmt &s)
    {
        s.kind = Stmt::Kind::For;
        s.names = parseTargets();
        if (!isName("in"))
            fail("expected 'in'" + found());
        next();
        s.exprs.push_back(parseTuple(false));
        if (isName("if")) {
            next();
            s.exprs.push_back(parseExpression(true));
        } else {
            s.exprs.push_back(nullptr);
        }
        if (isName("recursive"))
            fail("recursive for loops are not supported");
        expectBlockEnd();
        std::string end;
        s.bodies.push_back(parseBody({"else", "endfor"}, end));
        if (end == "else") {
            expectBlockEnd();
            s.bodies.push_back(parseBody({"endfor"}, end));
        } else {
            s.bodies.emplace_back();
        }
        expectBlockEnd();
    }

    void parseSet(Stmt &s)
    {
        s.kind = Stmt::Kind::Set;
        if (cur().type == TT::Name && peek().type == TT::Op && peek().text == ".") {
            auto target = std::make_unique<Expr>();
            target->kind = Expr::Kind::Name;
            target->line = cur().line;
            target->name = expectName();
            next();
            s.attr = expectName();
            expectOp("=");
            s.exprs.push_back(parseTuple(true));
            s.exprs.push_back(std::move(target));
            expectBlockEnd();
            return;
        }
        s.names = parseTargets();
        if (isOp("=")) {
            next();
            s.exprs.push_back(parseTuple(true));
            expectBlockEnd();
            return;
        }
        s.kind = Stmt::Kind::SetBlock;
        if (isOp("|"))
            s.filter = parseFilterChain(nullptr);
        expectBlockEnd();
        std::string end;
        s.bodies.push_back(parseBody({"endset"}, end));
        expectBlockEnd();
    }

    void parseMacro(Stmt &s)
    {
        s.kind = Stmt::Kind::Macro;
        s.names.push_back(expectName());
        expectOp("(");
        while (!isOp(")")) {
            if (s.names.size() > 1)
                expectOp(",");
            if (isOp(")"))
                break;
            s.names.push_back(expectName());
            if (isOp("=")) {
                next();
                s.exprs.push_back(parseExpression(true));
            } else {
                s.exprs.push_back(nullptr);
            }
        }
        next();
        expectBlockEnd();
        std::string end;
        s.bodies.push_back(parseBody({"endmacro"}, end));
        if (cur().type == TT::Name)
            next(); // {% endmacro name %}
        expectBlockEnd();
    }

    ExprPtr make(Expr::Kind k, int line)
    {
        auto e = std::make_unique<Expr>();
        e->kind = k;
        e->line = line;
        return e;
    }

    // A comma-separated list becomes a tuple; a single expression stays as is.
    ExprPtr parseTuple(bool withCond)
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

    ExprPtr parseExpression(bool withCond = true)
    {
        if (++m_depth > kMaxNesting)
            fail("expression nested too deeply");
        ExprPtr e = parseOr();
        if (withCond) {
            while (isName("if")) {
                auto c = make(Expr::Kind::Cond, cur().line);
                next();
                c->children.push_back(std::move(e));
                c->children.push_back(parseOr());
                if (isName("else")) {
                    next();
                    c->children.push_back(parseExpression(true));
                } else {
                    c->children.push_back(nullptr);
                }
                e = std::move(c);
            }
        }
        --m_depth;
        return e;
    }

    ExprPtr binary(Expr::Kind k, ExprPtr l, ExprPtr r, int line, const std::string &op = {})
    {
        auto e = make(k, line);
        e->name = op;
        e->children.push_back(std::move(l));
        e->children.push_back(std::move(r));
        return e;
    }

    ExprPtr parseOr()
    {
        ExprPtr e = parseAnd();
        while (isName("or")) {
            const int line = cur().line;
            next();
            e = binary(Expr::Kind::Or, std::move(e), parseAnd(), line);
        }
        return e;
    }

    ExprPtr parseAnd()
    {
        ExprPtr e = parseNot();
        while (isName("and")) {
            const int line = cur().line;
            next();
            e = binary(Expr::Kind::And, std::move(e), parseNot(), line);
        }
        return e;
    }

    ExprPtr parseNot()
    {
        if (isName("not")) {
            auto e = make(Expr::Kind::Not, cur().line);
            next();
            e->children.push_back(parseNot());
            return e;
        }
        return parseCompare();
    }

    ExprPtr parseCompare()
    {
        const int line = cur().line;
        ExprPtr first = parseMath1();
        ExprPtr cmp;
        while (true) {
            std::string op;
            if (cur().type == TT::Op &&
                (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                 cur().text == ">" || cur().text == "<=" || cur().text == ">=")) {
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

    ExprPtr parseMath1()
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

    ExprPtr parseConcat()
    {
        ExprPtr e = parseMath2();
        while (isOp("~")) {
            const int line = cur().line;
            next();
            e = binary(Expr::Kind::Binary, std::move(e), parseMath2(), line, "~");
        }
        return e;
    }

    ExprPtr parseMath2()
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

    ExprPtr parsePow()
    {
        ExprPtr e = parseUnary(true);
        while (isOp("**")) {
            const int line = cur().line;
            next();
            e = binary(Expr::Kind::Binary, std::move(e), parseUnary(true), line, "**");
        }
        return e;
    }

    ExprPtr parseUnary(bool withFilter)
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

    ExprPtr parsePrimary()
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

    ExprPtr parsePostfix(ExprPtr e)
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

    ExprPtr parseSubscript(ExprPtr obj, int line)
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
    void parseArgs(Expr &e)
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

    ExprPtr parseFilterChain(ExprPtr input)
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

    ExprPtr parseOneFilter(ExprPtr input)
    {
        auto f = make(Expr::Kind::Filter, cur().line);
        f->name = expectName();
        while (isOp(".")) {
            next();
            f->name += "." + expectName();
        }
        f->children.push_back(std::move(input));
        if (isOp("("))
            parseArgs(*f);
        return f;
    }

    ExprPtr parseFilterExpr(ExprPtr e)
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
                t->children.push_back(std::move(e));
                if (isOp("(")) {
                    parseArgs(*t);
                } else if ((cur().type == TT::Name || cur().type == TT::String ||
                            cur().type == TT::Int || cur().type == TT::Float || isOp("[") ||
                            isOp("{")) &&
                           !isName("else") && !isName("or") && !isName("and") &&
                           !isName("if") && !isName("in") && !isName("not") && !isName("is")) {
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
};

} // namespace

Body parseTemplate(const std::string &source)
{
    return Parser(tokenizeTemplate(source)).parseAll();
}

} // namespace lathe::jinja
