// SPDX-License-Identifier: GPL-3.0-or-later
// The real models the compression data tests measure, each with calibration windows and
// evaluation ids from text that never overlaps: TinyStories models calibrate on the first half
// of the TinyStories excerpt and evaluate on the second; the demo model uses its own story
// generator with one seed for calibration and another for evaluation (both unlike its
// training seed).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {
class Model;
}

namespace lathe::test {

struct ModelBench {
    std::string name;
    std::string folder; // where the model was loaded from
    std::shared_ptr<const lathe::Model> model;
    std::vector<std::vector<std::int32_t>> calibration; // `windows` x `ctx` tokens
    std::vector<std::int32_t> eval;
};

ModelBench tinyStoriesBench(int windows, int ctx);
ModelBench stories260KBench(int windows, int ctx);
ModelBench demoBench(int windows, int ctx);

} // namespace lathe::test
