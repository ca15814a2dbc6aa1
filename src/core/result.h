// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace GrayStep::Core {

enum class ErrorCode {
    InvalidInput,   // bad user input: config file, profile, argument
    Io,             // local file system
    Network,        // connect, read, write
    Timeout,
    Protocol,       // malformed reply from a peer
    Server,         // the peer answered with an error (text kept verbatim)
    Auth,           // authentication refused
    HostKey,        // SSH host key unknown, changed or refused
    Cancelled,
    NotFound,
    Failed,         // a check or a step found a problem
    Busy,           // held by another run or process (a lock); says who and since when
    Internal,
};

QString errorCodeName(ErrorCode code);

// An error as a value: a code, a message a DBA can read, and where it happened
// ("controller.cfg:12", "host 127.0.10.2, step install"). Never holds a secret.
struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString message;
    QString where;

    Error() = default;
    Error(ErrorCode c, QString msg, QString at = {})
        : code(c)
        , message(std::move(msg))
        , where(std::move(at))
    {}

    // "where: message", or just the message.
    QString toString() const;
    bool operator==(const Error &other) const = default;
};

// Either a value or an Error (like std::expected, which Qt 6.4 toolchains lack).
template<typename T>
class [[nodiscard]] Result
{
public:
    Result(const T &value)
        : m_data(std::in_place_index<0>, value)
    {}
    Result(T &&value)
        : m_data(std::in_place_index<0>, std::move(value))
    {}
    Result(Error error)
        : m_data(std::in_place_index<1>, std::move(error))
    {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_data); }
    T &value() & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    T &operator*() & { return value(); }
    const T *operator->() const { return &value(); }
    T *operator->() { return &value(); }

    const Error &error() const { return std::get<1>(m_data); }

    T valueOr(T fallback) const { return ok() ? value() : std::move(fallback); }

private:
    std::variant<T, Error> m_data;
};

// Result<void>: success or an Error.
template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
    {}

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace GrayStep::Core
