// SPDX-License-Identifier: GPL-3.0-or-later
// Writing a whole file so that readers see the old file or the complete new one, never a
// half-written one: write a temporary file beside it, flush it, then rename it into place.
#pragma once

#include <string>

namespace lathe {

// Throws IoError naming `path` when the folder is missing or not writable, or the disk is full;
// the temporary file is removed then and `path` is unchanged.
void writeFileAtomically(const std::string &path, const std::string &contents);

} // namespace lathe
