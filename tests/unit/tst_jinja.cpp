// SPDX-License-Identifier: GPL-3.0-or-later
// The Jinja interpreter against outputs of Jinja2 3.1 configured as transformers does
// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its tojson),
// plus the errors and limits that protect against broken or runaway templates.
#include "text/chattemplate.h"
#include "text/jinjainterpreter.h"
#include "util/error.h"

#include "jinjacases.h"

#include <QtTest/QtTest>

using namespace lathe;
using namespace lathe::jinja;
using namespace lathe::test::jinjacases;

namespace {

RenderOptions fixedClock()
{
    RenderOptions o;
    o.now = [] {
        std::tm tm {};
        tm.tm_year = 2026 - 1900;
        tm.tm_mon = 0;
        tm.tm_mday = 15;
        tm.tm_hour = 12;
        tm.tm_wday = 4;
        tm.tm_yday = 14;
        return tm;
    };
    return o;
}

std::string render(const std::string &templ, const std::string &contextJson = "{}",
    const RenderOptions &options = fixedClock())
{
    const Value context = Value::fromJson(nlohmann::ordered_json::parse(contextJson));
    return JinjaInterpreter::renderString(templ, context, options);
}

// The message of the TemplateError that rendering throws, or "no error".
std::string errorOf(const std::string &templ, const std::string &contextJson = "{}",
    const RenderOptions &options = fixedClock())
{
    try {
        render(templ, contextJson, options);
    } catch (const TemplateError &e) {
        return e.what();
    }
    return "no error";
}

bool contains(const std::string &s, const std::string &part)
{
    return s.find(part) != std::string::npos;
}

} // namespace

class TestJinja : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesJinja2_data()
    {
        QTest::addColumn<int>("index");
        for (int i = 0; i < static_cast<int>(std::size(kCases)); ++i)
            QTest::newRow(qPrintable(QString("case %1").arg(i))) << i;
    }

    void matchesJinja2()
    {
        QFETCH(int, index);
        const Case &c = kCases[index];
        std::string out;
        try {
            out = render(c.templ, c.context);
        } catch (const Error &e) {
            QFAIL(qPrintable(QString("%1\n  template: %2").arg(e.what(), c.templ)));
        }
        if (out != c.expected)
            qWarning("template: %s", c.templ);
        QCOMPARE(QString::fromStdString(out), QString::fromUtf8(c.expected));
    }

    void failsLikeJinja2_data()
    {
        QTest::addColumn<int>("index");
        for (int i = 0; i < static_cast<int>(std::size(kErrorCases)); ++i)
            QTest::newRow(qPrintable(QString("case %1").arg(i))) << i;
    }

    void failsLikeJinja2()
    {
        QFETCH(int, index);
        const ErrorCase &c = kErrorCases[index];
        const std::string e = errorOf(c.templ, c.context);
        QVERIFY2(e != "no error", c.templ);
        QVERIFY2(contains(e, "line "), e.c_str());
    }

    void raiseExceptionReportsMessageAndLine()
    {
        const std::string e = errorOf("line one\n{{ raise_exception('Roles must alternate') }}");
        QVERIFY2(contains(e, "Roles must alternate"), e.c_str());
        QVERIFY2(contains(e, "line 2"), e.c_str());
    }

    void syntaxErrorsNameTheLine()
    {
        const std::string a = errorOf("ok\n\n{% if x %}never closed");
        QVERIFY2(contains(a, "line") && contains(a, "endif"), a.c_str());
        const std::string b = errorOf("{{ 1 + }}");
        QVERIFY2(contains(b, "line 1"), b.c_str());
        const std::string c = errorOf("a\n{{ 'open");
        QVERIFY2(contains(c, "line 2") && contains(c, "unterminated"), c.c_str());
        QVERIFY(contains(errorOf("{% frobnicate %}"), "frobnicate"));
        QVERIFY(contains(errorOf("{{ x"), "unterminated"));
        QVERIFY(contains(errorOf("{# never closed"), "comment"));
        QVERIFY(contains(errorOf("{{ 'a'|nosuchfilter }}"), "nosuchfilter"));
        // As in Jinja2: unknown filters and tests fail when parsing, except inside {% if %}
        // where they only fail when used.
        QVERIFY(contains(errorOf("{% for x in [] %}{{ x|nosuch }}{% endfor %}"), "line 1"));
        QVERIFY(contains(errorOf("{{ 1 is nosuchtest }}"), "No test named 'nosuchtest'"));
        QCOMPARE(render("{% if false %}{{ x|nosuch }}{% endif %}ok"), std::string("ok"));
        QVERIFY(contains(
            errorOf("{% if false %}{% for x in [] %}{{ x|nosuch }}{% endfor %}{% endif %}"),
            "No filter named 'nosuch'"));
        QCOMPARE(render("{{ 1 if true else x|nosuch }}"), std::string("1"));
        QVERIFY(contains(errorOf("{% if true %}{{ 'x'|nosuch }}{% endif %}"), "nosuch"));
        QVERIFY(contains(errorOf("{{ 'x'|wordwrap }}"), "not supported"));
        QVERIFY(contains(errorOf("{% endfor %}"), "endfor"));
    }

    void undefinedUsedWronglyFails()
    {
        QVERIFY(contains(errorOf("{{ missing.attr }}"), "'missing' is undefined"));
        QVERIFY(contains(errorOf("{{ missing['k'] }}"), "'missing' is undefined"));
        QVERIFY(contains(errorOf("{{ 'a' + missing }}"), "'missing' is undefined"));
        QVERIFY(contains(
            errorOf("{{ m.role.x.y }}", R"({"m": {}})"), "'dict object' has no attribute 'role'"));
        QVERIFY(contains(errorOf("{{ 1 + 'a' }}"), "unsupported operand"));
        QVERIFY(contains(errorOf("{{ 1 / 0 }}"), "division by zero"));
        QVERIFY(contains(errorOf("{{ missing() }}"), "undefined"));
        QVERIFY(contains(errorOf("{{ missing|tojson }}"), "not JSON serializable"));
    }

    void sandboxBlocksMutationAndHugeRanges()
    {
        QVERIFY(contains(errorOf("{% set xs = [] %}{{ xs.append(1) }}"), "unsafe"));
        QVERIFY(contains(errorOf("{% set d = {} %}{{ d.update({}) }}"), "unsafe"));
        QVERIFY(contains(errorOf("{% set x = 1 %}{% set x.a = 2 %}"), "non-namespace"));
        QVERIFY(contains(errorOf("{% for i in range(1000000) %}{% endfor %}"), "Range too big"));
    }

    void runawayTemplatesStop()
    {
        RenderOptions small = fixedClock();
        small.maxOutputBytes = 1000;
        QVERIFY(contains(errorOf("{% for i in range(10000) %}xxxxxxxx{% endfor %}", "{}", small),
            "output exceeds"));
        QVERIFY(contains(errorOf("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"),
            "nested too deeply"));
        QVERIFY(contains(errorOf("{{ 'x' * 100000000000 }}"), "too large"));
        RenderOptions few = fixedClock();
        few.maxSteps = 10000;
        QVERIFY(contains(errorOf("{% for i in range(1000) %}{% for j in range(1000) %}"
                                 "{% endfor %}{% endfor %}",
                             "{}", few),
            "too long"));
        const std::string deep = std::string(5000, '(') + "1" + std::string(5000, ')');
        const std::string e = errorOf("{{ " + deep + " }}");
        QVERIFY2(contains(e, "nested too deeply"), e.c_str());
        std::string chain = "1";
        for (int i = 0; i < 100000; ++i)
            chain += " + 1";
        const std::string longChain = errorOf("{{ " + chain + " }}");
        QVERIFY2(contains(longChain, "nested too deeply"), longChain.c_str());
        std::string nots;
        for (int i = 0; i < 100000; ++i)
            nots += "not ";
        QVERIFY(contains(errorOf("{{ " + nots + "1 }}"), "nested too deeply"));
        QVERIFY(contains(errorOf("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}"),
            "nested too deeply"));
        QCOMPARE(render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns == ns.me }}"),
            std::string("True"));
        const std::string open = errorOf("{{ (((( }}");
        QVERIFY2(contains(open, "unterminated"), open.c_str());
    }

    void strftimeNowUsesInjectedOrRealClock()
    {
        QCOMPARE(
            render("{{ strftime_now('%Y-%m-%d %H:%M:%S') }}"), std::string("2026-01-15 12:00:00"));
        const std::string year = render("{{ strftime_now('%Y') }}", "{}", RenderOptions {});
        QCOMPARE(year.size(), std::size_t(4));
        QVERIFY(year >= "2024");
    }

    void formatFilterAndPercentOperator()
    {
        QCOMPARE(render("{{ '%s is %d years'|format('Ann', 7) }}"), std::string("Ann is 7 years"));
        QCOMPARE(render("{{ '%(a)s-%(b)s'|format(a=1, b='x') }}"), std::string("1-x"));
        QCOMPARE(render("{{ '%05.1f|%-4s|%x|%%' % (3.14159, 'ab', 255) }}"),
            std::string("003.1|ab  |ff|%"));
        QCOMPARE(render("{{ '%r' % 'q' }}"), std::string("'q'"));
        QVERIFY(contains(errorOf("{{ '%s %s' % ('a',) }}"), "not enough arguments"));
    }

    void noPartialOutputOnError()
    {
        // A failing template throws; nothing of what it printed before leaks out.
        ChatTemplateInputs in;
        in.messages = nlohmann::ordered_json::parse(R"([{"role": "system", "content": "s"}])");
        bool threw = false;
        try {
            renderChatTemplate("before {% if messages[0].role == 'system' %}"
                               "{{ raise_exception('no system') }}{% endif %}",
                in);
        } catch (const TemplateError &e) {
            threw = contains(e.what(), "no system");
        }
        QVERIFY(threw);
    }

    void chatTemplateFacadePassesVariables()
    {
        ChatTemplateInputs in;
        in.messages = nlohmann::ordered_json::parse(
            R"([{"role": "user", "content": "hi", "z": 1, "a": 2}])");
        in.addGenerationPrompt = true;
        in.bosToken = "<s>";
        in.eosToken = "</s>";
        in.extra = { { "tools", nlohmann::ordered_json::array() }, { "date_string", "1 Jan" } };
        const std::string out = renderChatTemplate(
            "{{ bos_token }}{% for m in messages %}{{ m|tojson }}{% endfor %}"
            "{% if add_generation_prompt %}GEN{% endif %}{{ eos_token }}{{ date_string }}"
            "{{ tools|length }}",
            in, fixedClock());
        QCOMPARE(out,
            std::string(R"(<s>{"role": "user", "content": "hi", "z": 1, "a": 2}GEN</s>1 Jan0)"));
    }
};

QTEST_GUILESS_MAIN(TestJinja)
#include "tst_jinja.moc"
