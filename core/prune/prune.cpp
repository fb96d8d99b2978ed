// SPDX-License-Identifier: GPL-3.0-or-later
#include "prune/prune.h"

#include "prune/prunemethods.h"
#include "prune/structuredprune.h"
#include "prune/unstructuredprune.h"
#include "util/error.h"

namespace lathe {

bool pruningNeedsCalibration(const PruningStage &stage)
{
    const PruneMethod &method = findPruneMethod(stage.method);
    if (method.name == "blocks")
        return stage.blocks.empty();
    return method.needsCalibration;
}

PruneResult pruneModel(const std::shared_ptr<const Model> &base, const PruningStage &stage,
    const std::vector<std::vector<std::int32_t>> &calibration, const ProgressFn &progress,
    const CancelToken &cancel)
{
    const PruneMethod &method = findPruneMethod(stage.method);
    parsePrunePattern(stage.pattern);
    if (pruningNeedsCalibration(stage) && calibration.empty())
        throw InvalidArgument("pruning with " + method.name + " needs calibration text");
    if (method.structured && !stage.pattern.empty())
        throw InvalidArgument("a sparsity pattern (" + stage.pattern + ") applies to "
            "magnitude, wanda and sparsegpt, not to " + method.name);
    return method.structured ? pruneStructured(base, stage, calibration, progress, cancel)
                             : pruneUnstructured(base, stage, calibration, progress, cancel);
}

} // namespace lathe
