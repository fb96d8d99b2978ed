// SPDX-License-Identifier: GPL-3.0-or-later
// SafetensorsWriter: files it writes read back through SafetensorsFile (and through the raw
// format rules); writes are atomic and never damage an existing file on error.
#include "io/safetensors.h"
#include "io/safetensorswriter.h"
#include "util/error.h"
#include "util/halffloat.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cstring>
#include <fstream>

using namespace lathe;

namespace {

template <typename T>
std::vector<std::uint8_t> bytesOf(const std::vector<T> &values)
{
    std::vector<std::uint8_t> out(values.size() * sizeof(T));
    if (!out.empty())
        std::memcpy(out.data(), values.data(), out.size());
    return out;
}

std::vector<std::uint8_t> readAll(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> viewBytes(const TensorView &v)
{
    return std::vector<std::uint8_t>(v.data, v.data + v.nbytes);
}

QStringList folderEntries(const QString &folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
}

} // namespace

class TestSafetensorsWriter : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip();
    void rawLayout();
    void emptyAndScalarTensors();
    void replacesExistingFileAtomically();
    void rewritesItsOwnMappedSource();
    void failureLeavesDestinationAlone();
    void rejectsBadTensors();
};

void TestSafetensorsWriter::roundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("model.safetensors").toStdString();

    const std::vector<float> f32{1.0f, -2.5f, 3.25f, 0.0f, 1e-8f, 65504.0f};
    const std::vector<std::uint16_t> f16{floatToF16(1.0f), floatToF16(-0.5f), floatToF16(2.0f)};
    const std::vector<std::uint16_t> bf16{floatToBf16(3.0f), floatToBf16(-1.0f)};
    const std::vector<std::int64_t> i64{7, -9, 1LL << 40};

    SafetensorsWriter writer;
    // f16 first: the writer must still place the wider tensors at aligned offsets.
    writer.addTensor("b.half", DType::F16, {3}, bytesOf(f16));
    writer.addTensor("a.weight", DType::F32, {2, 3}, f32.data(), f32.size() * 4);
    writer.addTensor("c.bf16", DType::BF16, {1, 2}, bytesOf(bf16));
    writer.addTensor("d.index", DType::I64, {3}, bytesOf(i64));
    writer.setMetadata("format", "pt");
    writer.setMetadata("model.embed_tokens.weight", "lm_head.weight");
    QCOMPARE(writer.tensorCount(), std::size_t(4));
    writer.write(path);

    QCOMPARE(static_cast<std::size_t>(QFileInfo(QString::fromStdString(path)).size()),
             writer.fileSize());
    const auto file = SafetensorsFile::open(path);
    QCOMPARE(file->tensors().size(), std::size_t(4));
    QCOMPARE(file->metadata().at("format"), std::string("pt"));
    QCOMPARE(file->metadata().at("model.embed_tokens.weight"), std::string("lm_head.weight"));

    const TensorView *a = file->find("a.weight");
    QVERIFY(a);
    QCOMPARE(a->dtype, DType::F32);
    QCOMPARE(a->shape, (std::vector<std::int64_t>{2, 3}));
    QCOMPARE(toFloat32(*a), f32);
    QCOMPARE(reinterpret_cast<std::uintptr_t>(a->data) % 4, std::uintptr_t(0));

    const TensorView *h = file->find("b.half");
    QVERIFY(h);
    QCOMPARE(h->dtype, DType::F16);
    QCOMPARE(toFloat32(*h), (std::vector<float>{1.0f, -0.5f, 2.0f}));

    const TensorView *b = file->find("c.bf16");
    QVERIFY(b);
    QCOMPARE(b->dtype, DType::BF16);
    QCOMPARE(b->shape, (std::vector<std::int64_t>{1, 2}));
    QCOMPARE(toFloat32(*b), (std::vector<float>{3.0f, -1.0f}));

    const TensorView *d = file->find("d.index");
    QVERIFY(d);
    QCOMPARE(d->dtype, DType::I64);
    QCOMPARE(viewBytes(*d), bytesOf(i64));
    QCOMPARE(reinterpret_cast<std::uintptr_t>(d->data) % 8, std::uintptr_t(0));
}

void TestSafetensorsWriter::rawLayout()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("raw.safetensors").toStdString();
    SafetensorsWriter writer;
    writer.addTensor("x", DType::F16, {3}, std::vector<std::uint8_t>(6, 0x11));
    writer.addTensor("y", DType::F32, {2}, std::vector<std::uint8_t>(8, 0x22));
    writer.setMetadata("note", "hello");
    writer.write(path);

    const auto bytes = readAll(path);
    QVERIFY(bytes.size() > 8);
    std::uint64_t headerSize = 0;
    for (int i = 7; i >= 0; --i)
        headerSize = (headerSize << 8) | bytes[static_cast<std::size_t>(i)];
    // The data section starts 8-byte aligned and the buffer has no holes.
    QCOMPARE((8 + headerSize) % 8, std::uint64_t(0));
    QCOMPARE(bytes.size(), std::size_t(8 + headerSize + 6 + 8));
    const std::string text(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(headerSize));
    const auto header = nlohmann::json::parse(text);
    QCOMPARE(header["__metadata__"]["note"].get<std::string>(), std::string("hello"));
    QCOMPARE(header["y"]["dtype"].get<std::string>(), std::string("F32"));
    // Wider elements first: y (F32) at 0..8, then x (F16) at 8..14.
    QCOMPARE(header["y"]["data_offsets"], nlohmann::json::array({0, 8}));
    QCOMPARE(header["x"]["data_offsets"], nlohmann::json::array({8, 14}));
    QCOMPARE(header["x"]["shape"], nlohmann::json::array({3}));
    const std::size_t data = 8 + headerSize;
    QCOMPARE(bytes[data], std::uint8_t(0x22));
    QCOMPARE(bytes[data + 8], std::uint8_t(0x11));
}

void TestSafetensorsWriter::emptyAndScalarTensors()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("edge.safetensors").toStdString();
    SafetensorsWriter writer;
    writer.addTensor("empty", DType::F32, {0, 4}, nullptr, 0);
    const float pi = 3.5f;
    writer.addTensor("scalar", DType::F32, {}, &pi, 4);
    writer.write(path);

    const auto file = SafetensorsFile::open(path);
    const TensorView *e = file->find("empty");
    QVERIFY(e);
    QCOMPARE(e->shape, (std::vector<std::int64_t>{0, 4}));
    QCOMPARE(e->nbytes, std::size_t(0));
    const TensorView *s = file->find("scalar");
    QVERIFY(s);
    QVERIFY(s->shape.empty());
    QCOMPARE(toFloat32(*s), std::vector<float>{3.5f});
    QVERIFY(file->metadata().empty());
}

void TestSafetensorsWriter::replacesExistingFileAtomically()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("m.safetensors").toStdString();
    {
        std::ofstream(path) << "old content";
    }
    QFile::setPermissions(QString::fromStdString(path),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner
                              | QFileDevice::ReadGroup);
    SafetensorsWriter writer;
    const std::vector<float> v{1, 2, 3, 4};
    writer.addTensor("w", DType::F32, {4}, v.data(), 16);
    writer.write(path);

    const auto file = SafetensorsFile::open(path);
    QCOMPARE(toFloat32(*file->find("w")), v);
    // No temporary file stays behind, and the replaced file's permissions are kept.
    QCOMPARE(folderEntries(dir.path()), QStringList{"m.safetensors"});
    QCOMPARE(QFile::permissions(QString::fromStdString(path))
                 & (QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup
                    | QFileDevice::ReadOther),
             QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup);
}

void TestSafetensorsWriter::rewritesItsOwnMappedSource()
{
    // Saving a model over the file it was loaded from: the tensors point into the mapping
    // of the old file, which must stay valid while the new one is written.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("self.safetensors").toStdString();
    const std::vector<float> v{5, 6, 7, 8, 9, 10};
    {
        SafetensorsWriter first;
        first.addTensor("w", DType::F32, {2, 3}, v.data(), v.size() * 4);
        first.write(path);
    }
    const auto source = SafetensorsFile::open(path);
    const TensorView &w = *source->find("w");
    SafetensorsWriter second;
    second.addTensor("w", w.dtype, w.shape, w.data, w.nbytes);
    second.addTensor("extra", DType::F32, {1}, w.data, 4);
    second.write(path);

    QCOMPARE(toFloat32(w), v); // the old mapping still reads the old data
    const auto reread = SafetensorsFile::open(path);
    QCOMPARE(reread->tensors().size(), std::size_t(2));
    QCOMPARE(toFloat32(*reread->find("w")), v);
    QCOMPARE(toFloat32(*reread->find("extra")), std::vector<float>{5});
}

void TestSafetensorsWriter::failureLeavesDestinationAlone()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    SafetensorsWriter writer;
    const float one = 1.0f;
    writer.addTensor("w", DType::F32, {1}, &one, 4);

    // A folder that does not exist: an IoError that names the file, nothing created.
    const std::string missing = dir.filePath("no/such/folder/m.safetensors").toStdString();
    try {
        writer.write(missing);
        QFAIL("writing into a missing folder should fail");
    } catch (const IoError &e) {
        QVERIFY2(std::string(e.what()).find("m.safetensors") != std::string::npos, e.what());
    }
    QVERIFY(folderEntries(dir.path()).isEmpty());

    // The destination is a non-empty folder: the rename fails, the folder and its content
    // stay as they were, and the temporary file is removed.
    QVERIFY(QDir(dir.path()).mkdir("taken"));
    {
        std::ofstream(dir.filePath("taken/keep.txt").toStdString()) << "keep";
    }
    QVERIFY_THROWS_EXCEPTION(IoError, writer.write(dir.filePath("taken").toStdString()));
    QCOMPARE(folderEntries(dir.path()), QStringList{"taken"});
    QCOMPARE(folderEntries(dir.filePath("taken")), QStringList{"keep.txt"});
}

void TestSafetensorsWriter::rejectsBadTensors()
{
    SafetensorsWriter writer;
    const std::vector<float> v(4, 0.0f);
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                             writer.addTensor("w", DType::F32, {2, 3}, v.data(), 16));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                             writer.addTensor("", DType::F32, {4}, v.data(), 16));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                             writer.addTensor("__metadata__", DType::F32, {4}, v.data(), 16));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                             writer.addTensor("q", DType::Q4_0, {32}, v.data(), 16));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                             writer.addTensor("n", DType::F32, {-1, 4}, v.data(), 16));
    writer.addTensor("w", DType::F32, {4}, v.data(), 16);
    QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                             writer.addTensor("w", DType::F32, {2, 2}, v.data(), 16));
    QCOMPARE(writer.tensorCount(), std::size_t(1));
}

QTEST_GUILESS_MAIN(TestSafetensorsWriter)
#include "tst_safetensorswriter.moc"
