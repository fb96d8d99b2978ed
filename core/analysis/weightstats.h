// SPDX-License-Identifier: GPL-3.0-or-later
// Statistics of one stored weight tensor, computed by streaming over its memory-mapped data
// in pieces on all cores (a bf16 or quantized tensor is never copied to f32 as a whole):
// moments, extremes, zeros and outliers, percentiles, a histogram, and the absmax of every
// output channel (row) and input channel (column).
#pragma once

#include "io/tensorview.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

class Checkpoint;

struct WeightStatsOptions {
    int bins = 128;            // histogram bins
    bool logMagnitude = false; // histogram over log10|w| (zeros counted apart) instead of w
    double outlierK = 6.0;     // an outlier lies more than outlierK standard deviations from the mean
    std::vector<double> percentiles { 0.1, 1, 5, 25, 50, 75, 95, 99, 99.9 };
    bool channelAbsmax = true; // per-row and per-column absmax (2-D and larger tensors)
};

struct WeightHistogram {
    bool logMagnitude = false;
    double lo = 0.0; // left edge of the first bin (w, or log10|w|)
    double hi = 0.0; // right edge of the last bin
    std::vector<std::uint64_t> counts;
    std::uint64_t zeros = 0; // log-magnitude histograms only: exact zeros, not in `counts`
};

struct WeightStats {
    std::string name;
    std::vector<std::int64_t> shape;
    std::string dtype;
    std::int64_t count = 0;
    double mean = 0.0;
    double std = 0.0; // population standard deviation
    double min = 0.0;
    double max = 0.0;
    double absmax = 0.0;
    double kurtosis = 0.0; // excess kurtosis (0 for a normal distribution)
    double skewness = 0.0;
    std::int64_t zeros = 0;
    double zeroFraction = 0.0;
    std::int64_t outliers = 0; // |w - mean| > outlierK * std
    double outlierFraction = 0.0;
    double outlierK = 6.0;
    // (percentile in %, value), read from a 65536-bin histogram over [min, max]: exact to
    // within (max - min) / 65536.
    std::vector<std::pair<double, double>> percentiles;
    WeightHistogram histogram;
    std::vector<float> rowAbsmax; // per output channel (first dimension)
    std::vector<float> colAbsmax; // per input channel (last dimension)
};

// Throws UnsupportedError for integer tensors, CancelledError when cancelled.
WeightStats computeWeightStats(
    const TensorView &tensor, const WeightStatsOptions &options = {}, const CancelToken &cancel = {});

// Every floating-point or quantized tensor of a checkpoint, in stored order.
std::vector<WeightStats> computeAllWeightStats(const Checkpoint &checkpoint,
    const WeightStatsOptions &options = {}, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

// One JSON object per tensor: "name", "shape", "dtype", "count", "mean", "std", "min", "max",
// "absmax", "kurtosis", "skewness", "zeros", "zero_fraction", "outliers", "outlier_fraction",
// "outlier_k", "percentiles" {"p50": ...}, "histogram" {...}, "row_absmax", "col_absmax".
nlohmann::ordered_json weightStatsToJson(const WeightStats &stats, bool withChannels = true);
// CSV with one row per tensor (scalars only).
std::string weightStatsCsv(const std::vector<WeightStats> &stats);

} // namespace lathe
