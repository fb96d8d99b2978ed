// SPDX-License-Identifier: GPL-3.0-or-later
// The table of named formats, methods and presets: every name reads back as its own format,
// names are unique, presets point into the table, methods parse both ways and the help text
// lists everything.
#include "quant/quanttypes.h"
#include "util/error.h"

#include <QtTest/QtTest>

#include <set>

using namespace lathe;

class TestQuantTypes : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void namesReadBackAsTheirFormats()
    {
        std::set<std::string> names;
        for (const QuantType &t : quantTypes()) {
            QVERIFY2(names.insert(t.name).second, t.name.c_str());
            QCOMPARE(t.format.name(), t.name);
            QVERIFY(parseWeightFormat(t.name) == t.format);
            QVERIFY(!t.description.empty() && !t.scaleFormat.empty());
            QVERIFY2(t.description.size() <= 100, t.name.c_str());
            QCOMPARE(findQuantType(t.name), &t);
            // Worth its name: fewer bits than f32 on any row length.
            QVERIFY(t.format.bitsPerWeight(4096) < 9.0);
            QVERIFY(t.format.bitsPerWeight(172) < 16.0);
        }
        for (const char *required : { "int8", "int4-g128", "int4-g64", "int4-g32", "int4-g128-asym",
                 "int3-g128", "int3-g64", "int2-g64", "int2-g32", "nf4", "nf4-dq", "fp8-e4m3" })
            QVERIFY2(findQuantType(required) != nullptr, required);
        QVERIFY(findQuantType("int4-g100") == nullptr);
        QVERIFY(findQuantType("") == nullptr);
    }

    void scaleFormatsSayHowScalesAreStored()
    {
        QCOMPARE(findQuantType("int8")->scaleFormat, std::string("f32 scale per output row"));
        QCOMPARE(findQuantType("int4-g128")->scaleFormat, std::string("f32 scale per 128 columns"));
        QCOMPARE(findQuantType("int4-g128-asym")->scaleFormat,
            std::string("f32 scale + 8-bit zero point per 128 columns"));
        QVERIFY(findQuantType("nf4-dq")->scaleFormat.find("8-bit") != std::string::npos);
        QVERIFY(findQuantType("nf4-dq")->format.doubleQuant);
        QCOMPARE(findQuantType("fp8-e4m3")->format.scheme, WeightScheme::Fp8E4M3);
    }

    void methodsParseBothWays()
    {
        QCOMPARE(quantMethods().size(), std::size_t(4));
        for (const QuantMethodInfo &m : quantMethods()) {
            QCOMPARE(parseQuantMethod(m.name), m.method);
            QCOMPARE(quantMethodName(m.method), m.name);
        }
        QCOMPARE(parseQuantMethod("gptq"), QuantMethod::Gptq);
        QVERIFY(!quantMethods()[0].needsCalibration); // rtn
        for (std::size_t i = 1; i < quantMethods().size(); ++i)
            QVERIFY(quantMethods()[i].needsCalibration);
        try {
            parseQuantMethod("GPTQ2");
            QFAIL("accepted an unknown method");
        } catch (const InvalidArgument &e) {
            const std::string what = e.what();
            QVERIFY2(what.find("'GPTQ2'") != std::string::npos, e.what());
            QVERIFY2(what.find("rtn, gptq, awq, smoothquant") != std::string::npos, e.what());
        }
    }

    void presetsPointIntoTheTable()
    {
        std::set<std::string> labels;
        for (const QuantPreset &p : quantPresets()) {
            QVERIFY2(labels.insert(p.label).second, p.label.c_str());
            const QuantType *t = findQuantType(p.format);
            QVERIFY2(t != nullptr, p.format.c_str());
            if (p.method == QuantMethod::Gptq)
                QCOMPARE(t->format.scheme, WeightScheme::Integer);
            if (p.method == QuantMethod::SmoothQuant)
                QCOMPARE(p.format, std::string("int8"));
        }
        for (const char *label : { "W8 per-channel", "W4 g128", "W4 g32", "W3 g64", "NF4",
                 "W8A8 SmoothQuant", "W4 g128 GPTQ", "W4 g128 AWQ" })
            QVERIFY2(labels.count(label) == 1, label);
    }

    void helpListsEverything()
    {
        const std::string help = quantTypesHelp();
        for (const QuantType &t : quantTypes())
            QVERIFY2(help.find("  " + t.name + " ") != std::string::npos, t.name.c_str());
        for (const QuantMethodInfo &m : quantMethods())
            QVERIFY2(help.find("  " + m.name + " ") != std::string::npos, m.name.c_str());
        QVERIFY(help.find(" 4.25 ") != std::string::npos); // int4-g128 at 4096 columns
        QVERIFY(help.find(" 8.01 ") != std::string::npos); // int8 per row
        QVERIFY(help.find("needs --calib") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestQuantTypes)
#include "tst_quanttypes.moc"
