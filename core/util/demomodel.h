// SPDX-License-Identifier: GPL-3.0-or-later
// The demo model Lathe ships (resources/demo-model, installed to share/lathe/demo-model):
// where it is, and the `demo` shorthand every command and the GUI accept for it.
#pragma once

#include <string>

namespace lathe {

// The demo model's folder: $LATHE_DEMO_MODEL when set, else the installed copy beside the
// executable (../share/lathe/demo-model), else the source tree's resources/demo-model.
// Empty when none of them holds a config.json.
std::string demoModelPath();

// `arg` itself, except "demo", which becomes demoModelPath(); throws IoError
// ("the demo model is not installed ...") when it is asked for but missing.
std::string resolveModelArgument(const std::string &arg);

} // namespace lathe
