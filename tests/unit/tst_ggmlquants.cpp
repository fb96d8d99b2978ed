// SPDX-License-Identifier: GPL-3.0-or-later
// ggml dequantization. Each block format is checked by building blocks from chosen field
// values (scales, mins, quants), written bit by bit at the positions the format description
// gives, and comparing every decoded value with scale * quant (- min) computed here. Simple
// reference quantizers then check round trips stay within one quantization step.
#include "io/ggmlquants.h"
#include "io/tensorview.h"
#include "util/error.h"
#include "util/halffloat.h"

#include <QtTest/QtTest>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace lathe;

namespace {

using Bytes = std::vector<std::uint8_t>;

// Writes the low `nbits` of value at bit position `bit` (LSB first within each byte).
void putBits(std::uint8_t *p, int bit, int nbits, unsigned value)
{
    for (int k = 0; k < nbits; ++k) {
        const int b = bit + k;
        const auto mask = static_cast<std::uint8_t>(1u << (b % 8));
        if ((value >> k) & 1u)
            p[b / 8] = static_cast<std::uint8_t>(p[b / 8] | mask);
        else
            p[b / 8] = static_cast<std::uint8_t>(p[b / 8] & ~mask);
    }
}

// Stores an f16 scale. The test only uses values exact in f16, so the stored value is v.
void putHalf(std::uint8_t *p, float v)
{
    const std::uint16_t h = floatToF16(v);
    QVERIFY2(f16ToFloat(h) == v, "test scale must be exact in f16");
    std::memcpy(p, &h, 2);
}

// Scales exactly representable in f16 (sign, small mantissas).
float exactScale(std::mt19937 &rng)
{
    static const float choices[] = {0.5f, 0.125f, -0.75f, 0.01171875f, 1.5f, 0.0009765625f,
                                    2.25f, -0.046875f, 0.3125f};
    return choices[rng() % (sizeof(choices) / sizeof(choices[0]))];
}

int randInt(std::mt19937 &rng, int lo, int hi) // inclusive
{
    return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1));
}

void expectDecoded(DType type, const Bytes &blocks, const std::vector<double> &expected)
{
    QCOMPARE(blocks.size() % dtypeBlockBytes(type), std::size_t(0));
    std::vector<float> out(expected.size(), std::nanf(""));
    dequantizeGgml(type, blocks.data(), out.data(), static_cast<std::int64_t>(out.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double tol = 1e-6 * std::max(1.0, std::fabs(expected[i]));
        if (std::fabs(out[i] - expected[i]) > tol)
            QFAIL(qPrintable(QStringLiteral("%1 value %2: got %3, expected %4")
                                 .arg(QString::fromStdString(dtypeName(type)))
                                 .arg(i)
                                 .arg(double(out[i]), 0, 'g', 9)
                                 .arg(expected[i], 0, 'g', 9)));
    }
}

constexpr int kBlocks = 3;

} // namespace

class TestGgmlQuants : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void plainTypes()
    {
        const float f32[] = {1.5f, -2.0f, 3.25f};
        std::vector<float> out(3);
        dequantizeGgml(DType::F32, reinterpret_cast<const std::uint8_t *>(f32), out.data(), 3);
        QCOMPARE(out, std::vector<float>({1.5f, -2.0f, 3.25f}));

        const std::uint16_t f16[] = {0x3C00, 0xC000, 0x0001, 0x7BFF}; // 1, -2, 2^-24, 65504
        out.resize(4);
        dequantizeGgml(DType::F16, reinterpret_cast<const std::uint8_t *>(f16), out.data(), 4);
        QCOMPARE(out, std::vector<float>({1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f}));

        const std::uint16_t bf16[] = {0x3F80, 0xC040, 0x4049}; // 1, -3, 3.140625
        out.resize(3);
        dequantizeGgml(DType::BF16, reinterpret_cast<const std::uint8_t *>(bf16), out.data(), 3);
        QCOMPARE(out, std::vector<float>({1.0f, -3.0f, 3.140625f}));

        const double f64[] = {0.25, -1e10};
        out.resize(2);
        dequantizeGgml(DType::F64, reinterpret_cast<const std::uint8_t *>(f64), out.data(), 2);
        QCOMPARE(out, std::vector<float>({0.25f, -1e10f}));

        const std::int8_t i8[] = {-128, 127, 0};
        out.resize(3);
        dequantizeGgml(DType::I8, reinterpret_cast<const std::uint8_t *>(i8), out.data(), 3);
        QCOMPARE(out, std::vector<float>({-128.0f, 127.0f, 0.0f}));
        const std::int16_t i16[] = {-32768, 1234};
        out.resize(2);
        dequantizeGgml(DType::I16, reinterpret_cast<const std::uint8_t *>(i16), out.data(), 2);
        QCOMPARE(out, std::vector<float>({-32768.0f, 1234.0f}));
        const std::int32_t i32[] = {-5, 1 << 20};
        dequantizeGgml(DType::I32, reinterpret_cast<const std::uint8_t *>(i32), out.data(), 2);
        QCOMPARE(out, std::vector<float>({-5.0f, 1048576.0f}));
    }

    void q4_0()
    {
        std::mt19937 rng(1);
        Bytes b(kBlocks * 18, 0);
        std::vector<double> want;
        for (int k = 0; k < kBlocks; ++k) {
            std::uint8_t *blk = b.data() + k * 18;
            const float d = exactScale(rng);
            putHalf(blk, d);
            for (int e = 0; e < 32; ++e) {
                const int q = randInt(rng, 0, 15);
                // Value e: nibble (e / 16) of byte e % 16 after the scale.
                putBits(blk + 2, (e % 16) * 8 + (e / 16) * 4, 4, static_cast<unsigned>(q));
                want.push_back(double(d) * (q - 8));
            }
        }
        expectDecoded(DType::Q4_0, b, want);
    }

    void q4_1()
    {
        std::mt19937 rng(2);
        Bytes b(kBlocks * 20, 0);
        std::vector<double> want;
        for (int k = 0; k < kBlocks; ++k) {
            std::uint8_t *blk = b.data() + k * 20;
            const float d = exactScale(rng), m = exactScale(rng);
            putHalf(blk, d);
            putHalf(blk + 2, m);
            for (int e = 0; e < 32; ++e) {
                const int q = randInt(rng, 0, 15);
                putBits(blk + 4, (e % 16) * 8 + (e / 16) * 4, 4, static_cast<unsigned>(q));
                want.push_back(double(d) * q + m);
            }
        }
        expectDecoded(DType::Q4_1, b, want);
    }

    void q5_0()
    {
        std::mt19937 rng(3);
        Bytes b(kBlocks * 22, 0);
        std::vector<double> want;
        for (int k = 0; k < kBlocks; ++k) {
            std::uint8_t *blk = b.data() + k * 22;
            const float d = exactScale(rng);
            putHalf(blk, d);
            for (int e = 0; e < 32; ++e) {
                const int q = randInt(rng, 0, 31);
                putBits(blk + 6, (e % 16) * 8 + (e / 16) * 4, 4, static_cast<unsigned>(q & 15));
                putBits(blk + 2, e, 1, static_cast<unsigned>(q >> 4)); // bit e of qh
                want.push_back(double(d) * (q - 16));
            }
        }
        expectDecoded(DType::Q5_0, b, want);
    }

    void q5_1()
    {
        std::mt19937 rng(4);
        Bytes b(kBlocks * 24, 0);
        std::vector<double> want;
        for (int k = 0; k < kBlocks; ++k) {
            std::uint8_t *blk = b.data() + k * 24;
            const float d = exactScale(rng), m = exactScale(rng);
            putHalf(blk, d);
            putHalf(blk + 2, m);
            for (int e = 0; e < 32; ++e) {
                const int q = randInt(rng, 0, 31);
                putBits(blk + 8, (e % 16) * 8 + (e / 16) * 4, 4, static_cast<unsigned>(q & 15));
                putBits(blk + 4, e, 1, static_cast<unsigned>(q >> 4));
                want.push_back(double(d) * q + m);
            }
        }
        expectDecoded(DType::Q5_1, b, want);
    }

    void q8_0_and_q8_1()
    {
        for (const DType type : {DType::Q8_0, DType::Q8_1}) {
            const int header = type == DType::Q8_0 ? 2 : 4;
            const int bytes = header + 32;
            std::mt19937 rng(5);
            Bytes b(static_cast<std::size_t>(kBlocks * bytes), 0);
            std::vector<double> want;
            for (int k = 0; k < kBlocks; ++k) {
                std::uint8_t *blk = b.data() + k * bytes;
                const float d = exactScale(rng);
                putHalf(blk, d);
                if (type == DType::Q8_1)
                    putHalf(blk + 2, 1234.0f); // s = d * sum(q): not used for decoding
                for (int e = 0; e < 32; ++e) {
                    const int q = randInt(rng, -128, 127);
                    putBits(blk + header, e * 8, 8, static_cast<unsigned>(q) & 0xFFu);
                    want.push_back(double(d) * q);
                }
            }
            expectDecoded(type, b, want);
        }
    }

    // Q2_K {scales[16], qs[64], d, dmin}: sub-block s = e/16 has scale = low nibble and
    // min = high nibble of scales[s]; value e sits in qs byte 32*(e/128) + e%32 at bit
    // 2*((e%128)/32).
    void q2_K()
    {
        std::mt19937 rng(6);
        Bytes b(kBlocks * 84, 0);
        std::vector<double> want;
        for (int k = 0; k < kBlocks; ++k) {
            std::uint8_t *blk = b.data() + k * 84;
            const float d = exactScale(rng), dmin = exactScale(rng);
            putHalf(blk + 80, d);
            putHalf(blk + 82, dmin);
            int sc[16], mn[16];
            for (int s = 0; s < 16; ++s) {
                sc[s] = randInt(rng, 0, 15);
                mn[s] = randInt(rng, 0, 15);
                putBits(blk, s * 8, 4, static_cast<unsigned>(sc[s]));
                putBits(blk, s * 8 + 4, 4, static_cast<unsigned>(mn[s]));
            }
            for (int e = 0; e < 256; ++e) {
                const int q = randInt(rng, 0, 3);
                const int byte = 16 + 32 * (e / 128) + e % 32;
                putBits(blk, byte * 8 + 2 * ((e % 128) / 32), 2, static_cast<unsigned>(q));
                want.push_back(double(d) * sc[e / 16] * q - double(dmin) * mn[e / 16]);
            }
        }
        expectDecoded(DType::Q2_K, b, want);
    }

    // Q3_K {hmask[32], qs[64], scales[12], d}: quant q in -4..3 stored as q+4 = low 2 bits
    // (placed as in Q2_K) + 4 * high bit (hmask byte e%32, bit e/32). Scale s in -32..31
    // stored as s+32 in 6 bits: low 4 bits in nibble (s/8) of byte s%8, top 2 bits in
    // byte 8 + s%4 at bit 2*(s/4).
    void q3_K()
    {
        std::mt19937 rng(7);
        Bytes b(kBlocks * 110, 0);
        std::vector<double> want;
        for (int k = 0; k < kBlocks; ++k) {
            std::uint8_t *blk = b.data() + k * 110;
            const float d = exactScale(rng);
            putHalf(blk + 108, d);
            std::uint8_t *scales = blk + 96;
            int sc[16];
            for (int s = 0; s < 16; ++s) {
                sc[s] = randInt(rng, -32, 31);
                const auto stored = static_cast<unsigned>(sc[s] + 32);
                putBits(scales, (s % 8) * 8 + 4 * (s / 8), 4, stored & 15u);
                putBits(scales, (8 + s % 4) * 8 + 2 * (s / 4), 2, stored >> 4);
            }
            for (int e = 0; e < 256; ++e) {
                const int q = randInt(rng, -4, 3);
                const auto stored = static_cast<unsigned>(q + 4);
                const int byte = 32 + 32 * (e / 128) + e % 32;
                putBits(blk, byte * 8 + 2 * ((e % 128) / 32), 2, stored & 3u);
                putBits(blk, (e % 32) * 8 + e / 32, 1, stored >> 2);
                want.push_back(double(d) * sc[e / 16] * q);
            }
        }
        expectDecoded(DType::Q3_K, b, want);
    }

    // Q4_K {d, dmin, scales[12], qs[128]} and Q5_K {d, dmin, scales[12], qh[32], qs[128]}:
    // 8 sub-blocks of 32 with 6-bit scale/min (j < 4: bytes j and j+4; j >= 4: nibbles of
    // byte j+4, top bits in bits 6..7 of bytes j-4 (scale) and j (min)). Value e: nibble
    // (e%64)/32 of qs byte 32*(e/64) + e%32; Q5_K's fifth bit is qh byte e%32, bit e/32.
    void q4_K_and_q5_K()
    {
        for (const DType type : {DType::Q4_K, DType::Q5_K}) {
            const bool five = type == DType::Q5_K;
            const int bytes = five ? 176 : 144;
            std::mt19937 rng(8);
            Bytes b(static_cast<std::size_t>(kBlocks * bytes), 0);
            std::vector<double> want;
            for (int k = 0; k < kBlocks; ++k) {
                std::uint8_t *blk = b.data() + k * bytes;
                const float d = exactScale(rng), dmin = exactScale(rng);
                putHalf(blk, d);
                putHalf(blk + 2, dmin);
                std::uint8_t *sm = blk + 4;
                int sc[8], mn[8];
                for (int j = 0; j < 8; ++j) {
                    sc[j] = randInt(rng, 0, 63);
                    mn[j] = randInt(rng, 0, 63);
                    const auto s = static_cast<unsigned>(sc[j]), m = static_cast<unsigned>(mn[j]);
                    if (j < 4) {
                        putBits(sm, j * 8, 6, s);
                        putBits(sm, (j + 4) * 8, 6, m);
                    } else {
                        putBits(sm, (j + 4) * 8, 4, s & 15u);
                        putBits(sm, (j - 4) * 8 + 6, 2, s >> 4);
                        putBits(sm, (j + 4) * 8 + 4, 4, m & 15u);
                        putBits(sm, j * 8 + 6, 2, m >> 4);
                    }
                }
                std::uint8_t *qs = blk + (five ? 48 : 16);
                std::uint8_t *qh = blk + 16;
                for (int e = 0; e < 256; ++e) {
                    const int q = randInt(rng, 0, five ? 31 : 15);
                    const int byte = 32 * (e / 64) + e % 32;
                    putBits(qs, byte * 8 + 4 * ((e % 64) / 32), 4, static_cast<unsigned>(q & 15));
                    if (five)
                        putBits(qh, (e % 32) * 8 + e / 32, 1, static_cast<unsigned>(q >> 4));
                    want.push_back(double(d) * sc[e / 32] * q - double(dmin) * mn[e / 32]);
                }
            }
            expectDecoded(type, b, want);
        }
    }

    // Q6_K {ql[128], qh[64], scales[16] int8, d}: quant q in -32..31 stored as q+32; in
    // half h = e/128 with r = e%128, the low 4 bits go to nibble r/64 of ql byte
    // 64h + r%64, the top 2 bits to qh byte 32h + r%32 at bit 2*(r/32).
    void q6_K()
    {
        std::mt19937 rng(9);
        Bytes b(kBlocks * 210, 0);
        std::vector<double> want;
        for (int k = 0; k < kBlocks; ++k) {
            std::uint8_t *blk = b.data() + k * 210;
            const float d = exactScale(rng);
            putHalf(blk + 208, d);
            int sc[16];
            for (int s = 0; s < 16; ++s) {
                sc[s] = randInt(rng, -128, 127);
                putBits(blk + 192, s * 8, 8, static_cast<unsigned>(sc[s]) & 0xFFu);
            }
            for (int e = 0; e < 256; ++e) {
                const int q = randInt(rng, -32, 31);
                const auto stored = static_cast<unsigned>(q + 32);
                const int h = e / 128, r = e % 128;
                putBits(blk, (64 * h + r % 64) * 8 + 4 * (r / 64), 4, stored & 15u);
                putBits(blk + 128, (32 * h + r % 32) * 8 + 2 * (r / 32), 2, stored >> 4);
                want.push_back(double(d) * sc[e / 16] * q);
            }
        }
        expectDecoded(DType::Q6_K, b, want);
    }

    void q8_K()
    {
        std::mt19937 rng(10);
        Bytes b(kBlocks * 292, 0);
        std::vector<double> want;
        for (int k = 0; k < kBlocks; ++k) {
            std::uint8_t *blk = b.data() + k * 292;
            const float d = 0.0123f * static_cast<float>(k + 1); // f32 scale
            std::memcpy(blk, &d, 4);
            for (int e = 0; e < 256; ++e) {
                const int q = randInt(rng, -128, 127);
                blk[4 + e] = static_cast<std::uint8_t>(q & 0xFF);
                want.push_back(double(d) * q);
            }
            std::memset(blk + 260, 0x5A, 32); // bsums: not used for decoding
        }
        expectDecoded(DType::Q8_K, b, want);
    }

    // Round trips through simple reference quantizers: absmax for the symmetric formats,
    // min/max for the ones with an offset. Every value must come back within one step.
    void roundTrip_data()
    {
        QTest::addColumn<int>("type");
        QTest::newRow("Q4_0") << int(DType::Q4_0);
        QTest::newRow("Q4_1") << int(DType::Q4_1);
        QTest::newRow("Q5_0") << int(DType::Q5_0);
        QTest::newRow("Q5_1") << int(DType::Q5_1);
        QTest::newRow("Q8_0") << int(DType::Q8_0);
    }

    void roundTrip()
    {
        QFETCH(int, type);
        const auto t = static_cast<DType>(type);
        const int blocks = 64;
        std::mt19937 rng(11);
        std::normal_distribution<float> dist(0.0f, 1.0f);
        std::vector<float> x(static_cast<std::size_t>(blocks * 32));
        for (auto &v : x)
            v = dist(rng) * 0.05f + 0.01f;
        const std::size_t bb = dtypeBlockBytes(t);
        Bytes packed(static_cast<std::size_t>(blocks) * bb, 0);
        std::vector<float> step(static_cast<std::size_t>(blocks));
        const bool offset = t == DType::Q4_1 || t == DType::Q5_1;
        const bool five = t == DType::Q5_0 || t == DType::Q5_1;
        const int levels = t == DType::Q8_0 ? 255 : five ? 32 : 16;
        for (int k = 0; k < blocks; ++k) {
            const float *xb = x.data() + k * 32;
            std::uint8_t *blk = packed.data() + static_cast<std::size_t>(k) * bb;
            float lo = xb[0], hi = xb[0], amax = 0;
            for (int e = 0; e < 32; ++e) {
                lo = std::min(lo, xb[e]);
                hi = std::max(hi, xb[e]);
                amax = std::max(amax, std::fabs(xb[e]));
            }
            // Symmetric: q - zero in [-(levels/2 - 1), levels/2 - 1]; offset: q in [0, levels).
            const float dWanted = offset              ? (hi - lo) / float(levels - 1)
                                  : t == DType::Q8_0 ? amax / 127.0f
                                                     : amax / float(levels / 2 - 1);
            const std::uint16_t dh = floatToF16(dWanted);
            const float d = f16ToFloat(dh);
            const std::uint16_t mh = floatToF16(lo);
            const float m = f16ToFloat(mh);
            std::memcpy(blk, &dh, 2);
            if (offset)
                std::memcpy(blk + 2, &mh, 2);
            step[static_cast<std::size_t>(k)] = d;
            const int zero = offset ? 0 : (t == DType::Q8_0 ? 0 : levels / 2);
            const int qmax = t == DType::Q8_0 ? 127 : levels - 1;
            const int qmin = t == DType::Q8_0 ? -127 : 0;
            for (int e = 0; e < 32; ++e) {
                const float base = offset ? xb[e] - m : xb[e];
                int q = static_cast<int>(std::lround(base / d)) + zero;
                q = std::clamp(q, qmin, qmax);
                if (t == DType::Q8_0) {
                    blk[2 + e] = static_cast<std::uint8_t>(q & 0xFF);
                    continue;
                }
                const int header = offset ? 4 : 2;
                const int qsAt = five ? header + 4 : header;
                putBits(blk + qsAt, (e % 16) * 8 + (e / 16) * 4, 4, static_cast<unsigned>(q & 15));
                if (five)
                    putBits(blk + header, e, 1, static_cast<unsigned>(q >> 4));
            }
        }
        std::vector<float> y(x.size());
        dequantizeGgml(t, packed.data(), y.data(), static_cast<std::int64_t>(y.size()));
        double worst = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const float s = step[i / 32];
            const double err = std::fabs(double(y[i]) - x[i]);
            worst = std::max(worst, err / s);
            QVERIFY2(err <= s * 1.0001 + 1e-7,
                     qPrintable(QStringLiteral("value %1: %2 came back as %3 (step %4)")
                                    .arg(i).arg(x[i]).arg(y[i]).arg(s)));
        }
        // Rounding to nearest keeps almost everything within half a step.
        QVERIFY2(worst < 1.0, qPrintable(QString::number(worst)));
    }

    void tensorViewDispatch()
    {
        // toFloat32 on a quantized view decodes through the same code.
        Bytes blk(34, 0);
        putHalf(blk.data(), 0.5f);
        for (int e = 0; e < 32; ++e)
            blk[2 + e] = static_cast<std::uint8_t>(e - 16);
        TensorView v;
        v.name = "w";
        v.dtype = DType::Q8_0;
        v.shape = {1, 32};
        v.data = blk.data();
        v.nbytes = blk.size();
        const auto f = toFloat32(v);
        QCOMPARE(f.size(), std::size_t(32));
        for (int e = 0; e < 32; ++e)
            QCOMPARE(f[static_cast<std::size_t>(e)], 0.5f * float(e - 16));
    }

    void rejectsPartialBlocks()
    {
        Bytes blk(18 * 2, 0);
        std::vector<float> out(64);
        QVERIFY_THROWS_EXCEPTION(InvalidArgument,
                                 dequantizeGgml(DType::Q4_0, blk.data(), out.data(), 48));
        QVERIFY_THROWS_EXCEPTION(UnsupportedError,
                                 dequantizeGgml(DType::Bool, blk.data(), out.data(), 4));
    }

    // Not a benchmark, just a guard that the decoders stay block-at-a-time fast.
    void throughput()
    {
        const std::int64_t n = 256 * 4096; // 1M values
        Bytes q4k(static_cast<std::size_t>(n / 256) * 144, 0x37);
        Bytes q6k(static_cast<std::size_t>(n / 256) * 210, 0x5C);
        std::vector<float> out(static_cast<std::size_t>(n));
        for (const auto &[type, data] :
             {std::pair{DType::Q4_K, &q4k}, std::pair{DType::Q6_K, &q6k}}) {
            const auto t0 = std::chrono::steady_clock::now();
            dequantizeGgml(type, data->data(), out.data(), n);
            const auto t1 = std::chrono::steady_clock::now();
            const double s = std::chrono::duration<double>(t1 - t0).count();
            qInfo("%s: %.0f M values/s", dtypeName(type).c_str(), double(n) / s / 1e6);
            QVERIFY(std::isfinite(out[0]) && std::isfinite(out.back()));
            QVERIFY(s < 2.0);
        }
    }
};

QTEST_GUILESS_MAIN(TestGgmlQuants)
#include "tst_ggmlquants.moc"
