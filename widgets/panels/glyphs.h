// SPDX-License-Identifier: GPL-3.0-or-later
// Glyphs: small monochrome icons painted in code, so the mode bar looks the same on every
// desktop without an icon theme or the SVG image plugin.
#pragma once

#include <QColor>
#include <QIcon>

namespace lathe::ui
{

enum class Glyph { Start, Model, Inspect, Sensitivity, Compress, Evaluate };

// An icon of `glyph` in `color` (normal) with a dimmed variant for the disabled state.
QIcon glyphIcon(Glyph glyph, const QColor &color, const QColor &disabledColor);

} // namespace lathe::ui
