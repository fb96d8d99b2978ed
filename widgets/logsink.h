// SPDX-License-Identifier: GPL-3.0-or-later
// LogSink: an spdlog sink that hands every log line to the GUI thread, where the log panel
// shows it. spdlog may call it from any thread (the job worker logs while loading), so lines
// are marshalled with a queued invocation and only ever emitted in the GUI thread.
#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <mutex>

namespace lathe::ui
{

struct LogRecord {
    QDateTime time;
    spdlog::level::level_enum level = spdlog::level::info;
    QString logger;
    QString text;
};

class LogSink : public QObject, public spdlog::sinks::base_sink<std::mutex>
{
    Q_OBJECT
public:
    // The process-wide sink, created on first use (from the GUI thread) and attached to the
    // default logger and every logger registered so far.
    static std::shared_ptr<LogSink> instance();
    // Attaches the sink to loggers registered after instance() was first called. Changing a
    // logger's sinks is not thread-safe, so call this only while no job is running.
    static void attachToAllLoggers();

    // The most recent lines (GUI thread), so a panel created late still shows startup logs.
    QList<LogRecord> backlog() const { return m_backlog; }
    static constexpr int kBacklogLimit = 2000;

Q_SIGNALS:
    void logged(const lathe::ui::LogRecord &record);

protected:
    void sink_it_(const spdlog::details::log_msg &msg) override;
    void flush_() override { }

private:
    LogSink() = default;
    void deliver(const LogRecord &record);

    QList<LogRecord> m_backlog; // GUI thread only
};

} // namespace lathe::ui
