// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli bench --analysis`: weight-statistics throughput against the machine's
// streaming-read bandwidth measured in the same run, and the wall time of all statistics of
// a model (by default a random TinyLlama-shaped one written to a temporary file).
#pragma once

#include "clicommon.h"

#include <cstdint>
#include <string>

namespace lathe::cli {

struct AnalysisBenchOptions {
    std::string model;               // a checkpoint; empty = a random model of `shape`
    std::string shape = "tinyllama"; // random model shape (benchmodel.h)
    std::int64_t layers = 0;         // random model layers; 0 = the shape's
    std::string dtype = "bf16";      // stored dtype of the random model: f32, bf16 or f16
    int repeats = 3;                 // timed runs over the whole model; the first and best count
    std::int64_t bandwidthMb = 1024; // buffer of the bandwidth measurement
    std::int64_t kernelMb = 256;     // per-dtype in-memory tensor for the kernel measurement
};

void runAnalysisBench(const AnalysisBenchOptions &options, const GlobalOptions &globals);

} // namespace lathe::cli
