// SPDX-License-Identifier: GPL-3.0-or-later
// The automatic planner behind "Plan for budget": given, for every module and every candidate
// format, the measured damage of compressing only that module (mean KL divergence from the
// original on calibration tokens, from sensitivity), it picks one format per module so that
// the total predicted damage (the sum, assuming damages add) is least while the bits stay
// within the budget. Modules that read the same input (q/k/v; gate/up) are tied to one format.
//
// Algorithm (documented in the README): a multiple-choice knapsack solved by Lagrangian
// relaxation: for a price lambda per bit each tied group takes the candidate minimising
// damage + lambda * bits; bisection on lambda finds the cheapest plan within budget; then a
// greedy pass spends the bits left on the upgrades with the best damage saved per bit.
#pragma once

#include "quant/weightformat.h"
#include "util/progress.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

class Model;

struct PlannerModule {
    std::string module;       // LinearModule::name
    std::string kind;         // LinearModule::kind
    std::int64_t layer = 0;
    std::int64_t rows = 0, cols = 0;
    std::vector<double> damage; // per candidate: mean KL with only this module compressed
};

struct PlannerProblem {
    std::vector<WeightFormat> candidates;
    std::vector<PlannerModule> modules;
    double targetBitsPerWeight = 4.0; // mean over these modules, scales included
};

struct PlannerSolution {
    std::vector<int> choice;      // per module: index into candidates
    double bitsPerWeight = 0.0;   // achieved (<= target unless even the smallest exceeds it)
    double predictedDamage = 0.0; // sum of chosen damages
};

// Throws InvalidArgument when a module's damage list does not match the candidates.
PlannerSolution solvePlan(const PlannerProblem &problem);

// Measures the damage table by sensitivity analysis (one pass per candidate, modules only) on
// `sequences`. Progress across all candidates; CancelledError when cancelled.
PlannerProblem measurePlannerProblem(const std::shared_ptr<const Model> &model,
    const std::vector<std::vector<std::int32_t>> &sequences,
    const std::vector<WeightFormat> &candidates, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

} // namespace lathe
