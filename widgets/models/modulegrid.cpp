// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/modulegrid.h"

#include <QRegularExpression>

#include <algorithm>
#include <map>
#include <set>

namespace lathe::ui
{

namespace
{

// Forward order of the kinds we know; others follow alphabetically.
int kindRank(const QString &kind)
{
    static const QStringList order { QStringLiteral("q_proj"), QStringLiteral("k_proj"),
        QStringLiteral("v_proj"), QStringLiteral("qkv_proj"), QStringLiteral("o_proj"),
        QStringLiteral("gate_proj"), QStringLiteral("up_proj"), QStringLiteral("gate_up_proj"),
        QStringLiteral("down_proj"), QStringLiteral("c_attn"), QStringLiteral("attn.c_proj"),
        QStringLiteral("c_fc"), QStringLiteral("mlp.c_proj"), QStringLiteral("attn_q"),
        QStringLiteral("attn_k"), QStringLiteral("attn_v"), QStringLiteral("attn_qkv"),
        QStringLiteral("attn_output"), QStringLiteral("ffn_gate"), QStringLiteral("ffn_up"),
        QStringLiteral("ffn_down") };
    const qsizetype i = order.indexOf(kind);
    return i < 0 ? static_cast<int>(order.size()) : static_cast<int>(i);
}

} // namespace

ModuleGrid ModuleGrid::fromTensors(const std::vector<lathe::TensorRow> &tensors)
{
    // "<prefix>layers.<n>.<path>.weight" with a 2-D shape: a linear module's weight. Norms are
    // 1-D; embeddings and the output head live outside the layers.
    static const QRegularExpression pattern(
        QStringLiteral(R"(^(?:.*\.)?(?:layers|h|blk|blocks|block)\.(\d+)\.(.+)\.weight$)"));
    struct Cell {
        int layer;
        QString path;
        QString tensor;
    };
    std::vector<Cell> cells;
    for (const lathe::TensorRow &row : tensors) {
        if (row.shape.size() != 2)
            continue;
        const QString name = QString::fromStdString(row.name);
        const QRegularExpressionMatch m = pattern.match(name);
        if (!m.hasMatch() || name.contains(QLatin1String("norm"), Qt::CaseInsensitive))
            continue;
        cells.push_back({ m.captured(1).toInt(), m.captured(2), name });
    }

    // Column label: the last component of the path ("q_proj" from "self_attn.q_proj"), or the
    // last two when the last alone is ambiguous (GPT-2's attn.c_proj and mlp.c_proj).
    std::map<QString, std::set<QString>> pathsByLast;
    for (const Cell &c : cells)
        pathsByLast[c.path.section(QLatin1Char('.'), -1)].insert(c.path);
    auto label = [&](const QString &path) {
        const QString last = path.section(QLatin1Char('.'), -1);
        return pathsByLast[last].size() > 1 ? path.section(QLatin1Char('.'), -2) : last;
    };

    ModuleGrid grid;
    std::set<int> layers;
    for (const Cell &c : cells) {
        layers.insert(c.layer);
        const QString kind = label(c.path);
        if (!grid.kinds.contains(kind))
            grid.kinds.append(kind);
    }
    std::stable_sort(grid.kinds.begin(), grid.kinds.end(), [](const QString &a, const QString &b) {
        const int ra = kindRank(a);
        const int rb = kindRank(b);
        return ra != rb ? ra < rb : (ra == kindRank(QString()) ? a < b : false);
    });
    grid.layers.assign(layers.begin(), layers.end());
    grid.tensors.resize(grid.layers.size() * static_cast<size_t>(grid.kinds.size()));
    for (const Cell &c : cells) {
        const auto row = std::lower_bound(grid.layers.begin(), grid.layers.end(), c.layer)
            - grid.layers.begin();
        const qsizetype column = grid.kinds.indexOf(label(c.path));
        grid.tensors[static_cast<size_t>(row) * static_cast<size_t>(grid.kinds.size())
            + static_cast<size_t>(column)]
            = c.tensor;
    }
    return grid;
}

QString ModuleGrid::tensorAt(int row, int column) const
{
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return {};
    return tensors[static_cast<size_t>(row) * static_cast<size_t>(columnCount())
        + static_cast<size_t>(column)];
}

bool ModuleGrid::cellOf(const QString &tensor, int *row, int *column) const
{
    for (size_t i = 0; i < tensors.size(); ++i) {
        if (!tensor.isEmpty() && tensors[i] == tensor) {
            *row = static_cast<int>(i / static_cast<size_t>(columnCount()));
            *column = static_cast<int>(i % static_cast<size_t>(columnCount()));
            return true;
        }
    }
    return false;
}

QStringList ModuleGrid::rowLabels() const
{
    QStringList out;
    for (int layer : layers)
        out.append(QString::number(layer));
    return out;
}

} // namespace lathe::ui
