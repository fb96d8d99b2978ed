// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/weightstats.h"

#include "io/checkpoint.h"
#include "util/error.h"
#include "util/threadpool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>

namespace lathe {

namespace {

constexpr std::int64_t kChunk = 65536; // elements per piece: a multiple of every block size
constexpr int kPercentileBins = 65536;

// Count, mean and central moment sums of a set of values; merged with Pébay's formulas so
// pieces can be summarized independently and combined in a fixed order.
struct Moments {
    double n = 0, mean = 0, m2 = 0, m3 = 0, m4 = 0;

    void merge(const Moments &b)
    {
        if (b.n == 0)
            return;
        if (n == 0) {
            *this = b;
            return;
        }
        const double na = n, nb = b.n, nt = na + nb;
        const double d = b.mean - mean, d2 = d * d;
        const double m2t = m2 + b.m2 + d2 * na * nb / nt;
        const double m3t = m3 + b.m3 + d2 * d * na * nb * (na - nb) / (nt * nt)
            + 3.0 * d * (na * b.m2 - nb * m2) / nt;
        const double m4t = m4 + b.m4
            + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (nt * nt * nt)
            + 6.0 * d2 * (na * na * b.m2 + nb * nb * m2) / (nt * nt)
            + 4.0 * d * (na * b.m3 - nb * m3) / nt;
        mean += d * nb / nt;
        m2 = m2t;
        m3 = m3t;
        m4 = m4t;
        n = nt;
    }
};

struct FirstPass {
    Moments moments;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double minNonzeroAbs = std::numeric_limits<double>::infinity();
    std::int64_t zeros = 0;
};

struct SecondPass {
    std::int64_t outliers = 0;
    std::vector<std::uint64_t> display;
    std::uint64_t displayZeros = 0;
    std::vector<std::uint64_t> fine;
};

// Runs perRange(state) once per range of pieces handed to a thread, and inside it
// perChunk(state, chunkIndex, values, count, firstElement) for each piece of the range, so
// accumulators can live per range (few) while values are converted piece by piece.
template <typename State, typename MakeState, typename PerChunk, typename Finish>
void forEachChunk(const TensorView &t, const CancelToken &cancel, MakeState &&makeState,
    PerChunk &&perChunk, Finish &&finish)
{
    const std::int64_t n = t.numel();
    const std::int64_t chunks = (n + kChunk - 1) / kChunk;
    const std::int64_t grain = std::max<std::int64_t>(1, chunks / (4 * threadCount()));
    parallelFor(chunks, grain, [&](std::int64_t begin, std::int64_t end) {
        thread_local std::vector<float> buf;
        buf.resize(std::size_t(kChunk));
        State state = makeState();
        for (std::int64_t c = begin; c < end; ++c) {
            cancel.throwIfCancelled();
            const std::int64_t first = c * kChunk;
            const std::int64_t count = std::min(kChunk, n - first);
            toFloat32Range(t, first, count, buf.data());
            perChunk(state, c, buf.data(), count, first);
        }
        finish(state);
    });
}

// `inverseWidth` is bins per unit (0 when all values are equal), so no division per value.
int binOf(double v, double lo, double inverseWidth, int bins)
{
    const int b = int((v - lo) * inverseWidth);
    return std::clamp(b, 0, bins - 1);
}

double percentileFromBins(const std::vector<std::uint64_t> &bins, double lo, double hi,
    std::int64_t n, double percent)
{
    if (percent <= 0)
        return lo;
    if (percent >= 100)
        return hi;
    const double width = (hi - lo) / double(bins.size());
    const double rank = percent / 100.0 * double(n - 1); // numpy's "linear" rank
    double before = 0;
    for (std::size_t b = 0; b < bins.size(); ++b) {
        const double c = double(bins[b]);
        if (before + c > rank) {
            // Spread the bin's values evenly inside it.
            const double within = (rank - before + 0.5) / c;
            return std::min(hi, lo + (double(b) + within) * width);
        }
        before += c;
    }
    return hi;
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

    const std::int64_t n = s.count;
    const std::int64_t chunks = (n + kChunk - 1) / kChunk;
    const bool channels = options.channelAbsmax && t.shape.size() >= 2;
    const std::int64_t rows = channels ? t.shape.front() : 0;
    const std::int64_t cols = channels ? t.shape.back() : 0;
    const std::int64_t rowLength = channels ? n / rows : 0;
    if (channels) {
        s.rowAbsmax.assign(std::size_t(rows), 0.0f);
        s.colAbsmax.assign(std::size_t(cols), 0.0f);
    }

    // Pass 1: moments, extremes, zeros, channel absmax.
    // Per-chunk moments are merged in chunk order afterwards, so results do not depend on
    // how the chunks were spread over threads.
    struct ChannelMax {
        std::vector<float> cols;
        std::vector<std::pair<std::int64_t, float>> rows;
    };
    std::vector<FirstPass> first(static_cast<std::size_t>(chunks));
    std::mutex channelMutex;
    forEachChunk<ChannelMax>(
        t, cancel, [&] { return ChannelMax { std::vector<float>(std::size_t(cols), 0.0f), {} }; },
        [&](ChannelMax &cm, std::int64_t c, const float *v, std::int64_t count, std::int64_t at) {
        FirstPass &p = first[std::size_t(c)];
        double sum = 0;
        for (std::int64_t i = 0; i < count; ++i) {
            const double x = v[i];
            sum += x;
            p.min = std::min(p.min, x);
            p.max = std::max(p.max, x);
            if (x == 0)
                ++p.zeros;
            else
                p.minNonzeroAbs = std::min(p.minNonzeroAbs, std::abs(x));
        }
        Moments &m = p.moments;
        m.n = double(count);
        m.mean = sum / double(count);
        for (std::int64_t i = 0; i < count; ++i) {
            const double d = double(v[i]) - m.mean, d2 = d * d;
            m.m2 += d2;
            m.m3 += d2 * d;
            m.m4 += d2 * d2;
        }
        if (!channels)
            return;
        std::vector<float> &colMax = cm.cols;
        auto &rowMax = cm.rows;
        for (std::int64_t i = 0; i < count; ++i) {
            const float a = std::abs(v[i]);
            const std::int64_t e = at + i;
            const std::size_t col = std::size_t(e % cols);
            colMax[col] = std::max(colMax[col], a);
            const std::int64_t row = e / rowLength;
            if (rowMax.empty() || rowMax.back().first != row)
                rowMax.push_back({ row, 0.0f });
            rowMax.back().second = std::max(rowMax.back().second, a);
        }
        },
        [&](const ChannelMax &cm) {
            if (!channels)
                return;
            std::lock_guard<std::mutex> lock(channelMutex);
            for (std::size_t k = 0; k < cm.cols.size(); ++k)
                s.colAbsmax[k] = std::max(s.colAbsmax[k], cm.cols[k]);
            for (const auto &[row, a] : cm.rows)
                s.rowAbsmax[std::size_t(row)] = std::max(s.rowAbsmax[std::size_t(row)], a);
        });
    FirstPass all;
    for (const FirstPass &p : first) {
        all.moments.merge(p.moments);
        all.min = std::min(all.min, p.min);
        all.max = std::max(all.max, p.max);
        all.minNonzeroAbs = std::min(all.minNonzeroAbs, p.minNonzeroAbs);
        all.zeros += p.zeros;
    }
    const Moments &m = all.moments;
    s.mean = m.mean;
    s.std = std::sqrt(m.m2 / m.n);
    s.min = all.min;
    s.max = all.max;
    s.absmax = std::max(std::abs(all.min), std::abs(all.max));
    s.zeros = all.zeros;
    s.zeroFraction = double(all.zeros) / double(n);
    const double var = m.m2 / m.n;
    s.skewness = var > 0 ? (m.m3 / m.n) / std::pow(var, 1.5) : 0.0;
    s.kurtosis = var > 0 ? (m.m4 / m.n) / (var * var) - 3.0 : 0.0;

    // Pass 2: outliers, the display histogram and the fine one for percentiles.
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
    const int bins = options.bins;
    const auto inverse = [](double span, int bins) { return span > 0 ? bins / span : 0.0; };
    const double displayScale = inverse(h.hi - h.lo, bins);
    const double fineScale = inverse(s.max - s.min, kPercentileBins);
    const double threshold = options.outlierK * s.std;
    SecondPass total;
    total.display.assign(std::size_t(bins), 0);
    total.fine.assign(kPercentileBins, 0);
    std::mutex totalMutex;
    forEachChunk<SecondPass>(
        t, cancel,
        [&] {
            SecondPass p;
            p.display.assign(std::size_t(bins), 0);
            p.fine.assign(kPercentileBins, 0);
            return p;
        },
        [&](SecondPass &p, std::int64_t, const float *v, std::int64_t count, std::int64_t) {
        for (std::int64_t i = 0; i < count; ++i) {
            const double x = v[i];
            if (std::abs(x - s.mean) > threshold)
                ++p.outliers;
            ++p.fine[std::size_t(binOf(x, s.min, fineScale, kPercentileBins))];
            if (!options.logMagnitude)
                ++p.display[std::size_t(binOf(x, h.lo, displayScale, bins))];
            else if (x == 0)
                ++p.displayZeros;
            else
                ++p.display[std::size_t(binOf(std::log10(std::abs(x)), h.lo, displayScale, bins))];
        }
        },
        [&](const SecondPass &p) {
            std::lock_guard<std::mutex> lock(totalMutex);
            total.outliers += p.outliers;
            total.displayZeros += p.displayZeros;
            for (int b = 0; b < bins; ++b)
                total.display[std::size_t(b)] += p.display[std::size_t(b)];
            for (int b = 0; b < kPercentileBins; ++b)
                total.fine[std::size_t(b)] += p.fine[std::size_t(b)];
        });
    s.outliers = total.outliers;
    h.zeros = total.displayZeros;
    h.counts = total.display;
    const std::vector<std::uint64_t> &fine = total.fine;
    s.outlierFraction = double(s.outliers) / double(n);
    for (double p : options.percentiles)
        s.percentiles.push_back({ p, percentileFromBins(fine, s.min, s.max, n, p) });
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
