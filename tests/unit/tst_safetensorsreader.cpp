// SPDX-License-Identifier: GPL-3.0-or-later
// SafetensorsFile on files built in the test: round trip of every common dtype, every
// prefix truncation, random header corruption and one crafted file per error kind.
#include "io/safetensors.h"
#include "util/error.h"

#include "safetensorstestfile.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <random>

using namespace lathe;
using namespace lathe::test;

namespace {

std::vector<RawTensor> sampleTensors()
{
    // f16: 1, -2, 0.5, 65504; bf16: 1, -2, 3, 0.5
    return {
        {"weight.f32", "F32", {2, 3}, bytesOf(std::vector<float>{1, 2, 3, -4, 5.5f, 1e-3f})},
        {"weight.f16", "F16", {4}, bytesOf(std::vector<std::uint16_t>{0x3C00, 0xC000, 0x3800,
                                                                       0x7BFF})},
        {"weight.bf16", "BF16", {2, 2},
         bytesOf(std::vector<std::uint16_t>{0x3F80, 0xC000, 0x4040, 0x3F00})},
        {"ids", "I64", {3}, bytesOf(std::vector<std::int64_t>{-1, 0, 1LL << 40})},
        {"mask", "U8", {5}, bytesOf(std::vector<std::uint8_t>{0, 1, 2, 254, 255})},
        {"scale", "F32", {}, bytesOf(std::vector<float>{0.25f})},
        {"empty", "F32", {0, 4}, {}},
    };
}

// Opens `path` and reports how it went: "ok", "error: <message>" for lathe::Error, and
// "OTHER" for anything else (which the tests treat as a bug).
std::string tryOpen(const std::string &path)
{
    try {
        auto f = SafetensorsFile::open(path);
        // Touch every byte of every view so an out-of-range view is caught by ASan/valgrind.
        unsigned sum = 0;
        for (const auto &t : f->tensors())
            for (std::size_t i = 0; i < t.nbytes; ++i)
                sum += t.data[i];
        return sum == 0xFFFFFFFFu ? "ok." : "ok";
    } catch (const Error &e) {
        return std::string("error: ") + e.what();
    } catch (...) {
        return "OTHER";
    }
}

} // namespace

class TestSafetensorsReader : public QObject {
    Q_OBJECT

private:
    // Thousands of small files are written: use RAM-backed /dev/shm when the system has it
    // (writing to an overlay filesystem costs milliseconds per file).
    QTemporaryDir m_dir{QFileInfo(QStringLiteral("/dev/shm")).isWritable()
                            ? QStringLiteral("/dev/shm/lathe-safetensors-XXXXXX")
                            : QDir::tempPath() + QStringLiteral("/lathe-safetensors-XXXXXX")};
    std::string path(const char *name) const { return m_dir.filePath(name).toStdString(); }

private Q_SLOTS:
    void roundTrip()
    {
        const auto tensors = sampleTensors();
        const std::string file = path("sample.safetensors");
        writeBytes(file, safetensorsBytes(tensors, {{"format", "pt"}, {"note", "ünïcode"}}));
        auto f = SafetensorsFile::open(file);
        QCOMPARE(f->path(), file);
        QCOMPARE(f->tensors().size(), tensors.size());
        QCOMPARE(f->metadata().at("format"), std::string("pt"));
        QCOMPARE(f->metadata().at("note"), std::string("ünïcode"));
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            const TensorView &v = f->tensors()[i];
            QCOMPARE(v.name, tensors[i].name); // header order, not alphabetical
            QCOMPARE(dtypeName(v.dtype), tensors[i].dtype);
            QCOMPARE(v.shape, tensors[i].shape);
            QCOMPARE(v.nbytes, tensors[i].bytes.size());
            QVERIFY(v.owner != nullptr);
            QVERIFY(v.nbytes == 0 || std::memcmp(v.data, tensors[i].bytes.data(), v.nbytes) == 0);
            QCOMPARE(f->find(v.name), &v);
        }
        QCOMPARE(f->find("nope"), nullptr);
        QCOMPARE(f->find("scale")->numel(), 1);
        QCOMPARE(f->find("empty")->numel(), 0);
        QCOMPARE(toFloat32(*f->find("weight.f16")), (std::vector<float>{1, -2, 0.5f, 65504}));
        QCOMPARE(toFloat32(*f->find("weight.bf16")), (std::vector<float>{1, -2, 3, 0.5f}));
        QCOMPARE(f->fileSize(), static_cast<std::size_t>(QFileInfo(m_dir.filePath(
                                    "sample.safetensors")).size()));

        // Views keep the mapping alive after the file object is gone.
        const TensorView view = *f->find("weight.f32");
        f.reset();
        QCOMPARE(toFloat32(view)[3], -4.0f);
    }

    void everyTruncationFails()
    {
        const std::string bytes = safetensorsBytes(sampleTensors(), {{"format", "pt"}});
        const std::string file = path("truncated.safetensors");
        for (std::size_t len = 0; len < bytes.size(); ++len) {
            writeBytes(file, bytes.substr(0, len));
            const std::string r = tryOpen(file);
            if (r.rfind("error: ", 0) != 0)
                QFAIL(qPrintable(QString("prefix of %1 bytes: %2").arg(len).arg(r.c_str())));
            QVERIFY2(r.find(file) != std::string::npos, r.c_str()); // names the file
        }
        writeBytes(file, bytes);
        QCOMPARE(tryOpen(file), std::string("ok"));
    }

    void randomCorruptionNeverCrashes()
    {
        const std::string bytes = safetensorsBytes(sampleTensors(), {{"format", "pt"}});
        std::size_t headerEnd = 8;
        for (int i = 0; i < 8; ++i)
            headerEnd += std::size_t(static_cast<unsigned char>(bytes[std::size_t(i)])) << (8 * i);
        const std::string file = path("corrupt.safetensors");
        // JSON-significant characters make the corruption reach the validation code rather
        // than stopping at the JSON parser every time.
        const std::string interesting = "{}[]\",:0123456789-e. \x80\xff";
        std::mt19937 rng(1234);
        int ok = 0, errors = 0;
        for (int iter = 0; iter < 2000; ++iter) {
            std::string b = bytes;
            const int edits = 1 + static_cast<int>(rng() % 3);
            for (int e = 0; e < edits; ++e) {
                const std::size_t pos = rng() % headerEnd;
                b[pos] = (rng() % 2) ? interesting[rng() % interesting.size()]
                                     : static_cast<char>(rng() & 0xFF);
            }
            writeBytes(file, b);
            const std::string r = tryOpen(file);
            QVERIFY2(r != "OTHER", "a non-lathe exception escaped");
            (r.rfind("ok", 0) == 0 ? ok : errors)++;
        }
        qInfo("corruptions: %d opened, %d rejected", ok, errors);
        QVERIFY(errors > 0);
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        auto add = [](const char *tag, const std::string &bytes, const char *expected) {
            QTest::newRow(tag) << QByteArray(bytes.data(), static_cast<int>(bytes.size()))
                               << QString(expected);
        };
        const std::string f4 = std::string(4, '\0');
        add("empty file", "", "HeaderTooSmall");
        add("7 bytes", std::string(7, '\0'), "HeaderTooSmall");
        std::string huge = safetensorsBytes("{}");
        huge[4] = 1; // 2^32 + 2 bytes
        add("header above cap", huge, "HeaderTooLarge");
        std::string justAbove = safetensorsBytes("{}");
        const std::uint64_t cap = 100'000'001;
        for (int i = 0; i < 8; ++i)
            justAbove[static_cast<std::size_t>(i)] = static_cast<char>((cap >> (8 * i)) & 0xFF);
        add("header just above cap", justAbove, "HeaderTooLarge");
        add("header past end", safetensorsBytes("{}").substr(0, 9), "InvalidHeaderLength");
        add("zero header", safetensorsBytes(""), "InvalidHeaderDeserialization");
        add("overlong utf8", safetensorsBytes("{\"\xC0\xAF\":1}"), "InvalidHeader:");
        add("surrogate utf8", safetensorsBytes("{\"\xED\xA0\x80\":1}"), "InvalidHeader:");
        add("truncated utf8", safetensorsBytes("{}\xE2\x82"), "InvalidHeader:");
        add("spaces only", safetensorsBytes("    "), "InvalidHeaderDeserialization");
        add("array", safetensorsBytes("[]"), "InvalidHeaderDeserialization");
        add("trailing garbage", safetensorsBytes("{} x"), "InvalidHeaderDeserialization");
        add("entry not object", safetensorsBytes("{\"a\":[1]}"), "InvalidHeaderDeserialization");
        add("no offsets", safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1]}})", f4),
            "InvalidHeaderDeserialization");
        add("unknown dtype",
            safetensorsBytes(R"({"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", f4),
            "InvalidHeaderDeserialization");
        add("negative dim",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", f4),
            "InvalidHeaderDeserialization");
        add("float dim",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", f4),
            "InvalidHeaderDeserialization");
        add("three offsets",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}})", f4),
            "InvalidHeaderDeserialization");
        add("string offsets",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}})", f4),
            "InvalidHeaderDeserialization");
        add("metadata not string", safetensorsBytes(R"({"__metadata__":{"k":1}})"),
            "InvalidHeaderDeserialization");
        add("metadata not object", safetensorsBytes(R"({"__metadata__":"pt"})"),
            "InvalidHeaderDeserialization");
        add("duplicate name",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                             f4 + f4),
            "InvalidHeaderDeserialization");
        add("deep nesting", safetensorsBytes("{\"a\":{\"b\":[[[[[[1]]]]]]}}"),
            "InvalidHeaderDeserialization");
        add("gap",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                             f4 + f4 + f4),
            "InvalidOffset");
        add("overlap",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                             f4 + f4),
            "InvalidOffset");
        add("end before begin",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})",
                             f4 + f4),
            "InvalidOffset");
        add("size mismatch",
            safetensorsBytes(R"({"a":{"dtype":"F16","shape":[3],"data_offsets":[0,4]}})", f4),
            "TensorInvalidInfo");
        add("offset near 2^64",
            safetensorsBytes(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                             R"("b":{"dtype":"U8","shape":[18446744073709551614],)"
                             R"("data_offsets":[1,18446744073709551615]}})",
                             "x"),
            "ValidationOverflow");
        add("bytes overflow",
            safetensorsBytes(R"({"a":{"dtype":"F64","shape":[4611686018427387904],)"
                             R"("data_offsets":[0,0]}})"),
            "ValidationOverflow");
        add("too short buffer",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", f4),
            "MetadataIncompleteBuffer");
        add("extra bytes",
            safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                             f4 + "x"),
            "MetadataIncompleteBuffer");
    }

    void errors()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const std::string file = path("bad.safetensors");
        writeBytes(file, bytes.toStdString());
        try {
            SafetensorsFile::open(file);
            QFAIL("opened a malformed file");
        } catch (const FormatError &e) {
            const QString msg = QString::fromStdString(e.what());
            QVERIFY2(msg.startsWith(expected), qPrintable(msg));
            QVERIFY2(msg.contains(QString::fromStdString(file)), qPrintable(msg));
        }
    }

    void validEdgeCases()
    {
        const std::string file = path("edge.safetensors");
        // Empty header with whitespace around, null metadata, unicode names, extra fields.
        writeBytes(file, safetensorsBytes(" \t{}\n "));
        QVERIFY(SafetensorsFile::open(file)->tensors().empty());
        writeBytes(file, safetensorsBytes(
                             R"({"__metadata__":null,"ü.w":{"dtype":"BOOL","shape":[2],)"
                             R"("data_offsets":[0,2],"extra":1}})",
                             std::string("\x01\x00", 2)));
        auto f = SafetensorsFile::open(file);
        QCOMPARE(f->tensors().size(), std::size_t(1));
        QCOMPARE(f->tensors()[0].name, std::string("ü.w"));
        QCOMPARE(f->tensors()[0].dtype, DType::Bool);
        QVERIFY(f->metadata().empty());
        // Offsets need not follow header order.
        writeBytes(file, safetensorsBytes(
                             R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},)"
                             R"("a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
                             "AB"));
        f = SafetensorsFile::open(file);
        QCOMPARE(f->tensors()[0].name, std::string("b"));
        QCOMPARE(f->tensors()[0].data[0], std::uint8_t('B'));
        QCOMPARE(f->find("a")->data[0], std::uint8_t('A'));
    }

    void missingFileIsIoError()
    {
        QVERIFY_THROWS_EXCEPTION(IoError, SafetensorsFile::open(path("missing.safetensors")));
        QVERIFY_THROWS_EXCEPTION(IoError, SafetensorsFile::open(m_dir.path().toStdString()));
    }
};

QTEST_GUILESS_MAIN(TestSafetensorsReader)
#include "tst_safetensorsreader.moc"
