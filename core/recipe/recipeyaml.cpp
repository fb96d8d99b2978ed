// SPDX-License-Identifier: GPL-3.0-or-later
#include "recipe/recipeyaml.h"

#include "prune/prunemethods.h"
#include "quant/quanttypes.h"
#include "util/error.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

namespace lathe {

namespace {

// Reads one YAML document into a Recipe, naming the line of whatever is wrong.
class RecipeReader {
public:
    explicit RecipeReader(std::string source)
        : m_source(std::move(source))
    {
    }

    [[noreturn]] void fail(const YAML::Node &at, const std::string &what) const
    {
        fail(lineOf(at), what);
    }
    [[noreturn]] void fail(int line, const std::string &what) const
    {
        throw FormatError(
            m_source + (line > 0 ? " line " + std::to_string(line) : "") + ": " + what);
    }

    static int lineOf(const YAML::Node &node)
    {
        const YAML::Mark mark = node.Mark();
        return mark.line >= 0 ? mark.line + 1 : 0;
    }

    // Calls fn(key, value, keyLine) for each key of the map `node` (named `path`), refusing
    // keys not in `known` and keys given twice.
    void forEachKey(const YAML::Node &node, int line, const std::string &path,
        const std::vector<std::string> &known,
        const std::function<void(const std::string &, const YAML::Node &, int)> &fn) const
    {
        std::string list;
        for (const std::string &k : known)
            list += (list.empty() ? "" : ", ") + k;
        if (node.IsNull()) // "gptq:" with nothing under it: the defaults
            return;
        if (!node.IsMap())
            fail(lineOf(node) > 0 ? lineOf(node) : line,
                "'" + path + "' is " + describe(node) + "; expected a map with keys " + list);
        std::set<std::string> seen;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const int keyLine = lineOf(it->first);
            if (!it->first.IsScalar())
                fail(keyLine, "a key in '" + path + "' is not a name; expected one of " + list);
            const std::string key = it->first.Scalar();
            if (std::find(known.begin(), known.end(), key) == known.end())
                fail(keyLine,
                    "unknown key '" + key + "' in '" + path + "'; expected one of " + list);
            if (!seen.insert(key).second)
                fail(keyLine, "'" + path + "." + key + "' is given twice; expected it once");
            fn(key, it->second, keyLine);
        }
    }

    static std::string describe(const YAML::Node &node)
    {
        if (node.IsMap())
            return "a map";
        if (node.IsSequence())
            return "a list";
        if (node.IsNull())
            return "empty";
        return "'" + node.Scalar() + "'";
    }

    int valueLine(const YAML::Node &value, int keyLine) const
    {
        const int line = lineOf(value);
        return line > 0 ? line : keyLine;
    }

    std::string str(const YAML::Node &v, const std::string &key, int keyLine) const
    {
        if (v.IsNull())
            return "";
        if (!v.IsScalar())
            fail(valueLine(v, keyLine), "'" + key + "' is " + describe(v) + "; expected a string");
        return v.Scalar();
    }

    long long integer(const YAML::Node &v, const std::string &key, int keyLine, long long min,
        long long max = std::numeric_limits<int>::max()) const
    {
        long long x = 0;
        bool ok = v.IsScalar();
        if (ok) {
            try {
                x = v.as<long long>();
            } catch (const YAML::BadConversion &) {
                ok = false;
            }
        }
        if (!ok || x < min || x > max)
            fail(valueLine(v, keyLine),
                "'" + key + "' is " + describe(v) + "; expected an integer "
                    + (max == std::numeric_limits<int>::max()
                            ? "of at least " + std::to_string(min)
                            : "from " + std::to_string(min) + " to " + std::to_string(max)));
        return x;
    }

    double number(const YAML::Node &v, const std::string &key, int keyLine, double min, double max,
        const std::string &range) const
    {
        double x = 0.0;
        bool ok = v.IsScalar();
        if (ok) {
            try {
                x = v.as<double>();
            } catch (const YAML::BadConversion &) {
                ok = false;
            }
        }
        if (!ok || !std::isfinite(x) || x < min || x > max)
            fail(valueLine(v, keyLine), "'" + key + "' is " + describe(v) + "; expected " + range);
        return x;
    }

    bool boolean(const YAML::Node &v, const std::string &key, int keyLine) const
    {
        if (v.IsScalar()) {
            try {
                return v.as<bool>();
            } catch (const YAML::BadConversion &) {
            }
        }
        fail(valueLine(v, keyLine), "'" + key + "' is " + describe(v) + "; expected true or false");
    }

    // A list of strings; each checked by `check` (which throws InvalidArgument).
    std::vector<std::string> list(const YAML::Node &v, const std::string &key, int keyLine,
        const std::function<void(const std::string &)> &check = {}) const
    {
        std::vector<std::string> out;
        if (v.IsNull())
            return out;
        if (!v.IsSequence())
            fail(valueLine(v, keyLine),
                "'" + key + "' is " + describe(v) + "; expected a list such as [a, b]");
        for (const YAML::Node &item : v) {
            const std::string s = str(item, key, valueLine(v, keyLine));
            if (check)
                checked(item, key, [&] { check(s); });
            out.push_back(s);
        }
        return out;
    }

    // Runs `check`, turning its InvalidArgument into a FormatError at `at`'s line.
    void checked(
        const YAML::Node &at, const std::string &key, const std::function<void()> &check) const
    {
        try {
            check();
        } catch (const InvalidArgument &e) {
            fail(at, "'" + key + "': " + e.what());
        }
    }

    std::string format(const YAML::Node &v, const std::string &key, int keyLine, bool allowNone,
        bool allowEmpty) const
    {
        const std::string s = str(v, key, keyLine);
        if ((allowNone && s == "none") || (allowEmpty && s.empty()))
            return s;
        try {
            parseWeightFormat(s);
        } catch (const InvalidArgument &e) {
            fail(valueLine(v, keyLine),
                "'" + key + "': " + e.what() + (allowNone ? ", or none" : ""));
        }
        return s;
    }

    std::string method(
        const YAML::Node &v, const std::string &key, int keyLine, bool allowEmpty) const
    {
        const std::string s = str(v, key, keyLine);
        if (allowEmpty && s.empty())
            return s;
        try {
            parseQuantMethod(s);
        } catch (const InvalidArgument &e) {
            fail(valueLine(v, keyLine), "'" + key + "': " + e.what());
        }
        return s;
    }

    void layers(const YAML::Node &v, int keyLine, int &firstLayer, int &lastLayer) const
    {
        const std::string expected = "; expected \"A-B\", \"A\", \"A-\" (from A on), \"-B\" "
                                     "(up to B), all, or a list [A, B] of layer numbers";
        const int line = valueLine(v, keyLine);
        if (v.IsSequence()) {
            if (v.size() != 2)
                fail(line, "'layers' has " + std::to_string(v.size()) + " entries" + expected);
            firstLayer = int(integer(v[0], "layers", line, 0));
            lastLayer = int(integer(v[1], "layers", line, 0));
        } else if (v.IsNull()) {
            firstLayer = lastLayer = -1;
        } else if (v.IsScalar()) {
            static const std::regex range("\\s*([0-9]{1,6})?\\s*(-)?\\s*([0-9]{1,6})?\\s*");
            const std::string s = v.Scalar();
            std::smatch m;
            if (s == "all" || s.empty()) {
                firstLayer = lastLayer = -1;
            } else if (std::regex_match(s, m, range) && (m[1].matched || m[3].matched)
                && (m[2].matched || !m[3].matched)) {
                firstLayer = m[1].matched ? std::stoi(m[1].str()) : -1;
                lastLayer = m[3].matched ? std::stoi(m[3].str())
                    : m[2].matched            ? -1
                                              : firstLayer;
            } else {
                fail(line, "'layers' is '" + s + "'" + expected);
            }
        } else {
            fail(line, "'layers' is a map" + expected);
        }
        if (firstLayer >= 0 && lastLayer >= 0 && firstLayer > lastLayer)
            fail(line,
                "'layers' runs from " + std::to_string(firstLayer) + " down to "
                    + std::to_string(lastLayer) + "; expected the first layer first");
    }

    QuantRule quantRule(const YAML::Node &node, int line) const
    {
        QuantRule r;
        forEachKey(node, line, "quantization.rules[]",
            { "match", "kind", "layers", "format", "method" },
            [&](const std::string &key, const YAML::Node &v, int keyLine) {
                if (key == "match")
                    r.match = str(v, key, keyLine);
                else if (key == "kind")
                    r.kind = str(v, key, keyLine);
                else if (key == "layers")
                    layers(v, keyLine, r.firstLayer, r.lastLayer);
                else if (key == "format")
                    r.format = format(v, key, keyLine, true, true);
                else
                    r.method = method(v, key, keyLine, true);
            });
        return r;
    }

    QuantizationStage stage(const YAML::Node &node, int line) const
    {
        QuantizationStage q;
        forEachKey(node, line, "quantization",
            { "method", "format", "clip_search", "importance_weighted", "ignore", "rules", "gptq",
                "awq", "smoothquant", "plan" },
            [&](const std::string &key, const YAML::Node &v, int keyLine) {
                if (key == "method")
                    q.method = method(v, key, keyLine, false);
                else if (key == "format")
                    q.format = format(v, key, keyLine, true, false);
                else if (key == "clip_search")
                    q.clipSearch = boolean(v, key, keyLine);
                else if (key == "importance_weighted")
                    q.importanceWeighted = boolean(v, key, keyLine);
                else if (key == "ignore")
                    q.ignore = list(v, key, keyLine);
                else if (key == "rules")
                    rules(v, keyLine, "- match: ..., format: ...", q.rules,
                        [&](const YAML::Node &item, int l) { return quantRule(item, l); });
                else if (key == "gptq")
                    gptq(v, keyLine, q.gptq);
                else if (key == "awq")
                    awq(v, keyLine, q.awq);
                else if (key == "smoothquant")
                    forEachKey(v, keyLine, "quantization.smoothquant", { "alpha" },
                        [&](const std::string &k, const YAML::Node &x, int l) {
                            q.smoothQuant.alpha = number(x, k, l, 0.0, 1.0, "a number from 0 to 1");
                        });
                else if (!v.IsNull())
                    q.plan = plan(v, keyLine);
            });
        return q;
    }

    // A list of rules, each read by `readRule(item, line)`; `example` shows one in the error.
    template <typename Rule, typename ReadRule>
    void rules(const YAML::Node &v, int keyLine, const std::string &example,
        std::vector<Rule> &out, ReadRule readRule) const
    {
        if (v.IsNull())
            return;
        if (!v.IsSequence())
            fail(valueLine(v, keyLine),
                "'rules' is " + describe(v) + "; expected a list of rules (" + example + ")");
        for (const YAML::Node &item : v)
            out.push_back(readRule(item, valueLine(item, keyLine)));
    }

    void gptq(const YAML::Node &v, int keyLine, GptqSettings &g) const
    {
        forEachKey(v, keyLine, "quantization.gptq", { "damping", "act_order", "block_size" },
            [&](const std::string &k, const YAML::Node &x, int l) {
                if (k == "damping")
                    g.damping = number(x, k, l, 0.0, 1.0, "a fraction from 0 to 1 (e.g. 0.01)");
                else if (k == "act_order")
                    g.actOrder = boolean(x, k, l);
                else
                    g.blockSize = int(integer(x, k, l, 1));
            });
    }

    void awq(const YAML::Node &v, int keyLine, AwqSettings &a) const
    {
        forEachKey(v, keyLine, "quantization.awq", { "grid_points", "clip_search", "then" },
            [&](const std::string &k, const YAML::Node &x, int l) {
                if (k == "grid_points") {
                    a.gridPoints = int(integer(x, k, l, 1));
                } else if (k == "clip_search") {
                    a.clipSearch = boolean(x, k, l);
                } else {
                    a.then = str(x, k, l);
                    if (a.then != "rtn" && a.then != "gptq")
                        fail(valueLine(x, l), "'then' is '" + a.then + "'; expected rtn or gptq");
                }
            });
    }

    PlanSettings plan(const YAML::Node &v, int keyLine) const
    {
        PlanSettings p;
        forEachKey(v, keyLine, "quantization.plan", { "target_bpw", "target_mb", "candidates" },
            [&](const std::string &k, const YAML::Node &x, int l) {
                if (k == "target_bpw")
                    p.targetBitsPerWeight
                        = number(x, k, l, 0.0, 32.0, "bits per weight from 0 to 32 (0 = unset)");
                else if (k == "target_mb")
                    p.targetMegabytes = number(x, k, l, 0.0, 1e9, "megabytes, 0 or more");
                else
                    p.candidates
                        = list(x, k, l, [](const std::string &s) { parseWeightFormat(s); });
            });
        return p;
    }

    PruneRule pruneRule(const YAML::Node &node, int line) const
    {
        PruneRule r;
        forEachKey(node, line, "pruning.rules[]", { "match", "kind", "layers", "sparsity" },
            [&](const std::string &key, const YAML::Node &v, int keyLine) {
                if (key == "match")
                    r.match = str(v, key, keyLine);
                else if (key == "kind")
                    r.kind = str(v, key, keyLine);
                else if (key == "layers")
                    layers(v, keyLine, r.firstLayer, r.lastLayer);
                else if (const double x = number(v, key, keyLine, -1.0, 0.99,
                             "a fraction of zeros from 0 to 0.99, or -1 (unchanged)");
                         x >= 0.0 || x == -1.0)
                    r.sparsity = x;
                else
                    fail(valueLine(v, keyLine),
                        "'sparsity' is negative; expected a fraction of zeros from 0 to 0.99, "
                        "or -1 (unchanged)");
            });
        return r;
    }

    double sparsity(const YAML::Node &v, const std::string &key, int keyLine) const
    {
        return number(v, key, keyLine, 0.0, 0.99, "a fraction of zeros from 0 to 0.99");
    }

    PruningStage pruning(const YAML::Node &node, int line) const
    {
        PruningStage p;
        forEachKey(node, line, "pruning",
            { "method", "sparsity", "pattern", "count", "blocks", "ignore", "rules",
                "sparsegpt" },
            [&](const std::string &key, const YAML::Node &v, int keyLine) {
                if (key == "method") {
                    p.method = str(v, key, keyLine);
                    checked(v, key, [&] { findPruneMethod(p.method); });
                } else if (key == "sparsity") {
                    p.sparsity = sparsity(v, key, keyLine);
                } else if (key == "pattern") {
                    p.pattern = str(v, key, keyLine);
                    checked(v, key, [&] { parsePrunePattern(p.pattern); });
                } else if (key == "count") {
                    p.count = int(integer(v, key, keyLine, 0));
                } else if (key == "blocks") {
                    for (const std::string &b : list(v, key, keyLine, [](const std::string &s) {
                             if (s.empty() || s.size() > 6
                                 || s.find_first_not_of("0123456789") != std::string::npos)
                                 throw InvalidArgument("'" + s + "' is not a block number");
                         }))
                        p.blocks.push_back(std::stoi(b));
                } else if (key == "ignore") {
                    p.ignore = list(v, key, keyLine);
                } else if (key == "rules") {
                    rules(v, keyLine, "- kind: ..., sparsity: ...", p.rules,
                        [&](const YAML::Node &item, int l) { return pruneRule(item, l); });
                } else {
                    forEachKey(v, keyLine, "pruning.sparsegpt", { "damping", "block_size" },
                        [&](const std::string &k, const YAML::Node &x, int l) {
                            if (k == "damping")
                                p.damping = number(x, k, l, 0.0, 1.0, "a fraction from 0 to 1");
                            else
                                p.blockSize = int(integer(x, k, l, 1));
                        });
                }
            });
        return p;
    }

    Recipe recipe(const std::string &text) const
    {
        YAML::Node loaded;
        try {
            loaded = YAML::Load(text);
        } catch (const YAML::Exception &e) {
            fail(e.mark.line >= 0 ? e.mark.line + 1 : 0,
                "the YAML is malformed (" + e.msg + "); expected a recipe such as the README's");
        }
        // Const: a non-const operator[] may add the key it looks up.
        const YAML::Node &root = loaded;
        const std::string versionHint = "this Lathe reads recipe version "
            + std::to_string(kRecipeSchemaVersion)
            + ": start the file with 'lathe_recipe: " + std::to_string(kRecipeSchemaVersion) + "'";
        if (!root.IsMap() || !root["lathe_recipe"])
            fail(lineOf(root), "not a Lathe recipe (no 'lathe_recipe' key); " + versionHint);
        Recipe r;
        const YAML::Node version = root["lathe_recipe"];
        r.schemaVersion = int(integer(version, "lathe_recipe", lineOf(version), 1));
        if (r.schemaVersion > kRecipeSchemaVersion)
            fail(version,
                "the recipe has version " + std::to_string(r.schemaVersion)
                    + ", newer than this Lathe reads; expected version "
                    + std::to_string(kRecipeSchemaVersion) + " (a newer Lathe wrote it)");
        forEachKey(root, 1, "recipe",
            { "lathe_recipe", "name", "calibration", "pruning", "quantization" },
            [&](const std::string &key, const YAML::Node &v, int keyLine) {
                if (key == "name") {
                    r.name = str(v, key, keyLine);
                } else if (key == "calibration") {
                    forEachKey(v, keyLine, "calibration", { "file", "samples", "ctx" },
                        [&](const std::string &k, const YAML::Node &x, int l) {
                            if (k == "file")
                                r.calibration.file = str(x, k, l);
                            else if (k == "samples")
                                r.calibration.samples = int(integer(x, k, l, 1));
                            else
                                r.calibration.ctx = int(integer(x, k, l, 2));
                        });
                } else if (key == "pruning" && !v.IsNull()) {
                    r.pruning = pruning(v, keyLine);
                } else if (key == "quantization" && !v.IsNull()) {
                    r.quantization = stage(v, keyLine);
                }
            });
        return r;
    }

private:
    std::string m_source;
};

} // namespace

Recipe parseRecipeYaml(const std::string &yamlText, const std::string &source)
{
    return RecipeReader(source).recipe(yamlText);
}

Recipe loadRecipe(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot read the recipe '" + path + "': the file is missing or unreadable");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw IoError("cannot read the recipe '" + path + "'");
    return parseRecipeYaml(text.str(), path);
}

} // namespace lathe
