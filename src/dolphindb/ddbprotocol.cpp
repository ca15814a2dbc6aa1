// SPDX-License-Identifier: GPL-3.0-or-later
#include "dolphindb/ddbprotocol.h"

#include <cstring>

using namespace Qt::Literals::StringLiterals;

namespace GrayStep::DolphinDb {

// ---------------------------------------------------------------- options

DdbRequestOptions DdbRequestOptions::forConnect()
{
    DdbRequestOptions o;
    o.parallelism = 2;
    o.fetchSize.reset();
    return o;
}

DdbRequestOptions DdbRequestOptions::forCall()
{
    return DdbRequestOptions();
}

DdbRequestOptions DdbRequestOptions::forHaCall(const QByteArray &clientId, qint64 seqNo)
{
    DdbRequestOptions o;
    o.clientId = clientId;
    o.seqNo = seqNo;
    return o;
}

QByteArray DdbRequestOptions::toString() const
{
    QList<QByteArray> f{
        QByteArray::number(flags),
        QByteArray::number(cancellable),
        QByteArray::number(priority),
        QByteArray::number(parallelism),
        rootJobId,
        fetchSize ? QByteArray::number(*fetchSize) : QByteArray(),
        offset,
        clientId,
        seqNo ? QByteArray::number(*seqNo) : QByteArray(),
    };
    while (!f.isEmpty() && f.last().isEmpty()) {
        f.removeLast();
    }
    return f.join('_');
}

Core::Result<DdbRequestOptions> DdbRequestOptions::parse(QByteArrayView text)
{
    const QList<QByteArray> f = text.toByteArray().split('_');
    DdbRequestOptions o;
    o.fetchSize.reset();
    auto num = [&](int i, qint64 *out) -> bool {
        if (i >= f.size() || f.at(i).isEmpty()) {
            return true;  // absent: keep the default
        }
        bool ok = false;
        *out = f.at(i).toLongLong(&ok);
        return ok;
    };
    qint64 v = 0;
    const auto bad = [&](const char *what) {
        return Core::Error(Core::ErrorCode::Protocol,
                           u"invalid %1 in request options '%2'"_s.arg(QLatin1StringView(what),
                                                                      QString::fromLatin1(text.toByteArray())));
    };
    v = o.flags;
    if (!num(0, &v)) {
        return bad("flag");
    }
    o.flags = int(v);
    v = o.cancellable;
    if (!num(1, &v)) {
        return bad("cancellable");
    }
    o.cancellable = int(v);
    v = o.priority;
    if (!num(2, &v)) {
        return bad("priority");
    }
    o.priority = int(v);
    v = o.parallelism;
    if (!num(3, &v)) {
        return bad("parallelism");
    }
    o.parallelism = int(v);
    if (f.size() > 4) {
        o.rootJobId = f.at(4);
    }
    if (f.size() > 5 && !f.at(5).isEmpty()) {
        if (!num(5, &v)) {
            return bad("fetchSize");
        }
        o.fetchSize = int(v);
    }
    if (f.size() > 6) {
        o.offset = f.at(6);
    }
    if (f.size() > 7) {
        o.clientId = f.at(7);
    }
    if (f.size() > 8 && !f.at(8).isEmpty()) {
        if (!num(8, &v)) {
            return bad("seqNo");
        }
        o.seqNo = v;
    }
    return o;
}

// ---------------------------------------------------------------- requests

QByteArray DdbRequest::body() const
{
    switch (kind) {
    case DdbRequestKind::Connect: {
        QByteArray b = "connect\n";
        if (inlineLogin) {
            b += "login\n" + user.toUtf8() + '\n' + password.toUtf8();
            if (loginEncrypted) {
                b += *loginEncrypted ? "\ntrue" : "\nfalse";
            }
        }
        return b;
    }
    case DdbRequestKind::Script:
        return "script\n" + script.toUtf8();
    case DdbRequestKind::Function:
    case DdbRequestKind::Variable: {
        QByteArray b = kind == DdbRequestKind::Function ? "function\n" : "variable\n";
        b += kind == DdbRequestKind::Function ? function.toUtf8() : variableNames.join(u',').toUtf8();
        b += '\n' + QByteArray::number(arguments.size()) + '\n' + (littleEndian ? '1' : '0');
        if (trailingNewline) {
            b += '\n';
        }
        return b;
    }
    }
    return {};
}

QString DdbRequest::describe() const
{
    switch (kind) {
    case DdbRequestKind::Connect:
        return inlineLogin ? u"connect (inline login as %1)"_s.arg(user) : u"connect"_s;
    case DdbRequestKind::Script: {
        const QString first = script.section(u'\n', 0, 0);
        return u"script: "_s + (first.size() > 120 ? QString(first.left(117) + u"..."_s) : first);
    }
    case DdbRequestKind::Function:
        if (function == "login"_L1) {
            return u"function login (credentials not shown)"_s;
        }
        return u"function %1 (%2 arguments)"_s.arg(function).arg(arguments.size());
    case DdbRequestKind::Variable:
        return u"upload %1"_s.arg(variableNames.join(u','));
    }
    return {};
}

DdbRequest DdbRequest::connect()
{
    DdbRequest r;
    r.verb = "API";
    r.sessionId = "0";
    r.options = DdbRequestOptions::forConnect();
    r.kind = DdbRequestKind::Connect;
    return r;
}

DdbRequest DdbRequest::runScript(const QByteArray &sessionId, const QString &text)
{
    DdbRequest r;
    r.sessionId = sessionId;
    r.kind = DdbRequestKind::Script;
    r.script = text;
    return r;
}

DdbRequest DdbRequest::callFunction(const QByteArray &sessionId, const QString &fn,
                                    const QList<DdbValue> &args)
{
    DdbRequest r;
    r.sessionId = sessionId;
    r.kind = DdbRequestKind::Function;
    r.function = fn;
    r.arguments = args;
    return r;
}

DdbRequest DdbRequest::upload(const QByteArray &sessionId, const QStringList &names,
                              const QList<DdbValue> &values)
{
    DdbRequest r;
    r.sessionId = sessionId;
    r.kind = DdbRequestKind::Variable;
    r.variableNames = names;
    r.arguments = values;
    return r;
}

QByteArray encodeRequest(const DdbRequest &request)
{
    const QByteArray body = request.body();
    QByteArray out = request.verb + ' ' + request.sessionId + ' ' + QByteArray::number(body.size());
    if (request.options) {
        out += " / " + request.options->toString();
    }
    out += '\n';
    out += body;
    if (request.kind == DdbRequestKind::Function || request.kind == DdbRequestKind::Variable) {
        for (const DdbValue &v : request.arguments) {
            DdbEncoder::encode(v, out);
        }
    }
    return out;
}

// ---------------------------------------------------------------- responses

QByteArray encodeResponse(const QByteArray &sessionId, const QList<DdbValue> &objects)
{
    QByteArray out = sessionId + ' ' + QByteArray::number(objects.size()) + " 1\nOK\n";
    for (const DdbValue &v : objects) {
        DdbEncoder::encode(v, out);
    }
    return out;
}

QByteArray encodeResponse(const QByteArray &sessionId, const DdbValue &value)
{
    return encodeResponse(sessionId, QList<DdbValue>{value});
}

QByteArray encodeErrorResponse(const QByteArray &sessionId, const QString &message)
{
    QString line = message;
    line.replace(u'\n', u' ');
    line.replace(u'\r', u' ');
    if (line.isEmpty() || line == "OK"_L1) {
        line = u"error"_s;
    }
    return sessionId + " 0 1\n" + line.toUtf8() + '\n';
}

QByteArray encodeMessageFrame(const QString &text)
{
    QByteArray t = text.toUtf8();
    t.replace('\0', ' ');
    return "MSG\n" + t + '\0';
}

namespace {

Core::Error protocolError(const QString &message)
{
    return Core::Error(Core::ErrorCode::Protocol, message);
}

// Accumulates bytes up to a terminator; bounded.
struct LineReader
{
    QByteArray line;

    // Returns 1 when the terminator was found (line holds the text without it), 0 when more
    // input is needed (all consumed), -1 when the line exceeds max.
    int read(const char *&p, const char *end, char terminator, qsizetype max)
    {
        if (p >= end) {
            return 0;
        }
        const void *z = std::memchr(p, terminator, size_t(end - p));
        const qsizetype n = z ? static_cast<const char *>(z) - p : end - p;
        if (line.size() + n > max) {
            return -1;
        }
        line.append(p, n);
        p += n;
        if (z) {
            ++p;  // the terminator
            return 1;
        }
        return 0;
    }
};

} // namespace

struct DdbResponseParser::Private
{
    enum class St { Start, MsgText, Status, Objects, Done, Failed };
    DdbParserLimits limits;
    St st = St::Start;
    LineReader reader;
    DdbResponse response;
    int objectCount = 0;
    bool headerSeen = false;
    QString message;
    Core::Error error;
    DdbDecoder decoder;

    explicit Private(DdbParserLimits l)
        : limits(l)
        , decoder(l.decoder)
    {}

    Status fail(const QString &what)
    {
        error = protocolError(what);
        st = St::Failed;
        return Status::Failed;
    }
};

DdbResponseParser::DdbResponseParser()
    : DdbResponseParser(DdbParserLimits())
{}

DdbResponseParser::DdbResponseParser(DdbParserLimits limits)
    : d(std::make_unique<Private>(limits))
{}

DdbResponseParser::~DdbResponseParser() = default;

DdbResponseParser::Status DdbResponseParser::feed(const char *data, qsizetype size, qsizetype *consumed)
{
    const char *p = data;
    const char *end = data + size;
    auto finish = [&](Status s) {
        if (consumed) {
            *consumed = p - data;
        }
        return s;
    };
    for (;;) {
        switch (d->st) {
        case Private::St::Start: {
            const int r = d->reader.read(p, end, '\n', d->limits.maxHeaderLine);
            if (r < 0) {
                return finish(d->fail(u"invalid response header: no line end within %1 bytes"_s
                                          .arg(d->limits.maxHeaderLine)));
            }
            if (r == 0) {
                return finish(Status::NeedMore);
            }
            QByteArray line = std::exchange(d->reader.line, QByteArray());
            if (line.endsWith('\r')) {
                line.chop(1);
            }
            if (line == "MSG") {
                d->st = Private::St::MsgText;
                continue;
            }
            const QList<QByteArray> f = line.split(' ');
            bool okN = false;
            bool okE = false;
            const int n = f.size() == 3 ? f.at(1).toInt(&okN) : 0;
            const int endian = f.size() == 3 ? f.at(2).toInt(&okE) : 0;
            if (f.size() != 3 || !okN || !okE || f.at(0).isEmpty() || n < 0) {
                return finish(d->fail(u"received an invalid response header '%1' (expected "
                                      "'<session> <objects> <endian>')"_s
                                          .arg(QString::fromUtf8(line.left(200)))));
            }
            if (n > d->limits.maxObjects) {
                return finish(d->fail(u"response header announces %1 objects"_s.arg(n)));
            }
            if (endian != 1) {
                return finish(d->fail(u"the server reports big-endian data (endian flag %1), "
                                      "which is not supported"_s.arg(endian)));
            }
            d->response.sessionId = f.at(0);
            d->objectCount = n;
            d->headerSeen = true;
            d->st = Private::St::Status;
            continue;
        }
        case Private::St::MsgText: {
            const int r = d->reader.read(p, end, '\0', d->limits.maxMessage);
            if (r < 0) {
                return finish(d->fail(u"MSG frame longer than %1 bytes"_s.arg(d->limits.maxMessage)));
            }
            if (r == 0) {
                return finish(Status::NeedMore);
            }
            d->message = QString::fromUtf8(std::exchange(d->reader.line, QByteArray()));
            d->st = Private::St::Start;
            return finish(Status::Message);
        }
        case Private::St::Status: {
            const int r = d->reader.read(p, end, '\n', d->limits.maxStatusLine);
            if (r < 0) {
                return finish(d->fail(u"response status line longer than %1 bytes"_s
                                          .arg(d->limits.maxStatusLine)));
            }
            if (r == 0) {
                return finish(Status::NeedMore);
            }
            QByteArray line = std::exchange(d->reader.line, QByteArray());
            if (line.endsWith('\r')) {
                line.chop(1);
            }
            if (!QByteArrayView(line).isValidUtf8()) {
                return finish(d->fail(u"response status line is not valid UTF-8 (missing status line?)"_s));
            }
            d->response.status = QString::fromUtf8(line);
            if (d->response.status.isEmpty()) {
                return finish(d->fail(u"response has an empty status line"_s));
            }
            if (!d->response.isOk() || d->objectCount == 0) {
                // An error carries no object (PROTOCOL.md §3.1).
                d->st = Private::St::Done;
                return finish(Status::Done);
            }
            d->st = Private::St::Objects;
            continue;
        }
        case Private::St::Objects: {
            qsizetype used = 0;
            const DdbDecoder::Status s = d->decoder.feed(p, end - p, &used);
            p += used;
            if (s == DdbDecoder::Status::Failed) {
                d->error = d->decoder.error();
                d->st = Private::St::Failed;
                return finish(Status::Failed);
            }
            if (s == DdbDecoder::Status::NeedMore) {
                return finish(Status::NeedMore);
            }
            d->response.objects << d->decoder.takeValue();
            d->decoder.reset();
            if (d->response.objects.size() == d->objectCount) {
                d->st = Private::St::Done;
                return finish(Status::Done);
            }
            continue;
        }
        case Private::St::Done:
            return finish(Status::Done);
        case Private::St::Failed:
            return finish(Status::Failed);
        }
    }
}

QString DdbResponseParser::takeMessage()
{
    return std::exchange(d->message, QString());
}

DdbResponse DdbResponseParser::takeResponse()
{
    return std::exchange(d->response, DdbResponse());
}

const Core::Error &DdbResponseParser::error() const
{
    return d->error;
}

bool DdbResponseParser::headerSeen() const
{
    return d->headerSeen;
}

Core::Error DdbResponseParser::truncatedError() const
{
    QString what;
    switch (d->st) {
    case Private::St::Start:
        what = d->reader.line.isEmpty() ? u"before any response byte"_s
                                        : u"inside the response header line"_s;
        break;
    case Private::St::MsgText:
        what = u"inside a MSG frame"_s;
        break;
    case Private::St::Status:
        what = u"after the header line, before the status line"_s;
        break;
    case Private::St::Objects:
        what = u"inside the result object (%1 bytes of it received)"_s.arg(d->decoder.bytesConsumed());
        break;
    case Private::St::Done:
    case Private::St::Failed:
        what = u"after the response"_s;
        break;
    }
    return Core::Error(Core::ErrorCode::Network, u"connection closed %1"_s.arg(what));
}

void DdbResponseParser::reset()
{
    const DdbParserLimits limits = d->limits;
    d = std::make_unique<Private>(limits);
}

// ---------------------------------------------------------------- request parser

struct DdbRequestParser::Private
{
    enum class St { Header, Body, Args, Done, Failed };
    DdbParserLimits limits;
    St st = St::Header;
    LineReader reader;
    DdbRequest request;
    QByteArray rawOptions;
    QByteArray body;
    qsizetype bodyLen = 0;
    int argc = 0;
    Core::Error error;
    DdbDecoder decoder;

    explicit Private(DdbParserLimits l)
        : limits(l)
        , decoder(l.decoder)
    {}

    Status fail(const QString &what)
    {
        error = protocolError(what);
        st = St::Failed;
        return Status::Failed;
    }

    // Interprets the complete body; sets argc. Empty string on success, else the error.
    QString parseBody()
    {
        if (!QByteArrayView(body).isValidUtf8()) {
            return u"request body is not valid UTF-8"_s;
        }
        const qsizetype nl = body.indexOf('\n');
        const QByteArray command = nl < 0 ? body : body.left(nl);
        const QByteArray rest = nl < 0 ? QByteArray() : body.mid(nl + 1);
        if (command == "connect") {
            request.kind = DdbRequestKind::Connect;
            if (!rest.isEmpty()) {
                QList<QByteArray> lines = rest.split('\n');
                if (lines.size() >= 3 && lines.at(0) == "login") {
                    request.inlineLogin = true;
                    request.user = QString::fromUtf8(lines.at(1));
                    request.password = QString::fromUtf8(lines.at(2));
                    if (lines.size() >= 4 && !lines.at(3).isEmpty()) {
                        request.loginEncrypted = lines.at(3).trimmed() == "true";
                    }
                } else if (!(lines.size() == 1 && lines.first().isEmpty())) {
                    return u"unrecognised connect body"_s;
                }
            }
            return {};
        }
        if (command == "script") {
            request.kind = DdbRequestKind::Script;
            request.script = QString::fromUtf8(rest);
            return {};
        }
        if (command == "function" || command == "variable") {
            const bool fn = command == "function";
            request.kind = fn ? DdbRequestKind::Function : DdbRequestKind::Variable;
            QList<QByteArray> lines = rest.split('\n');
            if (lines.size() == 4 && lines.last().isEmpty()) {
                lines.removeLast();
                request.trailingNewline = true;
            }
            if (lines.size() != 3) {
                return u"%1 body needs 3 lines (name, count, endian), got %2"_s
                    .arg(QString::fromLatin1(command))
                    .arg(lines.size());
            }
            if (fn) {
                request.function = QString::fromUtf8(lines.at(0));
                if (request.function.isEmpty()) {
                    return u"function request without a function name"_s;
                }
            } else {
                request.variableNames = QString::fromUtf8(lines.at(0)).split(u',');
            }
            bool ok = false;
            argc = lines.at(1).toInt(&ok);
            if (!ok || argc < 0 || argc > limits.maxObjects) {
                return u"invalid argument count '%1'"_s.arg(QString::fromUtf8(lines.at(1).left(40)));
            }
            if (lines.at(2) == "1") {
                request.littleEndian = true;
            } else if (lines.at(2) == "0") {
                return u"big-endian arguments are not supported"_s;
            } else {
                return u"invalid endian flag '%1'"_s.arg(QString::fromUtf8(lines.at(2).left(40)));
            }
            if (!fn && request.variableNames.size() != argc) {
                return u"variable request names %1 variables but carries %2 objects"_s
                    .arg(request.variableNames.size())
                    .arg(argc);
            }
            return {};
        }
        return u"unknown request command '%1'"_s.arg(QString::fromUtf8(command.left(40)));
    }

    QString parseHeader(const QByteArray &line)
    {
        // <verb> SP <session> SP <bodyLen> [ SP "/" SP <options> ]
        const QList<QByteArray> f = line.split(' ');
        if (f.size() != 3 && !(f.size() == 5 && f.at(3) == "/")) {
            return u"invalid request header '%1'"_s.arg(QString::fromUtf8(line.left(200)));
        }
        if (f.at(0) != "API" && f.at(0) != "API2") {
            return u"unknown request verb '%1'"_s.arg(QString::fromUtf8(f.at(0).left(40)));
        }
        request.verb = f.at(0);
        request.sessionId = f.at(1);
        bool ok = false;
        bodyLen = f.at(2).toLongLong(&ok);
        if (!ok || bodyLen < 0 || bodyLen > limits.maxBody) {
            return u"invalid body length '%1'"_s.arg(QString::fromUtf8(f.at(2).left(40)));
        }
        if (f.size() == 5) {
            rawOptions = f.at(4);
            auto o = DdbRequestOptions::parse(rawOptions);
            if (!o) {
                return o.error().message;
            }
            request.options = *o;
        } else {
            request.options.reset();
        }
        return {};
    }
};

DdbRequestParser::DdbRequestParser()
    : DdbRequestParser(DdbParserLimits())
{}

DdbRequestParser::DdbRequestParser(DdbParserLimits limits)
    : d(std::make_unique<Private>(limits))
{}

DdbRequestParser::~DdbRequestParser() = default;

DdbRequestParser::Status DdbRequestParser::feed(const char *data, qsizetype size, qsizetype *consumed)
{
    const char *p = data;
    const char *end = data + size;
    auto finish = [&](Status s) {
        if (consumed) {
            *consumed = p - data;
        }
        return s;
    };
    for (;;) {
        switch (d->st) {
        case Private::St::Header: {
            const int r = d->reader.read(p, end, '\n', d->limits.maxHeaderLine);
            if (r < 0) {
                return finish(d->fail(u"request header longer than %1 bytes"_s.arg(d->limits.maxHeaderLine)));
            }
            if (r == 0) {
                return finish(Status::NeedMore);
            }
            QByteArray line = std::exchange(d->reader.line, QByteArray());
            if (line.endsWith('\r')) {
                line.chop(1);
            }
            const QString e = d->parseHeader(line);
            if (!e.isEmpty()) {
                return finish(d->fail(e));
            }
            d->st = Private::St::Body;
            continue;
        }
        case Private::St::Body: {
            const qsizetype n = std::min<qsizetype>(d->bodyLen - d->body.size(), end - p);
            if (n > 0) {
                d->body.append(p, n);
                p += n;
            }
            if (d->body.size() < d->bodyLen) {
                return finish(Status::NeedMore);
            }
            const QString e = d->parseBody();
            if (!e.isEmpty()) {
                return finish(d->fail(e));
            }
            d->st = d->argc > 0 ? Private::St::Args : Private::St::Done;
            continue;
        }
        case Private::St::Args: {
            qsizetype used = 0;
            const DdbDecoder::Status s = d->decoder.feed(p, end - p, &used);
            p += used;
            if (s == DdbDecoder::Status::Failed) {
                d->error = d->decoder.error();
                d->st = Private::St::Failed;
                return finish(Status::Failed);
            }
            if (s == DdbDecoder::Status::NeedMore) {
                return finish(Status::NeedMore);
            }
            d->request.arguments << d->decoder.takeValue();
            d->decoder.reset();
            if (d->request.arguments.size() == d->argc) {
                d->st = Private::St::Done;
            }
            continue;
        }
        case Private::St::Done:
            return finish(Status::Done);
        case Private::St::Failed:
            return finish(Status::Failed);
        }
    }
}

DdbRequest DdbRequestParser::takeRequest()
{
    return std::exchange(d->request, DdbRequest());
}

const Core::Error &DdbRequestParser::error() const
{
    return d->error;
}

QByteArray DdbRequestParser::rawOptions() const
{
    return d->rawOptions;
}

void DdbRequestParser::reset()
{
    const DdbParserLimits limits = d->limits;
    d = std::make_unique<Private>(limits);
}

} // namespace GrayStep::DolphinDb
