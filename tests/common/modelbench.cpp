// SPDX-License-Identifier: GPL-3.0-or-later
#include "modelbench.h"
#include "testdata.h"

#include "analysis/activationstats.h"
#include "corpus/storycorpus.h"
#include "model/model.h"
#include "text/tokenizerloader.h"

#include <fstream>
#include <sstream>

namespace lathe::test {

namespace {

std::string readFile(const std::string &file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

ModelBench storiesBench(const std::string &name, const std::string &folder,
    const std::string &tokenizerPath, int windows, int ctx)
{
    const std::string text
        = readFile(dataPath("text/TinyStories-valid-excerpt.txt").toStdString());
    const std::size_t half = text.find('\n', text.size() / 2) + 1;
    const auto tokenizer = loadTokenizer(tokenizerPath);
    ModelBench b;
    b.name = name;
    b.folder = folder;
    b.model = Model::load(folder);
    b.calibration = calibrationSequences(*tokenizer, text.substr(0, half), windows, ctx);
    b.eval = tokenizer->encode(text.substr(half), false);
    return b;
}

std::vector<std::int32_t> demoIds(const Tokenizer &tokenizer, std::uint64_t seed, std::size_t chars)
{
    StoryCorpusOptions options;
    options.seed = seed;
    options.targetChars = chars;
    std::vector<std::int32_t> ids;
    for (const std::string &doc : generateStoryCorpus(options)) {
        const auto docIds = tokenizer.encode(doc, true);
        ids.insert(ids.end(), docIds.begin(), docIds.end());
        ids.push_back(tokenizer.eosId());
    }
    return ids;
}

} // namespace

ModelBench tinyStoriesBench(int windows, int ctx)
{
    const std::string folder = dataPath("models/tinystories-656k").toStdString();
    return storiesBench("tinystories-656k", folder, folder, windows, ctx);
}

ModelBench stories260KBench(int windows, int ctx)
{
    return storiesBench("stories260K", dataPath("models/stories260K/hf").toStdString(),
        dataPath("models/stories260K/stories260K-f32.gguf").toStdString(), windows, ctx);
}

ModelBench demoBench(int windows, int ctx)
{
    const std::string folder = LATHE_SOURCE_DIR "/resources/demo-model";
    const auto tokenizer = loadTokenizer(folder);
    ModelBench b;
    b.name = "demo";
    b.folder = folder;
    b.model = Model::load(folder);
    const std::vector<std::int32_t> calib = demoIds(*tokenizer, 7001, 30'000);
    for (std::size_t start = 0;
         start + std::size_t(ctx) <= calib.size() && b.calibration.size() < std::size_t(windows);
         start += std::size_t(ctx))
        b.calibration.emplace_back(calib.begin() + long(start), calib.begin() + long(start + ctx));
    b.eval = demoIds(*tokenizer, 7919, 20'000);
    return b;
}

} // namespace lathe::test
