// SPDX-License-Identifier: GPL-3.0-or-later
#include "prune/prunemethods.h"

#include "util/error.h"

#include <regex>

namespace lathe {

const std::vector<PruneMethod> &pruneMethods()
{
    static const std::vector<PruneMethod> methods {
        { "magnitude", false, false, "zero the smallest weights of each row: no data needed" },
        { "wanda", false, true,
            "zero the weights with the least |weight| x input norm (Wanda): one calibration pass" },
        { "sparsegpt", false, true,
            "zero weights and update the rest to make up for them (SparseGPT, calibration "
            "Hessian): the least damage, the slowest" },
        { "heads", true, true, "remove attention heads (whole KV groups under GQA) in every layer" },
        { "channels", true, true, "remove FFN channels (gate/up rows, down columns) in every layer" },
        { "blocks", true, true, "remove whole decoder blocks, those of least block influence" },
    };
    return methods;
}

const PruneMethod &findPruneMethod(const std::string &name)
{
    std::string known;
    for (const PruneMethod &m : pruneMethods()) {
        if (m.name == name)
            return m;
        known += (known.empty() ? "" : ", ") + m.name;
    }
    throw InvalidArgument("'" + name + "' is not a pruning method; expected one of " + known);
}

PrunePattern parsePrunePattern(const std::string &text)
{
    if (text.empty())
        return {};
    static const std::regex nm("([0-9]{1,2}):([0-9]{1,2})");
    std::smatch m;
    if (std::regex_match(text, m, nm)) {
        const int n = std::stoi(m[1].str()), group = std::stoi(m[2].str());
        if (n > 0 && n < group && group <= 64)
            return { n, group };
    }
    throw InvalidArgument("'" + text + "' is not a sparsity pattern; expected N:M with "
                          "0 < N < M <= 64 (N zeros in every M inputs, e.g. 2:4 or 4:8), or "
                          "empty for unstructured");
}

} // namespace lathe
