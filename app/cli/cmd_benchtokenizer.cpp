// SPDX-License-Identifier: GPL-3.0-or-later
// `lathe-cli bench-tokenizer TOKENIZER... --text FILE`: encode (and decode) throughput of each
// tokenizer on one text, next to what this machine does with the same bytes without any
// tokenization (a plain byte scan and UTF-8 validation, one thread like the tokenizers).
#include "clicommon.h"
#include "clitext.h"

#include "text/tokenizer.h"
#include "util/demomodel.h"
#include "util/error.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>

namespace lathe::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct BenchTokenizerOptions {
    std::vector<std::string> tokenizers;
    std::string textFile;
    double minSeconds = 0.5;
};

// Runs fn until `minSeconds` have passed (at least once) and returns the fastest run's time:
// the least disturbed by other work on the machine.
template <typename Fn>
double bestSeconds(double minSeconds, Fn &&fn)
{
    double best = 1e300;
    const auto start = Clock::now();
    do {
        const auto t0 = Clock::now();
        fn();
        best = std::min(best, secondsSince(t0));
        cancelToken().throwIfCancelled();
    } while (secondsSince(start) < minSeconds);
    return std::max(best, 1e-9);
}

// Sum of all bytes: the fastest useful pass over the text (memory and cache speed).
std::uint64_t byteScan(const std::string &text)
{
    std::uint64_t sum = 0;
    for (const unsigned char c : text)
        sum += c;
    return sum;
}

// Code points in valid UTF-8 (0 when invalid): what every tokenizer must do at the least.
std::uint64_t utf8Validate(const std::string &text)
{
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const auto *end = p + text.size();
    std::uint64_t count = 0;
    while (p < end) {
        const unsigned char c = *p;
        int extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++p;
            ++count;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (end - p <= extra)
            return 0;
        for (int i = 1; i <= extra; ++i) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += extra + 1;
        ++count;
    }
    return count;
}

double mbPerSecond(std::size_t bytes, double seconds) { return double(bytes) / 1e6 / seconds; }

void run(const BenchTokenizerOptions &o, const GlobalOptions &globals)
{
    const std::string text = readTextFile(o.textFile);
    if (text.empty())
        throw InvalidArgument("--text: '" + o.textFile + "' is empty");

    volatile std::uint64_t sink = 0; // keeps the scans from being optimised away
    const double scanSeconds = bestSeconds(o.minSeconds, [&] { sink = sink + byteScan(text); });
    std::uint64_t codePoints = 0;
    const double utf8Seconds =
        bestSeconds(o.minSeconds, [&] { codePoints = utf8Validate(text); });
    const double utf8MbS = mbPerSecond(text.size(), utf8Seconds);
    const double scanMbS = mbPerSecond(text.size(), scanSeconds);

    Json report;
    report["text"] = o.textFile;
    report["bytes"] = text.size();
    report["valid_utf8"] = codePoints > 0;
    report["ceiling"] = {{"byte_scan_mb_s", scanMbS},
                         {"utf8_validate_mb_s", utf8MbS}};
    Json rows = Json::array();
    for (const std::string &arg : o.tokenizers) {
        const std::string path = resolveModelArgument(arg);
        const auto loadStart = Clock::now();
        const auto tokenizer = loadTokenizerFor(path);
        const double loadSeconds = secondsSince(loadStart);

        std::vector<std::int32_t> ids;
        double encodeSeconds = 0.0;
        withPathContext(path, [&] {
            encodeSeconds =
                bestSeconds(o.minSeconds, [&] { ids = tokenizer->encode(text, false); });
        });
        std::string decoded;
        double decodeSeconds = 0.0;
        withPathContext(path, [&] {
            decodeSeconds = bestSeconds(o.minSeconds, [&] { decoded = tokenizer->decode(ids); });
        });
        const double mbS = mbPerSecond(text.size(), encodeSeconds);
        Json row;
        row["tokenizer"] = path;
        row["kind"] = tokenizer->kind();
        row["load_s"] = loadSeconds;
        row["tokens"] = ids.size();
        row["bytes_per_token"] = ids.empty() ? 0.0 : double(text.size()) / double(ids.size());
        row["encode_s"] = encodeSeconds;
        row["mb_s"] = mbS;
        row["tokens_per_s"] = double(ids.size()) / encodeSeconds;
        row["decode_mb_s"] = mbPerSecond(decoded.size(), decodeSeconds);
        row["round_trip"] = decoded == text;
        row["fraction_of_utf8_ceiling"] = mbS / utf8MbS;
        rows.push_back(row);
        if (!globals.json)
            printStatus("[" + path + ": " + formatFixed(mbS, 2) + " MB/s]");
    }
    report["tokenizers"] = rows;

    if (globals.json) {
        printJson(report);
        return;
    }
    printLine(o.textFile + ": " + std::to_string(text.size()) + " bytes; ceiling on this machine "
              "(one thread): byte scan " + formatFixed(scanMbS, 0)
              + " MB/s, UTF-8 validation " + formatFixed(utf8MbS, 0) + " MB/s");
    for (const auto &row : rows) {
        printLine(row["tokenizer"].get<std::string>() + " (" + row["kind"].get<std::string>()
                  + "): encode " + formatFixed(row["mb_s"].get<double>(), 2) + " MB/s, "
                  + std::to_string(row["tokens"].get<std::size_t>()) + " tokens, "
                  + formatFixed(row["tokens_per_s"].get<double>(), 0) + " tokens/s; decode "
                  + formatFixed(row["decode_mb_s"].get<double>(), 1) + " MB/s; load "
                  + formatFixed(row["load_s"].get<double>(), 3) + " s; round trip "
                  + (row["round_trip"].get<bool>() ? "exact" : "lossy"));
    }
}

} // namespace

Command addBenchTokenizerCommand(CLI::App &parent, GlobalOptions &globals)
{
    auto o = std::make_shared<BenchTokenizerOptions>();
    CLI::App *cmd =
        parent.add_subcommand("bench-tokenizer", "Measure tokenizer throughput on a text");
    cmd->footer(
        "Encodes the whole file with each tokenizer (no special tokens) and decodes the ids\n"
        "back; reports MB/s, tokens and tokens/s (fastest of the runs within --min-time), and\n"
        "the machine's own ceiling on the same bytes in the same run: a plain byte scan and\n"
        "UTF-8 validation, on one thread as the tokenizers run.\n"
        "Example: lathe-cli bench-tokenizer tokenizers/hf-gpt2 vocab.gguf --text wiki.test.raw");
    cmd->add_option("TOKENIZER", o->tokenizers,
                    "Model folders, tokenizer.json files or folders, .gguf vocabularies, "
                    "tokenizer.model files")
        ->required();
    cmd->add_option("--text", o->textFile, "The text to encode")->required();
    cmd->add_option("--min-time", o->minSeconds,
                    "Repeat each measurement for at least this many seconds")
        ->check(CLI::NonNegativeNumber)
        ->default_val(0.5);
    addCommonOptions(*cmd, globals);
    return {cmd, [o, &globals] { run(*o, globals); }};
}

} // namespace lathe::cli
