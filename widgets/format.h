// SPDX-License-Identifier: GPL-3.0-or-later
// Human-readable numbers for the GUI. Compact counts and sizes come from core
// (lathe::formatCount / formatBytes in io/modelsummary.h) so the GUI and the CLI agree.
#pragma once

#include <QString>

#include <cstdint>
#include <vector>

namespace lathe::ui
{

// Exact count with digit grouping in the current locale: 262,144.
QString formatInteger(std::int64_t value);
// "656.0 K" (as the CLI prints it).
QString formatCompactCount(std::int64_t count);
// "2.6 MB" (decimal units, as the CLI prints it).
QString formatSize(std::uint64_t bytes);
// "[2048, 128]"; "[]" for a scalar.
QString formatShape(const std::vector<std::int64_t> &shape);

} // namespace lathe::ui
