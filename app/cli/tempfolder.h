// SPDX-License-Identifier: GPL-3.0-or-later
// A temporary folder removed with everything in it when it goes out of scope, however the
// command ends: where benchmarks write their random models.
#pragma once

#include "util/error.h"

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace lathe::cli {

class TempFolder {
public:
    // `prefix` names the folder in the system's temporary directory ("lathe-bench").
    explicit TempFolder(const std::string &prefix)
    {
        namespace fs = std::filesystem;
        std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (!::mkdtemp(pattern.data()))
            throw IoError("cannot create a temporary folder in '"
                          + fs::temp_directory_path().string() + "'");
        m_path = pattern;
    }
    ~TempFolder()
    {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempFolder(const TempFolder &) = delete;
    TempFolder &operator=(const TempFolder &) = delete;
    const std::filesystem::path &path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

} // namespace lathe::cli
