// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobs/jobtext.h"

#include "corpus/storycorpus.h"
#include "jobs/sensitivityjob.h"
#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

namespace lathe::ui
{

std::string readTextFile(const QString &path, const std::string &what)
{
    const std::string file = path.toStdString();
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw lathe::IoError("cannot open the " + what + " " + file);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw lathe::IoError("cannot read the " + what + " " + file);
    return buffer.str();
}

std::string builtInEvaluationText(int windows, int ctx)
{
    lathe::StoryCorpusOptions options;
    // Training used seed 1 and calibration 20261123 (SensitivityJob): a third seed.
    options.seed = 424242;
    options.targetChars = static_cast<std::size_t>(std::max(1, windows))
            * static_cast<std::size_t>(std::max(1, ctx)) * 12
        + 4096;
    options.arithmeticShare = 0.0;
    options.chatShare = 0.0;
    std::string text;
    for (const std::string &doc : lathe::generateStoryCorpus(options)) {
        text += doc;
        text += "\n\n";
    }
    return text;
}

lathe::ProgressFn progressWithEta(const lathe::ProgressFn &progress)
{
    const auto start = std::chrono::steady_clock::now();
    return [progress, start](double fraction, const std::string &message) {
        const double elapsed
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::string text = message;
        if (fraction > 0.02 && fraction < 1.0 && elapsed > 0.5)
            text += " · " + SensitivityJob::formatDuration(elapsed * (1.0 - fraction) / fraction)
                + " left";
        lathe::reportProgress(progress, fraction, text);
    };
}

} // namespace lathe::ui
