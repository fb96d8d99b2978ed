// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/trainpipeline.h"

#include "corpus/storycorpus.h"
#include "eval/perplexity.h"
#include "generate/generator.h"
#include "model/model.h"
#include "model/transformer.h"
#include "text/bpetrainer.h"
#include "text/tokenizer.h"
#include "train/hfexport.h"
#include "train/modelcard.h"
#include "train/trainablellama.h"
#include "util/atomicfile.h"
#include "util/error.h"
#include "util/threadpool.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace lathe {

namespace {

using Json = nlohmann::ordered_json;

// Sub-ranges of the overall progress bar per phase.
ProgressFn phase(const ProgressFn &progress, double from, double to)
{
    if (!progress)
        return {};
    return [progress, from, to](
               double f, const std::string &message) { progress(from + (to - from) * f, message); };
}

std::string trim(const std::string &s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// Held-out documents are picked by a hash of their index, so the split is the same for
// every seed and every run, and spread evenly over the corpus.
bool isValidationDocument(std::size_t index, double fraction)
{
    std::uint64_t x = static_cast<std::uint64_t>(index) + 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return static_cast<double>(x >> 11) / static_cast<double>(1ull << 53) < fraction;
}

void copyFile(const fs::path &from, const fs::path &to)
{
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec)
        throw IoError(
            "cannot copy '" + from.string() + "' to '" + to.string() + "': " + ec.message());
}

bool isEmptyDir(const fs::path &p)
{
    std::error_code ec;
    return fs::is_directory(p, ec) && fs::directory_iterator(p, ec) == fs::directory_iterator();
}

} // namespace

std::vector<std::string> readDocuments(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IoError("cannot read the training text '" + path + "'");
    std::vector<std::string> docs;
    std::string line, current;
    const auto flush = [&] {
        std::string d = trim(current);
        if (!d.empty())
            docs.push_back(std::move(d));
        current.clear();
    };
    while (std::getline(in, line)) {
        if (trim(line).empty())
            flush();
        else
            current += line + "\n";
    }
    flush();
    if (docs.empty())
        throw InvalidArgument("'" + path + "' holds no text");
    return docs;
}

void checkTrainOutput(const std::string &outDir, bool resume)
{
    if (outDir.empty())
        throw InvalidArgument("--out: give the folder the trained model goes to");
    const fs::path out = fs::absolute(outDir);
    std::error_code ec;
    if (!fs::is_directory(out.parent_path(), ec))
        throw IoError("--out: the folder '" + out.parent_path().string() + "' does not exist");
    if (fs::exists(out, ec)) {
        if (!fs::is_directory(out, ec))
            throw InvalidArgument("--out: '" + outDir + "' is a file, not a folder");
        if (!isEmptyDir(out) && !fs::exists(out / "config.json", ec))
            throw InvalidArgument("--out: '" + outDir
                + "' exists and is not a model folder; choose another "
                  "folder (it would be replaced)");
    }
    const fs::path work = out.string() + ".partial";
    if (resume && !fs::exists(work / "checkpoint.safetensors", ec))
        throw IoError("--resume: no checkpoint in '" + work.string()
            + "' (a run that was cancelled or stopped leaves one there)");
}

TrainRunReport runTraining(const TrainConfig &config, const std::string &outDir,
    const TrainRunOptions &options, const ProgressFn &progress, const CancelToken &cancel)
{
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    checkTrainOutput(outDir, options.resume);
    const fs::path out = fs::absolute(outDir);
    const fs::path work = out.string() + ".partial";
    TrainRunReport report;
    report.outDir = out.string();

    // 1. Text.
    reportProgress(progress, 0.0, "corpus");
    std::vector<std::string> docs;
    if (config.corpus.generated) {
        StoryCorpusOptions co;
        co.seed = config.corpus.seed;
        co.targetChars = config.corpus.chars;
        co.arithmeticShare = config.corpus.arithmeticShare;
        co.chatShare = config.corpus.chatShare;
        docs = generateStoryCorpus(co);
    } else {
        docs = readDocuments(config.corpus.dataPath);
    }
    cancel.throwIfCancelled();
    report.documents = docs.size();
    for (const std::string &d : docs)
        report.corpusChars += d.size();

    // 2. Tokenizer (kept in the work folder so --resume reuses the same one).
    std::error_code ec;
    if (!options.resume)
        fs::remove_all(work, ec);
    fs::create_directories(work / "tokenizer", ec);
    if (ec)
        throw IoError("cannot create '" + (work / "tokenizer").string() + "': " + ec.message());
    const fs::path tokDir = work / "tokenizer";
    if (!fs::exists(tokDir / "tokenizer.json")) {
        if (config.tokenizer.path.empty()) {
            BpeTrainOptions bo;
            bo.vocabSize = config.tokenizer.vocabSize;
            bo.specialTokens = demoSpecialTokens();
            bo.bosToken = bo.specialTokens.at(0);
            bo.eosToken = bo.specialTokens.at(1);
            bo.addBosToken = true;
            bo.chatTemplate = demoChatTemplate();
            trainByteLevelBpe(docs, bo, tokDir.string(), phase(progress, 0.01, 0.08), cancel);
        } else {
            fs::path src = config.tokenizer.path;
            if (!fs::is_directory(src))
                src = src.parent_path();
            if (!fs::exists(src / "tokenizer.json"))
                throw IoError("tokenizer: no tokenizer.json in '" + src.string() + "'");
            copyFile(src / "tokenizer.json", tokDir / "tokenizer.json.tmp");
            if (fs::exists(src / "tokenizer_config.json"))
                copyFile(src / "tokenizer_config.json", tokDir / "tokenizer_config.json");
            fs::rename(tokDir / "tokenizer.json.tmp", tokDir / "tokenizer.json");
        }
    }
    const std::shared_ptr<Tokenizer> tokenizer = Tokenizer::fromTokenizerJson(tokDir.string());
    const std::int64_t bosId = tokenizer->bosId();
    std::vector<std::int64_t> eosIds;
    if (tokenizer->eosId() >= 0)
        eosIds.push_back(tokenizer->eosId());
    const std::int32_t endId = tokenizer->idForToken("<|end|>");
    if (endId >= 0 && endId != tokenizer->eosId())
        eosIds.push_back(endId);
    if (eosIds.empty())
        throw UnsupportedError("the tokenizer in '" + tokDir.string()
            + "' has no end-of-sequence token; training needs one");

    // 3. Encode: BOS + text + EOS per document, split by document.
    reportProgress(progress, 0.08, "encoding " + std::to_string(docs.size()) + " documents");
    std::vector<std::vector<std::int32_t>> encoded(docs.size());
    ThreadPool::instance().parallelFor(
        static_cast<std::int64_t>(docs.size()), 64, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) {
                auto ids = tokenizer->encode(docs[static_cast<std::size_t>(i)], true);
                ids.push_back(static_cast<std::int32_t>(eosIds.front()));
                encoded[static_cast<std::size_t>(i)] = std::move(ids);
            }
        });
    TokenSplit split;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        const bool val = isValidationDocument(i, config.train.valFraction);
        auto &dst = val ? split.val : split.train;
        if (!val)
            split.trainDocumentStarts.push_back(dst.size());
        dst.insert(dst.end(), encoded[i].begin(), encoded[i].end());
    }
    encoded.clear();
    report.trainTokens = split.train.size();
    report.valTokens = split.val.size();
    if (split.val.size() < 2)
        throw InvalidArgument("train.val_fraction: the validation split is empty; use more "
                              "text or a larger val_fraction");
    cancel.throwIfCancelled();

    // 4. Train.
    const ModelConfig modelConfig = modelConfigFor(
        config.model, static_cast<std::int64_t>(tokenizer->vocabSize()), bosId, eosIds);
    TrainableLlama model(modelConfig);
    report.parameters = model.parameterCount();
    Trainer trainer(
        model, config.train, (work / "checkpoint.safetensors").string(), trainConfigJson(config));
    report.training
        = trainer.train(split, options.resume, options.threads, phase(progress, 0.1, 0.95), cancel);

    // 5. Export into work/model, then evaluate what was written with the inference engine.
    reportProgress(progress, 0.95, "writing the model");
    const fs::path staged = work / "model";
    fs::remove_all(staged, ec);
    fs::create_directories(staged);
    writeHfModel(model, staged.string(), bosId, eosIds);
    for (const char *f : { "tokenizer.json", "tokenizer_config.json" })
        if (fs::exists(tokDir / f))
            copyFile(tokDir / f, staged / f);
    Trainer::writeLossCurve(report.training.curve, (staged / "loss_curve.csv").string(),
        (staged / "loss_curve.json").string());

    reportProgress(progress, 0.96, "evaluating");
    const auto evaluate = [&](std::shared_ptr<Model> m, bool full, int &correct) {
        const Transformer transformer(m);
        PerplexityOptions po;
        po.ctx = config.train.ctx;
        if (!full)
            po.maxChunks = 8;
        const double ppl = evaluatePerplexity(transformer, split.val, po, {}, cancel).ppl;
        GenerateOptions go;
        go.sampler.temperature = 0;
        go.maxTokens = 8;
        const auto probes = arithmeticProbes(config.corpus.seed, options.arithmeticProbes);
        correct = 0;
        for (const ArithmeticProbe &p : probes) {
            KVCache cache = transformer.newCache();
            const auto r = generate(transformer, cache, tokenizer->encode(p.prompt, true), go);
            const std::string text = tokenizer->decode(r.ids, true);
            if (text.rfind(p.answer, 0) == 0)
                ++correct;
        }
        if (full) {
            GenerateOptions so;
            so.sampler.temperature = 0;
            so.maxTokens = 120;
            for (const std::string &prompt : options.samplePrompts) {
                KVCache cache = transformer.newCache();
                const auto r = generate(transformer, cache, tokenizer->encode(prompt, true), so);
                report.samples.emplace_back(prompt, tokenizer->decode(r.ids, true));
            }
        }
        return ppl;
    };
    report.arithmeticTotal = options.arithmeticProbes;
    report.valPerplexity = evaluate(Model::load(staged.string()), true, report.arithmeticCorrect);
    {
        TrainableLlama fresh(modelConfig);
        fresh.initialize(config.train.seed);
        report.untrainedValPerplexity = evaluate(Model::fromWeights(modelConfig, fresh.weights()),
            false, report.untrainedArithmeticCorrect);
    }
    report.totalSeconds = std::chrono::duration<double>(Clock::now() - start).count();

    // 6. Model card and a machine-readable summary.
    writeFileAtomically(
        (staged / "README.md").string(), modelCard(config, report, modelConfig, options.command));
    writeFileAtomically(
        (staged / "training.json").string(), trainingSummaryJson(config, report, options.command));

    // 7. Replace <out> with the finished folder; drop the work folder.
    const fs::path old = out.string() + ".old";
    fs::remove_all(old, ec);
    if (fs::exists(out))
        fs::rename(out, old);
    fs::rename(staged, out);
    fs::remove_all(old, ec);
    fs::remove_all(work, ec);
    reportProgress(progress, 1.0, "done");
    return report;
}

} // namespace lathe
