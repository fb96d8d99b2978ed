// SPDX-License-Identifier: GPL-3.0-or-later
// The Jinja interpreter against outputs of Jinja2 3.1 configured as transformers does
// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its tojson),
// plus the errors and limits that protect against broken or runaway templates.
#include "text/chattemplate.h"
#include "text/jinjainterpreter.h"
#include "util/error.h"

#include <QtTest/QtTest>

using namespace lathe;
using namespace lathe::jinja;

namespace {

struct Case {
    const char *templ;
    const char *context; // JSON object
    const char *expected;
};

// Expected outputs were produced by Jinja2 3.1.6 with transformers' environment.
const Case kCases[] = {
    { "{% if true %}\n  yes\n{% endif %}\n", "{}", "  yes\n" },
    { "a\n  {% if true %}\n  b\n  {% endif %}\nc", "{}", "a\n  b\nc" },
    { "x  {% if true %}y{% endif %}  z", "{}", "x  y  z" },
    { "  {{ 1 }}\n{{ 2 }}\n", "{}", "  1\n2" },
    { "a  {%- if true -%}  b  {%- endif -%}  c", "{}", "abc" },
    { "a \n {{- 'b' -}} \n c", "{}", "abc" },
    { "  {%+ if true %}x{% endif %}", "{}", "  x" },
    { "{% if true +%}\nx{% endif %}", "{}", "\nx" },
    { "{# comment #}\nA{#- c -#}  B", "{}", "AB" },
    { "  {# c #}\nline", "{}", "line" },
    { "{% raw %}{{ not rendered }}{% endraw %}", "{}", "{{ not rendered }}" },
    { "a\n\n", "{}", "a\n" },
    { "a\r\nb", "{}", "a\nb" },
    { "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ "
      "loop.length }}{{ loop.revindex }}|{% endfor %}",
        "{\"xs\": [\"a\", \"b\", \"c\"]}", "10TrueFalse33|21FalseFalse32|32FalseTrue31|" },
    { "{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", "{\"xs\": []}", "empty" },
    { "{% for x in xs if x > 1 %}{{ x }}{{ loop.length }},{% endfor %}", "{\"xs\": [1, 2, 3]}",
        "22,32," },
    { "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "{\"d\": {\"b\": 1, \"a\": 2}}",
        "b=1;a=2;" },
    { "{% for k in d %}{{ k }}{% endfor %}", "{\"d\": {\"b\": 1, \"a\": 2}}", "ba" },
    { "{% for c in 'héllo' %}[{{ c }}]{% endfor %}", "{}", "[h][é][l][l][o]" },
    { "{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{"
      "% endif %}{{ x }}{% endfor %}",
        "{\"xs\": [1, 2, 3, 4, 5]}", "13" },
    { "{% for x in xs %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}",
        "{\"xs\": [1, 2, 3]}", "-2;1-3;2-;" },
    { "{% for x in xs %}{{ loop.cycle('odd', 'even') }}{% endfor %}", "{\"xs\": [1, 2, 3]}",
        "oddevenodd" },
    { "{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}", "{}", "37" },
    { "{% for i in range(3) %}{{ i }}{% endfor %}{% for i in range(1, 10, 3) %}{{ i }}{% en"
      "dfor %}",
        "{}", "012147" },
    { "{% for x in xs %}{% set y = x * 2 %}{{ y }}{% endfor %}[{{ y }}]", "{\"xs\": [1, 2]}",
        "24[]" },
    { "{% for x in outer %}{% for y in x %}{{ loop.index }}{{ y }}{% endfor %}{{ loop.index"
      " }}|{% endfor %}",
        "{\"outer\": [[\"a\", \"b\"], [\"c\"]]}", "1a2b1|1c2|" },
    { "{% set ns = namespace(n=0, s='') %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endf"
      "or %}{{ ns.n }}",
        "{\"xs\": [1, 2, 3]}", "6" },
    { "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{}", "12" },
    { "{% set x %}inner {{ 1 + 1 }}{% endset %}[{{ x }}]", "{}", "[inner 2]" },
    { "{% set x | upper %}abc{% endset %}{{ x }}", "{}", "ABC" },
    { "{% set t = 1, 2 %}{{ t }}", "{}", "(1, 2)" },
    { "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{"
      " greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet('Cy', 'Yo') }}",
        "{}", "Hello, Ann! Hi, Bob! Yo, Cy!" },
    { "{%- macro render(m) -%}\n<{{ m.role }}>\n{%- endmacro -%}\n{% for m in ms %}{{ rende"
      "r(m) }}{% endfor %}",
        "{\"ms\": [{\"role\": \"u\"}, {\"role\": \"a\"}]}", "<u><a>" },
    { "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }"
      "} {{ 2 ** 10 }} {{ 1 / 2 }} {{ 4 / 2 }}",
        "{}", "7 9 3 -4 1 2 1024 0.5 2.0" },
    { "{{ 1.5 + 1 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1e-7 }} {{ 3.0 }} {{ -0.5 }} {{ 10000000"
      "0000000000.0 }}",
        "{}", "2.5 0.30000000000000004 1e+20 1e-07 3.0 -0.5 1e+17" },
    { "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ [1] + [2] }}", "{}",
        "a1NoneTrue ababab [1, 2]" },
    { "{{ none }} {{ true }} {{ False }} {{ [1, 'a', none, true, 1.5] }} {{ {'a': 1, 'b': ["
      "2]} }} {{ (1,) }} {{ () }}",
        "{}", "None True False [1, 'a', None, True, 1.5] {'a': 1, 'b': [2]} (1,) ()" },
    { "{{ \"it's\" }} {{ ['it\\'s', \"q\\\"uote\", 'back\\\\slash', 'nl\\n'] }}", "{}",
        "it's [\"it's\", 'q\"uote', 'back\\\\slash', 'nl\\n']" },
    { "{{ 'a\\tb\\u00e9\\x41' }}|{{ 'con' 'cat' }}", "{}", "a\tbéA|concat" },
    { "{{ m.role }} {{ m['role'] }} {{ m.missing }}|{{ m.missing is defined }} {{ xs[0] }} "
      "{{ xs[-1] }} {{ xs.1 }}",
        "{\"m\": {\"role\": \"user\"}, \"xs\": [1, 2, 3]}", "user user |False 1 3 2" },
    { "{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[-2:] }} {{ 'hello'[1:3"
      "] }} {{ 'héllo'[::-1] }} {{ xs[5:] }}",
        "{\"xs\": [1, 2, 3, 4]}", "[2, 3, 4] [1, 2, 3] [4, 3, 2, 1] [1, 3] [3, 4] el olléh []" },
    { "{{ 1 in [1, 2] }} {{ 3 not in [1, 2] }} {{ 'ell' in 'hello' }} {{ 'a' in {'a': 1} }}"
      " {{ not 1 in [2] }}",
        "{}", "True True True True True" },
    { "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ 1 != 2 }} {{ [1,2]"
      " == [1,2] }} {{ true == 1 }}",
        "{}", "True False True True True True True" },
    { "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' or none }} {{ not '' }} {{ [] and 1 }}", "{}",
        "x y None True []" },
    { "{{ 'a' if x else 'b' }} {{ 'a' if not x }}|{{ 1 if x is none else 2 }}", "{\"x\": null}",
        "b a|1" },
    { "{{ -x|abs }} {{ -2 ** 2 }} {{ (2 + 3)|string + 'x' }}", "{\"x\": 3}", "3 4 5x" },
    { "{{ undefined_var }}|{{ undefined_var is defined }}|{{ undefined_var is undefined }}|"
      "{{ undefined_var|default('dflt') }}|{{ ''|default('e', true) }}|{{ ''|d('e') }}",
        "{}", "|False|True|dflt|e|" },
    { "{% if undefined_var %}x{% else %}y{% endif %}{% for a in undefined_var %}{{ a }}{% e"
      "ndfor %}{{ undefined_var|length }}",
        "{}", "y0" },
    { "{{ 1 is number }}{{ 1.0 is float }}{{ 1 is integer }}{{ true is integer }}{{ 's' is "
      "string }}{{ {} is mapping }}{{ [] is iterable }}{{ 's' is sequence }}{{ true is bool"
      "ean }}{{ true is true }}{{ 0 is false }}{{ none is none }}",
        "{}", "TrueTrueTrueFalseTrueTrueTrueTrueTrueTrueFalseTrue" },
    { "{{ 4 is even }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 'a'"
      " is equalto 'a' }}{{ 2 is eq 3 }}{{ 1 is not none }}{{ 'x' is in 'xyz' }}",
        "{}", "TrueTrueTrueFalseTrueFalseTrueTrue" },
    { "{{ '  hi  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ 'Hello World'|upper }}|{{ 'Hello'|lo"
      "wer }}|{{ 'hello wORLD-foo(bar'|title }}|{{ 'hELLO wORLD'|capitalize }}",
        "{}", "hi|hi|HELLO WORLD|hello|Hello World-Foo(Bar|Hello world" },
    { "{{ 'héllo'|length }} {{ [1,2]|count }} {{ {'a':1}|length }} {{ [3,4]|first }} {{ [3,"
      "4]|last }} {{ 'abc'|first }} {{ []|first }}",
        "{}", "5 2 1 3 4 a " },
    { "{{ ['a','b']|join(', ') }} {{ [1,2]|join }} {{ users|join(', ', attribute='name') }}",
        "{\"users\": [{\"name\": \"A\"}, {\"name\": \"B\"}]}", "a, b 12 A, B" },
    { "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ 'é\"\\n'|tojson }}|{{ [1.5, none, true, 1"
      "e20]|tojson }}|{{ {}|tojson }}{{ []|tojson(indent=4) }}",
        "{\"d\": {\"b\": [1, {\"x\": \"y\"}], \"a\": \"ü\", \"c\": {}}}",
        "{\"b\": [1, {\"x\": \"y\"}], \"a\": \"ü\", \"c\": {}}|{\n  \"b\": [\n    1,\n    {\n"
        "      \"x\": \"y\"\n    }\n  ],\n  \"a\": \"ü\",\n  \"c\": {}\n}|\"é\\\"\\n\"|[1.5, "
        "null, true, 1e+20]|{}[]" },
    { "{{ d|tojson(separators=(',', ':')) }}|{{ d|tojson(sort_keys=true) }}",
        "{\"d\": {\"b\": 1, \"a\": [1, 2]}}", "{\"b\":1,\"a\":[1,2]}|{\"a\": [1, 2], \"b\": 1}" },
    { "{{ 42|string }}{{ '12'|int + 1 }}{{ '3.7'|int }}{{ 'x'|int }}{{ 'x'|int(5) }}{{ '2.5"
      "'|float }}{{ 3|float }}{{ 'abc'|list }}{{ {'a': 1}|items|list }}",
        "{}", "42133052.53.0['a', 'b', 'c'][('a', 1)]" },
    { "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 2.5|round }} {{ 3."
      "5|round }} {{ 2.567|round(2) }} {{ 2.1|round(0, 'ceil') }} {{ -3|abs }} {{ -2.5|abs "
      "}}",
        "{}", "bbb bba 2.0 4.0 2.57 3.0 3 2.5" },
    { "{{ users|map(attribute='name')|join(',') }} {{ ['a','b']|map('upper')|list }} {{ use"
      "rs|map(attribute='age', default=0)|list }}",
        "{\"users\": [{\"name\": \"A\", \"age\": 3}, {\"name\": \"B\"}]}",
        "A,B ['A', 'B'] [3, 0]" },
    { "{{ [1,2,3,4]|select('odd')|list }} {{ [1,2,3,4]|reject('odd')|list }} {{ [0,1,'',2]|"
      "select|list }} {{ ['a','b','a']|reject('equalto','a')|list }}",
        "{}", "[1, 3] [2, 4] [1, 2] ['b']" },
    { "{{ ms|selectattr('role', 'equalto', 'user')|map(attribute='c')|list }} {{ ms|rejecta"
      "ttr('role', 'equalto', 'user')|list|length }} {{ ms|selectattr('x')|list|length }}",
        "{\"ms\": [{\"role\": \"user\", \"c\": 1}, {\"role\": \"assistant\", \"c\": 2, \"x\":"
        " true}, {\"role\": \"user\", \"c\": 3}]}",
        "[1, 3] 1 1" },
    { "{{ [3,1,2]|sort }} {{ [3,1,2]|sort(reverse=true) }} {{ ['b','A','c']|sort }} {{ ['b'"
      ",'A','c']|sort(case_sensitive=true) }} {{ us|sort(attribute='n')|map(attribute='n')|"
      "list }}",
        "{\"us\": [{\"n\": 2}, {\"n\": 1}]}",
        "[1, 2, 3] [3, 2, 1] ['A', 'b', 'c'] ['A', 'b', 'c'] [1, 2]" },
    { "{{ [1,2,1,3]|unique|list }} {{ ['a','A','b']|unique|list }} {{ [1,2,3]|reverse|list "
      "}} {{ 'abc'|reverse }}",
        "{}", "[1, 2, 3] ['a', 'b'] [3, 2, 1] cba" },
    { "{{ '<a href=\"x\">&'|escape }} {{ '<b>'|e }} {{ '<b>'|safe }}", "{}",
        "&lt;a href=&#34;x&#34;&gt;&amp; &lt;b&gt; <b>" },
    { "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, bl"
      "ank=true) }}|{{ 'x\\n'|indent }}",
        "{}", "a\n    b\n\n    c|  a\n  b|a\n  \n  b|x\n" },
    { "{{ 'hello big world'|wordcount }} {{ 'ab'|center(7) }}|{{ 'ab'|center(6) }}|{{ 'abc'"
      "|center(6) }}|",
        "{}", "3    ab  |  ab  | abc  |" },
    { "{{ [1,2,3]|sum }} {{ [3,1,2]|max }} {{ [3,1,2]|min }} {{ {'b':1,'a':2}|dictsort }}", "{}",
        "6 3 1 [('a', 2), ('b', 1)]" },
    { "{% filter upper %}shout {{ 'it' }}{% endfilter %}", "{}", "SHOUT IT" },
    { "{{ '  x  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  x  '.lstrip() }}|{{ '  x  '.rst"
      "rip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }"
      "}",
        "{}", "x|a|x  |  x|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']" },
    { "{{ 'hello'.startswith('he') }}{{ 'hello'.endswith('lo') }}{{ 'hello'.startswith(('x'"
      ", 'h')) }}{{ 'hello'.upper() }}{{ 'HeLLo'.lower() }}{{ 'hello world'.title() }}{{ 'a"
      "b'.replace('a', 'c') }}{{ 'hello'.find('l') }}{{ 'hello'.find('z') }}{{ 'hello'.coun"
      "t('l') }}{{ '-'.join(['a','b']) }}",
        "{}", "TrueTrueTrueHELLOhelloHello Worldcb2-12a-b" },
    { "{{ '{} and {}'.format('a', 'b') }} {{ '{0}{name}'.format(1, name='n') }}", "{}",
        "a and b 1n" },
    { "{{ d.keys()|list }} {{ d.values()|list }} {{ d.get('a') }} {{ d.get('z', 'none') }} "
      "{{ d.get('z') }}",
        "{\"d\": {\"a\": 1, \"b\": 2}}", "['a', 'b'] [1, 2] 1 none None" },
    { "{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M') }}", "{}",
        "15 Jan 2026 2026-01-15 12:00" },
    { "{{ dict(a=1, b='x') }} {{ namespace(a=1).a }}", "{}", "{'a': 1, 'b': 'x'} 1" },
    { "{%- if messages[0]['role'] == 'system' %}\n    {%- set sys = messages[0]['content'] "
      "%}\n    {%- set msgs = messages[1:] %}\n{%- else %}\n    {%- set msgs = messages %}"
      "\n{%- endif %}\n{%- for m in msgs %}\n    {{- '<' + m.role + '>' + m.content|trim + "
      "'\\n' }}\n{%- endfor %}\n{%- if sys is defined %}{{ sys }}{% endif %}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"c"
        "ontent\": \" hi \"}]}",
        "<user>hi\nS" },
    { "{% for m in ms %}\n  {% if m.role == 'user' %}\n    U: {{ m.content }}\n  {% else %}"
      "\n    A: {{ m.content }}\n  {% endif %}\n{% endfor %}\n",
        "{\"ms\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"cont"
        "ent\": \"a\"}]}",
        "    U: q\n    A: a\n" },
    { "{{ messages | selectattr('role', 'eq', 'user') | list | length }}",
        "{\"messages\": [{\"role\": \"user\"}, {\"role\": \"x\"}]}", "1" },
    { "{%- set tools_json = tools | tojson(indent=4) %}{{ tools_json }}",
        "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\""
        ": {\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"integer\"}}}}}]}",
        "[\n    {\n        \"type\": \"function\",\n        \"function\": {\n            \"na"
        "me\": \"f\",\n            \"parameters\": {\n                \"type\": \"object\",\n"
        "                \"properties\": {\n                    \"x\": {\n                   "
        "     \"type\": \"integer\"\n                    }\n                }\n            }"
        "\n        }\n    }\n]" },
};

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
        const std::string open = errorOf("{{ (((( }}");
        QVERIFY2(contains(open, "unterminated"), open.c_str());
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
