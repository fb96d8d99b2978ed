// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/safetensorswriter.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

namespace lathe {

namespace {

// The permission bits a newly created file would get (mkstemp always uses 0600).
mode_t defaultFileMode()
{
    mode_t mask = 022;
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Umask:", 0) == 0) {
            try {
                mask = static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
            } catch (const std::exception &) {
            }
            break;
        }
    }
    return static_cast<mode_t>(0666 & ~mask);
}

// Removes the temporary file unless the write completed.
class TempFile {
public:
    explicit TempFile(const std::string &destination)
    {
        const std::filesystem::path dest(destination);
        const std::filesystem::path folder =
            dest.has_parent_path() ? dest.parent_path() : std::filesystem::path(".");
        m_path = (folder / ("." + dest.filename().string() + ".tmp-XXXXXX")).string();
        std::vector<char> buffer(m_path.begin(), m_path.end());
        buffer.push_back('\0');
        m_fd = ::mkostemp(buffer.data(), O_CLOEXEC);
        if (m_fd < 0)
            throw IoError("cannot write '" + destination + "': cannot create a file in '"
                          + folder.string() + "': " + std::strerror(errno));
        m_path.assign(buffer.data());
    }
    ~TempFile()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        if (!m_committed)
            ::unlink(m_path.c_str());
    }
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;

    int fd() const { return m_fd; }
    const std::string &path() const { return m_path; }
    // Closes the descriptor; returns errno on failure (close can report delayed write errors).
    int close()
    {
        const int rc = ::close(m_fd);
        m_fd = -1;
        return rc == 0 ? 0 : errno;
    }
    void commit() { m_committed = true; }

private:
    std::string m_path;
    int m_fd = -1;
    bool m_committed = false;
};

void writeAll(int fd, const std::uint8_t *data, std::size_t size, const std::string &destination)
{
    // Bounded chunks: some kernels cap a single write at about 2 GiB anyway.
    constexpr std::size_t kChunk = std::size_t(64) << 20;
    while (size > 0) {
        const ssize_t n = ::write(fd, data, std::min(size, kChunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw IoError("cannot write '" + destination + "': " + std::strerror(errno));
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

std::size_t elementBytes(DType dtype) { return dtypeBlockBytes(dtype); }

} // namespace

void SafetensorsWriter::addTensor(const std::string &name, DType dtype,
                                  const std::vector<std::int64_t> &shape, const void *data,
                                  std::size_t nbytes)
{
    if (name.empty())
        throw InvalidArgument("safetensors writer: a tensor needs a name");
    if (name == "__metadata__")
        throw InvalidArgument("safetensors writer: '__metadata__' is reserved, not a tensor name");
    if (dtypeIsQuantized(dtype))
        throw InvalidArgument("safetensors writer: tensor '" + name + "' has dtype "
                              + dtypeName(dtype) + ", which safetensors cannot store");
    std::uint64_t elements = 1;
    for (const auto d : shape) {
        if (d < 0)
            throw InvalidArgument("safetensors writer: tensor '" + name
                                  + "' has a negative dimension");
        if (d != 0 && elements > std::numeric_limits<std::uint64_t>::max() / std::uint64_t(d))
            throw InvalidArgument("safetensors writer: tensor '" + name + "' is too large");
        elements *= static_cast<std::uint64_t>(d);
    }
    const auto expected = dtypeStorageBytes(dtype, elements);
    if (!expected || *expected != nbytes)
        throw InvalidArgument("safetensors writer: tensor '" + name + "' has "
                              + std::to_string(nbytes) + " bytes, but its shape and dtype need "
                              + (expected ? std::to_string(*expected) : std::string("more")));
    if (nbytes > 0 && data == nullptr)
        throw InvalidArgument("safetensors writer: tensor '" + name + "' has no data");
    for (const auto &e : m_tensors)
        if (e.name == name)
            throw InvalidArgument("safetensors writer: tensor '" + name + "' added twice");
    Entry e;
    e.name = name;
    e.dtype = dtype;
    e.shape = shape;
    e.data = static_cast<const std::uint8_t *>(data);
    e.nbytes = nbytes;
    m_tensors.push_back(std::move(e));
}

void SafetensorsWriter::addTensor(const std::string &name, DType dtype,
                                  const std::vector<std::int64_t> &shape,
                                  std::vector<std::uint8_t> bytes)
{
    auto owned = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
    addTensor(name, dtype, shape, owned->data(), owned->size());
    m_tensors.back().owned = std::move(owned);
}

void SafetensorsWriter::setMetadata(const std::string &key, const std::string &value)
{
    m_metadata[key] = value;
}

std::vector<const SafetensorsWriter::Entry *> SafetensorsWriter::dataOrder() const
{
    std::vector<const Entry *> order;
    order.reserve(m_tensors.size());
    for (const auto &e : m_tensors)
        order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [](const Entry *a, const Entry *b) {
        return elementBytes(a->dtype) > elementBytes(b->dtype);
    });
    return order;
}

std::string SafetensorsWriter::header() const
{
    nlohmann::ordered_json h = nlohmann::ordered_json::object();
    if (!m_metadata.empty()) {
        nlohmann::ordered_json meta = nlohmann::ordered_json::object();
        for (const auto &[k, v] : m_metadata)
            meta[k] = v;
        h["__metadata__"] = std::move(meta);
    }
    std::size_t offset = 0;
    for (const Entry *e : dataOrder()) {
        nlohmann::ordered_json t = nlohmann::ordered_json::object();
        t["dtype"] = dtypeName(e->dtype);
        t["shape"] = e->shape;
        t["data_offsets"] = {offset, offset + e->nbytes};
        offset += e->nbytes;
        h[e->name] = std::move(t);
    }
    std::string text = h.dump();
    // Pad with spaces (allowed by the format) so the data starts 8-byte aligned.
    text.append((8 - text.size() % 8) % 8, ' ');
    return text;
}

std::size_t SafetensorsWriter::fileSize() const
{
    std::size_t size = 8 + header().size();
    for (const auto &e : m_tensors)
        size += e.nbytes;
    return size;
}

void SafetensorsWriter::write(const std::string &path) const
{
    if (path.empty())
        throw InvalidArgument("safetensors writer: no file name given");
    const std::string text = header();
    std::uint8_t prefix[8];
    std::uint64_t n = text.size();
    for (int i = 0; i < 8; ++i)
        prefix[i] = static_cast<std::uint8_t>(n >> (8 * i)); // little-endian u64

    TempFile temp(path);
    // Keep the mode of a file being replaced; otherwise what a new file would get.
    struct stat st {};
    const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : defaultFileMode();
    ::fchmod(temp.fd(), mode);

    writeAll(temp.fd(), prefix, sizeof prefix, path);
    writeAll(temp.fd(), reinterpret_cast<const std::uint8_t *>(text.data()), text.size(), path);
    for (const Entry *e : dataOrder())
        writeAll(temp.fd(), e->data, e->nbytes, path);
    if (::fsync(temp.fd()) != 0)
        throw IoError("cannot write '" + path + "': " + std::strerror(errno));
    if (const int err = temp.close())
        throw IoError("cannot write '" + path + "': " + std::strerror(err));
    if (::rename(temp.path().c_str(), path.c_str()) != 0)
        throw IoError("cannot write '" + path + "': " + std::strerror(errno));
    temp.commit();

    // Make the rename itself durable.
    const std::filesystem::path folder = std::filesystem::path(path).has_parent_path()
                                             ? std::filesystem::path(path).parent_path()
                                             : std::filesystem::path(".");
    const int dirFd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
}

} // namespace lathe
