// SPDX-License-Identifier: GPL-3.0-or-later
// Writing recipes: every key, so a saved recipe documents itself and reads back equal.
#include "recipe/recipeyaml.h"

#include "util/atomicfile.h"

#include <cctype>
#include <charconv>
#include <regex>
#include <set>
#include <sstream>

namespace lathe {

namespace {

// Plain when it cannot be mistaken for anything but a string, else double-quoted.
std::string scalar(const std::string &s)
{
    static const std::regex plain("[A-Za-z_][A-Za-z0-9_.\\-]*");
    static const std::set<std::string> reserved { "true", "false", "yes", "no", "on", "off", "null",
        "y", "n" };
    std::string lower;
    for (char c : s)
        lower += char(std::tolower(static_cast<unsigned char>(c)));
    if (std::regex_match(s, plain) && !reserved.count(lower))
        return s;
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (u < 0x20 || u == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// Shortest text that reads back as the same double.
std::string number(double x)
{
    char buf[64];
    const auto end = std::to_chars(buf, buf + sizeof buf, x).ptr;
    return std::string(buf, end);
}

std::string boolean(bool b)
{
    return b ? "true" : "false";
}

std::string flowList(const std::vector<std::string> &items)
{
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? ", " : "") + scalar(items[i]);
    return out + "]";
}

std::string layersText(int firstLayer, int lastLayer)
{
    if (firstLayer < 0 && lastLayer < 0)
        return "all";
    return scalar((firstLayer >= 0 ? std::to_string(firstLayer) : "") + "-"
        + (lastLayer >= 0 ? std::to_string(lastLayer) : ""));
}

void writePruning(std::ostream &y, const PruningStage &p)
{
    std::vector<std::string> blocks;
    for (int b : p.blocks)
        blocks.push_back(std::to_string(b));
    y << "pruning:\n"
      << "  method: " << scalar(p.method) << "\n"
      << "  sparsity: " << number(p.sparsity) << "\n"
      << "  pattern: " << scalar(p.pattern) << "\n"
      << "  count: " << p.count << "\n"
      << "  blocks: " << flowList(blocks) << "\n"
      << "  ignore: " << flowList(p.ignore) << "\n"
      << (p.rules.empty() ? "  rules: []\n" : "  rules:\n");
    for (const PruneRule &r : p.rules)
        y << "    - match: " << scalar(r.match) << "\n"
          << "      kind: " << scalar(r.kind) << "\n"
          << "      layers: " << layersText(r.firstLayer, r.lastLayer) << "\n"
          << "      sparsity: " << number(r.sparsity) << "\n";
    y << "  sparsegpt:\n"
      << "    damping: " << number(p.damping) << "\n"
      << "    block_size: " << p.blockSize << "\n";
}

} // namespace

std::string recipeToYaml(const Recipe &recipe)
{
    std::ostringstream y;
    y << "# Lathe compression recipe: every key is written (README, Recipes).\n"
      << "lathe_recipe: " << kRecipeSchemaVersion << "\n"
      << "name: " << scalar(recipe.name) << "\n"
      << "calibration:\n"
      << "  file: " << scalar(recipe.calibration.file) << "\n"
      << "  samples: " << recipe.calibration.samples << "\n"
      << "  ctx: " << recipe.calibration.ctx << "\n";
    if (recipe.pruning)
        writePruning(y, *recipe.pruning);
    if (!recipe.quantization)
        return y.str();
    const QuantizationStage &q = *recipe.quantization;
    y << "quantization:\n"
      << "  method: " << scalar(q.method) << "\n"
      << "  format: " << scalar(q.format) << "\n"
      << "  clip_search: " << boolean(q.clipSearch) << "\n"
      << "  importance_weighted: " << boolean(q.importanceWeighted) << "\n"
      << "  ignore: " << flowList(q.ignore) << "\n";
    if (q.rules.empty())
        y << "  rules: []\n";
    else
        y << "  rules:\n";
    for (const QuantRule &r : q.rules)
        y << "    - match: " << scalar(r.match) << "\n"
          << "      kind: " << scalar(r.kind) << "\n"
          << "      layers: " << layersText(r.firstLayer, r.lastLayer) << "\n"
          << "      format: " << scalar(r.format) << "\n"
          << "      method: " << scalar(r.method) << "\n";
    y << "  gptq:\n"
      << "    damping: " << number(q.gptq.damping) << "\n"
      << "    act_order: " << boolean(q.gptq.actOrder) << "\n"
      << "    block_size: " << q.gptq.blockSize << "\n"
      << "  awq:\n"
      << "    grid_points: " << q.awq.gridPoints << "\n"
      << "    clip_search: " << boolean(q.awq.clipSearch) << "\n"
      << "    then: " << scalar(q.awq.then) << "\n"
      << "  smoothquant:\n"
      << "    alpha: " << number(q.smoothQuant.alpha) << "\n";
    if (q.plan)
        y << "  plan:\n"
          << "    target_bpw: " << number(q.plan->targetBitsPerWeight) << "\n"
          << "    target_mb: " << number(q.plan->targetMegabytes) << "\n"
          << "    candidates: " << flowList(q.plan->candidates) << "\n";
    return y.str();
}

void saveRecipe(const Recipe &recipe, const std::string &path)
{
    writeFileAtomically(path, recipeToYaml(recipe));
}

} // namespace lathe
