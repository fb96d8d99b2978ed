// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/demomodel.h"

#include "util/error.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace lathe {

namespace fs = std::filesystem;

namespace {

bool holdsModel(const fs::path &dir)
{
    std::error_code ec;
    return fs::is_regular_file(dir / "config.json", ec);
}

fs::path executableDir()
{
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
}

} // namespace

std::string demoModelPath()
{
    if (const char *env = std::getenv("LATHE_DEMO_MODEL"); env && *env)
        return holdsModel(env) ? fs::path(env).lexically_normal().string() : std::string();
    const fs::path exeDir = executableDir();
    if (!exeDir.empty()) {
        const fs::path installed = exeDir / ".." / "share" / "lathe" / "demo-model";
        if (holdsModel(installed))
            return installed.lexically_normal().string();
    }
#ifdef LATHE_SOURCE_TREE
    const fs::path source = fs::path(LATHE_SOURCE_TREE) / "resources" / "demo-model";
    if (holdsModel(source))
        return source.lexically_normal().string();
#endif
    return {};
}

std::string resolveModelArgument(const std::string &arg)
{
    if (arg != "demo")
        return arg;
    const std::string path = demoModelPath();
    if (path.empty())
        throw IoError("the demo model is not installed (looked in $LATHE_DEMO_MODEL, "
                      "share/lathe/demo-model beside the executable and the source tree's "
                      "resources/demo-model)");
    return path;
}

} // namespace lathe
