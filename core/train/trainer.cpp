// SPDX-License-Identifier: GPL-3.0-or-later
#include "train/trainer.h"

#include "io/safetensors.h"
#include "io/safetensorswriter.h"
#include "model/matvec.h"
#include "train/adamw.h"
#include "train/lrschedule.h"
#include "train/trainablellama.h"
#include "util/atomicfile.h"
#include "util/error.h"
#include "util/threadpool.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace lathe {

namespace {

using Json = nlohmann::ordered_json;
constexpr const char *kStateKey = "lathe_train_state";

std::uint64_t splitmix(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}


// Threads for training: libtorch's intra-op threads get every core and OpenBLAS one thread.
// Both at `threads` oversubscribe the cores (measured on 2 cores, 1 M-parameter Llama, batch
// 8 x 256: 2800 tokens/s with both at 2; 5000 with libtorch 2 / BLAS 1; 4700 with libtorch 1
// / BLAS 2; 3900 with both 1). The engine's settings (libtorch 1, BLAS all) are restored after.
class TrainingThreads {
public:
    explicit TrainingThreads(int threads)
    {
        applyEngineThreadSettings();
        m_atThreads = at::get_num_threads();
        m_poolThreads = threadCount();
        m_threads = threads > 0
            ? threads
            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
        setThreadCount(1); // OpenBLAS's GEMM threads (and Lathe's pool, unused here)
        at::set_num_threads(m_threads);
    }
    ~TrainingThreads()
    {
        at::set_num_threads(m_atThreads);
        setThreadCount(m_poolThreads);
    }
    int threads() const { return m_threads; }

private:
    int m_atThreads = 1, m_poolThreads = 1, m_threads = 1;
};

Json pointJson(const TrainPoint &p)
{
    Json j;
    j["step"] = p.step;
    j["lr"] = p.lr;
    j["train_loss"] = p.trainLoss;
    j["val_loss"] = p.valLoss >= 0 ? Json(p.valLoss) : Json(nullptr);
    j["tokens_per_s"] = p.tokensPerSecond;
    j["seconds"] = p.seconds;
    return j;
}

TrainPoint pointFromJson(const Json &j)
{
    TrainPoint p;
    p.step = j.at("step").get<std::int64_t>();
    p.lr = j.at("lr").get<double>();
    p.trainLoss = j.at("train_loss").get<double>();
    p.valLoss = j.at("val_loss").is_null() ? -1.0 : j.at("val_loss").get<double>();
    p.tokensPerSecond = j.at("tokens_per_s").get<double>();
    p.seconds = j.at("seconds").get<double>();
    return p;
}

void addTensor(SafetensorsWriter &w, const std::string &name, const at::Tensor &t)
{
    const at::Tensor c = t.detach().contiguous();
    std::vector<std::int64_t> shape(c.sizes().begin(), c.sizes().end());
    const auto *p = static_cast<const std::uint8_t *>(c.data_ptr());
    w.addTensor(name, DType::F32, shape,
        std::vector<std::uint8_t>(p, p + c.numel() * static_cast<std::int64_t>(sizeof(float))));
}

void readTensor(const SafetensorsFile &file, const std::string &name, at::Tensor &into)
{
    const TensorView *view = file.find(name);
    if (!view)
        throw FormatError("checkpoint '" + file.path() + "' lacks tensor '" + name + "'");
    if (view->numel() != into.numel())
        throw FormatError("checkpoint '" + file.path() + "': tensor '" + name
            + "' has the wrong size for this model");
    torch::NoGradGuard noGrad;
    toFloat32(*view, into.data_ptr<float>());
}

std::string fmt(const char *format, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

} // namespace

at::Tensor trainingBatch(const TokenSplit &data, std::uint64_t seed, std::int64_t step,
    std::int64_t batch, std::int64_t ctx)
{
    const std::vector<std::int32_t> &ids = data.train;
    const std::size_t lastStart = ids.size() - static_cast<std::size_t>(ctx) - 1;
    const std::vector<std::size_t> &docs = data.trainDocumentStarts;
    const auto usable = static_cast<std::uint64_t>(
        std::upper_bound(docs.begin(), docs.end(), lastStart) - docs.begin());
    at::Tensor out = at::empty({ batch, ctx + 1 }, at::kLong);
    std::int64_t *dst = out.data_ptr<std::int64_t>();
    for (std::int64_t b = 0; b < batch; ++b) {
        const std::uint64_t r
            = splitmix(splitmix(seed) ^ static_cast<std::uint64_t>(step * batch + b));
        const std::size_t start = usable > 0 ? docs[static_cast<std::size_t>(r % usable)]
                                             : static_cast<std::size_t>(r % (lastStart + 1));
        for (std::int64_t t = 0; t <= ctx; ++t)
            dst[b * (ctx + 1) + t] = ids[start + static_cast<std::size_t>(t)];
    }
    return out;
}

Trainer::Trainer(TrainableLlama &model, TrainOptions options, std::string checkpointPath,
    std::string fingerprint)
    : m_model(model)
    , m_options(std::move(options))
    , m_checkpointPath(std::move(checkpointPath))
    , m_fingerprint(std::move(fingerprint))
{
}

double Trainer::validationLoss(const std::vector<std::int32_t> &ids) const
{
    torch::NoGradGuard noGrad;
    const std::int64_t n = static_cast<std::int64_t>(ids.size());
    std::int64_t ctx = std::min(m_options.ctx, n - 1);
    if (ctx < 1)
        throw InvalidArgument("the validation split needs at least 2 tokens");
    const std::int64_t windows = std::min((n - 1) / ctx, m_options.evalBatches * m_options.batch);
    double total = 0.0;
    for (std::int64_t w0 = 0; w0 < windows; w0 += m_options.batch) {
        const std::int64_t nb = std::min(m_options.batch, windows - w0);
        at::Tensor batch = at::empty({ nb, ctx + 1 }, at::kLong);
        std::int64_t *dst = batch.data_ptr<std::int64_t>();
        for (std::int64_t b = 0; b < nb; ++b)
            for (std::int64_t t = 0; t <= ctx; ++t)
                dst[b * (ctx + 1) + t] = ids[static_cast<std::size_t>((w0 + b) * ctx + t)];
        const at::Tensor loss = m_model.loss(batch.narrow(1, 0, ctx), batch.narrow(1, 1, ctx));
        total += loss.item<double>() * static_cast<double>(nb);
    }
    return total / static_cast<double>(windows);
}

void Trainer::saveCheckpoint(std::int64_t step, const std::vector<TrainPoint> &curve,
    double seconds, const AdamW &optimizer) const
{
    if (m_checkpointPath.empty())
        return;
    SafetensorsWriter w;
    const auto &names = m_model.names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        addTensor(w, "param." + names[i], m_model.parameters()[i]);
        addTensor(w, "adam_m." + names[i], optimizer.firstMoments()[i]);
        addTensor(w, "adam_v." + names[i], optimizer.secondMoments()[i]);
    }
    Json state;
    state["step"] = step;
    state["optimizer_step"] = optimizer.stepCount();
    state["seconds"] = seconds;
    state["seed"] = m_options.seed;
    // Batches are drawn from (seed, step) alone, so the step is the data position.
    state["data_position"] = step;
    state["fingerprint"] = m_fingerprint;
    Json points = Json::array();
    for (const TrainPoint &p : curve)
        points.push_back(pointJson(p));
    state["curve"] = points;
    w.setMetadata(kStateKey, state.dump());
    w.setMetadata("format", "pt");
    w.write(m_checkpointPath);
    // A readable summary beside it (the safetensors file is what --resume reads).
    Json summary = state;
    summary.erase("curve");
    const std::string jsonPath = fs::path(m_checkpointPath).replace_extension(".json").string();
    writeFileAtomically(jsonPath, summary.dump(2) + "\n");
}

TrainResult Trainer::train(const TokenSplit &data, bool resume, int threads,
    const ProgressFn &progress, const CancelToken &cancel)
{
    const TrainOptions &o = m_options;
    if (static_cast<std::int64_t>(data.train.size()) < o.ctx + 1)
        throw InvalidArgument("the training split has " + std::to_string(data.train.size())
            + " tokens; train.ctx " + std::to_string(o.ctx) + " needs at least "
            + std::to_string(o.ctx + 1));
    const TrainingThreads threadGuard(threads);
    TrainResult result;
    result.threads = threadGuard.threads();

    m_model.initialize(o.seed);
    AdamW optimizer(
        m_model.parameters(),
        [&] {
            std::vector<bool> d;
            for (std::size_t i = 0; i < m_model.parameters().size(); ++i)
                d.push_back(m_model.decays(i));
            return d;
        }(),
        AdamWOptions { o.beta1, o.beta2, o.adamEps, o.weightDecay });
    const LrSchedule schedule { o.lr, o.minLr, o.warmup, o.steps };

    std::int64_t step = 0;
    double previousSeconds = 0.0;
    if (resume) {
        if (m_checkpointPath.empty() || !fs::exists(m_checkpointPath))
            throw IoError("no checkpoint to resume from at '" + m_checkpointPath + "'");
        const auto file = SafetensorsFile::open(m_checkpointPath);
        const auto it = file->metadata().find(kStateKey);
        if (it == file->metadata().end())
            throw FormatError("'" + m_checkpointPath + "' is not a Lathe training checkpoint");
        Json state;
        try {
            state = Json::parse(it->second);
            if (state.at("fingerprint").get<std::string>() != m_fingerprint)
                throw InvalidArgument("the checkpoint '" + m_checkpointPath
                    + "' was made with another training config; start "
                      "without --resume or restore that config");
            step = state.at("step").get<std::int64_t>();
            optimizer.setStepCount(state.at("optimizer_step").get<std::int64_t>());
            previousSeconds = state.at("seconds").get<double>();
            for (const Json &p : state.at("curve"))
                result.curve.push_back(pointFromJson(p));
        } catch (const Json::exception &e) {
            throw FormatError("checkpoint '" + m_checkpointPath + "': bad state: " + e.what());
        }
        const auto &names = m_model.names();
        for (std::size_t i = 0; i < names.size(); ++i) {
            readTensor(
                *file, "param." + names[i], const_cast<at::Tensor &>(m_model.parameters()[i]));
            readTensor(*file, "adam_m." + names[i], optimizer.firstMoments()[i]);
            readTensor(*file, "adam_v." + names[i], optimizer.secondMoments()[i]);
        }
        result.resumedFrom = step;
    }

    using Clock = std::chrono::steady_clock;
    const auto sessionStart = Clock::now();
    const auto elapsed = [&] {
        return previousSeconds + std::chrono::duration<double>(Clock::now() - sessionStart).count();
    };
    const double tokensPerStep = static_cast<double>(o.batch * o.ctx);
    std::string lastVal;
    while (step < o.steps) {
        if (cancel.isCancelled()) {
            saveCheckpoint(step, result.curve, elapsed(), optimizer);
            throw CancelledError();
        }
        const auto t0 = Clock::now();
        const double lr = schedule.at(step);
        const at::Tensor batch = trainingBatch(data, o.seed, step, o.batch, o.ctx);
        for (const at::Tensor &p : m_model.parameters())
            if (p.grad().defined())
                const_cast<at::Tensor &>(p).mutable_grad().zero_();
        const at::Tensor loss = m_model.loss(batch.narrow(1, 0, o.ctx), batch.narrow(1, 1, o.ctx));
        loss.backward();
        clipGradientNorm(m_model.parameters(), o.clip);
        optimizer.step(lr);
        ++step;

        TrainPoint point;
        point.step = step;
        point.lr = lr;
        point.trainLoss = loss.item<double>();
        point.tokensPerSecond = tokensPerStep
            / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t0).count());
        if (!std::isfinite(point.trainLoss))
            throw Error("training diverged at step " + std::to_string(step)
                + " (the loss is not finite); lower train.lr");
        if (step % o.evalEvery == 0 || step == o.steps) {
            point.valLoss = validationLoss(data.val);
            lastVal = " val " + fmt("%.4f", point.valLoss);
        }
        point.seconds = elapsed();
        result.curve.push_back(point);
        if (o.checkpointEvery > 0 && step % o.checkpointEvery == 0 && step < o.steps)
            saveCheckpoint(step, result.curve, point.seconds, optimizer);
        reportProgress(progress, static_cast<double>(step) / static_cast<double>(o.steps),
            "step " + std::to_string(step) + "/" + std::to_string(o.steps) + " loss "
                + fmt("%.4f", point.trainLoss) + lastVal + " lr " + fmt("%.2e", lr) + " "
                + fmt("%.0f", point.tokensPerSecond) + " tok/s");
    }
    result.steps = step;
    result.seconds = elapsed();
    saveCheckpoint(step, result.curve, result.seconds, optimizer);
    const std::int64_t sessionSteps = step - result.resumedFrom;
    const double sessionSeconds
        = std::chrono::duration<double>(Clock::now() - sessionStart).count();
    result.tokensPerSecond = sessionSteps > 0
        ? tokensPerStep * static_cast<double>(sessionSteps) / sessionSeconds
        : 0.0;
    for (auto it = result.curve.rbegin(); it != result.curve.rend(); ++it)
        if (it->valLoss >= 0) {
            result.finalValLoss = it->valLoss;
            break;
        }
    return result;
}

void Trainer::writeLossCurve(
    const std::vector<TrainPoint> &curve, const std::string &csvPath, const std::string &jsonPath)
{
    std::ostringstream csv;
    csv << "step,lr,train_loss,val_loss,tokens_per_s,seconds\n";
    Json points = Json::array();
    for (const TrainPoint &p : curve) {
        csv << p.step << ',' << fmt("%.6g", p.lr) << ',' << fmt("%.6f", p.trainLoss) << ','
            << (p.valLoss >= 0 ? fmt("%.6f", p.valLoss) : std::string()) << ','
            << fmt("%.1f", p.tokensPerSecond) << ',' << fmt("%.3f", p.seconds) << '\n';
        points.push_back(pointJson(p));
    }
    writeFileAtomically(csvPath, csv.str());
    Json j;
    j["points"] = points;
    writeFileAtomically(jsonPath, j.dump(1) + "\n");
}

} // namespace lathe
