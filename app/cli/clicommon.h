// SPDX-License-Identifier: GPL-3.0-or-later
// Shared pieces of lathe-cli: global options, id-list parsing, JSON output, progress on
// stderr, Ctrl-C cancellation and the command registry.
#pragma once

#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace lathe::cli {

// JSON objects keep their keys in the order written, so output reads naturally.
using Json = nlohmann::ordered_json;

// Options every command understands.
struct GlobalOptions {
    int threads = 0;       // engine threads; 0 = all logical cores
    bool json = false;     // machine-readable output on stdout
    bool progress = false; // progress on stderr even when it is not a terminal
};

// A subcommand: registers its options, then runs when it was the one chosen.
struct Command {
    CLI::App *app = nullptr;
    std::function<void()> run;
};

// Each cmd_*.cpp adds one subcommand to `parent`. `globals` outlives the command.
Command addInfoCommand(CLI::App &parent, GlobalOptions &globals);
Command addLogitsCommand(CLI::App &parent, GlobalOptions &globals);
Command addGenerateCommand(CLI::App &parent, GlobalOptions &globals);
Command addPerplexityCommand(CLI::App &parent, GlobalOptions &globals);
Command addCompareCommand(CLI::App &parent, GlobalOptions &globals);
Command addBenchCommand(CLI::App &parent, GlobalOptions &globals);
Command addTrainCommand(CLI::App &parent, GlobalOptions &globals);
Command addTokenizeCommand(CLI::App &parent, GlobalOptions &globals);
Command addDetokenizeCommand(CLI::App &parent, GlobalOptions &globals);
Command addTemplateCommand(CLI::App &parent, GlobalOptions &globals);
Command addChatCommand(CLI::App &parent, GlobalOptions &globals);
Command addBenchTokenizerCommand(CLI::App &parent, GlobalOptions &globals);
Command addAnalyzeCommand(CLI::App &parent, GlobalOptions &globals);
Command addQuantizeCommand(CLI::App &parent, GlobalOptions &globals);
Command addPruneCommand(CLI::App &parent, GlobalOptions &globals);

// Adds --json, --threads and --progress to a subcommand (bound to `globals`), so they can
// follow the command name and `lathe-cli CMD --help` lists them.
void addCommonOptions(CLI::App &command, GlobalOptions &globals);

// Parses "1,2,3" (commas and/or spaces) into token ids. `option` names the flag in errors.
// Throws InvalidArgument: "--ids: 'x' is not a token id (expected ...)".
std::vector<std::int32_t> parseIdList(const std::string &text, const std::string &option);

// Throws IoError "'PATH': no such file or folder" when nothing exists at `path`.
void requireExists(const std::string &path);

// Runs fn; a lathe::Error whose message does not name `path` gets "PATH: " in front, so
// every error the user sees says which file it is about. Cancellation and InvalidArgument
// (a problem with the ids or options, not the file) pass unchanged.
void withPathContext(const std::string &path, const std::function<void()> &fn);

// Writes `value` to stdout (indented) followed by a newline, and flushes.
void printJson(const Json &value);
// Writes one line to stdout and flushes.
void printLine(const std::string &text);
// Writes `text` to stdout exactly as is (so it compares byte for byte), plus a newline only
// when stdout is a terminal (so the shell prompt starts on a line of its own); flushes.
void printExactText(const std::string &text);
// Writes one line to stderr (status messages in text mode; never data).
void printStatus(const std::string &text);

// printf-style number formatting for human-readable output.
std::string formatFixed(double value, int decimals);

// Cancellation token set by the first Ctrl-C (SIGINT/SIGTERM); a second one kills.
const CancelToken &cancelToken();
void installSignalHandlers();

// A progress line on stderr ("\rperplexity  45% window 28/62"), shown when stderr is a
// terminal or --progress was given. Throttled; finish() clears the line.
class ProgressLine {
public:
    ProgressLine(const GlobalOptions &globals, std::string label);
    ~ProgressLine();
    ProgressLine(const ProgressLine &) = delete;
    ProgressLine &operator=(const ProgressLine &) = delete;

    bool enabled() const { return m_enabled; }
    ProgressFn callback();
    void update(double fraction, const std::string &message);
    void finish();

private:
    std::string m_label;
    bool m_enabled = false;
    bool m_shown = false;
    std::size_t m_lastWidth = 0;
    int m_lastPercent = -1;
    std::string m_lastMessage;
    std::chrono::steady_clock::time_point m_lastTime;
};

// Seconds since `start`.
double secondsSince(std::chrono::steady_clock::time_point start);

} // namespace lathe::cli
