// SPDX-License-Identifier: GPL-3.0-or-later
// Writes any Llama-family Model (an original or a compressed variant) as a Hugging Face folder
// that Lathe and other tools load: packed weights dequantized, config.json and
// generation_config.json written from the model's config, tokenizer files copied from the
// source folder. Written into a temporary folder beside the target and renamed into place, so
// an interrupted export leaves nothing half-written; never writes into the source folder.
#pragma once

#include "util/progress.h"

#include <map>
#include <string>

namespace lathe {

class Model;

struct HfExportOptions {
    // Tensor dtype: "source" (the dtype the original stored, when every value is exactly
    // representable in it; otherwise f32, logged), "f32", "bf16" or "f16".
    std::string dtype = "source";
    bool overwrite = false; // replace an existing target folder (never the source)
    // More files written into the folder before it appears (name -> contents), e.g. the
    // recipe and the report of `lathe-cli quantize`, so they appear atomically with it.
    std::map<std::string, std::string> extraFiles;
};

// Throws InvalidArgument when `outDir` is the model's source folder or exists without
// overwrite, IoError on write failures (the temporary folder is removed).
void exportHfFolder(const Model &model, const std::string &outDir,
    const HfExportOptions &options = {}, const ProgressFn &progress = {},
    const CancelToken &cancel = {});

} // namespace lathe
