// SPDX-License-Identifier: GPL-3.0-or-later
// Token-id files: separators, line numbers in errors, unreadable files.
#include "eval/tokenfile.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <fstream>

using namespace lathe;

class TestTokenFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesSeparators()
    {
        const std::vector<std::int32_t> expected = {1, 22, 333, 4, 5, 6, 2147483647};
        QCOMPARE(parseTokenIds("1 22 333\n4,5, 6\r\n\t2147483647\n", "t"), expected);
        QCOMPARE(parseTokenIds("1,22,333,4,5,6,2147483647", "t"), expected);
        QVERIFY(parseTokenIds("", "t").empty());
        QVERIFY(parseTokenIds(" \n ,\n", "t").empty());
    }

    void reportsLineOfBadContent()
    {
        auto message = [](const std::string &text) {
            try {
                parseTokenIds(text, "ids.txt");
            } catch (const FormatError &e) {
                return std::string(e.what());
            }
            return std::string("no error");
        };
        const std::string bad = message("1 2 3\n4 5\n6 x7 8\n");
        QVERIFY2(bad.find("ids.txt line 3") != std::string::npos, bad.c_str());
        QVERIFY2(bad.find("'x7'") != std::string::npos, bad.c_str());
        QVERIFY(message("1 -2").find("line 1") != std::string::npos);
        QVERIFY(message("1\n2.5").find("line 2") != std::string::npos);
        QVERIFY(message("2147483648").find("not a token id") != std::string::npos);
        QVERIFY(message("[1, 2]").find("'[1'") != std::string::npos);
    }

    void readsFiles()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath(QStringLiteral("ids.txt")).toStdString();
        {
            std::ofstream out(path);
            out << "7 8\n9\n";
        }
        QCOMPARE(readTokenIds(path), (std::vector<std::int32_t>{7, 8, 9}));
        QVERIFY_THROWS_EXCEPTION(IoError, readTokenIds(path + ".missing"));
    }
};

QTEST_GUILESS_MAIN(TestTokenFile)
#include "tst_tokenfile.moc"
