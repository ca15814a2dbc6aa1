// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Serialization of DdbValue (PROTOCOL.md §4), both directions, for clients and servers.
//
// Encoding: DdbEncoder::encode() appends one complete object (flag + payload). Symbol bases
// are numbered 0, 1, 2... per top-level object as the official C++ encoder does; a base
// shared by two columns (same DdbVector base storage) is written in full once and then
// referenced by id with size 0. Empty symbol vectors are written in the plain form 0x11.
//
// Decoding: DdbDecoder is a push parser. Feed it bytes as they arrive (any split, down to one
// byte at a time); it consumes what it can and reports
//   NeedMore  - the object is incomplete, every byte given was consumed; feed more
//   Done      - one object is complete; *consumed tells how many of the given bytes it used
//               (the rest belongs to whatever follows); takeValue() returns it
//   Failed    - malformed input; error() says what and at which byte offset. Reset to reuse.
// It never allocates from a count in the input: storage grows only as element bytes
// arrive (at most about twice the bytes received for a column), so a header claiming
// 2^31 rows followed by nothing costs nothing. Nesting depth is limited (Limits::maxDepth).
// Text elements must be valid UTF-8 (an invalid sequence is an error, not replaced).
// Array vectors (type 64+t) of fixed-size types are supported (blocks of <= 65535 rows,
// lengths 1/2/4 bytes wide, as the JS decoder reads them; PROTOCOL.md §4.5 marks the layout
// [C], not captured). Unsupported on purpose, each with a clear error: COMPRESS (type 26,
// only sent when the client sets flag 64, which we never do), array vectors of text types,
// DICTIONARY-as-type, forms CHUNK/SYSOBJ/TENSOR.
//
// Typical client use (one response object arriving over a socket):
//     DdbDecoder dec;
//     qsizetype used = 0;
//     switch (dec.feed(chunk, &used)) { case DdbDecoder::Status::Done: value = dec.takeValue(); ...}
// Server use (request arguments): the same, one decoder per argument (reset() between).

#include "core/result.h"
#include "dolphindb/ddbvalue.h"

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

namespace GrayStep::DolphinDb {

class DdbEncoder final
{
public:
    // Appends the serialized object to out.
    static void encode(const DdbValue &value, QByteArray &out);
    static QByteArray encode(const DdbValue &value);
    // Exact number of bytes encode() will append (used to reserve once).
    static qint64 encodedSize(const DdbValue &value);
};

struct DdbDecoderLimits
{
    int maxDepth = 64;                        // nested objects (ANY in ANY, table columns...)
    qint64 maxElementBytes = 256LL << 20;     // one STRING/BLOB element
    // VOID vectors carry no bytes per element, so their count is not bounded by the input;
    // longer ones are refused (consumers iterate them).
    qint64 maxVoidElements = 1LL << 28;
};

class DdbDecoder final
{
public:
    using Limits = DdbDecoderLimits;
    enum class Status { NeedMore, Done, Failed };

    DdbDecoder();
    explicit DdbDecoder(Limits limits);
    ~DdbDecoder();
    DdbDecoder(const DdbDecoder &) = delete;
    DdbDecoder &operator=(const DdbDecoder &) = delete;

    // Consumes bytes of one object. After Done or Failed further calls consume nothing and
    // return the same status until reset().
    Status feed(const char *data, qsizetype size, qsizetype *consumed = nullptr);
    Status feed(QByteArrayView data, qsizetype *consumed = nullptr)
    {
        return feed(data.data(), data.size(), consumed);
    }
    Status status() const;
    // The decoded object (valid after Done; moves it out).
    DdbValue takeValue();
    // Why decoding failed (valid after Failed): code Protocol, message with byte offset.
    const Core::Error &error() const;
    // Bytes consumed for the current object so far.
    qint64 bytesConsumed() const;
    // Ready for a new top-level object (forgets symbol bases).
    void reset();

    // One-shot: decodes one object from the start of bytes. A truncated object is an error
    // ("incomplete"). *consumed gets the object's length.
    static Core::Result<DdbValue> decode(QByteArrayView bytes, qsizetype *consumed = nullptr,
                                         DdbDecoderLimits limits = DdbDecoderLimits());

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace GrayStep::DolphinDb
