// SPDX-License-Identifier: GPL-3.0-or-later
// fuzz_dolphindb_decoder: libFuzzer target over the DolphinDB decoder and the framing parsers.
// Input: byte 0 picks a chunk size for split delivery, the rest is fed to
//   - DdbDecoder::decode (one shot) and DdbDecoder fed in chunks: both must agree;
//   - on success: encode -> decode must give an equal value, encodedSize() must be exact,
//     and the text/JSON formatting must not crash;
//   - DdbResponseParser and DdbRequestParser (the client's and the server's framing).
// Any disagreement aborts (reported by libFuzzer as a crash).
#include "dolphindb/ddbcodec.h"
#include "dolphindb/ddbformat.h"
#include "dolphindb/ddbprotocol.h"

#include <cstdint>
#include <cstdlib>

using namespace GrayStep::DolphinDb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const qsizetype chunk = qsizetype(data[0] % 17) + 1;
    const QByteArrayView in(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    // Byte-less VOID elements are the only counts not bounded by the input: keep them small
    // so that iterating a value stays proportional to the input.
    DdbDecoderLimits limits;
    limits.maxVoidElements = 4096;
    qsizetype used = 0;
    const auto whole = DdbDecoder::decode(in, &used, limits);

    DdbDecoder dec(limits);
    DdbDecoder::Status s = DdbDecoder::Status::NeedMore;
    qsizetype pos = 0;
    qsizetype chunkedUsed = 0;
    while (pos < in.size() && s == DdbDecoder::Status::NeedMore) {
        const qsizetype n = std::min(chunk, in.size() - pos);
        qsizetype u = 0;
        s = dec.feed(in.data() + pos, n, &u);
        chunkedUsed += u;
        pos += n;
    }
    if (whole.ok()) {
        if (s != DdbDecoder::Status::Done || chunkedUsed != used) {
            std::abort();
        }
        const DdbValue v = dec.takeValue();
        if (!(v == *whole)) {
            std::abort();
        }
        const QByteArray enc = DdbEncoder::encode(v);
        if (DdbEncoder::encodedSize(v) != enc.size()) {
            std::abort();
        }
        const auto back = DdbDecoder::decode(enc, nullptr, limits);
        if (!back.ok() || !(*back == v)) {
            std::abort();
        }
        (void)formatText(v, 20);
        (void)v.toJson();
    } else if (s == DdbDecoder::Status::Done) {
        std::abort();  // chunked delivery accepted what one-shot refused
    }

    DdbResponseParser response;
    pos = 0;
    for (int guard = 0; guard < 100000 && pos < in.size(); ++guard) {
        qsizetype u = 0;
        const auto rs = response.feed(in.data() + pos, std::min(chunk, in.size() - pos), &u);
        pos += u;
        if (rs == DdbResponseParser::Status::Message) {
            (void)response.takeMessage();
            continue;
        }
        if (rs != DdbResponseParser::Status::NeedMore) {
            break;
        }
    }
    (void)response.truncatedError();

    DdbRequestParser request;
    pos = 0;
    while (pos < in.size()) {
        qsizetype u = 0;
        const auto rs = request.feed(in.data() + pos, std::min(chunk, in.size() - pos), &u);
        pos += u;
        if (rs == DdbRequestParser::Status::Done) {
            const DdbRequest r = request.takeRequest();
            (void)encodeRequest(r);
            break;
        }
        if (rs == DdbRequestParser::Status::Failed) {
            break;
        }
    }
    return 0;
}
