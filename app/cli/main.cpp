// SPDX-License-Identifier: GPL-3.0-or-later
// lathe-cli: the headless front end of Lathe. Parses the command line, sets the engine's
// thread count, runs one command and turns every error into one line on stderr.
#include "clicommon.h"

#include "model/matvec.h"
#include "util/error.h"
#include "util/threadpool.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitCancelled = 130; // like a shell reports a process ended by Ctrl-C

int reportError(const std::string &message, int code)
{
    std::string line = message;
    // One line, always: a multi-line message would break scripts that read stderr.
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    std::cout.flush();
    std::cerr << "lathe-cli: error: " << line << std::endl;
    return code;
}

} // namespace

int main(int argc, char **argv)
{
    using namespace lathe::cli;
    // Stdout carries results only (JSON with --json): the engine's log goes to stderr, and
    // only its warnings; its progress messages are the progress line's job.
    spdlog::set_default_logger(spdlog::stderr_color_st("lathe-cli"));
    spdlog::set_level(spdlog::level::warn);

    CLI::App app("Lathe command line: inspect, run and measure language models "
                 "(Hugging Face safetensors folders, .safetensors files, GGUF).",
                 "lathe-cli");
    app.set_version_flag("--version", "lathe-cli " LATHE_VERSION,
                         "Print the version and exit");
    // Global options may also be given after the command name.
    app.fallthrough();

    GlobalOptions globals;
    app.add_option("--threads", globals.threads,
                   "Threads for the engine (matrix kernels and BLAS); 0 = all logical cores")
        ->check(CLI::NonNegativeNumber)
        ->default_val(0);
    app.add_flag("--json", globals.json, "Print machine-readable JSON on stdout");
    app.add_flag("--progress", globals.progress,
                 "Show progress on stderr even when it is not a terminal");
    app.footer("Run 'lathe-cli COMMAND --help' for the options of a command.\n"
               "Output: results on stdout (JSON with --json), progress and messages on stderr;\n"
               "exit status 0 on success, 1 on an error, 2 on a usage error, 130 when "
               "interrupted.");

    std::vector<Command> commands;
    commands.push_back(addInfoCommand(app, globals));
    commands.push_back(addLogitsCommand(app, globals));
    commands.push_back(addGenerateCommand(app, globals));
    commands.push_back(addPerplexityCommand(app, globals));
    commands.push_back(addCompareCommand(app, globals));
    commands.push_back(addBenchCommand(app, globals));
    commands.push_back(addTrainCommand(app, globals));
    commands.push_back(addTokenizeCommand(app, globals));
    commands.push_back(addDetokenizeCommand(app, globals));
    commands.push_back(addTemplateCommand(app, globals));
    commands.push_back(addChatCommand(app, globals));
    commands.push_back(addBenchTokenizerCommand(app, globals));
    commands.push_back(addAnalyzeCommand(app, globals));
    commands.push_back(addQuantizeCommand(app, globals));
    commands.push_back(addPruneCommand(app, globals));

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success &e) {
        return app.exit(e); // --help, --version: printed on stdout, exit 0
    } catch (const CLI::ParseError &e) {
        std::string help = "lathe-cli --help";
        for (const auto &c : commands)
            if (c.app->parsed())
                help = "lathe-cli " + c.app->get_name() + " --help";
        return reportError(std::string(e.what()) + " (see '" + help + "')", kExitUsage);
    }

    const Command *chosen = nullptr;
    for (const auto &c : commands)
        if (c.app->parsed())
            chosen = &c;
    if (!chosen)
        return reportError("no command given; run 'lathe-cli --help' for the list of commands",
                           kExitUsage);

    installSignalHandlers();
    try {
        lathe::setThreadCount(globals.threads);
        lathe::applyEngineThreadSettings();
        chosen->run();
    } catch (const lathe::CancelledError &) {
        return reportError("interrupted", kExitCancelled);
    } catch (const std::bad_alloc &) {
        return reportError("out of memory", kExitError);
    } catch (const std::exception &e) {
        // lathe::Error messages already name the file or tensor; libtorch's (c10::Error)
        // carry a backtrace after the first line, which is of no use to a user.
        std::string message = e.what();
        if (dynamic_cast<const lathe::Error *>(&e) == nullptr) {
            const auto end = message.find('\n');
            if (end != std::string::npos)
                message.resize(end);
        }
        return reportError(message, kExitError);
    }
    return 0;
}
