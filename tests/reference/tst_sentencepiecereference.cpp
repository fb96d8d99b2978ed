// SPDX-License-Identifier: GPL-3.0-or-later
// Our SentencePiece encoder against libsentencepiece itself, line by line over WikiText-2 and
// TinyStories. This executable links no libtorch: libsentencepiece's protobuf cannot share a
// process with it, which is why Lathe reads tokenizer.model files with its own code.
#include "testdata.h"

#include "text/tokenizerloader.h"

#include <QtTest/QtTest>

#include <sentencepiece_processor.h>

#include <fstream>
#include <sstream>

class TestSentencePieceReference : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sameIdsAsLibSentencePiece_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("wiki.test.raw") << "text/wiki.test.raw";
        QTest::newRow("TinyStories") << "text/TinyStories-valid-excerpt.txt";
        QTest::newRow("calibration-mixed") << "text/calibration-mixed.txt";
    }

    void sameIdsAsLibSentencePiece()
    {
        LATHE_REQUIRE_SHARED_DATA();
        QFETCH(QString, text);
        const std::string model
            = lathe::test::dataPath("tokenizers/llama2-spm/tokenizer.model").toStdString();
        sentencepiece::SentencePieceProcessor reference;
        QVERIFY(reference.Load(model).ok());
        const auto ours = lathe::loadTokenizer(model);

        std::ifstream in(lathe::test::dataPath(text).toStdString(), std::ios::binary);
        std::string line;
        int lines = 0, matched = 0;
        while (std::getline(in, line)) {
            if (line.empty())
                continue;
            ++lines;
            std::vector<int> expected;
            QVERIFY(reference.Encode(line, &expected).ok());
            const std::vector<int32_t> got = ours->encode(line, false);
            if (std::vector<int>(got.begin(), got.end()) == expected)
                ++matched;
            else if (lines - matched <= 3)
                qWarning("line %d differs: '%s'", lines, line.substr(0, 80).c_str());
            std::string decoded;
            QVERIFY(reference.Decode(expected, &decoded).ok());
            QCOMPARE(ours->decode(std::vector<int32_t>(expected.begin(), expected.end())), decoded);
        }
        qInfo("%s: %d/%d lines encode identically", qPrintable(text), matched, lines);
        QVERIFY(lines >= 10);
        QCOMPARE(matched, lines);
    }
};

QTEST_GUILESS_MAIN(TestSentencePieceReference)
#include "tst_sentencepiecereference.moc"
