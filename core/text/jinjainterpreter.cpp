// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/jinjainterpreter.h"

#include "text/jinjabuiltins.h"
#include "text/jinjastrings.h"

#include <cmath>
#include <map>
#include <memory>

namespace lathe::jinja {
namespace {

struct Scope {
    std::map<std::string, Value> vars;
    std::shared_ptr<Scope> parent;

    const Value *lookup(const std::string &name) const
    {
        for (const Scope *s = this; s; s = s->parent.get()) {
            auto it = s->vars.find(name);
            if (it != s->vars.end())
                return &it->second;
        }
        return nullptr;
    }
};
using ScopePtr = std::shared_ptr<Scope>;

enum class Flow { Normal, Break, Continue };

[[noreturn]] void fail(int line, const std::string &what)
{
    throw TemplateError("template error at line " + std::to_string(line) + ": " + what);
}

ScopePtr child(const ScopePtr &parent)
{
    auto s = std::make_shared<Scope>();
    s->parent = parent;
    return s;
}

std::int64_t floorDiv(std::int64_t a, std::int64_t b)
{
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        --q;
    return q;
}

class Renderer {
public:
    explicit Renderer(const RenderOptions &o)
        : m_opt(o)
    {
    }

    std::string run(const Body &body, const Value &context)
    {
        auto globals = std::make_shared<Scope>();
        const Value g = makeGlobals(m_opt);
        for (const auto &[k, v] : g.entries().entries)
            globals->vars[k.str()] = v;
        auto root = child(globals);
        if (context.isDict())
            for (const auto &[k, v] : context.entries().entries)
                if (k.isString())
                    root->vars[k.str()] = v;
        std::string out;
        // A template-level scope of its own so that {% set %} shadows context variables.
        exec(body, child(root), out);
        return out;
    }

private:
    void step(int line)
    {
        if (++m_steps > m_opt.maxSteps)
            fail(line,
                "template runs too long (more than " + std::to_string(m_opt.maxSteps) + " steps)");
    }

    void append(std::string &out, const std::string &s, int line)
    {
        out += s;
        if (out.size() > m_opt.maxOutputBytes)
            fail(
                line, "template output exceeds " + std::to_string(m_opt.maxOutputBytes) + " bytes");
    }

    Flow exec(const Body &body, const ScopePtr &scope, std::string &out)
    {
        for (const auto &s : body) {
            Flow f = execOne(*s, scope, out);
            if (f != Flow::Normal)
                return f;
        }
        return Flow::Normal;
    }

    Flow execOne(const Stmt &s, const ScopePtr &scope, std::string &out)
    {
        step(s.line);
        switch (s.kind) {
        case Stmt::Kind::Text:
            append(out, s.text, s.line);
            return Flow::Normal;
        case Stmt::Kind::Output: {
            const Value v = eval(*s.exprs[0], scope);
            append(out, v.toString(), s.line);
            return Flow::Normal;
        }
        case Stmt::Kind::If:
            for (std::size_t i = 0; i < s.exprs.size(); ++i)
                if (eval(*s.exprs[i], scope).truthy())
                    return exec(s.bodies[i], scope, out);
            if (s.bodies.size() > s.exprs.size())
                return exec(s.bodies.back(), scope, out);
            return Flow::Normal;
        case Stmt::Kind::For:
            return execFor(s, scope, out);
        case Stmt::Kind::Set:
            if (!s.attr.empty()) {
                Value target = eval(*s.exprs[1], scope);
                if (!target.isNamespace())
                    fail(s.line, "cannot assign attribute on non-namespace object");
                target.entries().set(Value(s.attr), eval(*s.exprs[0], scope));
            } else {
                assign(s.names, eval(*s.exprs[0], scope), *scope, s.line);
            }
            return Flow::Normal;
        case Stmt::Kind::SetBlock: {
            std::string captured;
            exec(s.bodies[0], scope, captured);
            Value v(captured);
            if (s.filter)
                v = evalFilter(*s.filter, scope, &v);
            scope->vars[s.names[0]] = v;
            return Flow::Normal;
        }
        case Stmt::Kind::Macro:
            scope->vars[s.names[0]] = makeMacro(s, scope);
            return Flow::Normal;
        case Stmt::Kind::Break:
            return Flow::Break;
        case Stmt::Kind::Continue:
            return Flow::Continue;
        case Stmt::Kind::FilterBlock: {
            std::string captured;
            exec(s.bodies[0], scope, captured);
            Value v(captured);
            append(out, evalFilter(*s.filter, scope, &v).toString(), s.line);
            return Flow::Normal;
        }
        case Stmt::Kind::Block:
            return exec(s.bodies[0], scope, out);
        }
        return Flow::Normal;
    }

    void assign(const std::vector<std::string> &names, const Value &v, Scope &scope, int line)
    {
        if (names.size() == 1) {
            scope.vars[names[0]] = v;
            return;
        }
        List items;
        try {
            items = iterate(v);
        } catch (const BuiltinError &e) {
            fail(line, e.what());
        }
        if (items.size() != names.size())
            fail(line,
                "cannot unpack " + std::to_string(items.size()) + " values into "
                    + std::to_string(names.size()) + " names");
        for (std::size_t i = 0; i < names.size(); ++i)
            scope.vars[names[i]] = items[i];
    }

    Flow execFor(const Stmt &s, const ScopePtr &scope, std::string &out)
    {
        const Value seq = eval(*s.exprs[0], scope);
        if (seq.isNone() || seq.isNumber() || seq.isCallable())
            fail(s.line, "'" + seq.typeName() + "' object is not iterable");
        List items;
        try {
            items = iterate(seq);
        } catch (const BuiltinError &e) {
            fail(s.line, e.what());
        }
        if (s.exprs[1]) {
            List kept;
            for (const auto &item : items) {
                auto tmp = child(scope);
                assign(s.names, item, *tmp, s.line);
                if (eval(*s.exprs[1], tmp).truthy())
                    kept.push_back(item);
            }
            items = std::move(kept);
        }
        if (items.empty())
            return exec(s.bodies[1], scope, out);
        const auto n = static_cast<std::int64_t>(items.size());
        for (std::int64_t i = 0; i < n; ++i) {
            step(s.line);
            auto iter = child(scope);
            assign(s.names, items[static_cast<std::size_t>(i)], *iter, s.line);
            Value loop = Value::dict();
            Dict &d = loop.entries();
            d.set("index", Value(i + 1));
            d.set("index0", Value(i));
            d.set("revindex", Value(n - i));
            d.set("revindex0", Value(n - i - 1));
            d.set("first", Value(i == 0));
            d.set("last", Value(i == n - 1));
            d.set("length", Value(n));
            d.set("depth", Value(1));
            d.set("depth0", Value(0));
            d.set("previtem",
                i > 0 ? items[static_cast<std::size_t>(i - 1)]
                      : Value::undefined("there is no previous item"));
            d.set("nextitem",
                i + 1 < n ? items[static_cast<std::size_t>(i + 1)]
                          : Value::undefined("there is no next item"));
            d.set("cycle", Value::function([i](CallArgs &a) -> Value {
                if (a.positional.empty())
                    throw BuiltinError("no items for cycling given");
                return a.positional[static_cast<std::size_t>(i) % a.positional.size()];
            }));
            iter->vars["loop"] = loop;
            if (exec(s.bodies[0], iter, out) == Flow::Break)
                break;
        }
        return Flow::Normal;
    }

    Value makeMacro(const Stmt &s, const ScopePtr &defScope)
    {
        const Stmt *def = &s;
        return Value::function([this, def, defScope](CallArgs &a) -> Value {
            if (++m_depth > m_opt.maxCallDepth) {
                --m_depth;
                throw BuiltinError("macro calls nested too deeply (limit "
                    + std::to_string(m_opt.maxCallDepth) + ")");
            }
            auto scope = child(defScope);
            const std::size_t nparams = def->names.size() - 1;
            const bool usesVarargs = def->attr.find('v') != std::string::npos;
            const bool usesKwargs = def->attr.find('k') != std::string::npos;
            List extraArgs;
            Value extraKwargs = Value::dict();
            if (usesVarargs)
                while (a.positional.size() > nparams) {
                    extraArgs.insert(extraArgs.begin(), a.positional.back());
                    a.positional.pop_back();
                }
            if (usesVarargs)
                scope->vars["varargs"] = Value::list(std::move(extraArgs), true);
            if (usesKwargs)
                scope->vars["kwargs"] = extraKwargs;
            if (a.positional.size() > nparams) {
                --m_depth;
                throw BuiltinError("macro '" + def->names[0] + "' takes not more than "
                    + std::to_string(nparams) + " argument(s)");
            }
            std::vector<bool> bound(nparams, false);
            for (std::size_t i = 0; i < a.positional.size(); ++i) {
                scope->vars[def->names[i + 1]] = a.positional[i];
                bound[i] = true;
            }
            for (auto &[k, v] : a.keyword) {
                bool found = false;
                for (std::size_t i = 0; i < nparams; ++i) {
                    if (def->names[i + 1] == k) {
                        scope->vars[k] = v;
                        bound[i] = found = true;
                    }
                }
                if (!found && usesKwargs) {
                    extraKwargs.entries().set(Value(k), v);
                } else if (!found) {
                    --m_depth;
                    throw BuiltinError(
                        "macro '" + def->names[0] + "' takes no keyword argument '" + k + "'");
                }
            }
            std::string out;
            try {
                for (std::size_t i = 0; i < nparams; ++i) {
                    if (bound[i])
                        continue;
                    const std::string &p = def->names[i + 1];
                    scope->vars[p] = def->exprs[i]
                        ? eval(*def->exprs[i], scope)
                        : Value::undefined("parameter '" + p + "' was not provided");
                }
                exec(def->bodies[0], scope, out);
            } catch (...) {
                --m_depth;
                throw;
            }
            --m_depth;
            return Value(out);
        });
    }

    CallArgs evalArgs(const Expr &e, const ScopePtr &scope)
    {
        CallArgs a;
        for (std::size_t i = 1; i < e.children.size(); ++i) {
            Value v = eval(*e.children[i], scope);
            const std::string &n = e.argNames[i - 1];
            if (n.empty())
                a.positional.push_back(std::move(v));
            else
                a.keyword.emplace_back(n, std::move(v));
        }
        return a;
    }

    Value evalFilter(const Expr &e, const ScopePtr &scope, const Value *pipe)
    {
        Value input;
        if (!e.children[0])
            input = *pipe;
        else if (e.children[0]->kind == Expr::Kind::Filter)
            input = evalFilter(*e.children[0], scope, pipe);
        else
            input = eval(*e.children[0], scope);
        CallArgs args = evalArgs(e, scope);
        try {
            return applyFilter(e.name, input, args);
        } catch (const BuiltinError &err) {
            fail(e.line, err.what());
        }
    }

    [[noreturn]] void undefinedError(const Value &v, int line) { fail(line, v.undefinedHint()); }

    Value eval(const Expr &e, const ScopePtr &scope)
    {
        // Operator chains are parsed iteratively, so bound the evaluation depth here.
        if (m_evalDepth >= kMaxEvalDepth)
            fail(e.line, "expression nested too deeply");
        ++m_evalDepth;
        try {
            Value v = evalNode(e, scope);
            --m_evalDepth;
            return v;
        } catch (...) {
            --m_evalDepth;
            throw;
        }
    }

    Value evalNode(const Expr &e, const ScopePtr &scope)
    {
        switch (e.kind) {
        case Expr::Kind::Literal:
            return e.literal;
        case Expr::Kind::Name: {
            const Value *v = scope->lookup(e.name);
            return v ? *v : Value::undefined("'" + e.name + "' is undefined");
        }
        case Expr::Kind::List:
        case Expr::Kind::Tuple: {
            List items;
            for (const auto &c : e.children)
                items.push_back(eval(*c, scope));
            return Value::list(std::move(items), e.kind == Expr::Kind::Tuple);
        }
        case Expr::Kind::Dict: {
            Value d = Value::dict();
            for (std::size_t i = 0; i + 1 < e.children.size(); i += 2)
                d.entries().set(eval(*e.children[i], scope), eval(*e.children[i + 1], scope));
            return d;
        }
        case Expr::Kind::Attr: {
            const Value obj = eval(*e.children[0], scope);
            if (obj.isUndefined())
                undefinedError(obj, e.line);
            return getAttribute(obj, e.name);
        }
        case Expr::Kind::Subscript: {
            const Value obj = eval(*e.children[0], scope);
            if (obj.isUndefined())
                undefinedError(obj, e.line);
            return getItem(obj, eval(*e.children[1], scope));
        }
        case Expr::Kind::Slice: {
            const Value obj = eval(*e.children[0], scope);
            if (obj.isUndefined())
                undefinedError(obj, e.line);
            auto part = [&](std::size_t i) {
                return e.children[i] ? eval(*e.children[i], scope) : Value::none();
            };
            try {
                return sliceValue(obj, part(1), part(2), part(3));
            } catch (const BuiltinError &err) {
                fail(e.line, err.what());
            }
        }
        case Expr::Kind::Call: {
            const Value fn = eval(*e.children[0], scope);
            if (fn.isUndefined())
                undefinedError(fn, e.line);
            if (!fn.isCallable())
                fail(e.line, "'" + fn.typeName() + "' object is not callable");
            CallArgs args = evalArgs(e, scope);
            try {
                return fn.callable()(args);
            } catch (const BuiltinError &err) {
                fail(e.line, err.what());
            }
        }
        case Expr::Kind::Filter:
            return evalFilter(e, scope, nullptr);
        case Expr::Kind::Test: {
            const Value v = eval(*e.children[0], scope);
            CallArgs args = evalArgs(e, scope);
            try {
                return Value(applyTest(e.name, v, args) != e.negated);
            } catch (const BuiltinError &err) {
                fail(e.line, err.what());
            }
        }
        case Expr::Kind::Unary: {
            const Value v = eval(*e.children[0], scope);
            if (v.isUndefined())
                undefinedError(v, e.line);
            if (!v.isNumber())
                fail(e.line, "bad operand type for unary " + e.name + ": '" + v.typeName() + "'");
            if (e.name == "+")
                return v.isFloat() ? v : Value(v.integer());
            return v.isFloat() ? Value(-v.number()) : Value(-v.integer());
        }
        case Expr::Kind::Binary:
            return binary(e, eval(*e.children[0], scope), eval(*e.children[1], scope));
        case Expr::Kind::Compare:
            return compare(e, scope);
        case Expr::Kind::And: {
            Value l = eval(*e.children[0], scope);
            return l.truthy() ? eval(*e.children[1], scope) : l;
        }
        case Expr::Kind::Or: {
            Value l = eval(*e.children[0], scope);
            return l.truthy() ? l : eval(*e.children[1], scope);
        }
        case Expr::Kind::Not:
            return Value(!eval(*e.children[0], scope).truthy());
        case Expr::Kind::Cond:
            if (eval(*e.children[1], scope).truthy())
                return eval(*e.children[0], scope);
            if (e.children[2])
                return eval(*e.children[2], scope);
            return Value::undefined("the inline if-expression evaluated to false and no else "
                                    "section was defined.");
        }
        return Value();
    }

    Value binary(const Expr &e, const Value &l, const Value &r)
    {
        const std::string &op = e.name;
        if (op == "~")
            return Value(l.toString() + r.toString());
        if (l.isUndefined())
            undefinedError(l, e.line);
        if (r.isUndefined())
            undefinedError(r, e.line);
        const std::string unsupported = "unsupported operand type(s) for " + op + ": '"
            + l.typeName() + "' and '" + r.typeName() + "'";
        if (l.isNumber() && r.isNumber()) {
            const bool ints = !l.isFloat() && !r.isFloat();
            const std::int64_t a = l.integer(), b = r.integer();
            const double x = l.number(), y = r.number();
            if (op == "+")
                return ints ? Value(a + b) : Value(x + y);
            if (op == "-")
                return ints ? Value(a - b) : Value(x - y);
            if (op == "*")
                return ints ? Value(a * b) : Value(x * y);
            if (op == "/") {
                if (y == 0)
                    fail(e.line, "division by zero");
                return Value(x / y);
            }
            if (op == "//" || op == "%") {
                if (y == 0)
                    fail(e.line,
                        op == "%" ? "modulo by zero" : "integer division or modulo by zero");
                if (ints)
                    return op == "//" ? Value(floorDiv(a, b)) : Value(a - floorDiv(a, b) * b);
                const double q = std::floor(x / y);
                return op == "//" ? Value(q) : Value(x - q * y);
            }
            if (op == "**") {
                if (ints && b >= 0) {
                    std::int64_t res = 1;
                    for (std::int64_t i = 0; i < b && i < 64; ++i)
                        res *= a;
                    return Value(res);
                }
                return Value(std::pow(x, y));
            }
            fail(e.line, unsupported);
        }
        if (op == "%" && l.isString()) {
            try {
                return Value(percentFormat(l.str(), r));
            } catch (const BuiltinError &err) {
                fail(e.line, err.what());
            }
        }
        if (op == "+") {
            if (l.isString() && r.isString())
                return Value(l.str() + r.str());
            if (l.isList() && r.isList()) {
                List items = l.items();
                items.insert(items.end(), r.items().begin(), r.items().end());
                return Value::list(std::move(items), l.isTuple());
            }
        }
        if (op == "*") {
            const Value &seq = l.isNumber() ? r : l;
            const Value &count = l.isNumber() ? l : r;
            if ((seq.isString() || seq.isList()) && (count.isInt() || count.isBool())) {
                const std::int64_t n = count.integer();
                if (n > 0 && seq.length() * n > static_cast<std::int64_t>(m_opt.maxOutputBytes))
                    fail(e.line, "repeated sequence is too large");
                if (seq.isString()) {
                    std::string s;
                    for (std::int64_t i = 0; i < n; ++i)
                        s += seq.str();
                    return Value(s);
                }
                List items;
                for (std::int64_t i = 0; i < n; ++i)
                    items.insert(items.end(), seq.items().begin(), seq.items().end());
                return Value::list(std::move(items), seq.isTuple());
            }
        }
        fail(e.line, unsupported);
    }

    bool contains(const Expr &e, const Value &container, const Value &item)
    {
        if (container.isString()) {
            if (!item.isString())
                fail(e.line,
                    "'in <string>' requires string as left operand, not " + item.typeName());
            return container.str().find(item.str()) != std::string::npos;
        }
        if (container.isList()) {
            for (const auto &v : container.items())
                if (v == item)
                    return true;
            return false;
        }
        if (container.isDict())
            return container.entries().find(item) != nullptr;
        if (container.isUndefined())
            return false; // Undefined iterates as empty
        fail(e.line, "argument of type '" + container.typeName() + "' is not iterable");
    }

    Value compare(const Expr &e, const ScopePtr &scope)
    {
        Value left = eval(*e.children[0], scope);
        for (std::size_t i = 0; i < e.ops.size(); ++i) {
            Value right = eval(*e.children[i + 1], scope);
            const std::string &op = e.ops[i];
            bool ok;
            if (op == "==")
                ok = left == right;
            else if (op == "!=")
                ok = !(left == right);
            else if (op == "in")
                ok = contains(e, right, left);
            else if (op == "not in")
                ok = !contains(e, right, left);
            else {
                int c;
                try {
                    c = compareValues(left, right);
                } catch (const BuiltinError &err) {
                    fail(e.line, std::string(err.what()).replace(0, 0, ""));
                }
                ok = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
            }
            if (!ok)
                return Value(false);
            left = std::move(right);
        }
        return Value(true);
    }

    const RenderOptions &m_opt;
    static constexpr int kMaxEvalDepth = 400;
    std::int64_t m_steps = 0;
    int m_depth = 0;
    int m_evalDepth = 0;
};

} // namespace

JinjaInterpreter::JinjaInterpreter(RenderOptions options)
    : m_options(std::move(options))
{
}

std::string JinjaInterpreter::render(const Body &body, const Value &context)
{
    Renderer r(m_options);
    try {
        return r.run(body, context);
    } catch (const BuiltinError &e) {
        throw TemplateError(std::string("template error: ") + e.what());
    }
}

std::string JinjaInterpreter::renderString(
    const std::string &source, const Value &context, const RenderOptions &options)
{
    const Body body = parseTemplate(source);
    return JinjaInterpreter(options).render(body, context);
}

} // namespace lathe::jinja
