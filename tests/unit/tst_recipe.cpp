// SPDX-License-Identifier: GPL-3.0-or-later
// Recipes as YAML: a full recipe reads back equal, defaults fill what is left out, every error
// names the line and what was expected, the schema version is checked, and saving is atomic.
#include "recipe/recipeyaml.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

using namespace lathe;

namespace {

Recipe fullRecipe()
{
    Recipe r;
    r.name = "W4 g128 GPTQ: \"mixed\" \\ odd: #name";
    r.calibration.file = "/data/calib text.txt";
    r.calibration.samples = 64;
    r.calibration.ctx = 512;
    QuantizationStage q;
    q.method = "gptq";
    q.format = "int4-g128";
    q.clipSearch = true;
    q.importanceWeighted = true;
    q.ignore = { "lm_head", "*.layers.0.*", "true" };
    q.rules = {
        { "model.layers.*.mlp.down_proj", "", -1, -1, "int8", "rtn" },
        { "", "q_proj", 0, 3, "int4-g32", "" },
        { "", "", 2, -1, "none", "" },
        { "", "", -1, 5, "", "awq" },
        { "", "", 7, 7, "nf4-dq", "" },
    };
    q.gptq = { 0.0125, false, 64 };
    q.awq = { 11, false, "gptq" };
    q.smoothQuant.alpha = 0.85;
    q.plan = PlanSettings { 3.3333333333333335, 12.5, { "int2-g32", "int4-g128", "fp8-e4m3" } };
    r.quantization = q;
    PruningStage p;
    p.method = "sparsegpt";
    p.sparsity = 0.625;
    p.pattern = "2:4";
    p.count = 3;
    p.blocks = { 4, 1 };
    p.ignore = { "lm_head", "*.layers.0.*" };
    p.rules = { { "model.layers.*.mlp.down_proj", "", -1, -1, 0.25 }, { "", "q_proj", 1, 2, -1.0 },
        { "", "", 3, -1, 0.0 } };
    p.damping = 0.02;
    p.blockSize = 64;
    r.pruning = p;
    return r;
}

// The FormatError message of parsing `yaml`, or "" when it parsed.
std::string errorOf(const std::string &yaml)
{
    try {
        parseRecipeYaml(yaml, "r.yaml");
    } catch (const FormatError &e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string &s, const std::string &part)
{
    if (s.find(part) != std::string::npos)
        return true;
    qWarning("'%s' lacks '%s'", s.c_str(), part.c_str());
    return false;
}

} // namespace

class TestRecipe : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fullRecipeRoundTrips()
    {
        const Recipe r = fullRecipe();
        const std::string yaml = recipeToYaml(r);
        QVERIFY(yaml.rfind("# ", 0) == 0); // a comment line on top
        QVERIFY(contains(yaml, "\nlathe_recipe: 1\n"));
        const Recipe back = parseRecipeYaml(yaml, "round trip");
        QVERIFY2(back == r, yaml.c_str());
        QCOMPARE(recipeToYaml(back), yaml);
        // Every key is written, defaults included.
        for (const char *key : { "name:", "file:", "samples:", "ctx:", "method:", "format:",
                 "clip_search:", "importance_weighted:", "ignore:", "rules:", "match:", "kind:",
                 "layers:", "damping:", "act_order:", "block_size:", "grid_points:", "then:",
                 "alpha:", "target_bpw:", "target_mb:", "candidates:", "pruning:", "sparsity:",
                 "pattern:", "count:", "blocks:", "sparsegpt:" })
            QVERIFY2(contains(yaml, key), key);

        Recipe plain;
        plain.quantization = QuantizationStage {};
        QVERIFY(parseRecipeYaml(recipeToYaml(plain), "x") == plain);
        const Recipe empty;
        QVERIFY(parseRecipeYaml(recipeToYaml(empty), "x") == empty);
        QVERIFY(!parseRecipeYaml(recipeToYaml(empty), "x").quantization);
        Recipe pruneOnly;
        pruneOnly.pruning = PruningStage {};
        QVERIFY(parseRecipeYaml(recipeToYaml(pruneOnly), "x") == pruneOnly);
    }

    void defaultsFillWhatIsLeftOut()
    {
        const Recipe r = parseRecipeYaml("lathe_recipe: 1\nquantization:\n  format: int8\n"
                                         "  rules:\n    - kind: down_proj\n      layers: 3\n"
                                         "    - layers: [1, 2]\n    - layers: \"-4\"\n"
                                         "    - layers: 5-\n",
            "x");
        QCOMPARE(r.schemaVersion, 1);
        QVERIFY(r.name.empty());
        QCOMPARE(r.calibration.samples, 32);
        QVERIFY(r.quantization);
        QCOMPARE(r.quantization->format, std::string("int8"));
        QCOMPARE(r.quantization->method, std::string("rtn"));
        QCOMPARE(r.quantization->ignore, std::vector<std::string> { "lm_head" });
        QVERIFY(!r.quantization->plan);
        const auto &rules = r.quantization->rules;
        QCOMPARE(rules.size(), std::size_t(4));
        QCOMPARE(rules[0].kind, std::string("down_proj"));
        QCOMPARE(rules[0].firstLayer, 3);
        QCOMPARE(rules[0].lastLayer, 3);
        QCOMPARE(rules[1].firstLayer, 1);
        QCOMPARE(rules[1].lastLayer, 2);
        QCOMPARE(rules[2].firstLayer, -1);
        QCOMPARE(rules[2].lastLayer, 4);
        QCOMPARE(rules[3].firstLayer, 5);
        QCOMPARE(rules[3].lastLayer, -1);
        QVERIFY(rules[3].format.empty());
        const Recipe p = parseRecipeYaml(
            "lathe_recipe: 1\nquantization:\n  ignore: []\n  plan: {target_bpw: 4}\n", "x");
        QVERIFY(p.quantization->ignore.empty());
        const Recipe n = parseRecipeYaml(
            "lathe_recipe: 1\ncalibration:\nquantization:\n  gptq:\n  plan:\n", "x");
        QVERIFY(n.quantization && !n.quantization->plan);
        QVERIFY(n.quantization->gptq == GptqSettings {});
        QCOMPARE(n.calibration.ctx, 256);
        QCOMPARE(p.quantization->plan->targetBitsPerWeight, 4.0);
        QCOMPARE(p.quantization->plan->candidates, PlanSettings {}.candidates);
    }

    void errorsNameTheLine()
    {
        const std::string head = "lathe_recipe: 1\n" // 1
                                 "name: test\n" // 2
                                 "quantization:\n" // 3
                                 "  method: gptq\n" // 4
                                 "  rules:\n" // 5
                                 "    - kind: down_proj\n"; // 6
        // A bad format on line 7.
        std::string e = errorOf(head + "      format: int9-g128\n");
        QVERIFY(contains(e, "r.yaml line 7: 'format': 'int9-g128' is not a weight format"));
        QVERIFY(contains(e, "expected int<bits>"));
        e = errorOf(head + "      method: rtm\n");
        QVERIFY(contains(e, "r.yaml line 7: 'method': 'rtm' is not a quantization method"));
        QVERIFY(contains(e, "expected one of rtn, gptq, awq, smoothquant"));
        e = errorOf(head + "      bits: 4\n");
        QVERIFY(contains(e, "r.yaml line 7: unknown key 'bits' in 'quantization.rules[]'"));
        QVERIFY(contains(e, "expected one of match, kind, layers, format, method"));
        e = errorOf(head + "      layers: 3-1\n");
        QVERIFY(contains(e, "r.yaml line 7: 'layers' runs from 3 down to 1"));
        e = errorOf(head + "      layers: three\n");
        QVERIFY(contains(e, "r.yaml line 7: 'layers' is 'three'; expected \"A-B\""));
        e = errorOf(head + "  gptq:\n    block_size: 12.5\n");
        QVERIFY(contains(e, "r.yaml line 8: 'block_size' is '12.5'; expected an integer"));
        e = errorOf(head + "  gptq:\n    act_order: maybe\n");
        QVERIFY(contains(e, "r.yaml line 8: 'act_order' is 'maybe'; expected true or false"));
        e = errorOf(head + "  smoothquant: {alpha: 1.5}\n");
        QVERIFY(contains(e, "r.yaml line 7: 'alpha' is '1.5'; expected a number from 0 to 1"));
        e = errorOf(head + "  awq: {then: awq}\n");
        QVERIFY(contains(e, "r.yaml line 7: 'then' is 'awq'; expected rtn or gptq"));
        e = errorOf(head + "  plan:\n    candidates: [int4-g32, int10]\n");
        QVERIFY(contains(e, "r.yaml line 8: 'candidates': 'int10' is not a weight format"));
        e = errorOf(head + "  ignore: lm_head\n");
        QVERIFY(contains(e, "r.yaml line 7: 'ignore' is 'lm_head'; expected a list"));
        e = errorOf(head + "  gptq: 5\n");
        QVERIFY(contains(e, "r.yaml line 7: 'quantization.gptq' is '5'; expected a map"));
        const std::string prune = "lathe_recipe: 1\npruning:\n"; // lines 1-2
        e = errorOf(prune + "  method: wonda\n");
        QVERIFY(contains(e, "r.yaml line 3: 'method': 'wonda' is not a pruning method; expected "
                            "one of magnitude, wanda, sparsegpt, heads, channels, blocks"));
        e = errorOf(prune + "  pattern: 4:2\n");
        QVERIFY(contains(e, "r.yaml line 3: 'pattern': '4:2' is not a sparsity pattern"));
        e = errorOf(prune + "  sparsity: 1\n");
        QVERIFY(contains(e, "r.yaml line 3: 'sparsity' is '1'; expected a fraction of zeros"));
        e = errorOf(prune + "  blocks: [1, x]\n");
        QVERIFY(contains(e, "r.yaml line 3: 'blocks': 'x' is not a block number"));
        e = errorOf(prune + "  rules:\n    - sparsity: -0.5\n");
        QVERIFY(contains(e, "r.yaml line 4: 'sparsity' is negative"));
        e = errorOf(prune + "  rules:\n    - format: int4\n");
        QVERIFY(contains(e, "r.yaml line 4: unknown key 'format' in 'pruning.rules[]'"));
        e = errorOf("lathe_recipe: 1\ncalibration:\n  samples: many\n");
        QVERIFY(contains(e,
            "r.yaml line 3: 'samples' is 'many'; expected an integer of at "
            "least 1"));
        e = errorOf("lathe_recipe: 1\nname: a\ncolour: red\n");
        QVERIFY(contains(e,
            "r.yaml line 3: unknown key 'colour' in 'recipe'; expected one of "
            "lathe_recipe, name, calibration, pruning, quantization"));
        e = errorOf("lathe_recipe: 1\nname: a\nname: b\n");
        QVERIFY(contains(e, "r.yaml line 3: 'recipe.name' is given twice"));
        e = errorOf("lathe_recipe: 1\nquantization:\n  format: none\n  method: [rtn]\n");
        QVERIFY(contains(e, "r.yaml line 4: 'method' is a list; expected a string"));
        // Broken YAML: yaml-cpp's position.
        e = errorOf("lathe_recipe: 1\nquantization:\n  rules: [a, b\n  format: int8\n");
        QVERIFY(
            contains(e, "r.yaml line 4: the YAML is malformed (end of sequence flow not found)"));
        e = errorOf("lathe_recipe: 1\nname: a: b\n");
        QVERIFY(contains(e, "r.yaml line 2: the YAML is malformed"));
    }

    void schemaVersion()
    {
        std::string e = errorOf("name: no version\n");
        QVERIFY(contains(e, "r.yaml line 1: not a Lathe recipe (no 'lathe_recipe' key)"));
        QVERIFY(contains(e, "this Lathe reads recipe version 1"));
        e = errorOf("");
        QVERIFY(contains(e, "r.yaml"));
        QVERIFY(contains(e, "this Lathe reads recipe version 1"));
        e = errorOf("name: a\nlathe_recipe: 2\nnew_section: {}\n");
        QVERIFY(contains(e,
            "r.yaml line 2: the recipe has version 2, newer than this Lathe "
            "reads; expected version 1"));
        e = errorOf("lathe_recipe: 0\n");
        QVERIFY(contains(e, "r.yaml line 1: 'lathe_recipe' is '0'; expected an integer"));
        e = errorOf("lathe_recipe: one\n");
        QVERIFY(contains(e, "'lathe_recipe' is 'one'"));
    }

    void filesAreSavedAtomically()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string folder = dir.path().toStdString();
        const std::string path = folder + "/w4.yaml";
        const Recipe r = fullRecipe();
        saveRecipe(r, path);
        QVERIFY(loadRecipe(path) == r);
        Recipe other = r;
        other.name = "second";
        saveRecipe(other, path); // replaces
        QCOMPARE(loadRecipe(path).name, std::string("second"));
        std::size_t files = 0;
        for (const auto &entry : std::filesystem::directory_iterator(folder)) {
            ++files;
            QCOMPARE(entry.path().filename().string(), std::string("w4.yaml"));
        }
        QCOMPARE(files, std::size_t(1)); // no temporary file left
        try {
            saveRecipe(r, folder + "/missing/w4.yaml");
            QFAIL("saved into a missing folder");
        } catch (const IoError &e) {
            QVERIFY(contains(e.what(), folder + "/missing/w4.yaml"));
        }
        try {
            loadRecipe(folder + "/nope.yaml");
            QFAIL("loaded a missing file");
        } catch (const IoError &e) {
            QVERIFY(contains(e.what(), folder + "/nope.yaml"));
        }
        std::ofstream(folder + "/bad.yaml") << "lathe_recipe: 1\nquantization:\n  format: int1\n";
        try {
            loadRecipe(folder + "/bad.yaml");
            QFAIL("loaded a bad recipe");
        } catch (const FormatError &e) {
            QVERIFY(contains(e.what(), folder + "/bad.yaml line 3: 'format'"));
        }
    }
};

QTEST_GUILESS_MAIN(TestRecipe)
#include "tst_recipe.moc"
