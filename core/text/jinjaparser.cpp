// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/jinjaparser.h"

#include "text/jinjaexpressionparser.h"

#include <set>

namespace lathe::jinja {
namespace {

using TT = Token::Type;

class Parser : public ExpressionParser {
public:
    explicit Parser(std::vector<Token> tokens)
        : ExpressionParser(std::move(tokens))
    {
    }

    Body parseAll()
    {
        std::string endTag;
        Body body = parseBody({}, endTag);
        return body;
    }

private:
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

    // Loop and macro bodies are new frames in Jinja2, where unknown filters fail again at
    // compile time even inside an {% if %}.
    Body parseFrame(const std::set<std::string> &ends, std::string &endTag)
    {
        const int soft = m_soft;
        m_soft = 0;
        Body body = parseBody(ends, endTag);
        m_soft = soft;
        return body;
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
            s->bodies.push_back(parseBody({ "endfilter" }, end));
            expectBlockEnd();
        } else if (kw == "generation") {
            // transformers' assistant-mask extension: renders its body unchanged.
            s->kind = Stmt::Kind::Block;
            expectBlockEnd();
            std::string end;
            s->bodies.push_back(parseBody({ "endgeneration" }, end));
            expectBlockEnd();
        } else {
            fail("unknown or unsupported tag '" + kw + "'");
        }
        --m_depth;
        return s;
    }

    void parseIf(Stmt &s)
    {
        ++m_soft;
        parseIfBody(s);
        --m_soft;
    }

    void parseIfBody(Stmt &s)
    {
        s.kind = Stmt::Kind::If;
        s.exprs.push_back(parseTuple(true));
        expectBlockEnd();
        while (true) {
            std::string end;
            s.bodies.push_back(parseBody({ "elif", "else", "endif" }, end));
            if (end == "elif") {
                s.exprs.push_back(parseTuple(true));
                expectBlockEnd();
            } else if (end == "else") {
                expectBlockEnd();
                s.bodies.push_back(parseBody({ "endif" }, end));
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
        s.bodies.push_back(parseFrame({ "else", "endfor" }, end));
        if (end == "else") {
            expectBlockEnd();
            s.bodies.push_back(parseFrame({ "endfor" }, end));
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
        s.bodies.push_back(parseBody({ "endset" }, end));
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
        const std::size_t bodyStart = m_pos;
        s.bodies.push_back(parseFrame({ "endmacro" }, end));
        // Like Jinja2, a macro takes extra arguments only when its body uses varargs/kwargs.
        for (std::size_t i = bodyStart; i < m_pos; ++i) {
            if (m_tok[i].type == TT::Name && m_tok[i].text == "varargs")
                s.attr += 'v';
            if (m_tok[i].type == TT::Name && m_tok[i].text == "kwargs")
                s.attr += 'k';
        }
        if (cur().type == TT::Name)
            next(); // {% endmacro name %}
        expectBlockEnd();
    }
};

} // namespace

Expr::~Expr()
{
    std::vector<ExprPtr> pending;
    for (auto &c : children)
        if (c)
            pending.push_back(std::move(c));
    while (!pending.empty()) {
        ExprPtr e = std::move(pending.back());
        pending.pop_back();
        for (auto &c : e->children)
            if (c)
                pending.push_back(std::move(c));
    }
}

Body parseTemplate(const std::string &source)
{
    return Parser(tokenizeTemplate(source)).parseAll();
}

} // namespace lathe::jinja
