// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/atomicfile.h"

#include "util/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace lathe {

namespace fs = std::filesystem;

void writeFileAtomically(const std::string &path, const std::string &contents)
{
    const fs::path dest(path);
    const fs::path folder = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
    std::string temp = (folder / ("." + dest.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0)
        throw IoError("cannot write '" + path + "': " + std::strerror(errno));
    const auto fail = [&](const char *what) {
        const int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        throw IoError("cannot write '" + path + "' (" + what + "): " + std::strerror(err));
    };
    // Readable by others like a file created normally (mkostemp uses 0600).
    if (::fchmod(fd, 0644) != 0)
        fail("permissions");
    std::size_t done = 0;
    while (done < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail("write");
        done += std::size_t(n);
    }
    if (::fsync(fd) != 0)
        fail("sync");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw IoError("cannot write '" + path + "': " + std::strerror(err));
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw IoError("cannot write '" + path + "': " + std::strerror(err));
    }
}

} // namespace lathe
