// SPDX-License-Identifier: GPL-3.0-or-later
// Plain-words explanations of the statistics the Inspect view shows, for newcomers: what the
// number means and why it matters for compression. Keys are the statistic names used in the
// analyze JSON ("kurtosis", "outlier_fraction", "activation_absmax", ...).
#pragma once

#include <QString>

namespace lathe::ui
{

// Display name of a statistic ("Kurtosis"); the key itself when unknown.
QString statisticTitle(const QString &key);
// A few sentences; empty when unknown.
QString statisticExplanation(const QString &key);

} // namespace lathe::ui
