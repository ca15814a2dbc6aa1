// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <memory>

class QTcpSocket;

namespace GrayStep::Sim {

// A decoded DolphinDB object, as far as the launcher needs it (PROTOCOL.md §4): scalars,
// vectors (incl. symbol-base and ANY), pairs, sets, dictionaries and tables. Matrices are
// refused. Numbers are kept as qint64/double, temporal values as their raw integer, strings
// as QString, nulls as an invalid QVariant.
struct SandboxValue
{
    int form = 0;            // 0 scalar, 1 vector, 2 pair, 4 set, 5 dictionary, 6 table
    int type = 0;            // element type (17 for both symbol forms)
    QVariant scalar;         // form 0
    QVariantList items;      // vector, pair, set: elements of a scalar type
    QList<SandboxValue> children;   // ANY vector elements; table columns; dictionary {keys, values}
    QStringList columnNames; // table

    bool isVoid() const { return form == 0 && type == 0; }
    QString toString() const;                        // scalar as text
    int rowCount() const;                            // table rows / vector length
    QVariant cell(int row, const QString &column) const;   // table cell, invalid when absent
    QVariant dictValue(const QString &key) const;    // dictionary value for a scalar key
};

// A minimal blocking DolphinDB API client over raw TCP for the launcher (start data nodes,
// probe versions, create the tutorial table, set faults). It speaks PROTOCOL.md §1-§4:
// connect, login, script and function requests, one request in flight. Not for the product:
// the engine uses the dolphindb library's DdbConnection.
class SandboxClient final
{
public:
    explicit SandboxClient(int timeoutMs = 5000);
    ~SandboxClient();
    SandboxClient(const SandboxClient &) = delete;
    SandboxClient &operator=(const SandboxClient &) = delete;

    Core::Status open(const QString &host, quint16 port, const QString &user = QStringLiteral("admin"),
                      const QString &password = QStringLiteral("123456"));
    void close();
    bool isOpen() const;

    Core::Result<SandboxValue> run(const QString &script);
    // args: serialized objects (use encodeString / encodeStringVector).
    Core::Result<SandboxValue> call(const QString &function, const QList<QByteArray> &args = {});

    static QByteArray encodeString(const QString &text);
    static QByteArray encodeStringVector(const QStringList &items);
    // Decodes one object from data; returns the bytes consumed, 0 when more bytes are needed,
    // -1 on malformed input (error set).
    static qsizetype decode(const QByteArray &data, SandboxValue *out, QString *error);

private:
    Core::Result<SandboxValue> request(const QByteArray &body, const QByteArray &args, bool connect = false);
    Core::Status readMore(const QString &what);

    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_sessionId = "0";
    QByteArray m_buffer;
    QString m_site;
    int m_timeoutMs;
};

} // namespace GrayStep::Sim
