// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/spmodelfile.h"

#include "util/error.h"
#include "util/mappedfile.h"

#include <cstring>
#include <string_view>

namespace lathe {

namespace {

// Field numbers from SentencePiece's sentencepiece_model.proto.
namespace field {
constexpr uint32_t modelPieces = 1, modelTrainerSpec = 2, modelNormalizerSpec = 3;
constexpr uint32_t piecePiece = 1, pieceScore = 2, pieceType = 3;
constexpr uint32_t trainerModelType = 3, trainerByteFallback = 35, trainerUnkId = 40,
                   trainerBosId = 41, trainerEosId = 42;
constexpr uint32_t normName = 1, normAddDummyPrefix = 3, normRemoveExtraWhitespaces = 4,
                   normEscapeWhitespaces = 5;
} // namespace field

enum WireType : uint32_t { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 };

// A cursor over one protobuf message; every read is bounds-checked.
class WireReader {
public:
    WireReader(const uint8_t *data, std::size_t size, const std::string &context)
        : m_p(data)
        , m_end(data + size)
        , m_context(context)
    {
    }

    bool atEnd() const { return m_p == m_end; }

    uint64_t varint()
    {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (m_p == m_end)
                fail("truncated varint");
            const uint8_t b = *m_p++;
            v |= uint64_t(b & 0x7F) << shift;
            if (!(b & 0x80))
                return v;
        }
        fail("varint longer than 10 bytes");
    }

    // Returns false at the end of the message.
    bool next(uint32_t &fieldNumber, uint32_t &wireType)
    {
        if (atEnd())
            return false;
        const uint64_t key = varint();
        fieldNumber = uint32_t(key >> 3);
        wireType = uint32_t(key & 7);
        if (fieldNumber == 0)
            fail("field number 0");
        return true;
    }

    std::string_view bytes()
    {
        const uint64_t n = varint();
        if (n > uint64_t(m_end - m_p))
            fail("a field runs past the end of the data");
        const std::string_view s(reinterpret_cast<const char *>(m_p), std::size_t(n));
        m_p += n;
        return s;
    }

    float fixed32Float()
    {
        if (m_end - m_p < 4)
            fail("truncated float");
        float f;
        std::memcpy(&f, m_p, 4);
        m_p += 4;
        return f;
    }

    void skip(uint32_t wireType)
    {
        switch (wireType) {
        case Varint:
            varint();
            return;
        case Fixed64:
            advance(8);
            return;
        case LengthDelimited:
            bytes();
            return;
        case Fixed32:
            advance(4);
            return;
        default:
            fail("unknown wire type " + std::to_string(wireType));
        }
    }

    [[noreturn]] void fail(const std::string &what) const
    {
        throw FormatError(m_context + ": not a SentencePiece model (" + what + ")");
    }

private:
    void advance(std::size_t n)
    {
        if (std::size_t(m_end - m_p) < n)
            fail("truncated field");
        m_p += n;
    }

    const uint8_t *m_p;
    const uint8_t *m_end;
    const std::string &m_context;
};

void expectWire(WireReader &r, uint32_t actual, uint32_t expected)
{
    if (actual != expected)
        r.fail("unexpected wire type " + std::to_string(actual));
}

void readPiece(std::string_view msg, SpmVocabulary &v, const std::string &context)
{
    WireReader r(reinterpret_cast<const uint8_t *>(msg.data()), msg.size(), context);
    std::string piece;
    float score = 0.0f;
    int type = SpmVocabulary::Normal; // the proto's default
    uint32_t f = 0, w = 0;
    while (r.next(f, w)) {
        if (f == field::piecePiece) {
            expectWire(r, w, LengthDelimited);
            piece = std::string(r.bytes());
        } else if (f == field::pieceScore) {
            expectWire(r, w, Fixed32);
            score = r.fixed32Float();
        } else if (f == field::pieceType) {
            expectWire(r, w, Varint);
            type = int(r.varint());
        } else {
            r.skip(w);
        }
    }
    v.pieces.push_back(std::move(piece));
    v.scores.push_back(score);
    v.types.push_back(type);
}

struct TrainerSpec {
    int modelType = 1; // UNIGRAM is the proto's default
    bool byteFallback = false;
    int32_t unkId = 0, bosId = 1, eosId = 2;
};

TrainerSpec readTrainerSpec(std::string_view msg, const std::string &context)
{
    WireReader r(reinterpret_cast<const uint8_t *>(msg.data()), msg.size(), context);
    TrainerSpec t;
    uint32_t f = 0, w = 0;
    while (r.next(f, w)) {
        if (w != Varint) {
            r.skip(w);
            continue;
        }
        const uint64_t v = r.varint();
        if (f == field::trainerModelType)
            t.modelType = int(v);
        else if (f == field::trainerByteFallback)
            t.byteFallback = v != 0;
        else if (f == field::trainerUnkId)
            t.unkId = int32_t(v);
        else if (f == field::trainerBosId)
            t.bosId = int32_t(v);
        else if (f == field::trainerEosId)
            t.eosId = int32_t(v);
    }
    return t;
}

struct NormalizerSpec {
    std::string name;
    bool addDummyPrefix = true;
    bool removeExtraWhitespaces = true;
    bool escapeWhitespaces = true;
};

NormalizerSpec readNormalizerSpec(std::string_view msg, const std::string &context)
{
    WireReader r(reinterpret_cast<const uint8_t *>(msg.data()), msg.size(), context);
    NormalizerSpec n;
    uint32_t f = 0, w = 0;
    while (r.next(f, w)) {
        if (f == field::normName && w == LengthDelimited) {
            n.name = std::string(r.bytes());
        } else if (w == Varint && (f == field::normAddDummyPrefix
                       || f == field::normRemoveExtraWhitespaces
                       || f == field::normEscapeWhitespaces)) {
            const bool v = r.varint() != 0;
            if (f == field::normAddDummyPrefix)
                n.addDummyPrefix = v;
            else if (f == field::normRemoveExtraWhitespaces)
                n.removeExtraWhitespaces = v;
            else
                n.escapeWhitespaces = v;
        } else {
            r.skip(w);
        }
    }
    return n;
}

const char *modelTypeName(int type)
{
    switch (type) {
    case 1:
        return "unigram";
    case 2:
        return "bpe";
    case 3:
        return "word";
    case 4:
        return "char";
    default:
        return "unknown";
    }
}

} // namespace

SpmVocabulary parseSentencePieceModel(
    const std::uint8_t *data, std::size_t size, const std::string &context)
{
    SpmVocabulary v;
    TrainerSpec trainer;
    NormalizerSpec norm;
    WireReader r(data, size, context);
    uint32_t f = 0, w = 0;
    while (r.next(f, w)) {
        if (f == field::modelPieces) {
            expectWire(r, w, LengthDelimited);
            readPiece(r.bytes(), v, context);
        } else if (f == field::modelTrainerSpec) {
            expectWire(r, w, LengthDelimited);
            trainer = readTrainerSpec(r.bytes(), context);
        } else if (f == field::modelNormalizerSpec) {
            expectWire(r, w, LengthDelimited);
            norm = readNormalizerSpec(r.bytes(), context);
        } else {
            r.skip(w);
        }
    }
    if (v.pieces.empty())
        r.fail("no pieces");
    if (trainer.modelType != 2)
        throw UnsupportedError(context + ": SentencePiece model type '"
            + modelTypeName(trainer.modelType) + "' is not supported (only bpe)");
    if (!norm.name.empty() && norm.name != "identity")
        throw UnsupportedError(context + ": SentencePiece normalizer '" + norm.name
            + "' is not supported (only identity)");
    if (norm.removeExtraWhitespaces || !norm.escapeWhitespaces)
        throw UnsupportedError(context
            + ": SentencePiece normalization with remove_extra_whitespaces or without "
              "escape_whitespaces is not supported");
    const auto inRange = [&](int32_t id) { return id >= 0 && std::size_t(id) < v.pieces.size(); };
    v.unkId = inRange(trainer.unkId) ? trainer.unkId : -1;
    v.bosId = inRange(trainer.bosId) ? trainer.bosId : -1;
    v.eosId = inRange(trainer.eosId) ? trainer.eosId : -1;
    v.addDummyPrefix = norm.addDummyPrefix;
    v.addBos = v.bosId >= 0; // SentencePiece-based HF tokenizers add BOS by default
    v.addEos = false;
    v.byteFallback = trainer.byteFallback;
    return v;
}

SpmVocabulary readSentencePieceModel(const std::string &path)
{
    const auto file = MappedFile::open(path);
    return parseSentencePieceModel(file->data(), file->size(), path);
}

} // namespace lathe
