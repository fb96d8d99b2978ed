// SPDX-License-Identifier: GPL-3.0-or-later
#include "quant/planner.h"

#include "analysis/sensitivity.h"
#include "model/model.h"
#include "model/modelspec.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace lathe {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Branch-and-bound nodes before the search settles for the best plan found so far.
constexpr long kNodeLimit = 1000000;

struct Option {
    int candidate = 0;
    double bits = 0.0; // all the group's weights, scales included
    double damage = 0.0;
};

// Modules that must share a format, with the cost of each candidate for all of them.
struct Group {
    std::vector<std::size_t> modules;
    std::vector<Option> options; // per candidate
    std::vector<Option> pareto; // fewer bits or less damage than every other; by bits
};

// q/k/v read the same normalised input, as do gate/up: one format each, so a fused or
// shared-input kernel can treat them as one matrix.
std::string tieClass(const std::string &kind)
{
    if (kind == "q_proj" || kind == "k_proj" || kind == "v_proj")
        return "qkv";
    if (kind == "gate_proj" || kind == "up_proj")
        return "gate_up";
    return "";
}

std::vector<Group> buildGroups(const PlannerProblem &problem)
{
    std::vector<Group> groups;
    std::map<std::pair<std::int64_t, std::string>, std::size_t> tied;
    for (std::size_t i = 0; i < problem.modules.size(); ++i) {
        const PlannerModule &m = problem.modules[i];
        const std::string cls = tieClass(m.kind);
        std::size_t g = groups.size();
        if (!cls.empty()) {
            const auto [it, added] = tied.emplace(std::make_pair(m.layer, cls), g);
            g = it->second;
            if (added)
                groups.emplace_back();
        } else {
            groups.emplace_back();
        }
        groups[g].modules.push_back(i);
    }
    for (Group &g : groups) {
        g.options.resize(problem.candidates.size());
        for (std::size_t c = 0; c < problem.candidates.size(); ++c) {
            Option &o = g.options[c];
            o.candidate = int(c);
            for (std::size_t i : g.modules) {
                const PlannerModule &m = problem.modules[i];
                o.bits += double(m.rows) * double(m.cols)
                    * problem.candidates[c].bitsPerWeight(m.cols);
                o.damage += m.damage[c];
            }
        }
        std::vector<Option> sorted = g.options;
        std::sort(sorted.begin(), sorted.end(), [](const Option &a, const Option &b) {
            return a.bits != b.bits ? a.bits < b.bits : a.damage < b.damage;
        });
        for (const Option &o : sorted)
            if (g.pareto.empty() || o.damage < g.pareto.back().damage)
                g.pareto.push_back(o);
    }
    return groups;
}

struct Totals {
    double bits = 0.0, damage = 0.0;
};

Totals totals(const std::vector<Group> &groups, const std::vector<int> &choice)
{
    Totals t;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        t.bits += groups[g].options[std::size_t(choice[g])].bits;
        t.damage += groups[g].options[std::size_t(choice[g])].damage;
    }
    return t;
}

// For a price lambda per bit, each group's cheapest option in damage + lambda * bits.
std::vector<int> lagrangianChoice(const std::vector<Group> &groups, double lambda)
{
    std::vector<int> choice(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const Option *best = nullptr;
        for (const Option &o : groups[g].pareto) {
            const double cost = o.damage + lambda * o.bits;
            if (!best || cost < best->damage + lambda * best->bits)
                best = &o;
        }
        choice[g] = best->candidate;
    }
    return choice;
}

// Spends the bits left on the upgrade that saves the most damage per extra bit, repeatedly.
void greedyFill(const std::vector<Group> &groups, std::vector<int> &choice, double budget)
{
    Totals t = totals(groups, choice);
    for (;;) {
        double bestRatio = 0.0;
        std::size_t bestGroup = 0;
        int bestOption = -1;
        for (std::size_t g = 0; g < groups.size(); ++g) {
            const Option &cur = groups[g].options[std::size_t(choice[g])];
            for (const Option &o : groups[g].pareto) {
                const double extra = o.bits - cur.bits, saved = cur.damage - o.damage;
                if (saved <= 0.0 || t.bits + extra > budget)
                    continue;
                const double ratio = extra > 0.0 ? saved / extra : kInf;
                if (bestOption < 0 || ratio > bestRatio) {
                    bestRatio = ratio;
                    bestGroup = g;
                    bestOption = o.candidate;
                }
            }
        }
        if (bestOption < 0)
            return;
        choice[bestGroup] = bestOption;
        t = totals(groups, choice);
    }
}

// Exact search: depth first over the groups, pruned by the relaxation in which a group may
// take a fraction of a step along its lower convex hull of (bits, damage) (the LP bound of
// the multiple-choice knapsack, which the Lagrangian solves).
class BranchAndBound {
public:
    BranchAndBound(const std::vector<Group> &groups, double budget)
        : m_groups(groups)
        , m_budget(budget)
    {
        const std::size_t n = groups.size();
        m_suffixBits.assign(n + 1, 0.0);
        m_suffixDamage.assign(n + 1, 0.0);
        for (std::size_t g = n; g-- > 0;) {
            m_suffixBits[g] = m_suffixBits[g + 1] + groups[g].pareto.front().bits;
            m_suffixDamage[g] = m_suffixDamage[g + 1] + groups[g].pareto.front().damage;
            // Lower convex hull of the Pareto options (bits ascending, damage descending).
            std::vector<Option> hull;
            for (const Option &o : groups[g].pareto) {
                while (hull.size() >= 2) {
                    const Option &a = hull[hull.size() - 2], &b = hull.back();
                    // b lies on or above the line from a to o: not on the hull.
                    if ((b.damage - a.damage) * (o.bits - a.bits)
                        >= (o.damage - a.damage) * (b.bits - a.bits))
                        hull.pop_back();
                    else
                        break;
                }
                hull.push_back(o);
            }
            for (std::size_t i = 1; i < hull.size(); ++i)
                m_steps.push_back(
                    { g, hull[i].bits - hull[i - 1].bits, hull[i - 1].damage - hull[i].damage });
        }
        std::sort(m_steps.begin(), m_steps.end(),
            [](const Step &a, const Step &b) { return a.saved * b.bits > b.saved * a.bits; });
        m_choice.assign(n, 0);
    }

    // Improves `best` (a feasible plan with damage `bestDamage`) when a better one exists.
    // Returns false when the node limit stopped the search before it proved optimality.
    bool run(std::vector<int> &best, double &bestDamage)
    {
        m_best = &best;
        m_bestDamage = bestDamage;
        m_tolerance = 1e-12 * std::max(1.0, std::abs(bestDamage));
        search(0, 0.0, 0.0);
        bestDamage = m_bestDamage;
        return m_nodes <= kNodeLimit;
    }

private:
    struct Step {
        std::size_t group;
        double bits; // extra bits
        double saved; // damage saved
    };

    double bound(std::size_t depth, double room) const
    {
        room -= m_suffixBits[depth];
        if (room < 0.0)
            return kInf;
        double damage = m_suffixDamage[depth];
        for (const Step &s : m_steps) {
            if (s.group < depth)
                continue;
            if (s.bits <= room) {
                damage -= s.saved;
                room -= s.bits;
            } else {
                damage -= s.saved * room / s.bits;
                break;
            }
        }
        return damage;
    }

    void search(std::size_t depth, double bits, double damage)
    {
        if (++m_nodes > kNodeLimit)
            return;
        if (depth == m_groups.size()) {
            if (damage < m_bestDamage - m_tolerance) {
                m_bestDamage = damage;
                *m_best = m_choice;
            }
            return;
        }
        if (damage + bound(depth, m_budget - bits) >= m_bestDamage - m_tolerance)
            return;
        // Least damage first: good plans early make the bound prune more.
        std::vector<const Option *> order;
        for (const Option &o : m_groups[depth].pareto)
            order.push_back(&o);
        std::sort(order.begin(), order.end(),
            [](const Option *a, const Option *b) { return a->damage < b->damage; });
        for (const Option *o : order) {
            if (bits + o->bits + m_suffixBits[depth + 1] > m_budget)
                continue;
            m_choice[depth] = o->candidate;
            search(depth + 1, bits + o->bits, damage + o->damage);
        }
    }

    const std::vector<Group> &m_groups;
    double m_budget;
    std::vector<double> m_suffixBits, m_suffixDamage;
    std::vector<Step> m_steps;
    std::vector<int> m_choice;
    std::vector<int> *m_best = nullptr;
    double m_bestDamage = kInf;
    double m_tolerance = 0.0;
    long m_nodes = 0;
};

std::vector<int> solveGroups(const std::vector<Group> &groups, double budget)
{
    // Even the fewest bits do not fit: the smallest plan, as close as it gets.
    std::vector<int> smallest(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g)
        smallest[g] = groups[g].pareto.front().candidate;
    if (totals(groups, smallest).bits > budget)
        return smallest;
    // Free bits: every group takes its least damaging option.
    std::vector<int> choice = lagrangianChoice(groups, 0.0);
    if (totals(groups, choice).bits <= budget)
        return choice;
    // Bisection on the price per bit for the cheapest price whose plan fits.
    double lo = 0.0, hi = 1.0;
    for (int i = 0; i < 2000 && totals(groups, lagrangianChoice(groups, hi)).bits > budget; ++i)
        hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
        const double mid = 0.5 * (lo + hi);
        (totals(groups, lagrangianChoice(groups, mid)).bits > budget ? lo : hi) = mid;
    }
    choice = lagrangianChoice(groups, hi);
    if (totals(groups, choice).bits > budget)
        choice = smallest;
    greedyFill(groups, choice, budget);
    // Never worse than one format everywhere when that fits.
    double bestDamage = totals(groups, choice).damage;
    const std::size_t candidates = groups.front().options.size();
    for (std::size_t c = 0; c < candidates; ++c) {
        const std::vector<int> uniform(groups.size(), int(c));
        const Totals t = totals(groups, uniform);
        if (t.bits <= budget && t.damage < bestDamage) {
            choice = uniform;
            bestDamage = t.damage;
        }
    }
    BranchAndBound(groups, budget).run(choice, bestDamage);
    return choice;
}

} // namespace

PlannerSolution solvePlan(const PlannerProblem &problem)
{
    if (problem.candidates.empty())
        throw InvalidArgument("the planner needs at least one candidate format");
    std::int64_t weights = 0;
    for (const PlannerModule &m : problem.modules) {
        if (m.damage.size() != problem.candidates.size())
            throw InvalidArgument("the planner has " + std::to_string(m.damage.size())
                + " damage values for " + m.module + " but "
                + std::to_string(problem.candidates.size()) + " candidate formats");
        for (double d : m.damage)
            if (!std::isfinite(d))
                throw InvalidArgument(
                    "the planner got a damage that is not a number for " + m.module);
        if (m.rows <= 0 || m.cols <= 0)
            throw InvalidArgument("the planner got an empty shape for " + m.module);
        weights += m.rows * m.cols;
    }
    PlannerSolution solution;
    if (problem.modules.empty())
        return solution;

    const std::vector<Group> groups = buildGroups(problem);
    // A hair of slack so a target equal to a uniform format's exact bits admits it.
    const double budget = problem.targetBitsPerWeight * double(weights) * (1.0 + 1e-12);
    const std::vector<int> choice = solveGroups(groups, budget);

    solution.choice.assign(problem.modules.size(), 0);
    for (std::size_t g = 0; g < groups.size(); ++g)
        for (std::size_t i : groups[g].modules)
            solution.choice[i] = choice[g];
    double bits = 0.0;
    for (std::size_t i = 0; i < problem.modules.size(); ++i) {
        const PlannerModule &m = problem.modules[i];
        const auto c = std::size_t(solution.choice[i]);
        bits += double(m.rows) * double(m.cols) * problem.candidates[c].bitsPerWeight(m.cols);
        solution.predictedDamage += m.damage[c];
    }
    solution.bitsPerWeight = bits / double(weights);
    return solution;
}

PlannerProblem measurePlannerProblem(const std::shared_ptr<const Model> &model,
    const std::vector<std::vector<std::int32_t>> &sequences,
    const std::vector<WeightFormat> &candidates, const ProgressFn &progress,
    const CancelToken &cancel)
{
    if (candidates.empty())
        throw InvalidArgument("the planner needs at least one candidate format");
    PlannerProblem problem;
    problem.candidates = candidates;
    std::map<std::string, std::vector<std::int64_t>> shapes;
    for (const TensorSpec &spec : tensorSpecs(model->config()))
        shapes[spec.name] = spec.shape;
    const double n = double(candidates.size());
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        cancel.throwIfCancelled();
        SensitivityOptions options;
        options.format = candidates[c];
        options.modules = true;
        options.blocks = false;
        const std::string label = candidates[c].name();
        const auto sub = [&](double fraction, const std::string &message) {
            reportProgress(progress, (double(c) + fraction) / n, label + ": " + message);
        };
        const SensitivityResult result
            = computeSensitivity(model, sequences, options, nullptr, sub, cancel);
        if (c == 0) {
            for (const SensitivityEntry &e : result.modules) {
                PlannerModule m;
                m.module = e.name;
                m.kind = e.kind;
                m.layer = e.layer;
                const std::vector<std::int64_t> &shape = shapes.at(e.name + ".weight");
                m.rows = shape.at(0);
                m.cols = shape.at(1);
                problem.modules.push_back(std::move(m));
            }
        }
        for (std::size_t i = 0; i < result.modules.size(); ++i)
            problem.modules.at(i).damage.push_back(result.modules[i].meanKl);
    }
    reportProgress(progress, 1.0, "damage measured for every candidate");
    return problem;
}

} // namespace lathe
