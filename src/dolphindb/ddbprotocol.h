// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Request and response framing of the DolphinDB API protocol (PROTOCOL.md §1-§3), usable by
// both sides:
//
//   client                                        server (e.g. the sandbox emulator)
//   encodeRequest(DdbRequest) ------------------> DdbRequestParser::feed() -> DdbRequest
//   DdbResponseParser::feed() <------------------ encodeResponse()/encodeErrorResponse(),
//        (MSG frames surface as messages)          encodeMessageFrame() before it
//
// Both parsers are push parsers like DdbDecoder: feed bytes as they arrive; they report
// NeedMore / a completed unit / Failed with a clear error, never allocate from untrusted
// lengths beyond the bytes that arrived, and bound header/status line lengths.
//
// Server loop (what the emulator does per TCP connection):
//     DdbRequestParser parser;                       // one per connection
//     void onReadyRead() {
//         QByteArray data = socket->readAll(); qsizetype pos = 0;
//         while (pos < data.size()) {
//             qsizetype used = 0;
//             auto st = parser.feed(data.constData() + pos, data.size() - pos, &used);
//             pos += used;
//             if (st == DdbRequestParser::Status::NeedMore) break;
//             if (st == DdbRequestParser::Status::Failed) { /* reply error, close */ break; }
//             DdbRequest req = parser.takeRequest(); parser.reset();
//             // req.kind: Connect (req.inlineLogin/user/password), Script (req.script),
//             // Function (req.function, req.arguments), Variable (req.variableNames, arguments)
//             // req.options: flags (isAsync(): send nothing back), clientId, seqNo (< 0: resend)
//             socket->write(encodeMessageFrame(u"progress"_s));          // optional
//             socket->write(ok ? encodeResponse(sid, value)             // or encodeResponse(sid, {})
//                              : encodeErrorResponse(sid, text));       // for void results
//         }
//     }
// A plain `connect` must be answered with 0 objects ("<sid> 0 1\nOK\n", PROTOCOL.md §2.1).
//
// Secrets: DdbRequest can carry a password (inline login in `connect`). Never log a
// DdbRequest or its encoded bytes; describe() leaves the password out.

#include "core/result.h"
#include "dolphindb/ddbcodec.h"
#include "dolphindb/ddbvalue.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace GrayStep::DolphinDb {

// The options field of a request header (PROTOCOL.md §1.2): positional, '_'-separated.
struct DdbRequestOptions
{
    enum Flag : int {
        Urgent = 1,
        SecondaryJob = 2,
        Async = 4,          // the server must not answer at all
        Pickle = 8,
        ClearMemory = 16,
        ApiClient = 32,     // the C++/Python "API client" marker; we always set it
        Compress = 64,      // we never set it
    };

    int flags = ApiClient;
    int cancellable = 1;
    int priority = 4;
    int parallelism = 64;
    QByteArray rootJobId;
    std::optional<int> fetchSize = 0;
    QByteArray offset;
    QByteArray clientId;            // HA: UUID text (§5.3)
    std::optional<qint64> seqNo;    // HA: negative = resend

    // "32_1_4_2" (what the C++ API sends with connect).
    static DdbRequestOptions forConnect();
    // "32_1_4_64__0" (every other request).
    static DdbRequestOptions forCall();
    // forCall() + "__<clientId>_<seqNo>".
    static DdbRequestOptions forHaCall(const QByteArray &clientId, qint64 seqNo);

    bool isAsync() const { return flags & Async; }
    // Positional fields joined with '_', trailing empty fields dropped.
    QByteArray toString() const;
    // Tolerant of missing trailing fields and empty positions; an unparsable number is an error.
    static Core::Result<DdbRequestOptions> parse(QByteArrayView text);
    bool operator==(const DdbRequestOptions &other) const = default;
};

enum class DdbRequestKind { Connect, Script, Function, Variable };

struct DdbRequest
{
    QByteArray verb = "API2";          // "API" or "API2" (treated identically)
    QByteArray sessionId = "0";
    std::optional<DdbRequestOptions> options = DdbRequestOptions::forCall();  // nullopt: no " / ..."
    DdbRequestKind kind = DdbRequestKind::Script;

    // Connect with inline login ("connect\nlogin\n<user>\n<password>[\n<false|true>]").
    bool inlineLogin = false;
    QString user;
    QString password;                  // secret
    std::optional<bool> loginEncrypted;  // the optional 5th line (C++ 1.30/Python send "false")

    QString script;                    // Script: the text (may contain newlines)
    QString function;                  // Function: name or partial application expression
    QStringList variableNames;         // Variable: names
    QList<DdbValue> arguments;         // Function arguments / Variable values
    bool littleEndian = true;          // the endian digit of function/variable
    bool trailingNewline = false;      // JS adds "\n" after the endian digit (counted in bodyLen)

    // "connect\n", "script\n1+1", "function\nlogin\n3\n1", ... (the body counted by bodyLen).
    QByteArray body() const;
    // For logs: kind, function name or the first line of the script; never the password.
    QString describe() const;

    // The C++ 3.x connect request: "API 0 8 / 32_1_4_2\nconnect\n".
    static DdbRequest connect();
    static DdbRequest runScript(const QByteArray &sessionId, const QString &script);
    static DdbRequest callFunction(const QByteArray &sessionId, const QString &function,
                                   const QList<DdbValue> &arguments);
    static DdbRequest upload(const QByteArray &sessionId, const QStringList &names,
                             const QList<DdbValue> &values);
};

// Header line + body + serialized arguments.
QByteArray encodeRequest(const DdbRequest &request);

// A response (PROTOCOL.md §3.1).
struct DdbResponse
{
    QByteArray sessionId;
    QString status;              // "OK" or the server's error text, verbatim
    QList<DdbValue> objects;     // 0 or 1 in practice
    bool isOk() const { return status == QLatin1StringView("OK"); }
    // The first object, or a VOID scalar when there is none.
    DdbValue value() const { return objects.isEmpty() ? DdbValue() : objects.first(); }
};

// "<sid> <n> 1\nOK\n" + objects.
QByteArray encodeResponse(const QByteArray &sessionId, const QList<DdbValue> &objects);
QByteArray encodeResponse(const QByteArray &sessionId, const DdbValue &value);
// "<sid> 0 1\n<message>\n" (newlines in message are replaced by spaces: one status line).
QByteArray encodeErrorResponse(const QByteArray &sessionId, const QString &message);
// "MSG\n<text>\0" (a progress/print frame sent before the response).
QByteArray encodeMessageFrame(const QString &text);

struct DdbParserLimits
{
    qsizetype maxHeaderLine = 4096;
    qsizetype maxStatusLine = 4 << 20;
    qsizetype maxMessage = 16 << 20;
    qsizetype maxBody = 64 << 20;
    int maxObjects = 1024;
    DdbDecoderLimits decoder;
};

// Client side: reads one response, preceded by any number of MSG frames.
class DdbResponseParser final
{
public:
    enum class Status {
        NeedMore,   // everything given was consumed
        Message,    // a MSG frame completed: takeMessage(); call feed() again with the rest
        Done,       // the response is complete: takeResponse(); rest of input not consumed
        Failed,     // malformed: error()
    };

    DdbResponseParser();
    explicit DdbResponseParser(DdbParserLimits limits);
    ~DdbResponseParser();
    DdbResponseParser(const DdbResponseParser &) = delete;
    DdbResponseParser &operator=(const DdbResponseParser &) = delete;

    Status feed(const char *data, qsizetype size, qsizetype *consumed);
    Status feed(QByteArrayView data, qsizetype *consumed) { return feed(data.data(), data.size(), consumed); }
    QString takeMessage();
    DdbResponse takeResponse();
    const Core::Error &error() const;
    // True once the header line has been read (a request whose connection drops after this
    // point certainly reached the server).
    bool headerSeen() const;
    // The error to report when the input ends now (connection closed): says which part of
    // the response was missing ("... ended after the header line, before the status line").
    Core::Error truncatedError() const;
    // Ready for the next response.
    void reset();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Server side: reads one request (header, body, then the serialized arguments).
class DdbRequestParser final
{
public:
    enum class Status { NeedMore, Done, Failed };

    DdbRequestParser();
    explicit DdbRequestParser(DdbParserLimits limits);
    ~DdbRequestParser();
    DdbRequestParser(const DdbRequestParser &) = delete;
    DdbRequestParser &operator=(const DdbRequestParser &) = delete;

    Status feed(const char *data, qsizetype size, qsizetype *consumed);
    Status feed(QByteArrayView data, qsizetype *consumed) { return feed(data.data(), data.size(), consumed); }
    DdbRequest takeRequest();
    const Core::Error &error() const;
    // The header's options text as received (empty when absent), for servers that keep it.
    QByteArray rawOptions() const;
    void reset();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace GrayStep::DolphinDb
