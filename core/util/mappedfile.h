// SPDX-License-Identifier: GPL-3.0-or-later
// Read-only memory mapping of a whole file; shared so tensor views can keep it alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lathe {

class MappedFile {
public:
    // Throws IoError naming the path when the file cannot be opened or mapped.
    static std::shared_ptr<MappedFile> open(const std::string &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const std::uint8_t *data() const { return m_data; }
    std::size_t size() const { return m_size; }
    const std::string &path() const { return m_path; }

private:
    MappedFile() = default;
    std::string m_path;
    const std::uint8_t *m_data = nullptr;
    std::size_t m_size = 0;
};

} // namespace lathe
