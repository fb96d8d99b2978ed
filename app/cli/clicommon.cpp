// SPDX-License-Identifier: GPL-3.0-or-later
#include "clicommon.h"

#include "util/error.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <unistd.h>

namespace lathe::cli {

void addCommonOptions(CLI::App &command, GlobalOptions &globals)
{
    command.add_flag("--json", globals.json, "Print machine-readable JSON on stdout");
    // No default_val here: it would overwrite a value given before the command name.
    command
        .add_option("--threads", globals.threads,
                    "Threads for the engine (matrix kernels and BLAS); 0 = all logical cores")
        ->check(CLI::NonNegativeNumber);
    command.add_flag("--progress", globals.progress,
                     "Show progress on stderr even when it is not a terminal");
}

std::vector<std::int32_t> parseIdList(const std::string &text, const std::string &option)
{
    std::vector<std::int32_t> ids;
    std::size_t i = 0;
    const auto isSeparator = [](char c) { return c == ',' || c == ' ' || c == '\t'; };
    while (i < text.size()) {
        if (isSeparator(text[i])) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && !isSeparator(text[j]))
            ++j;
        const std::string word = text.substr(i, j - i);
        const bool digits = std::all_of(word.begin(), word.end(),
                                        [](char c) { return c >= '0' && c <= '9'; });
        long long value = -1;
        if (digits && word.size() <= 10)
            value = std::stoll(word);
        if (value < 0 || value > std::numeric_limits<std::int32_t>::max())
            throw InvalidArgument(option + ": '" + word + "' in '" + text
                                  + "' is not a token id (expected non-negative integers "
                                    "separated by commas, e.g. 1,2,3)");
        ids.push_back(static_cast<std::int32_t>(value));
        i = j;
    }
    if (ids.empty())
        throw InvalidArgument(option + ": no token ids given (expected e.g. 1,2,3)");
    return ids;
}

void requireExists(const std::string &path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw IoError("'" + path + "': no such file or folder");
}

void withPathContext(const std::string &path, const std::function<void()> &fn)
{
    try {
        fn();
    } catch (const CancelledError &) {
        throw;
    } catch (const InvalidArgument &) {
        throw; // about the arguments (ids, options), not about the file
    } catch (const Error &e) {
        const std::string message = e.what();
        const std::string name = std::filesystem::path(path).filename().string();
        if (message.find(path) != std::string::npos
            || (!name.empty() && message.find(name) != std::string::npos))
            throw;
        throw Error(path + ": " + message);
    }
}

void printJson(const Json &value)
{
    // Non-finite numbers become null (JSON has no NaN); replace invalid UTF-8 in strings.
    std::cout << value.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
    std::cout.flush();
}

void printLine(const std::string &text)
{
    std::cout << text << '\n';
    std::cout.flush();
}

void printExactText(const std::string &text)
{
    std::cout << text;
    if (::isatty(STDOUT_FILENO) == 1 && (text.empty() || text.back() != '\n'))
        std::cout << '\n';
    std::cout.flush();
}

void printStatus(const std::string &text)
{
    std::cerr << text << '\n';
    std::cerr.flush();
}

std::string formatFixed(double value, int decimals)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

namespace {
CancelToken &globalCancel()
{
    static CancelToken token;
    return token;
}

void onSignal(int signal)
{
    // CancelToken::cancel is a lock-free atomic store, safe in a signal handler. The engine
    // notices between layers/windows/tokens; a second signal ends the process at once.
    globalCancel().cancel();
    std::signal(signal, SIG_DFL);
}
} // namespace

const CancelToken &cancelToken() { return globalCancel(); }

void installSignalHandlers()
{
    globalCancel(); // construct before any signal can arrive
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

ProgressLine::ProgressLine(const GlobalOptions &globals, std::string label)
    : m_label(std::move(label)), m_enabled(globals.progress || ::isatty(STDERR_FILENO) == 1)
{
}

ProgressLine::~ProgressLine() { finish(); }

ProgressFn ProgressLine::callback()
{
    if (!m_enabled)
        return {};
    return [this](double fraction, const std::string &message) { update(fraction, message); };
}

void ProgressLine::update(double fraction, const std::string &message)
{
    if (!m_enabled)
        return;
    const int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100.0);
    const auto now = std::chrono::steady_clock::now();
    // At most 10 redraws a second: a terminal is slower than the engine's per-step reports.
    if (m_shown && now - m_lastTime < std::chrono::milliseconds(100))
        return;
    if (percent == m_lastPercent && message == m_lastMessage)
        return;
    m_lastPercent = percent;
    m_lastMessage = message;
    m_lastTime = now;
    // Engine messages often repeat the label ("perplexity: window 3/62").
    std::string text = message;
    if (text.rfind(m_label + ": ", 0) == 0)
        text.erase(0, m_label.size() + 2);
    std::string line = m_label + " " + std::to_string(percent) + "%";
    if (!text.empty())
        line += " " + text;
    const std::size_t width = line.size();
    if (width < m_lastWidth)
        line.append(m_lastWidth - width, ' '); // blank out the rest of a longer line
    m_lastWidth = width;
    std::cerr << '\r' << line;
    std::cerr.flush();
    m_shown = true;
}

void ProgressLine::finish()
{
    if (!m_shown)
        return;
    std::cerr << '\r' << std::string(m_lastWidth, ' ') << '\r';
    std::cerr.flush();
    m_shown = false;
    m_lastWidth = 0;
    m_lastPercent = -1;
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace lathe::cli
