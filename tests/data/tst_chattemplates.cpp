// SPDX-License-Identifier: GPL-3.0-or-later
// Real chat templates rendered byte-identically to transformers' apply_chat_template
// (reference renderings in templates/*.expected.json and tokenizers/*/chat_template.expected.json).
#include "testdata.h"
#include "text/chattemplate.h"
#include "util/error.h"

#include <QDir>
#include <QtTest/QtTest>

#include <fstream>
#include <sstream>

using namespace lathe;
using nlohmann::ordered_json;

namespace {

std::string readFile(const QString &path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The conversations the reference renderings were made from (the expected files name them).
ChatTemplateInputs conversation(const std::string &name)
{
    auto msg = [](const char *role, const std::string &content) {
        return ordered_json { { "role", role }, { "content", content } };
    };
    ChatTemplateInputs in;
    if (name == "single_user_gen") {
        in.messages.push_back(msg("user", "Hello! How are you?"));
        in.addGenerationPrompt = true;
    } else if (name == "system_multi_turn") {
        in.messages.push_back(msg("system", "You are a terse assistant."));
        in.messages.push_back(msg("user", "Name a prime number."));
        in.messages.push_back(msg("assistant", "7"));
        in.messages.push_back(msg("user", "Another one, please \xe2\x80\x94 bigger than 10."));
        in.addGenerationPrompt = true;
    } else if (name == "no_gen_prompt") {
        in.messages.push_back(msg("user", "Translate 'Katze' to English."));
        in.messages.push_back(msg("assistant", "Cat."));
        in.addGenerationPrompt = false;
    } else if (name == "unicode_and_whitespace") {
        in.messages.push_back(
            msg("user", "  Leading spaces, \xc3\xa9mojis \xf0\x9f\xa4\x96 and\nnewlines\n\n  "));
        in.addGenerationPrompt = true;
    } else {
        throw InvalidArgument("unknown conversation " + name);
    }
    return in;
}

jinja::RenderOptions fixedClock()
{
    jinja::RenderOptions o;
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

} // namespace

class TestChatTemplates : public QObject {
    Q_OBJECT
private:
    void addRows(const QString &label, const QString &templatePath, const QString &expectedPath,
        bool fromConfig)
    {
        const ordered_json expected = ordered_json::parse(readFile(expectedPath));
        for (const auto &r : expected["results"]) {
            const std::string name = r["name"].get<std::string>();
            QTest::newRow(qPrintable(label + ":" + QString::fromStdString(name)))
                << templatePath << fromConfig << QString::fromStdString(name)
                << QString::fromStdString(expected["bos_token"].get<std::string>())
                << QString::fromStdString(expected["eos_token"].get<std::string>())
                << QByteArray::fromStdString(r.value("rendered", std::string()))
                << QString::fromStdString(r.value("error", std::string()));
        }
    }

private Q_SLOTS:
    void renders_data()
    {
        QTest::addColumn<QString>("templatePath");
        QTest::addColumn<bool>("fromConfig");
        QTest::addColumn<QString>("conversationName");
        QTest::addColumn<QString>("bos");
        QTest::addColumn<QString>("eos");
        QTest::addColumn<QByteArray>("rendered");
        QTest::addColumn<QString>("error");
        if (test::sharedDataDir().isEmpty()) {
            QTest::newRow("no-data") << QString() << false << QString() << QString() << QString()
                                     << QByteArray() << QString();
            return;
        }
        const QDir dir(test::dataPath("templates"));
        for (const QString &f : dir.entryList({ "*.jinja" }, QDir::Files, QDir::Name)) {
            const QString base = f.left(f.size() - 6);
            addRows(base, dir.filePath(f), dir.filePath(base + ".expected.json"), false);
        }
        for (const char *tok : { "hf-llama3", "hf-qwen2_5" }) {
            const QString d = test::dataPath(QString("tokenizers/") + tok);
            addRows(tok, d + "/tokenizer_config.json", d + "/chat_template.expected.json", true);
        }
    }

    void renders()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QFETCH(QString, templatePath);
        QFETCH(bool, fromConfig);
        QFETCH(QString, conversationName);
        QFETCH(QString, bos);
        QFETCH(QString, eos);
        QFETCH(QByteArray, rendered);
        QFETCH(QString, error);
        const std::string text
            = fromConfig ? loadChatTemplate(templatePath.toStdString()) : readFile(templatePath);
        QVERIFY(!text.empty());
        ChatTemplateInputs in = conversation(conversationName.toStdString());
        in.bosToken = bos.toStdString();
        in.eosToken = eos.toStdString();
        if (!error.isEmpty()) {
            // "TemplateError: <message>": the raised message must reach the user.
            std::string want = error.toStdString();
            if (const auto colon = want.find(": "); colon != std::string::npos)
                want = want.substr(colon + 2);
            try {
                const std::string out = renderChatTemplate(text, in, fixedClock());
                QFAIL(qPrintable("expected an error, got: " + QString::fromStdString(out)));
            } catch (const TemplateError &e) {
                QVERIFY2(std::string(e.what()).find(want) != std::string::npos, e.what());
            }
            return;
        }
        std::string out;
        try {
            out = renderChatTemplate(text, in, fixedClock());
        } catch (const Error &e) {
            QFAIL(e.what());
        }
        QCOMPARE(QByteArray::fromStdString(out), rendered);
    }

    void loadsNamedTemplates()
    {
        const ordered_json cfg = ordered_json::parse(
            R"({"chat_template": [{"name": "tool_use", "template": "T"},
                                  {"name": "default", "template": "D"}]})");
        QCOMPARE(chatTemplateFromConfig(cfg), std::string("D"));
        QCOMPARE(chatTemplateFromConfig(cfg, "tool_use"), std::string("T"));
        QVERIFY_THROWS_EXCEPTION(FormatError, chatTemplateFromConfig(cfg, "rag"));
        QVERIFY_THROWS_EXCEPTION(FormatError, chatTemplateFromConfig(ordered_json::object()));
        const ordered_json tokens = ordered_json::parse(
            R"({"bos_token": "<s>", "eos_token": {"content": "</s>", "lstrip": false},
                "pad_token": null})");
        QCOMPARE(tokenizerConfigToken(tokens, "bos_token"), std::string("<s>"));
        QCOMPARE(tokenizerConfigToken(tokens, "eos_token"), std::string("</s>"));
        QCOMPARE(tokenizerConfigToken(tokens, "pad_token"), std::string());
        QCOMPARE(tokenizerConfigToken(tokens, "unk_token"), std::string());
    }
};

QTEST_GUILESS_MAIN(TestChatTemplates)
#include "tst_chattemplates.moc"
