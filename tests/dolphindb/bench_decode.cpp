// SPDX-License-Identifier: GPL-3.0-or-later
// bench_dolphindb_decode: decode a 10 M-row table (TIMESTAMP, SYMBOL with base, INT) and a
// 10 M-element INT vector; prints MB/s, rows/s and peak memory.
//
// Memory is measured in a streaming phase first: the payload is generated in 64 KiB chunks
// (as a socket delivers it) and fed to the decoder, so the process never holds the whole
// payload; peak = VmHWM growth over the RSS before decoding, compared with the payload size.
// Speed is measured afterwards on an in-memory payload fed in 64 KiB chunks (best and
// median of 5 runs; single thread).
#include "dolphindb/ddbcodec.h"
#include "dolphindb/ddbvalue.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

using namespace GrayStep::DolphinDb;

namespace {

constexpr qint64 ROWS = 10'000'000;
constexpr qsizetype CHUNK = 64 * 1024;

qint64 procStatusKb(const char *key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &l : lines) {
        if (l.startsWith(key)) {
            return l.mid(qsizetype(std::strlen(key))).trimmed().split(' ').first().toLongLong();
        }
    }
    return -1;
}

// A payload described as segments: literal bytes, or `count` generated elements.
struct Segment
{
    QByteArray literal;
    qint64 count = 0;
    int elemSize = 0;
    std::function<void(qint64 index, char *out)> gen;
};

class Stream
{
public:
    explicit Stream(std::vector<Segment> segs)
        : m_segs(std::move(segs))
    {}
    qint64 totalSize() const
    {
        qint64 n = 0;
        for (const Segment &s : m_segs) {
            n += s.literal.size() + s.count * s.elemSize;
        }
        return n;
    }
    // Fills up to cap bytes; returns how many (0 at the end).
    qsizetype fill(char *buf, qsizetype cap)
    {
        qsizetype n = 0;
        while (n < cap && m_seg < m_segs.size()) {
            const Segment &s = m_segs[m_seg];
            if (!s.literal.isEmpty() && m_pos < s.literal.size()) {
                const qsizetype k = std::min<qsizetype>(cap - n, s.literal.size() - m_pos);
                std::memcpy(buf + n, s.literal.constData() + m_pos, size_t(k));
                n += k;
                m_pos += k;
                continue;
            }
            if (s.count > 0 && m_elem < s.count && cap - n >= s.elemSize) {
                while (m_elem < s.count && cap - n >= s.elemSize) {
                    s.gen(m_elem++, buf + n);
                    n += s.elemSize;
                }
                continue;
            }
            if (s.count > 0 && m_elem < s.count) {
                break;  // element would not fit: next call
            }
            ++m_seg;
            m_pos = 0;
            m_elem = 0;
        }
        return n;
    }

private:
    std::vector<Segment> m_segs;
    size_t m_seg = 0;
    qint64 m_pos = 0;
    qint64 m_elem = 0;
};

QByteArray le32(qint32 v)
{
    return QByteArray(reinterpret_cast<const char *>(&v), 4);
}

QByteArray vectorHeader(quint8 type, qint32 rows)
{
    QByteArray h;
    h.append(char(type)).append(char(1));
    h += le32(rows) + le32(1);
    return h;
}

const char *const NAMES[] = {"Apple", "Microsoft", "Meta", "Google", "Amazon"};

std::vector<Segment> tableSegments()
{
    QByteArray head;
    head.append(char(0)).append(char(6));
    head += le32(qint32(ROWS)) + le32(3);
    head += QByteArray("\0time\0name\0id\0", 14);
    head += vectorHeader(0x0c, qint32(ROWS));
    QByteArray symHead = vectorHeader(0x91, qint32(ROWS)) + le32(0) + le32(6);
    symHead.append('\0');
    for (const char *n : NAMES) {
        symHead.append(n).append('\0');
    }
    std::vector<Segment> s;
    s.push_back({head, 0, 0, {}});
    s.push_back({{}, ROWS, 8, [](qint64 i, char *out) {
                     const qint64 ts = 1672531200000LL + i;
                     std::memcpy(out, &ts, 8);
                 }});
    s.push_back({symHead, 0, 0, {}});
    s.push_back({{}, ROWS, 4, [](qint64 i, char *out) {
                     const qint32 ix = qint32(1 + (i * 7) % 5);
                     std::memcpy(out, &ix, 4);
                 }});
    s.push_back({vectorHeader(0x04, qint32(ROWS)), 0, 0, {}});
    s.push_back({{}, ROWS, 4, [](qint64 i, char *out) {
                     const qint32 v = qint32(i + 1);
                     std::memcpy(out, &v, 4);
                 }});
    return s;
}

std::vector<Segment> intVectorSegments()
{
    std::vector<Segment> s;
    s.push_back({vectorHeader(0x04, qint32(ROWS)), 0, 0, {}});
    s.push_back({{}, ROWS, 4, [](qint64 i, char *out) {
                     const qint32 v = qint32(i);
                     std::memcpy(out, &v, 4);
                 }});
    return s;
}

bool checkTable(const DdbValue &v)
{
    return v.isTable() && v.rowCount() == ROWS && v.columnCount() == 3
        && v.column(0).intAt(ROWS - 1) == 1672531200000LL + ROWS - 1
        && v.column(1).hasSymbolBase() && v.column(1).stringAt(1) == QStringLiteral("Meta")
        && v.column(2).intAt(ROWS - 1) == ROWS;
}

bool checkVector(const DdbValue &v)
{
    return v.isVector() && v.rowCount() == ROWS && v.elements().intAt(ROWS - 1) == ROWS - 1;
}

struct MemResult
{
    qint64 payload = 0;
    qint64 peakKb = 0;
    bool ok = false;
};

MemResult streamingDecode(std::vector<Segment> segs, bool (*check)(const DdbValue &))
{
    Stream stream(std::move(segs));
    MemResult r;
    r.payload = stream.totalSize();
    std::vector<char> buf(CHUNK);
    const qint64 rssBefore = procStatusKb("VmRSS:");
    {
        DdbDecoder dec;
        DdbDecoder::Status s = DdbDecoder::Status::NeedMore;
        while (s == DdbDecoder::Status::NeedMore) {
            const qsizetype n = stream.fill(buf.data(), CHUNK);
            if (n == 0) {
                break;
            }
            s = dec.feed(buf.data(), n);
        }
        const DdbValue v = dec.takeValue();
        r.ok = s == DdbDecoder::Status::Done && check(v);
        r.peakKb = procStatusKb("VmHWM:") - rssBefore;
    }
    return r;
}

QByteArray materialize(std::vector<Segment> segs)
{
    Stream stream(std::move(segs));
    QByteArray all(qsizetype(stream.totalSize()), Qt::Uninitialized);
    qsizetype pos = 0;
    while (qsizetype n = stream.fill(all.data() + pos, std::min<qsizetype>(CHUNK, all.size() - pos))) {
        pos += n;
    }
    return all;
}

void speed(const char *label, const QByteArray &payload, qint64 rows, bool (*check)(const DdbValue &),
           const MemResult &mem)
{
    std::vector<double> ms;
    bool ok = true;
    for (int run = 0; run < 5; ++run) {
        DdbValue v;
        QElapsedTimer t;
        t.start();
        DdbDecoder dec;
        DdbDecoder::Status s = DdbDecoder::Status::NeedMore;
        for (qsizetype pos = 0; pos < payload.size() && s == DdbDecoder::Status::NeedMore; pos += CHUNK) {
            s = dec.feed(payload.constData() + pos, std::min<qsizetype>(CHUNK, payload.size() - pos));
        }
        v = dec.takeValue();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
        ok = ok && s == DdbDecoder::Status::Done && check(v);
    }
    std::sort(ms.begin(), ms.end());
    const double best = ms.front();
    const double median = ms[ms.size() / 2];
    const double mb = double(payload.size()) / 1e6;
    std::printf("%s: payload %.1f MB, decode best %.1f ms, median %.1f ms, %.0f MB/s, %.1f M rows/s, "
                "peak memory (streaming) %.1f MB = %.2f x payload, result %s\n",
                label, mb, best, median, mb / (best / 1000.0), double(rows) / 1e6 / (best / 1000.0),
                double(mem.peakKb) * 1024.0 / 1e6, double(mem.peakKb) * 1024.0 / double(mem.payload),
                ok && mem.ok ? "verified" : "WRONG");
}

} // namespace

// Runs the streaming (memory) phase in a fresh child process, so each figure has its own
// high-water mark.
MemResult memoryInChild(const char *mode)
{
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(mode)});
    child.waitForFinished(120000);
    const QList<QByteArray> f = child.readAllStandardOutput().trimmed().split(' ');
    MemResult r;
    if (f.size() == 3) {
        r.payload = f.at(0).toLongLong();
        r.peakKb = f.at(1).toLongLong();
        r.ok = f.at(2) == "1";
    }
    return r;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() == 2 && (args.at(1) == QLatin1StringView("--mem-table") || args.at(1) == QLatin1StringView("--mem-vector"))) {
        const bool table = args.at(1) == QLatin1StringView("--mem-table");
        const MemResult r = table ? streamingDecode(tableSegments(), checkTable)
                                  : streamingDecode(intVectorSegments(), checkVector);
        std::printf("%lld %lld %d\n", r.payload, r.peakKb, r.ok ? 1 : 0);
        return r.ok ? 0 : 1;
    }
    const MemResult tableMem = memoryInChild("--mem-table");
    const MemResult vecMem = memoryInChild("--mem-vector");
    const QByteArray table = materialize(tableSegments());
    speed("TABLE 10M rows (TIMESTAMP, SYMBOL base, INT)", table, ROWS, checkTable, tableMem);
    const QByteArray vec = materialize(intVectorSegments());
    speed("INT vector 10M", vec, ROWS, checkVector, vecMem);
    return (tableMem.ok && vecMem.ok) ? 0 : 1;
}
