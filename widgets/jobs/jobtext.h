// SPDX-License-Identifier: GPL-3.0-or-later
// Texts and progress helpers shared by the compression and evaluation jobs: a user's text
// file read whole, the built-in generated evaluation stories, and a progress function that
// appends the time left so the Jobs dock shows an ETA.
#pragma once

#include "util/progress.h"

#include <QString>

#include <string>

namespace lathe::ui
{

// The whole UTF-8 file; IoError naming the file when it cannot be read. `what` says what the
// text is for ("calibration text", "evaluation text").
std::string readTextFile(const QString &path, const std::string &what);

// About enough generated stories for `windows` windows of `ctx` tokens, from a corpus seed
// that neither the demo model's training (seed 1) nor the built-in calibration text uses, so
// evaluation never scores text the model was calibrated on.
std::string builtInEvaluationText(int windows, int ctx);

// Wraps `progress`: the message gets " · 0:41 left" from the rate so far.
lathe::ProgressFn progressWithEta(const lathe::ProgressFn &progress);

} // namespace lathe::ui
