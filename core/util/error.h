// SPDX-License-Identifier: GPL-3.0-or-later
// Error types thrown by the engine. Messages are written for users: they name the file
// (or tensor) and say what is wrong. Caught at job boundaries and in the CLI's main().
#pragma once

#include <stdexcept>
#include <string>

namespace lathe {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A file could not be opened, mapped or read.
class IoError : public Error {
public:
    using Error::Error;
};

// A file is malformed: bad header, out-of-range offsets, wrong sizes, bad JSON.
class FormatError : public Error {
public:
    using Error::Error;
};

// A well-formed input asks for something Lathe does not support (architecture, dtype).
class UnsupportedError : public Error {
public:
    using Error::Error;
};

// Invalid arguments from the caller (bad ids, out-of-range options).
class InvalidArgument : public Error {
public:
    using Error::Error;
};

// Long work was cancelled through a CancelToken.
class CancelledError : public Error {
public:
    CancelledError() : Error("cancelled") {}
};

} // namespace lathe
