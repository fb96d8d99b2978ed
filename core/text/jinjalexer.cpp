// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/jinjalexer.h"

#include "text/jinjavalue.h"

#include <cctype>

namespace lathe::jinja {
namespace {

[[noreturn]] void fail(int line, const std::string &what)
{
    throw TemplateError("template syntax error at line " + std::to_string(line) + ": " + what);
}

bool isBlank(const std::string &s, std::size_t from)
{
    for (std::size_t i = from; i < s.size(); ++i)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

class Lexer {
public:
    explicit Lexer(std::string src)
        : m_src(std::move(src))
    {
    }

    std::vector<Token> run()
    {
        while (m_pos < m_src.size()) {
            const std::size_t p = findTagStart(m_pos);
            std::string text = m_src.substr(m_pos, p - m_pos);
            const int textLine = m_line;
            const bool lineStarting = m_pos == 0 || m_src[m_pos - 1] == '\n';
            advanceTo(p);
            if (p == m_src.size()) {
                emitText(std::move(text), textLine);
                break;
            }
            const char kind = m_src[p + 1];
            const char mod = p + 2 < m_src.size() ? m_src[p + 2] : '\0';
            if (mod == '-') {
                while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
                    text.pop_back();
            } else if ((kind == '%' || kind == '#') && mod != '+') {
                // lstrip_blocks: drop spaces and tabs between the line start and the tag.
                const std::size_t nl = text.rfind('\n');
                const std::size_t lpos = nl == std::string::npos ? 0 : nl + 1;
                if ((lpos > 0 || lineStarting) && isBlank(text, lpos))
                    text.erase(lpos);
            }
            emitText(std::move(text), textLine);
            const std::size_t bodyStart = p + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
            if (kind == '#')
                comment(bodyStart);
            else if (kind == '%' && isRaw(bodyStart))
                raw();
            else
                tag(kind, bodyStart);
        }
        Token eof;
        eof.line = m_line;
        m_tokens.push_back(eof);
        return std::move(m_tokens);
    }

private:
    std::size_t findTagStart(std::size_t from) const
    {
        for (std::size_t i = from; i + 1 < m_src.size(); ++i)
            if (m_src[i] == '{'
                && (m_src[i + 1] == '{' || m_src[i + 1] == '%' || m_src[i + 1] == '#'))
                return i;
        return m_src.size();
    }

    void advanceTo(std::size_t to)
    {
        for (; m_pos < to && m_pos < m_src.size(); ++m_pos)
            if (m_src[m_pos] == '\n')
                ++m_line;
    }

    void emitText(std::string text, int line)
    {
        if (text.empty())
            return;
        Token t;
        t.type = Token::Type::Text;
        t.text = std::move(text);
        t.line = line;
        m_tokens.push_back(std::move(t));
    }

    // After a tag or comment end: '-' strips all following whitespace; otherwise trim_blocks
    // removes one newline after block tags and comments unless the tag ends with '+'.
    void afterEnd(char mod, bool trim)
    {
        if (mod == '-') {
            std::size_t q = m_pos;
            while (q < m_src.size() && std::isspace(static_cast<unsigned char>(m_src[q])))
                ++q;
            advanceTo(q);
        } else if (trim && mod != '+' && m_pos < m_src.size() && m_src[m_pos] == '\n') {
            advanceTo(m_pos + 1);
        }
    }

    void comment(std::size_t bodyStart)
    {
        const int line = m_line;
        const std::size_t end = m_src.find("#}", bodyStart);
        if (end == std::string::npos)
            fail(line, "unterminated comment");
        const char mod = end > bodyStart && m_src[end - 1] == '-' ? '-' : '\0';
        advanceTo(end + 2);
        afterEnd(mod, true);
    }

    bool isRaw(std::size_t q) const
    {
        while (q < m_src.size() && std::isspace(static_cast<unsigned char>(m_src[q])))
            ++q;
        if (m_src.compare(q, 3, "raw") != 0)
            return false;
        q += 3;
        while (q < m_src.size() && std::isspace(static_cast<unsigned char>(m_src[q])))
            ++q;
        return m_src.compare(q, 2, "%}") == 0 || m_src.compare(q, 3, "-%}") == 0;
    }

    void raw()
    {
        const int line = m_line;
        std::size_t end = m_src.find("%}", m_pos);
        const bool stripAfterOpen = m_src[end - 1] == '-';
        advanceTo(end + 2);
        if (stripAfterOpen)
            afterEnd('-', false);
        // Find {% endraw %} with optional whitespace control.
        std::size_t search = m_pos;
        while (true) {
            const std::size_t open = m_src.find("{%", search);
            if (open == std::string::npos)
                fail(line, "missing {% endraw %} for {% raw %}");
            std::size_t q = open + 2;
            const char mod = q < m_src.size() ? m_src[q] : '\0';
            if (mod == '-' || mod == '+')
                ++q;
            while (q < m_src.size() && std::isspace(static_cast<unsigned char>(m_src[q])))
                ++q;
            if (m_src.compare(q, 6, "endraw") != 0) {
                search = open + 2;
                continue;
            }
            q += 6;
            while (q < m_src.size() && std::isspace(static_cast<unsigned char>(m_src[q])))
                ++q;
            char endMod = '\0';
            if (q < m_src.size() && (m_src[q] == '-' || m_src[q] == '+'))
                endMod = m_src[q++];
            if (m_src.compare(q, 2, "%}") != 0) {
                search = open + 2;
                continue;
            }
            std::string text = m_src.substr(m_pos, open - m_pos);
            const bool lineStarting = m_pos == 0 || m_src[m_pos - 1] == '\n';
            if (mod == '-') {
                while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
                    text.pop_back();
            } else if (mod != '+') {
                // lstrip_blocks applies to {% endraw %} as to any block tag.
                const std::size_t nl = text.rfind('\n');
                const std::size_t lpos = nl == std::string::npos ? 0 : nl + 1;
                if ((lpos > 0 || lineStarting) && isBlank(text, lpos))
                    text.erase(lpos);
            }
            emitText(std::move(text), m_line);
            advanceTo(q + 2);
            afterEnd(endMod, true);
            return;
        }
    }

    void tag(char kind, std::size_t bodyStart)
    {
        Token begin;
        begin.type = kind == '{' ? Token::Type::VarBegin : Token::Type::BlockBegin;
        begin.line = m_line;
        m_tokens.push_back(begin);
        advanceTo(bodyStart);
        const int startLine = m_line;
        int depth = 0;
        while (true) {
            while (m_pos < m_src.size() && std::isspace(static_cast<unsigned char>(m_src[m_pos])))
                advanceTo(m_pos + 1);
            if (m_pos >= m_src.size())
                fail(startLine, kind == '{' ? "unterminated '{{'" : "unterminated '{%'");
            const char close = kind == '{' ? '}' : '%';
            const auto at = [&](const char *s) {
                return m_src.compare(m_pos, std::char_traits<char>::length(s), s) == 0;
            };
            char mod = '\0';
            std::size_t endLen = 0;
            if (depth == 0 && m_src[m_pos] == close && at(kind == '{' ? "}}" : "%}"))
                endLen = 2;
            else if (depth == 0 && (m_src[m_pos] == '-' || (kind == '%' && m_src[m_pos] == '+'))
                && m_pos + 2 < m_src.size() + 0 && m_src[m_pos + 1] == close
                && m_src[m_pos + 2] == '}') {
                mod = m_src[m_pos];
                endLen = 3;
            }
            if (endLen) {
                Token end;
                end.type = kind == '{' ? Token::Type::VarEnd : Token::Type::BlockEnd;
                end.line = m_line;
                m_tokens.push_back(end);
                advanceTo(m_pos + endLen);
                afterEnd(mod, kind == '%');
                return;
            }
            lexToken(depth);
        }
    }

    void lexToken(int &depth)
    {
        Token t;
        t.line = m_line;
        const char c = m_src[m_pos];
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t q = m_pos;
            while (q < m_src.size()
                && (std::isalnum(static_cast<unsigned char>(m_src[q])) || m_src[q] == '_'))
                ++q;
            t.type = Token::Type::Name;
            t.text = m_src.substr(m_pos, q - m_pos);
            advanceTo(q);
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            lexNumber(t);
        } else if (c == '\'' || c == '"') {
            lexString(t);
        } else {
            static const char *two[] = { "**", "//", "==", "!=", "<=", ">=" };
            t.type = Token::Type::Op;
            for (const char *op : two) {
                if (m_src.compare(m_pos, 2, op) == 0) {
                    t.text = op;
                    break;
                }
            }
            if (t.text.empty()) {
                static const std::string singles = "+-*/%~|.,:()[]{}<>=";
                if (singles.find(c) == std::string::npos)
                    fail(m_line, std::string("unexpected character '") + c + "'");
                t.text = std::string(1, c);
                if (c == '(' || c == '[' || c == '{')
                    ++depth;
                else if ((c == ')' || c == ']' || c == '}') && depth > 0)
                    --depth;
            }
            advanceTo(m_pos + t.text.size());
        }
        m_tokens.push_back(std::move(t));
    }

    void lexNumber(Token &t)
    {
        std::size_t q = m_pos;
        auto digits = [&] {
            while (q < m_src.size()
                && (std::isdigit(static_cast<unsigned char>(m_src[q])) || m_src[q] == '_'))
                ++q;
        };
        digits();
        bool isFloat = false;
        if (q + 1 < m_src.size() && m_src[q] == '.'
            && std::isdigit(static_cast<unsigned char>(m_src[q + 1]))) {
            isFloat = true;
            ++q;
            digits();
        }
        if (q < m_src.size() && (m_src[q] == 'e' || m_src[q] == 'E')) {
            std::size_t r = q + 1;
            if (r < m_src.size() && (m_src[r] == '+' || m_src[r] == '-'))
                ++r;
            if (r < m_src.size() && std::isdigit(static_cast<unsigned char>(m_src[r]))) {
                isFloat = true;
                q = r;
                digits();
            }
        }
        std::string text;
        for (std::size_t i = m_pos; i < q; ++i)
            if (m_src[i] != '_')
                text += m_src[i];
        t.text = text;
        try {
            if (isFloat) {
                t.type = Token::Type::Float;
                t.floatValue = std::stod(text);
            } else {
                t.type = Token::Type::Int;
                t.intValue = std::stoll(text);
            }
        } catch (const std::exception &) {
            fail(m_line, "bad number '" + text + "'");
        }
        advanceTo(q);
    }

    void lexString(Token &t)
    {
        const char quote = m_src[m_pos];
        std::size_t q = m_pos + 1;
        std::string out;
        while (true) {
            if (q >= m_src.size())
                fail(t.line, "unterminated string literal");
            const char c = m_src[q];
            if (c == quote)
                break;
            if (c != '\\' || q + 1 >= m_src.size()) {
                out += c;
                ++q;
                continue;
            }
            const char e = m_src[q + 1];
            q += 2;
            auto hex = [&](int n) {
                char32_t cp = 0;
                for (int i = 0; i < n; ++i, ++q) {
                    if (q >= m_src.size() || !std::isxdigit(static_cast<unsigned char>(m_src[q])))
                        fail(t.line, "bad escape in string literal");
                    cp = cp * 16
                        + static_cast<char32_t>(std::stoi(std::string(1, m_src[q]), nullptr, 16));
                }
                appendUtf8(out, cp);
            };
            switch (e) {
            case 'n':
                out += '\n';
                break;
            case 't':
                out += '\t';
                break;
            case 'r':
                out += '\r';
                break;
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7': {
                // Octal escape: up to three digits.
                char32_t cp = static_cast<char32_t>(e - '0');
                for (int k = 0; k < 2 && q < m_src.size() && m_src[q] >= '0' && m_src[q] <= '7';
                     ++k)
                    cp = cp * 8 + static_cast<char32_t>(m_src[q++] - '0');
                appendUtf8(out, cp);
                break;
            }
            case 'a':
                out += '\a';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'v':
                out += '\v';
                break;
            case '\\':
                out += '\\';
                break;
            case '\'':
                out += '\'';
                break;
            case '"':
                out += '"';
                break;
            case '\n':
                break;
            case 'x':
                hex(2);
                break;
            case 'u':
                hex(4);
                break;
            case 'U':
                hex(8);
                break;
            default:
                out += '\\';
                out += e;
            }
        }
        t.type = Token::Type::String;
        t.text = std::move(out);
        advanceTo(q + 1);
    }

    std::string m_src;
    std::size_t m_pos = 0;
    int m_line = 1;
    std::vector<Token> m_tokens;
};

} // namespace

std::vector<Token> tokenizeTemplate(const std::string &source)
{
    // Jinja2 normalises line ends to '\n' and drops a single trailing newline.
    std::string src;
    src.reserve(source.size());
    for (std::size_t i = 0; i < source.size(); ++i) {
        if (source[i] == '\r') {
            src += '\n';
            if (i + 1 < source.size() && source[i + 1] == '\n')
                ++i;
        } else {
            src += source[i];
        }
    }
    if (!src.empty() && src.back() == '\n')
        src.pop_back();
    return Lexer(std::move(src)).run();
}

} // namespace lathe::jinja
