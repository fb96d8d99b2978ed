// SPDX-License-Identifier: GPL-3.0-or-later
// Reference cases for tst_jinja: templates with the output Jinja2 3.1.6 gives under
// transformers' environment (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
// loopcontrols, its tojson, strftime_now fixed to 2026-01-15 12:00:00), and templates it refuses.
#pragma once

namespace lathe::test::jinjacases {

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
    { "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %"
      "}{%- for message in messages[::-1] %}{%- set index = (messages|length - 1) - loop.in"
      "dex0 %}{%- if ns.multi_step_tool and message.role == 'user' and not(message.content."
      "startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}{%"
      "- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}{%- endif %"
      "}{%- endfor %}{{ ns.last_query_index }}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "4" },
    { "{% for m in messages %}{% if m.content is string %}{% set content = m.content %}{% e"
      "lse %}{% set content = '' %}{% endif %}{% if '</think>' in content %}{% set r = cont"
      "ent.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}{% set c"
      "ontent = content.split('</think>')[-1].lstrip('\\n') %}[{{ r }}|{{ content }}]{% end"
      "if %}{% endfor %}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "[hmm|Hello]" },
    { "{% for t in tools %}{{ t | tojson }}\n{{ t.function.parameters | tojson(indent=2) }}"
      "{% endfor %}",
        "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get\", \"descriptio"
        "n\": \"Get weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city"
        "\": {\"type\": \"string\", \"description\": \"c\"}}, \"required\": [\"city\"]}}}]}",
        "{\"type\": \"function\", \"function\": {\"name\": \"get\", \"description\": \"Get we"
        "ather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\""
        ": \"string\", \"description\": \"c\"}}, \"required\": [\"city\"]}}}\n{\n  \"type\": "
        "\"object\",\n  \"properties\": {\n    \"city\": {\n      \"type\": \"string\",\n    "
        "  \"description\": \"c\"\n    }\n  },\n  \"required\": [\n    \"city\"\n  ]\n}" },
    { "{% for m in messages %}{% if m.tool_calls %}{% for tc in m.tool_calls %}{% if tc.fun"
      "ction %}{% set tc = tc.function %}{% endif %}{{ tc.name }}:{{ tc.arguments | tojson "
      "}}{% if tc.arguments is string %}S{% endif %}{% endfor %}{% endif %}{% endfor %}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "get:{\"city\": \"Paris\", \"n\": 2}" },
    { "{%- macro json_to_python_type(json_spec) %}\n{%- set basic_type_map = {\n    \"strin"
      "g\": \"str\",\n    \"number\": \"float\",\n    \"integer\": \"int\",\n    \"boolean"
      "\": \"bool\"\n} %}\n\n{%- if basic_type_map[json_spec.type] is defined %}\n    {{- b"
      "asic_type_map[json_spec.type] }}\n{%- elif json_spec.type == \"array\" %}\n    {{- "
      "\"list[\" +  json_to_python_type(json_spec|items) + \"]\"}}\n{%- elif json_spec.type"
      " == \"object\" %}\n    {%- if json_spec.additionalProperties is defined %}\n        "
      "{{- \"dict[str, \" + json_to_python_type(json_spec.additionalProperties) + ']'}}\n  "
      "  {%- else %}\n        {{- \"dict\" }}\n    {%- endif %}\n{%- elif json_spec.type is"
      " iterable %}\n    {{- \"Union[\" }}\n    {%- for t in json_spec.type %}\n      {{- j"
      "son_to_python_type({\"type\": t}) }}\n      {%- if not loop.last %}\n        {{- \","
      "\" }} \n    {%- endif %}\n    {%- endfor %}\n    {{- \"]\" }}\n{%- else %}\n    {{- "
      "\"Any\" }}\n{%- endif %}\n{%- endmacro %}\n{{ json_to_python_type({'type': 'string'}"
      ") }} {{ json_to_python_type({'type': ['string', 'integer']}) }} {{ json_to_python_ty"
      "pe({'type': 'object', 'additionalProperties': {'type': 'number'}}) }}",
        "{}", "str Union[str,int] dict[str, float]" },
    { "{%- for tool in tools %}\n{%- if tool.function is defined %}{%- set tool = tool.func"
      "tion %}{%- endif %}\n{{- '{\"name\": \"' + tool.name + '\", ' }}\n{%- for param_name"
      ", param_fields in tool.parameters.properties|items %}\n{{ param_name }}={{ param_fie"
      "lds.type }}{% if param_fields.description is defined %} # {{ param_fields.descriptio"
      "n }}{% endif %}\n{%- endfor %}\n{%- endfor %}",
        "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get\", \"descriptio"
        "n\": \"Get weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city"
        "\": {\"type\": \"string\", \"description\": \"c\"}}, \"required\": [\"city\"]}}}]}",
        "{\"name\": \"get\", city=string # c" },
    { "{{ messages[0]['content'] if messages[0]['role'] == 'system' else '' }}|{{ messages|"
      "map(attribute='role')|join(',') }}|{{ messages|selectattr('role','equalto','user')|l"
      "ist|last }}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "Sys|system,user,assistant,tool,user|{'role': 'user', 'content': 'Thanks'}" },
    { "{%- if not add_generation_prompt is defined %}{%- set add_generation_prompt = false "
      "%}{%- endif %}{%- set ns = namespace(is_first=false, is_tool=false, is_output_first="
      "true, system_prompt='', is_first_sp=true) %}{%- for message in messages %}{%- if mes"
      "sage['role'] == 'system' %}{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.syst"
      "em_prompt + message['content'] %}{% set ns.is_first_sp = false %}{%- else %}{% set n"
      "s.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}{%-"
      " endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}], \""
        "bos_token\": \"<B>\"}",
        "<B>Sys" },
    { "{{ '%s-%d' % ('a', 3) }}", "{}", "a-3" },
    { "{{ x.y is defined }} {{ (x or {}).get('y', 1) }}", "{\"x\": null}", "False 1" },
    { "{{ [1,2,3][1] }}{{ 'abc'[-1] }}{{ {'a': {'b': 5}}['a']['b'] }}{{ {'a': {'b': 5}}.a.b"
      " }}",
        "{}", "2c55" },
    { "{{ 10 / 4 }} {{ 10 // 4 }} {{ 2 ** -1 }} {{ 2.0 ** 3 }} {{ 1e3 }} {{ 123456789012345"
      "67890.0 }} {{ 0.000123 }} {{ 1/3 }}",
        "{}", "2.5 2 0.5 8.0 1000.0 1.2345678901234567e+19 0.000123 0.3333333333333333" },
    { "{{ {'a': 1, 'b': none, 'c': 'x\\'y'} }} {{ [[1, 2], ('a',)] }} {{ 'x' ~ [1] }}", "{}",
        "{'a': 1, 'b': None, 'c': \"x'y\"} [[1, 2], ('a',)] x[1]" },
    { "{% set x = 5 %}{% if x > 3 %}{% set x = 1 %}{% endif %}{{ x }}", "{}", "1" },
    { "{% for i in range(3) %}{% set x = i %}{% endfor %}{{ x is defined }}", "{}", "False" },
    { "{{ messages|length }}{{ messages[-1].content }}{{ (messages|last).role }}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "5Thanksuser" },
    { "{% if messages[0].content is none %}N{% endif %}{% if messages[1].nope is none %}X{%"
      " else %}Y{% endif %}",
        "{\"messages\": [{\"role\": \"a\", \"content\": null}, {}]}", "NY" },
    { "{{ true and none }}|{{ none or false }}|{{ 'a' and 'b' }}|{{ 0 or 0.0 }}|{{ not none"
      " }}",
        "{}", "None|False|b|0.0|True" },
    { "{%- for message in messages %}{%- if loop.index0 == 0 and message.role != 'system' %"
      "}DEF\n{% endif %}{{ message.role|upper }}:{{ message.content|trim }}{% if not loop.l"
      "ast %}\n{% endif %}{% endfor %}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "SYSTEM:SysUSER:HiASSISTANT:<think>\nhmm\n</think>\n\nHelloTOOL:{\"t\": 3}USER:Thanks" },
    { "{{ content.split() }} {{ content.split(None, 1) }} {{ '  a b  '.split(' ') }} {{ 'a"
      "\\nb'.splitlines() }}",
        "{\"content\": \" x  y\\tz \"}",
        "['x', 'y', 'z'] ['x', 'y\\tz '] ['', '', 'a', 'b', '', ''] ['a', 'b']" },
    { "{{ 'Hello World'|title }} {{ \"they're bill's\"|title }} {{ 'a_b c-d'|title }}", "{}",
        "Hello World They're Bill's A_b C-D" },
    { "{{ x|default }} {{ x|default('a')|upper }} {{ none|default('z') }} {{ false|default("
      "'z', true) }}",
        "{}", " A None z" },
    { "{{ [1, 'a']|tojson }} {{ 'a/b<c>'|tojson }} {{ '\\u2028 \\x7f \\x01'|tojson }} {{ 3."
      "0|tojson }} {{ 1e100|tojson }}",
        "{}", "[1, \"a\"] \"a/b<c>\" \"   \\u0001\" 3.0 1e+100" },
    { "{% for k, v in {'x': 1}.items() %}{{ k }}{{ v }}{% endfor %}{% for a in {'x': 1}|ite"
      "ms %}{{ a }}{% endfor %}",
        "{}", "x1('x', 1)" },
    { "{{ range(5)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }}", "{}",
        "[0, 1, 2, 3, 4] [5, 3, 1] []" },
    { "{% set a = [3, 1] %}{{ a|sort|first }}{{ a|min }}{{ a|join('-') }}{{ a|list|length }"
      "}",
        "{}", "113-12" },
    { "{{ 'abc' is string }}{{ 1 is string }}{{ none is mapping }}{{ {} is sequence }}{{ 'x"
      "' is iterable }}{{ 1 is iterable }}{{ none is iterable }}",
        "{}", "TrueFalseFalseTrueTrueFalseFalse" },
    { "{{ messages[0] == messages[0] }}{{ messages[0] == messages[1] }}{{ messages[0] in me"
      "ssages }}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "TrueFalseTrue" },
    { "{{ 'x' if x is defined and x else 'y' }}{{ x|length if x is defined }}", "{}", "y" },
    { "{{ -1|abs }} {{ not true == false }} {{ 1 in [1] == true }}", "{}", "1 True False" },
    { "{{ 'abc'.replace('', '-') }} {{ 'a.b.c'.split('.', 1) }} {{ 'aXbXc'.count('X') }} {{"
      " 'abc'.find('c') }}",
        "{}", "-a-b-c- ['a', 'b.c'] 2 2" },
    { "{% macro m(a, b=a + 1) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{% set c = 9 %}{{ m(1) }"
      "}{{ m(1, 5) }}",
        "{}", "129159" },
    { "{{ 3 is divisibleby 2 }}{{ 2 is odd }}{{ '1' == 1 }}{{ 1 < 1.5 }}{{ [1, 2] < [1, 3] "
      "}}",
        "{}", "FalseFalseFalseTrueTrue" },
    { "{%- for m in messages -%}\n  {{ m.role }}\n{%- endfor -%}\n",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "systemuserassistanttooluser" },
    { "{% for m in messages %}\n    {% set x = loop.index %}\n    {{- x -}}\n{% endfor %}",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Sys\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"<think>\\nhmm\\n</thi"
        "nk>\\n\\nHello\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\":"
        " \"get\", \"arguments\": {\"city\": \"Paris\", \"n\": 2}}}]}, {\"role\": \"tool\", "
        "\"content\": \"{\\\"t\\\": 3}\"}, {\"role\": \"user\", \"content\": \"Thanks\"}]}",
        "12345" },
    { "<<{% if true %}  \n  x{% endif %}>>", "{}", "<<  \n  x>>" },
    { "a{% if true %} {% endif %}\n b", "{}", "a  b" },
    { "  {%- if true %}\n x\n  {%- endif %}\n", "{}", " x" },
    { "{{ '{\"a\": 1}' }} {{ \"\\\\n\" }} {{ '\\\\' }}", "{}", "{\"a\": 1} \\n \\" },
    { "{%- set x = {'k': [1, {'z': none}]} -%}{{ x }}{{ x|tojson }}{{ x|string }}{{ x.k|str"
      "ing }}",
        "{}",
        "{'k': [1, {'z': None}]}{\"k\": [1, {\"z\": null}]}{'k': [1, {'z': None}]}[1, {'z': N"
        "one}]" },
    { "{{ 7.0 // 2 }} {{ -7.5 % 2 }} {{ 7 % -3 }} {{ 0.1 * 3 }} {{ 100 / 3 }} {{ 2e-5 }} {{"
      " 123456789.123 }}",
        "{}", "3.0 0.5 -2 0.30000000000000004 33.333333333333336 2e-05 123456789.123" },
    { "{{ u|first }}", "{}", "" },
    { "{{ [] | first }}|{{ []|last }}|{{ 'x'|first }}", "{}", "||x" },
    { "{{ {'a':1}|first }}", "{}", "a" },
    { "{{ xs|join(', ') }}", "{\"xs\": [1, null, true]}", "1, None, True" },
    { "{{ 'x'.nope }}|{{ 'x'.nope is defined }}", "{}", "|False" },
    { "{{ 'ab'|int }}{{ ''|float }}{{ '0x1A'|int }}{{ ' 12 '|int }}{{ '1_000'|int }}{{ true"
      "|int }}{{ 3.9|int }}{{ -3.9|int }}",
        "{}", "00.0012100013-3" },
    { "{{ m }}", "{\"m\": {\"a\": [1, 2.5, \"x\"]}}", "{'a': [1, 2.5, 'x']}" },
    { "{{ [1.0, -0.0, 1e16, 1e15, 123e-10] }}", "{}",
        "[1.0, -0.0, 1e+16, 1000000000000000.0, 1.23e-08]" },
    { "{{ 'é'|tojson }}{{ {'é': 1}|tojson(ensure_ascii=true) }}", "{}", "\"é\"{\"\\u00e9\": 1}" },
    { "{% if x %}\n  a\n{% elif y %}\n  b\n{% else %}\n  c\n{% endif %}\n", "{\"y\": 1}", "  b\n" },
    { "{% for x in xs %}\n{{ x }}\n{% endfor %}\n", "{\"xs\": [1, 2]}", "1\n2\n" },
    { "{% for x in xs -%}\n  {{ x }}\n{%- endfor %}", "{\"xs\": [1, 2]}", "12" },
    { "  {% set x = 1 %}  after\n", "{}", "  after" },
    { "{% set x = 1 %}\n\n{{ x }}\n\n", "{}", "\n1\n" },
    { "\t{% if true %}\t\n\ttab\n\t{% endif %}\t\nend", "{}", "\t\n\ttab\n\t\nend" },
    { "{{- ' x ' -}}  ", "{}", " x " },
    { "  {{- ' x ' -}}", "{}", " x " },
    { "{% raw -%}   a {{ b }}   {%- endraw %}", "{}", "a {{ b }}" },
    { "{%- raw %}  a  {% endraw -%}\n  z", "{}", "  a  z" },
    { "x {#- c #} y {# d -#} z", "{}", "x y z" },
    { "{%if true%}a{%endif%}{%-if true-%} b {%-endif-%}", "{}", "ab" },
    { "{% set d = {'items': 5} %}{{ d['items'] }}|{{ d.items()|list }}", "{}", "5|[('items', 5)]" },
    { "{{ 'abc'[5] }}|{{ 'abc'[1:100] }}|{{ [1,2,3][-10:2] }}|{{ [1,2,3][::-2] }}|{{ [1,2,3"
      "][2:0:-1] }}",
        "{}", "|bc|[1, 2]|[3, 1]|[3, 2]" },
    { "{{ (1, 2)[0] }}{{ (1, 2) + (3,) }}{{ [1, 2] * 2 }}{{ 2 * 'ab' }}", "{}",
        "1(1, 2, 3)[1, 2, 1, 2]abab" },
    { "{{ x is defined and x.y is defined }}{{ x.y if x.y is defined else 'no' }}",
        "{\"x\": {\"z\": 1}}", "Falseno" },
    { "{% for m in ms %}{{ m['role'] }}{% if m['role'] == 'user' and m.content|length > 3 %"
      "}L{% endif %}{% endfor %}",
        "{\"ms\": [{\"role\": \"user\", \"content\": \"abcd\"}, {\"role\": \"user\", \"conten"
        "t\": \"a\"}]}",
        "userLuser" },
    { "{{ 1 if true }}{{ 1 if false }}|{{ (1 if false) is defined }}", "{}", "1|False" },
    { "{{ 'a' if 1 else 'b' if 2 else 'c' }}{{ 'a' if 0 else 'b' if 0 else 'c' }}", "{}", "ac" },
    { "{{ 1 + 1 if false else 3 }}", "{}", "3" },
    { "{{ not 1 == 2 }}{{ not (1 == 2) }}{{ -1 ** 2 }}{{ (-1) ** 2 }}{{ 2 ** 3 ** 2 }}", "{}",
        "TrueTrue1164" },
    { "{{ 10 - 2 - 3 }}{{ 100 / 10 / 2 }}{{ 2 * 3 % 4 }}", "{}", "55.02" },
    { "{{ xs|map('string')|join }}{{ xs|map('abs')|list }}{{ xs|sum(start=10) }}",
        "{\"xs\": [-1, 2]}", "-12[1, 2]11" },
    { "{{ ms|map(attribute='a.b')|list }}{{ ms|map(attribute='0')|list }}",
        "{\"ms\": [{\"a\": {\"b\": 1}}, {\"a\": {}}]}", "[1, Undefined][Undefined, Undefined]" },
    { "{% set ns = namespace(items=[]) %}{% set ns.items = ns.items + [1] %}{% set ns.items"
      " = ns.items + [2] %}{{ ns.items }}",
        "{}", "[1, 2]" },
    { "{{ namespace(a=1) }}", "{}", "<Namespace {'a': 1}>" },
    { "{% for a in [1,2] %}{% for b in [3,4] %}{% if b == 4 %}{% break %}{% endif %}{{ a }}"
      "{{ b }}{% endfor %}{% endfor %}",
        "{}", "1323" },
    { "{% for x in [] if x %}{% else %}E{% endfor %}{% for x in [0, 0] if x %}{% else %}F{%"
      " endfor %}",
        "{}", "EF" },
    { "{% for x in [1] %}{{ loop.depth }}{{ loop.revindex0 }}{{ loop.changed(x) if false }}"
      "{% endfor %}",
        "{}", "10" },
    { "{{ '\\n'.join(['a', 'b']) }}{{ ', '.join(xs) }}", "{\"xs\": [\"c\", \"d\"]}", "a\nbc, d" },
    { "{{ [3, 2, 1]|sort|join(',') }}{{ ['b', 'a']|sort|first }}{{ {'b': 1, 'a': 2}|dictsor"
      "t|first }}",
        "{}", "1,2,3a('a', 2)" },
    { "{{ 'Hello'|center(11, ) }}", "{}", "   Hello   " },
    { "{{ 'hello world'|replace('o', '0')|upper }}", "{}", "HELL0 W0RLD" },
    { "{{ 'x'|indent(4, true) }}|{{ ''|indent(first=true) }}|{{ 'a\\n b'|indent(width=2) }}", "{}",
        "    x|    |a\n   b" },
    { "{{ 'x' in u }}{{ 'x' not in u }}{{ u != 1 }}{{ u == u2 }}", "{}", "FalseTrueTrueTrue" },
    { "{% for x in 'ab' %}{{ loop.index }}{% endfor %}{% for x in {'a': 1}.values() %}{{ x "
      "}}{% endfor %}",
        "{}", "121" },
    { "{{ (1, 2) == [1, 2] }}{{ (1,2) }}{{ [(1, 2)] }}", "{}", "False(1, 2)[(1, 2)]" },
    { "{% set a = 'x' %}{% macro m() %}{{ a }}{% set a = 'y' %}{{ a }}{% endmacro %}{{ m() "
      "}}{{ a }}",
        "{}", "xyx" },
    { "{% for i in range(2) %}{% set ns = namespace(v=i) %}{{ ns.v }}{% endfor %}", "{}", "01" },
    { "{{ {'a': 1}|items|first }}{{ ({'a': 1}|items|first)[0] }}", "{}", "('a', 1)a" },
    { "{{ '%s' % none }}{{ '%s' % [1] }}{{ '%d%%' % 5 }}", "{}", "None[1]5%" },
    { "{{ 'abc' ~ 1.0 ~ 1e-5 ~ (1/3) }}", "{}", "abc1.01e-050.3333333333333333" },
    { "{{ True }}{{ none is none }}{{ None|string }}{{ none|lower }}", "{}", "TrueTrueNonenone" },
    { "{{ 'a' * 0 }}{{ [1] * -1 }}{{ 3 * 'x' }}", "{}", "[]xxx" },
    { "{{ 5 // 0.5 }}{{ 2 ** 0.5 }}{{ 10 % 3.5 }}{{ -7 // 2.0 }}", "{}",
        "10.01.41421356237309513.0-4.0" },
    { "{{ 1 == true }}{{ 0 == false }}{{ 1.0 in [1] }}{{ true in [1] }}", "{}",
        "TrueTrueTrueTrue" },
    { "{{ 'a\\u00e9\\U0001F600' }}{{ '\\x41\\101' }}", "{}", "aé😀AA" },
    { "{{ 'it''s' }}", "{}", "its" },
    { "{{ [1,2,3]|batch(2)|list }}", "{}", "[[1, 2], [3]]" },
    { "{{ x['a']['b'] }}", "{\"x\": {\"a\": null}}", "" },
    { "{{ x.a.b }}", "{\"x\": {\"a\": null}}", "" },
    { "{% set x = [1,2,3] %}{{ x[1:][0] }}{{ x|length - 1 }}{{ x[x|length - 1] }}", "{}", "223" },
    { "{{ 'Hello'[0:1]|lower + 'Hello'[1:] }}", "{}", "hello" },
    { "{{ [{'a': 2}, {'a': 1}]|sort(attribute='a')|map(attribute='a')|join }}{{ [{'a': 'B'}"
      ", {'a': 'a'}]|sort(attribute='a')|map(attribute='a')|join }}",
        "{}", "12aB" },
    { "{{ 3|string|length }}{{ 3.50|string }}", "{}", "13.5" },
    { "{% if not messages %}E{% endif %}{% if messages|length == 0 %}Z{% endif %}",
        "{\"messages\": []}", "EZ" },
    { "{% for i in [1,2] %}{% if i == 2 %}[{{ x }}]{% endif %}{% set x = i %}{% endfor %}", "{}",
        "[]" },
    { "{% set x = 1 %}{% for i in [1] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}", "{}",
        "121" },
    { "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}", "{}", "2" },
    { "{% macro m(a) %}{{ a }}{{ varargs }}{% endmacro %}{{ m(1) }}", "{}", "1()" },
    { "{% for i in [1, 2] %}{% set x = loop.index %}{% endfor %}{{ x }}", "{}", "" },
    { "{% set ns = namespace(found=false) %}{% for m in ms %}{% if m.role == 'system' %}{% "
      "set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
        "{\"ms\": [{\"role\": \"system\"}]}", "True" },
    { "{% for m in ms %}{{ loop.index0 }}{% for n in m.c %}{{ loop.index0 }}{% endfor %}{% "
      "endfor %}",
        "{\"ms\": [{\"c\": [1, 2]}, {\"c\": [3]}]}", "00110" },
    { "{%- for message in messages -%}{%- if loop.first and message.role == 'system' -%}{%-"
      " continue -%}{%- endif -%}{{ message.role }}{%- endfor -%}",
        "{\"messages\": [{\"role\": \"system\"}, {\"role\": \"user\"}]}", "user" },
    { "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}", "{}",
        "1(2, 3){'x': 4}" },
    { " a {%+ set v = 1 %}  {% raw -%}x\n  {% endraw -%}  \n{# c #}a", "{}", " a   x\na" },
    { "\t{%- raw %}x\n  {% endraw -%} a {{ 'E' }}  \n", "{}", "x\na E  " },
    { "a{% raw %}  \n  {% endraw %}\n{{- 'E' }}\n{% set v = 1 %}\n\n", "{}", "a  \nE\n" },
    { "{% raw %}  x  {%+ endraw %}|{% raw %}\n  {%- endraw %}|", "{}", "  x  ||" },
    { "{{ 'ab' * true }}|{{ 0 * (1, 'x') }}|{{ [1, 2] * [1, 2] is true }}|{{ 2.5 is odd }}|"
      "{{ 3.0 is odd }}|{{ -3 is odd }}|{{ 7.5 is divisibleby 2.5 }}",
        "{}", "ab|()|[]|False|True|True|True" },
    { "{{ 1 is sameas 1 if true else 2 }}", "{}", "True" },
    { "{{ x is defined and x is not none }}", "{\"x\": 1}", "True" },
};

struct ErrorCase {
    const char *templ;
    const char *context;
};

// Templates Jinja2 refuses to render (the comment says what it raised).
const ErrorCase kErrorCases[] = {
    { "{{ 'a' 'b' ~ 'c' + 'd' }} {{ 1 + 2 ~ 3 }} {{ 2 * 3 ~ 4 }}",
        "{}" }, // unsupported operand type(s) for +: 'int' and 'str'
    { "{{ none.x }}|{{ xs[5] }}|{{ u|upper }}|{{ u|trim }}|{{ u == none }}|{{ u ~ 'a' }}|{{"
      " u|length }}|{{ u is none }}|{{ loop.index }}",
        "{\"xs\": [1]}" }, // 'loop' is undefined
    { "{{ u + 1 }}", "{}" }, // 'u' is undefined
    { "{% if u.x %}{% endif %}", "{}" }, // 'u' is undefined
    { "{{ u|tojson }}", "{}" }, // Object of type Undefined is not JSON serializable
    { "{{ [1] + none }}", "{}" }, // can only concatenate list (not "NoneType") to list
    { "{% for x in none %}{% endfor %}", "{}" }, // 'NoneType' object is not iterable
    { "{% for x in 5 %}{% endfor %}", "{}" }, // 'int' object is not iterable
    { "{{ 'a' < 1 }}", "{}" }, // '<' not supported between instances of 'str' and 'int'
    { "{{ u < 1 }}", "{}" }, // 'u' is undefined
    { "{{ u[0] }}", "{}" }, // 'u' is undefined
    { "{{ u() }}", "{}" }, // 'u' is undefined
    { "{{ 1() }}", "{}" }, // 'int' object is not callable
    { "{{ 'x'.nope() }}", "{}" }, // 'str object' has no attribute 'nope'
    { "{% set x.y = 1 %}", "{\"x\": {}}" }, // cannot assign attribute on non-namespace object
    { "{{ 1 in 'abc' }}", "{}" }, // 'in <string>' requires string as left operand, not int
    { "{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}|{{ m(1, 2) }}",
        "{}" }, // macro 'm' takes not more than 1 argument(s)
    { "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=1) }}",
        "{}" }, // macro 'm' takes no keyword argument 'b'
    { "{{ 1 in none }}", "{}" }, // argument of type 'NoneType' is not iterable
    { "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
        "{}" }, // macro 'm' takes not more than 1 argument(s)
    { "{% macro m() %}{{ kwargs }}{% endmacro %}{{ m(1) }}",
        "{}" }, // macro 'm' takes not more than 0 argument(s)
    { "{{ 1 is none is none }}", "{}" }, // You cannot chain multiple tests with is
    { "{{ 'abc' % 5 }}", "{}" }, // not all arguments converted during string formatting
};

} // namespace lathe::test::jinjacases
