// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/weightstats.h"

#include "analysis/weightstatskernels.h"
#include "io/checkpoint.h"
#include "util/error.h"
#include "util/halffloat.h"
#include "util/threadpool.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <sstream>

namespace lathe {

namespace {

using wskernels::BinParams;
using wskernels::clampBin;
using wskernels::Moments;
using wskernels::Summary;

constexpr int kPercentileBins = 65536;
constexpr int kKeys = 65536; // raw values of a 16-bit float
// Values per piece of the f32 path (64 KiB: the sweeps over one piece stay in cache); a
// multiple of every ggml block size.
constexpr std::int64_t kValueChunk = 16384;
// Values per piece of the 16-bit path.
constexpr std::int64_t kKeyChunk = 65536;
// Below this many values one thread does everything (waking the pool would cost more).
constexpr std::int64_t kSerialBelow = std::int64_t(1) << 17;

// Below this many values a parallelFor range is not worth its fixed cost (draining 65536
// counters under a lock), however many threads there are.
constexpr std::int64_t kMinRangeValues = std::int64_t(1) << 20;

// Pieces per parallelFor range: about two ranges per thread, so a core busy with something
// else does not hold the rest back, but at least kMinRangeValues values each, and few enough
// that a range's 32-bit counters cannot overflow. Ranges only change which thread does a
// piece, never a result.
std::int64_t grainFor(std::int64_t n, std::int64_t chunks, std::int64_t chunkSize)
{
    if (n < kSerialBelow)
        return chunks;
    const std::int64_t parts = 2 * std::max(1, threadCount());
    const std::int64_t cap = std::int64_t(std::numeric_limits<std::uint32_t>::max()) / chunkSize;
    const std::int64_t least = (kMinRangeValues + chunkSize - 1) / chunkSize;
    return std::clamp<std::int64_t>(std::max((chunks + parts - 1) / parts, least), 1, cap);
}

// Per-thread 32-bit counters that are all zero between uses: drained (added to a total and
// zeroed) only where non-zero, so a range pays for the counters it touched rather than for
// all 65536. A range that ended in an exception leaves them dirty; the next use clears them.
class LocalCounts {
public:
    std::uint32_t *start(std::size_t size)
    {
        if (m_counts.size() != size || m_dirty)
            m_counts.assign(size, 0);
        m_dirty = true;
        return m_counts.data();
    }
    void drainInto(std::vector<std::uint64_t> &total)
    {
        for (std::size_t k = 0; k < m_counts.size(); ++k)
            if (m_counts[k]) {
                total[k] += m_counts[k];
                m_counts[k] = 0;
            }
        m_dirty = false;
    }

private:
    std::vector<std::uint32_t> m_counts;
    bool m_dirty = false;
};

struct ChannelLayout {
    bool on = false;
    std::int64_t rows = 0, cols = 0, rowLength = 0;
};

// Calls fn(offset, length, row, col) for each run of elements [first, first + count) that
// lies in one line of `cols` values (a line never crosses a row).
template <typename Fn>
void forEachLine(const ChannelLayout &ch, std::int64_t first, std::int64_t count, Fn &&fn)
{
    const std::int64_t end = first + count;
    for (std::int64_t e = first; e < end;) {
        const std::int64_t col = e % ch.cols;
        const std::int64_t len = std::min(ch.cols - col, end - e);
        fn(e - first, len, e / ch.rowLength, col);
        e += len;
    }
}

template <typename T>
void addRow(std::vector<std::pair<std::int64_t, T>> &rows, std::int64_t row, T a)
{
    if (rows.empty() || rows.back().first != row)
        rows.push_back({ row, a });
    else
        rows.back().second = std::max(rows.back().second, a);
}

// `before` holds the running totals of `bins` (before[b] = values in bins < b, summed in
// bin order), so each percentile is a binary search rather than a walk over 65536 bins.
double percentileFromBins(const std::vector<std::uint64_t> &bins,
    const std::vector<double> &before, double lo, double hi, std::int64_t n, double percent)
{
    if (percent <= 0)
        return lo;
    if (percent >= 100)
        return hi;
    const double width = (hi - lo) / double(bins.size());
    const double rank = percent / 100.0 * double(n - 1); // numpy's "linear" rank
    // The first bin whose running total passes the rank.
    const auto end = std::upper_bound(before.begin() + 1, before.end(), rank);
    if (end == before.end())
        return hi;
    const std::size_t b = std::size_t(end - before.begin()) - 1;
    // Spread the bin's values evenly inside it.
    const double within = (rank - before[b] + 0.5) / double(bins[b]);
    return std::min(hi, lo + (double(b) + within) * width);
}

// What the second pass needs from the first.
struct BinSetup {
    double fineScale = 0;    // fine bins per unit of w
    double displayScale = 0; // display bins per unit of w or of log10|w|
    double threshold = 0;    // outlier distance from the mean
};

// Fills the first-pass statistics and the histogram's range from the merged summary.
BinSetup applySummary(WeightStats &s, const Summary &all, const WeightStatsOptions &options)
{
    const Moments &m = all.moments;
    s.mean = m.mean;
    s.std = std::sqrt(m.m2 / m.n);
    s.min = all.min;
    s.max = all.max;
    s.absmax = std::max(std::abs(all.min), std::abs(all.max));
    s.zeros = all.zeros;
    s.zeroFraction = double(all.zeros) / double(s.count);
    const double var = m.m2 / m.n;
    s.skewness = var > 0 ? (m.m3 / m.n) / std::pow(var, 1.5) : 0.0;
    s.kurtosis = var > 0 ? (m.m4 / m.n) / (var * var) - 3.0 : 0.0;

    WeightHistogram &h = s.histogram;
    h.logMagnitude = options.logMagnitude;
    const bool anyNonzero = all.minNonzeroAbs < std::numeric_limits<double>::infinity();
    if (options.logMagnitude) {
        h.lo = anyNonzero ? std::log10(all.minNonzeroAbs) : 0.0;
        h.hi = anyNonzero ? std::log10(s.absmax) : 0.0;
    } else {
        h.lo = s.min;
        h.hi = s.max;
    }
    const auto inverse = [](double span, int bins) { return span > 0 ? bins / span : 0.0; };
    BinSetup b;
    b.displayScale = inverse(h.hi - h.lo, options.bins);
    b.fineScale = inverse(s.max - s.min, kPercentileBins);
    b.threshold = options.outlierK * s.std;
    return b;
}

void finishPercentiles(WeightStats &s, const std::vector<std::uint64_t> &fine,
    const WeightStatsOptions &options)
{
    s.outlierFraction = double(s.outliers) / double(s.count);
    std::vector<double> before(fine.size() + 1, 0.0);
    for (std::size_t b = 0; b < fine.size(); ++b)
        before[b + 1] = before[b] + double(fine[b]);
    for (double p : options.percentiles)
        s.percentiles.push_back({ p, percentileFromBins(fine, before, s.min, s.max, s.count, p) });
}

// bf16 and f16 tensors in one pass: a 65536-bin histogram of the raw 16-bit values is an
// exact summary of the data, so moments, extremes, outliers and both histograms follow from
// it per distinct value; only the channel absmax needs the elements themselves.
void statsFrom16Bit(const TensorView &t, const WeightStatsOptions &options,
    const CancelToken &cancel, const ChannelLayout &ch, WeightStats &s)
{
    const auto *raw = reinterpret_cast<const std::uint16_t *>(t.data);
    const bool bf16 = t.dtype == DType::BF16;
    const auto decode = [bf16](std::uint16_t k) { return bf16 ? bf16ToFloat(k) : f16ToFloat(k); };
    const std::uint16_t nanAbove = bf16 ? 0x7F80 : 0x7C00; // magnitudes above: NaN
    const std::int64_t n = s.count;
    const std::int64_t chunks = (n + kKeyChunk - 1) / kKeyChunk;
    std::vector<std::uint64_t> keys(kKeys, 0);
    std::vector<std::uint16_t> colBits(std::size_t(ch.cols), 0), rowBits(std::size_t(ch.rows), 0);
    std::mutex mutex;
    parallelFor(chunks, grainFor(n, chunks, kKeyChunk), [&](std::int64_t begin, std::int64_t end) {
        thread_local LocalCounts local;
        thread_local std::vector<std::uint16_t> cols;
        std::uint32_t *hist = local.start(std::size_t(kKeys));
        cols.assign(std::size_t(ch.cols), 0);
        std::vector<std::pair<std::int64_t, std::uint16_t>> rows;
        for (std::int64_t c = begin; c < end; ++c) {
            cancel.throwIfCancelled();
            const std::int64_t first = c * kKeyChunk;
            const std::int64_t count = std::min(kKeyChunk, n - first);
            wskernels::countKeysU16(raw + first, count, hist);
            if (ch.on)
                forEachLine(ch, first, count,
                    [&](std::int64_t off, std::int64_t len, std::int64_t row, std::int64_t col) {
                        addRow(rows, row,
                            wskernels::channelMaxU16(
                                raw + first + off, len, cols.data() + col, nanAbove));
                    });
        }
        std::lock_guard<std::mutex> lock(mutex);
        local.drainInto(keys);
        for (std::size_t k = 0; k < cols.size(); ++k)
            colBits[k] = std::max(colBits[k], cols[k]);
        for (const auto &[row, a] : rows)
            rowBits[std::size_t(row)] = std::max(rowBits[std::size_t(row)], a);
    });
    cancel.throwIfCancelled();

    // The distinct values present and their counts (a few thousand at most in practice).
    std::vector<std::pair<double, std::uint64_t>> present;
    for (int k = 0; k < kKeys; ++k)
        if (keys[std::size_t(k)])
            present.push_back({ double(decode(std::uint16_t(k))), keys[std::size_t(k)] });

    // Moments in double over the distinct values: exact products, few terms.
    Summary all;
    double sum = 0;
    for (const auto &[x, c] : present)
        sum += double(c) * x;
    Moments &m = all.moments;
    m.n = double(n);
    m.mean = sum / double(n);
    for (const auto &[x, count] : present) {
        const double c = double(count);
        const double d = x - m.mean, d2 = d * d;
        m.m2 += c * d2;
        m.m3 += c * d2 * d;
        m.m4 += c * d2 * d2;
        all.min = std::min(all.min, x); // NaN compares false: left out
        all.max = std::max(all.max, x);
        if (x == 0)
            all.zeros += std::int64_t(count);
        else
            all.minNonzeroAbs = std::min(all.minNonzeroAbs, std::abs(x));
    }
    const BinSetup b = applySummary(s, all, options);

    WeightHistogram &h = s.histogram;
    h.counts.assign(std::size_t(options.bins), 0);
    std::vector<std::uint64_t> fine(kPercentileBins, 0);
    for (const auto &[x, c] : present) {
        if (std::abs(x - s.mean) > b.threshold)
            s.outliers += std::int64_t(c);
        fine[std::size_t(clampBin((x - s.min) * b.fineScale, kPercentileBins))] += c;
        if (!options.logMagnitude)
            h.counts[std::size_t(clampBin((x - h.lo) * b.displayScale, options.bins))] += c;
        else if (x == 0)
            h.zeros += c;
        else
            h.counts[std::size_t(
                clampBin((std::log10(std::abs(x)) - h.lo) * b.displayScale, options.bins))] += c;
    }
    finishPercentiles(s, fine, options);
    for (std::size_t k = 0; k < colBits.size(); ++k)
        s.colAbsmax[k] = decode(colBits[k]);
    for (std::size_t k = 0; k < rowBits.size(); ++k)
        s.rowAbsmax[k] = decode(rowBits[k]);
}

// Every other dtype as f32 values, in two passes: moments, extremes, zeros and channel
// absmax, then outliers and histograms, which need the mean, std and range of the first.
void statsFromValues(const TensorView &t, const WeightStatsOptions &options,
    const CancelToken &cancel, const ChannelLayout &ch, WeightStats &s)
{
    const bool direct = t.dtype == DType::F32 && reinterpret_cast<std::uintptr_t>(t.data) % 4 == 0;
    const std::int64_t n = s.count;
    const std::int64_t chunks = (n + kValueChunk - 1) / kValueChunk;
    const std::int64_t grain = grainFor(n, chunks, kValueChunk);
    // The values of piece c: straight from the mapping for f32, else converted into `buf`.
    const auto piece = [&](std::int64_t c, std::vector<float> &buf, std::int64_t &count) {
        const std::int64_t first = c * kValueChunk;
        count = std::min(kValueChunk, n - first);
        if (direct)
            return reinterpret_cast<const float *>(t.data) + first;
        buf.resize(std::size_t(kValueChunk));
        toFloat32Range(t, first, count, buf.data());
        return static_cast<const float *>(buf.data());
    };

    // Pass 1. Per-piece summaries are merged in piece order afterwards, so results do not
    // depend on how the pieces were spread over threads.
    std::vector<Summary> pieces(static_cast<std::size_t>(chunks));
    std::mutex mutex;
    parallelFor(chunks, grain, [&](std::int64_t begin, std::int64_t end) {
        thread_local std::vector<float> buf;
        thread_local std::vector<float> cols;
        cols.assign(std::size_t(ch.cols), 0.0f);
        std::vector<std::pair<std::int64_t, float>> rows;
        for (std::int64_t c = begin; c < end; ++c) {
            cancel.throwIfCancelled();
            std::int64_t count = 0;
            const float *v = piece(c, buf, count);
            wskernels::summarizeF32(v, count, pieces[std::size_t(c)]);
            if (ch.on)
                forEachLine(ch, c * kValueChunk, count,
                    [&](std::int64_t off, std::int64_t len, std::int64_t row, std::int64_t col) {
                        addRow(rows, row,
                            wskernels::channelMaxF32(v + off, len, cols.data() + col));
                    });
        }
        if (!ch.on)
            return;
        std::lock_guard<std::mutex> lock(mutex);
        for (std::size_t k = 0; k < cols.size(); ++k)
            s.colAbsmax[k] = std::max(s.colAbsmax[k], cols[k]);
        for (const auto &[row, a] : rows)
            s.rowAbsmax[std::size_t(row)] = std::max(s.rowAbsmax[std::size_t(row)], a);
    });
    Summary all;
    for (const Summary &p : pieces)
        all.merge(p);
    const BinSetup b = applySummary(s, all, options);

    // Pass 2. A linear display histogram with a power-of-two bin count is a coarsening of the
    // fine one over the same range (bin scales differ by an exact power of two), so it is
    // summed from it afterwards instead of binned per value.
    WeightHistogram &h = s.histogram;
    const int bins = options.bins;
    const bool derived =
        !options.logMagnitude && bins <= kPercentileBins && (bins & (bins - 1)) == 0;
    BinParams params;
    params.lo = s.min;
    params.fineScale = b.fineScale;
    params.fineBins = kPercentileBins;
    params.mean = s.mean;
    params.threshold = b.threshold;
    params.logDisplay = options.logMagnitude;
    params.displayLo = h.lo;
    params.displayScale = b.displayScale;
    params.displayBins = bins;
    std::vector<std::uint64_t> fine(kPercentileBins, 0);
    h.counts.assign(std::size_t(bins), 0);
    parallelFor(chunks, grain, [&](std::int64_t begin, std::int64_t end) {
        thread_local std::vector<float> buf;
        thread_local LocalCounts fineLocal;
        thread_local std::vector<std::uint32_t> displayLocal;
        std::uint32_t *fineCounts = fineLocal.start(std::size_t(kPercentileBins));
        BinParams p = params;
        if (!derived) {
            displayLocal.assign(std::size_t(bins), 0);
            p.display = displayLocal.data();
        }
        std::int64_t outliers = 0;
        std::uint64_t displayZeros = 0;
        for (std::int64_t c = begin; c < end; ++c) {
            cancel.throwIfCancelled();
            // Last piece first: what the first pass read last may still be in cache.
            std::int64_t count = 0;
            const float *v = piece(chunks - 1 - c, buf, count);
            outliers += wskernels::binF32(v, count, p, fineCounts, displayZeros);
        }
        std::lock_guard<std::mutex> lock(mutex);
        s.outliers += outliers;
        h.zeros += displayZeros;
        fineLocal.drainInto(fine);
        if (!derived)
            for (std::size_t k = 0; k < h.counts.size(); ++k)
                h.counts[k] += displayLocal[k];
    });
    if (derived) {
        int shift = 0;
        while ((bins << shift) < kPercentileBins)
            ++shift;
        for (std::size_t k = 0; k < fine.size(); ++k)
            h.counts[k >> shift] += fine[k];
    }
    finishPercentiles(s, fine, options);
}

} // namespace

WeightStats computeWeightStats(
    const TensorView &t, const WeightStatsOptions &options, const CancelToken &cancel)
{
    if (!dtypeIsFloat(t.dtype) && !dtypeIsQuantized(t.dtype))
        throw UnsupportedError("tensor '" + t.name + "' has dtype " + dtypeName(t.dtype)
            + ": statistics need floating-point or quantized weights");
    if (options.bins < 1)
        throw InvalidArgument("histogram needs at least one bin");
    WeightStats s;
    s.name = t.name;
    s.shape = t.shape;
    s.dtype = dtypeName(t.dtype);
    s.count = t.numel();
    s.outlierK = options.outlierK;
    if (s.count == 0)
        return s;

    ChannelLayout ch;
    ch.on = options.channelAbsmax && t.shape.size() >= 2;
    if (ch.on) {
        ch.rows = t.shape.front();
        ch.cols = t.shape.back();
        ch.rowLength = s.count / ch.rows;
        s.rowAbsmax.assign(std::size_t(ch.rows), 0.0f);
        s.colAbsmax.assign(std::size_t(ch.cols), 0.0f);
    }
    const bool sixteenBit = t.dtype == DType::BF16 || t.dtype == DType::F16;
    if (sixteenBit && reinterpret_cast<std::uintptr_t>(t.data) % 2 == 0)
        statsFrom16Bit(t, options, cancel, ch, s);
    else
        statsFromValues(t, options, cancel, ch, s);
    return s;
}

std::vector<WeightStats> computeAllWeightStats(const Checkpoint &checkpoint,
    const WeightStatsOptions &options, const ProgressFn &progress, const CancelToken &cancel)
{
    std::vector<const TensorView *> todo;
    std::int64_t total = 0;
    for (const TensorView &t : checkpoint.tensors()) {
        if (dtypeIsFloat(t.dtype) || dtypeIsQuantized(t.dtype)) {
            todo.push_back(&t);
            total += t.numel();
        }
    }
    std::vector<WeightStats> out;
    std::int64_t done = 0;
    for (const TensorView *t : todo) {
        reportProgress(progress, total ? double(done) / double(total) : 0.0, t->name);
        out.push_back(computeWeightStats(*t, options, cancel));
        done += t->numel();
    }
    reportProgress(progress, 1.0, "done");
    return out;
}

namespace {

std::string percentileKey(double p)
{
    std::ostringstream os;
    os << 'p' << p;
    return os.str();
}

} // namespace

nlohmann::ordered_json weightStatsToJson(const WeightStats &s, bool withChannels)
{
    nlohmann::ordered_json j;
    j["name"] = s.name;
    j["shape"] = s.shape;
    j["dtype"] = s.dtype;
    j["count"] = s.count;
    j["mean"] = s.mean;
    j["std"] = s.std;
    j["min"] = s.min;
    j["max"] = s.max;
    j["absmax"] = s.absmax;
    j["kurtosis"] = s.kurtosis;
    j["skewness"] = s.skewness;
    j["zeros"] = s.zeros;
    j["zero_fraction"] = s.zeroFraction;
    j["outliers"] = s.outliers;
    j["outlier_fraction"] = s.outlierFraction;
    j["outlier_k"] = s.outlierK;
    nlohmann::ordered_json p = nlohmann::ordered_json::object();
    for (const auto &[percent, value] : s.percentiles)
        p[percentileKey(percent)] = value;
    j["percentiles"] = p;
    j["histogram"] = { { "log_magnitude", s.histogram.logMagnitude }, { "lo", s.histogram.lo },
        { "hi", s.histogram.hi }, { "counts", s.histogram.counts }, { "zeros", s.histogram.zeros } };
    if (withChannels) {
        j["row_absmax"] = s.rowAbsmax;
        j["col_absmax"] = s.colAbsmax;
    }
    return j;
}

std::string weightStatsCsv(const std::vector<WeightStats> &stats)
{
    std::ostringstream os;
    os.precision(9);
    os << "name,dtype,count,mean,std,min,max,absmax,kurtosis,skewness,zero_fraction,"
          "outlier_fraction\n";
    for (const WeightStats &s : stats)
        os << s.name << ',' << s.dtype << ',' << s.count << ',' << s.mean << ',' << s.std << ','
           << s.min << ',' << s.max << ',' << s.absmax << ',' << s.kurtosis << ',' << s.skewness
           << ',' << s.zeroFraction << ',' << s.outlierFraction << '\n';
    return os.str();
}

} // namespace lathe
