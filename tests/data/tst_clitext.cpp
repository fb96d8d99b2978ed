// SPDX-License-Identifier: GPL-3.0-or-later
// lathe-cli's text commands end to end (tokenize, detokenize, template, generate --prompt,
// perplexity --text, chat, bench-tokenizer): runs the built binary on the shared data and
// compares with the independent reference results.
#include "clirunner.h"
#include "testdata.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <memory>
#include <vector>

namespace {

using Run = lathe::test::CliRun;
using Invocation = lathe::test::CliInvocation;
using lathe::test::runCli;

QList<Run> runAll(const QList<Invocation> &invocations)
{
    return lathe::test::runCliInvocations(invocations);
}

QJsonObject parseObject(const QByteArray &bytes) { return lathe::test::parseJsonObject(bytes); }

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

std::vector<int> toInts(const QJsonArray &a)
{
    std::vector<int> v;
    for (const auto &x : a)
        v.push_back(x.toInt());
    return v;
}

std::vector<int> parseInts(const QByteArray &line)
{
    std::vector<int> v;
    for (const auto &word : QString::fromUtf8(line).split(' ', Qt::SkipEmptyParts))
        v.push_back(word.trimmed().toInt());
    return v;
}

QString joinIds(const std::vector<int> &ids)
{
    QStringList s;
    for (int id : ids)
        s << QString::number(id);
    return s.join(',');
}

// One llama.cpp tokenizer test vector: the input holding `needle` and its ids.
struct Vector {
    QByteArray text;
    std::vector<int> ids;
};

Vector vectorWith(const QString &name, const QByteArray &needle)
{
    const QString base = lathe::test::dataPath("tokenizers/llamacpp-vectors/" + name);
    const QList<QByteArray> inputs = readFile(base + ".inp").split('\n');
    // Inputs are separated by "\n__ggml_vocab_test__\n"; rejoin the lines of each.
    QList<QByteArray> texts{QByteArray()};
    bool first = true;
    for (const QByteArray &line : inputs) {
        if (line == "__ggml_vocab_test__") {
            texts.push_back({});
            first = true;
            continue;
        }
        if (!first)
            texts.back() += '\n';
        texts.back() += line;
        first = false;
    }
    const QList<QByteArray> outputs = readFile(base + ".out").split('\n');
    for (qsizetype i = 0; i < texts.size() && i < outputs.size(); ++i)
        if (texts[i].contains(needle))
            return {texts[i], parseInts(outputs[i])};
    return {};
}

// A JSON string literal for `text` (UTF-8).
QByteArray jsonString(const QString &text)
{
    const QByteArray array = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

// The conversations the template reference renderings were made from (see
// tst_chattemplates.cpp), as messages files. Keys in role, content order.
QByteArray conversationJson(const QString &name)
{
    QList<QPair<QString, QString>> messages;
    bool generationPrompt = true;
    if (name == "single_user_gen") {
        messages = {{"user", "Hello! How are you?"}};
    } else if (name == "system_multi_turn") {
        messages = {{"system", "You are a terse assistant."},
                    {"user", "Name a prime number."},
                    {"assistant", "7"},
                    {"user",
                     QString::fromUtf8("Another one, please \xe2\x80\x94 bigger than 10.")}};
    } else if (name == "no_gen_prompt") {
        messages = {{"user", "Translate 'Katze' to English."}, {"assistant", "Cat."}};
        generationPrompt = false;
    } else if (name == "unicode_and_whitespace") {
        messages = {{"user", QString::fromUtf8("  Leading spaces, \xc3\xa9mojis \xf0\x9f\xa4\x96 "
                                               "and\nnewlines\n\n  ")}};
    }
    QByteArray json = "{\"messages\": [";
    for (qsizetype i = 0; i < messages.size(); ++i)
        json += (i ? ", " : "") + QByteArray("{\"role\": ") + jsonString(messages[i].first)
                + ", \"content\": " + jsonString(messages[i].second) + "}";
    json += QByteArray("], \"add_generation_prompt\": ") + (generationPrompt ? "true" : "false")
            + "}";
    return json;
}

const std::vector<int> kPromptIds{1, 80, 147, 201, 282, 57, 3}; // "Once upon a time\n"

} // namespace

#define CHECK_OK(run) QVERIFY2((run).exitCode == 0, (run).err.constData())

class TestCliText : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tokenizeTinyStories();
    void tokenizeVectors();
    void detokenizeRoundTrip();
    void templatesRenderExactly();
    void generateFromText();
    void perplexityOfText();
    void chatReusesCache();
    void benchTokenizer();
    void ggufVocabularies();

private:
    QString tinyStories() const { return lathe::test::dataPath("models/tinystories-656k"); }
    QTemporaryDir m_dir;
};

void TestCliText::initTestCase()
{
    QVERIFY2(QFile::exists(lathe::test::cliBinary()),
        qPrintable("lathe-cli not built at " + lathe::test::cliBinary()));
    QVERIFY(m_dir.isValid());
}

void TestCliText::tokenizeTinyStories()
{
    LATHE_REQUIRE_SHARED_DATA();
    const auto runs = runAll({
        {{"tokenize", tinyStories(), "--text", "Once upon a time\n", "--special", "--json",
          "--pieces"},
         {}},
        {{"tokenize", tinyStories(), "--text", "Once upon a time\n"}, {}},
        {{"tokenize", tinyStories()}, {}},
    });
    CHECK_OK(runs[0]);
    CHECK_OK(runs[1]);
    const QJsonObject o = parseObject(runs[0].out);
    QCOMPARE(toInts(o["ids"].toArray()), kPromptIds);
    QCOMPARE(o["count"].toInt(), 7);
    QVERIFY(!o["tokenizer"].toString().isEmpty());
    const QJsonArray pieces = o["pieces"].toArray();
    QCOMPARE(pieces.size(), 7);
    QCOMPARE(pieces[6].toString(), QString("\n"));
    // Without --special: no BOS.
    QCOMPARE(parseInts(runs[1].out), std::vector<int>(kPromptIds.begin() + 1, kPromptIds.end()));
    // Neither --text nor --file: a usage error.
    QCOMPARE(runs[2].exitCode, 2);
}

void TestCliText::tokenizeVectors()
{
    LATHE_REQUIRE_SHARED_DATA();
    const Vector gpt2 = vectorWith("ggml-vocab-gpt-2.gguf", "y'all");
    const Vector qwen = vectorWith("ggml-vocab-qwen2.gguf", "y'all");
    QVERIFY(!gpt2.ids.empty() && !qwen.ids.empty());
    const QString file = m_dir.filePath("vector.txt");
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(gpt2.text);
    f.close();
    QCOMPARE(gpt2.text, qwen.text);
    const auto runs = runAll({
        {{"tokenize", lathe::test::dataPath("tokenizers/hf-gpt2"), "--file", file}, {}},
        {{"tokenize", lathe::test::dataPath("tokenizers/hf-qwen2_5/tokenizer.json"), "--text",
          QString::fromUtf8(qwen.text), "--json"},
         {}},
        {{"tokenize", lathe::test::dataPath("tokenizers/hf-gpt2"), "--file",
          m_dir.filePath("missing.txt")},
         {}},
    });
    CHECK_OK(runs[0]);
    CHECK_OK(runs[1]);
    QCOMPARE(parseInts(runs[0].out), gpt2.ids);
    QCOMPARE(toInts(parseObject(runs[1].out)["ids"].toArray()), qwen.ids);
    QVERIFY(runs[2].exitCode != 0);
    QVERIFY2(runs[2].err.contains("missing.txt"), runs[2].err.constData());
}

void TestCliText::detokenizeRoundTrip()
{
    LATHE_REQUIRE_SHARED_DATA();
    const Vector qwen = vectorWith("ggml-vocab-qwen2.gguf", "y'all");
    const QString folder = lathe::test::dataPath("tokenizers/hf-qwen2_5");
    const auto runs = runAll({
        {{"detokenize", folder, "--ids", joinIds(qwen.ids)}, {}},
        {{"detokenize", tinyStories(), "--ids", joinIds(kPromptIds), "--skip-special", "--json"},
         {}},
        {{"detokenize", tinyStories(), "--ids", "1,99999"}, {}},
    });
    CHECK_OK(runs[0]);
    CHECK_OK(runs[1]);
    QCOMPARE(runs[0].out, qwen.text); // byte for byte, no newline added
    QCOMPARE(parseObject(runs[1].out)["text"].toString(), QString("Once upon a time\n"));
    QVERIFY(runs[2].exitCode != 0);
    QVERIFY2(runs[2].err.contains("99999"), runs[2].err.constData());
}

void TestCliText::templatesRenderExactly()
{
    LATHE_REQUIRE_SHARED_DATA();
    struct Case {
        QString name;
        QByteArray rendered;
        QString error;
    };
    QList<Invocation> invocations;
    QList<Case> cases;
    const auto addCases = [&](const QString &label, const QString &model,
                              const QString &expectedPath) {
        const QJsonObject expected = parseObject(readFile(expectedPath));
        for (const auto &value : expected["results"].toArray()) {
            const QJsonObject r = value.toObject();
            const QString name = r["name"].toString();
            // Every conversation of every template is checked in tst_chattemplates; here the
            // richest one per template (Gemma's is the one that must fail), plus the one with
            // odd whitespace and non-ASCII for one template: each start of lathe-cli costs.
            if (name != "system_multi_turn"
                && !(name == "unicode_and_whitespace" && label.startsWith("Qwen")))
                continue;
            const QString messages = m_dir.filePath(name + ".json");
            if (!QFile::exists(messages)) {
                QFile f(messages);
                QVERIFY(f.open(QIODevice::WriteOnly));
                f.write(conversationJson(name));
            }
            invocations.push_back({{"template", model, "--messages", messages, "--bos",
                                    expected["bos_token"].toString(), "--eos",
                                    expected["eos_token"].toString()},
                                   {}});
            cases.push_back({label + ":" + name, r["rendered"].toString().toUtf8(),
                             r["error"].toString()});
        }
    };
    const QDir dir(lathe::test::dataPath("templates"));
    for (const QString &f : dir.entryList({"*.jinja"}, QDir::Files, QDir::Name))
        addCases(f, dir.filePath(f), dir.filePath(f.left(f.size() - 6) + ".expected.json"));
    for (const char *tok : {"hf-llama3", "hf-qwen2_5"}) {
        const QString d = lathe::test::dataPath(QString("tokenizers/") + tok);
        addCases(tok, d, d + "/chat_template.expected.json");
    }
    QVERIFY(cases.size() >= 8);
    const auto runs = runAll(invocations);
    int errors = 0;
    for (qsizetype i = 0; i < cases.size(); ++i) {
        const Run &r = runs[i];
        const Case &c = cases[i];
        if (!c.error.isEmpty()) {
            ++errors;
            // "TemplateError: <message>": the message, with the template line, on stderr.
            const QString want = c.error.mid(c.error.indexOf(": ") + 2);
            const QString err = QString::fromUtf8(r.err);
            QVERIFY2(r.exitCode == 1, qPrintable(c.name + ": " + r.out));
            QVERIFY2(err.contains(want) && err.contains("line"), qPrintable(c.name + ": " + err));
            QVERIFY2(r.out.isEmpty(), qPrintable(c.name));
            continue;
        }
        QVERIFY2(r.exitCode == 0, qPrintable(c.name + ": " + r.err));
        QVERIFY2(r.out == c.rendered,
                 qPrintable(c.name + ": got " + r.out + "\nwant " + c.rendered));
    }
    QVERIFY(errors >= 1);

    // A plain array of messages with the flag, and --json.
    const QString array = m_dir.filePath("array.json");
    QFile f(array);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"([{"role": "user", "content": "Hi"}])");
    f.close();
    const QString qwen = lathe::test::dataPath("tokenizers/hf-qwen2_5");
    const auto more = runAll({
        {{"template", qwen, "--messages", array, "--add-generation-prompt", "--json"}, {}},
        {{"template", tinyStories(), "--messages", array}, {}},
    });
    CHECK_OK(more[0]);
    const QString prompt = parseObject(more[0].out)["prompt"].toString();
    QVERIFY2(prompt.endsWith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"),
             qPrintable(prompt));
    // No chat template: the error names the model and suggests --template.
    QVERIFY(more[1].exitCode != 0);
    QVERIFY2(more[1].err.contains("tinystories-656k") && more[1].err.contains("--template"),
             more[1].err.constData());
}

void TestCliText::generateFromText()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QJsonObject ref =
        parseObject(readFile(lathe::test::dataPath("reference/tinystories-656k.json")))["greedy"]
            .toObject();
    const std::vector<int> expected = toInts(ref["continuation_ids"].toArray());
    const QStringList args{"generate", tinyStories(), "--prompt", "Once upon a time\n",
                           "--max-tokens", "40", "--temp", "0"};
    const auto runs = runAll({{args + QStringList{"--json"}, {}}, {args, {}}});
    for (const Run &r : runs)
        CHECK_OK(r);
    const QJsonObject o = parseObject(runs[0].out);
    QCOMPARE(toInts(o["prompt_ids"].toArray()), kPromptIds);
    QCOMPARE(toInts(o["ids"].toArray()), expected);
    const QByteArray text = o["text"].toString().toUtf8();
    QVERIFY(text.startsWith("One day he saw a little bird."));
    // Streamed text: the same text, then one newline.
    QCOMPARE(runs[1].out, text + "\n");
}

void TestCliText::perplexityOfText()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QStringList common{"perplexity", tinyStories(), "--ctx", "128", "--json"};
    const auto runs = runAll({
        {common
             + QStringList{"--text",
                           lathe::test::dataPath("text/TinyStories-valid-excerpt.txt")},
         {}},
        {common
             + QStringList{"--ids",
                           lathe::test::dataPath("reference/tinystories-656k.excerpt.ids.txt")},
         {}},
    });
    CHECK_OK(runs[0]);
    CHECK_OK(runs[1]);
    const QJsonObject text = parseObject(runs[0].out);
    const QJsonObject ids = parseObject(runs[1].out);
    QCOMPARE(text["tokens"].toInt(), 7955);
    QCOMPARE(text["tokens"].toInt(), ids["tokens"].toInt());
    QCOMPARE(text["ppl"].toDouble(), ids["ppl"].toDouble());
    const double ppl = text["ppl"].toDouble();
    QVERIFY2(std::abs(ppl - 47.2786) / 47.2786 < 1e-3, qPrintable(QString::number(ppl)));
}

void TestCliText::chatReusesCache()
{
    LATHE_REQUIRE_SHARED_DATA();
    const QString jinja = m_dir.filePath("story.jinja");
    QFile f(jinja);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
            "{% if add_generation_prompt %}assistant:{% endif %}");
    f.close();
    const QStringList args{"chat", tinyStories(), "--template", jinja, "--temp", "0",
                           "--max-tokens", "12"};
    const QByteArray conversation = "Once upon a time\n\nTell me more\n/exit\nNot sent\n";
    const auto runs = runAll({{args + QStringList{"--json"}, conversation}, {args, conversation}});
    CHECK_OK(runs[0]);
    CHECK_OK(runs[1]);
    const QList<QByteArray> lines = runs[0].out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    const QJsonObject first = parseObject(lines[0]);
    const QJsonObject second = parseObject(lines[1]);
    QCOMPARE(first["turn"].toInt(), 1);
    QCOMPARE(second["turn"].toInt(), 2);
    QCOMPARE(first["reused_tokens"].toInt(), 0);
    QVERIFY(first["generated_tokens"].toInt() > 0);
    QVERIFY(second["generated_tokens"].toInt() > 0);
    // Turn 2 runs only what the cache does not hold: at least turn 1's prompt up to the
    // reply (the reply's first ids may tokenize differently inside the whole text).
    QVERIFY2(second["reused_tokens"].toInt() >= first["prompt_tokens"].toInt() - 2,
             lines[1].constData());
    QCOMPARE(second["reused_tokens"].toInt() + second["prefill_tokens"].toInt(),
             second["prompt_tokens"].toInt());
    // Text mode: the replies on stdout, statistics on stderr only.
    const QByteArray replies = (first["reply"].toString() + "\n" + second["reply"].toString()
                                + "\n")
                                   .toUtf8();
    QCOMPARE(runs[1].out, replies);
    QVERIFY2(runs[1].err.contains("reused"), runs[1].err.constData());
}

void TestCliText::benchTokenizer()
{
    LATHE_REQUIRE_SHARED_DATA();
    const Run r = runCli({"bench-tokenizer", lathe::test::dataPath("tokenizers/hf-gpt2"),
                          tinyStories(), "--text",
                          lathe::test::dataPath("text/TinyStories-valid-excerpt.txt"),
                          "--min-time", "0", "--json"});
    CHECK_OK(r);
    const QJsonObject o = parseObject(r.out);
    QCOMPARE(o["bytes"].toInt(), 30346);
    QVERIFY(o["ceiling"].toObject()["utf8_validate_mb_s"].toDouble() > 0.0);
    QVERIFY(o["ceiling"].toObject()["byte_scan_mb_s"].toDouble() > 0.0);
    const QJsonArray rows = o["tokenizers"].toArray();
    QCOMPARE(rows.size(), 2);
    for (const auto &value : rows) {
        const QJsonObject row = value.toObject();
        QVERIFY(row["mb_s"].toDouble() > 0.0);
        QVERIFY(row["tokens_per_s"].toDouble() > 0.0);
        QVERIFY(!row["kind"].toString().isEmpty());
    }
    QCOMPARE(rows[1].toObject()["tokens"].toInt(), 7956); // the reference excerpt ids
    QVERIFY(rows[0].toObject()["round_trip"].toBool()); // byte-level BPE is lossless
}

void TestCliText::ggufVocabularies()
{
    LATHE_REQUIRE_SHARED_DATA();
    const Vector gpt2 = vectorWith("ggml-vocab-gpt-2.gguf", "y'all");
    const Vector spm = vectorWith("ggml-vocab-llama-spm.gguf", "y'all");
    QVERIFY(!gpt2.ids.empty() && !spm.ids.empty());
    const QString stories = lathe::test::dataPath("models/stories260K/stories260K-f32.gguf");
    const auto runs = runAll({
        {{"tokenize",
          lathe::test::dataPath("tokenizers/llamacpp-vectors/ggml-vocab-gpt-2.gguf"), "--text",
          QString::fromUtf8(gpt2.text)},
         {}},
        {{"tokenize", lathe::test::dataPath("tokenizers/llama2-spm/tokenizer.model"), "--text",
          QString::fromUtf8(spm.text)},
         {}},
        {{"generate", stories, "--prompt", "Once upon a time", "--temp", "0", "-n", "60",
          "--json"},
         {}},
        {{"perplexity", stories, "--text",
          lathe::test::dataPath("text/TinyStories-valid-excerpt.txt"), "--protocol", "llamacpp",
          "--ctx", "128", "--chunks", "8", "--json"},
         {}},
        {{"perplexity", stories, "--ids",
          lathe::test::dataPath("reference/stories260K.excerpt.ids.txt"), "--protocol",
          "llamacpp", "--ctx", "128", "--chunks", "8", "--json"},
         {}},
    });
    for (const Run &r : runs)
        CHECK_OK(r);
    QCOMPARE(parseInts(runs[0].out), gpt2.ids);
    QCOMPARE(parseInts(runs[1].out), spm.ids);

    // llama.cpp's greedy output echoes the prompt: " Once upon a time" + 60 generated tokens.
    const QJsonObject ref =
        parseObject(readFile(lathe::test::dataPath("reference/stories260K.json")));
    const QString echoed = ref["greedy"].toObject()["output"].toString();
    const QString prompt = QStringLiteral(" Once upon a time");
    QVERIFY(echoed.startsWith(prompt));
    const QJsonObject generated = parseObject(runs[2].out);
    QCOMPARE(generated["prompt_ids"].toArray().first().toInt(), 1); // BOS, as llama.cpp adds
    QCOMPARE(generated["text"].toString(), echoed.mid(prompt.size()));

    // --text tokenizes as llama-perplexity does (BOS first): the same chunks as llama.cpp's
    // own ids (the full run, 5.8583 at ctx 128, is tst_cli's; it is slow for this test).
    const QJsonObject fromText = parseObject(runs[3].out);
    const QJsonObject fromIds = parseObject(runs[4].out);
    QCOMPARE(fromText["chunks"].toInt(), 8);
    QCOMPARE(fromText["ppl"].toDouble(), fromIds["ppl"].toDouble());
}

QTEST_GUILESS_MAIN(TestCliText)
#include "tst_clitext.moc"
