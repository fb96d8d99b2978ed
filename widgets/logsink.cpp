// SPDX-License-Identifier: GPL-3.0-or-later
#include "logsink.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QThread>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace lathe::ui
{

namespace
{

void attachTo(const std::shared_ptr<spdlog::logger> &logger, const spdlog::sink_ptr &sink)
{
    if (!logger)
        return;
    auto &sinks = logger->sinks();
    if (std::find(sinks.begin(), sinks.end(), sink) == sinks.end())
        sinks.push_back(sink);
}

} // namespace

std::shared_ptr<LogSink> LogSink::instance()
{
    // Lives as long as the loggers hold it; the QObject part stays in the GUI thread.
    static const std::shared_ptr<LogSink> sink = [] {
        std::shared_ptr<LogSink> s(new LogSink);
        if (QCoreApplication::instance())
            s->moveToThread(QCoreApplication::instance()->thread());
        attachTo(spdlog::default_logger(), s);
        spdlog::apply_all([&](const std::shared_ptr<spdlog::logger> &l) { attachTo(l, s); });
        return s;
    }();
    return sink;
}

void LogSink::attachToAllLoggers()
{
    const spdlog::sink_ptr sink = instance();
    attachTo(spdlog::default_logger(), sink);
    spdlog::apply_all([&](const std::shared_ptr<spdlog::logger> &l) { attachTo(l, sink); });
}

void LogSink::sink_it_(const spdlog::details::log_msg &msg)
{
    LogRecord record;
    const auto ms
        = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch())
              .count();
    record.time = QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(ms));
    record.level = msg.level;
    record.logger
        = QString::fromUtf8(msg.logger_name.data(), static_cast<qsizetype>(msg.logger_name.size()));
    record.text = QString::fromUtf8(msg.payload.data(), static_cast<qsizetype>(msg.payload.size()));
    // Always queued, even from the GUI thread: a log call may happen inside a paint or a model
    // reset, where touching the panel synchronously would re-enter it.
    QMetaObject::invokeMethod(
        this, [this, record] { deliver(record); }, Qt::QueuedConnection);
}

void LogSink::deliver(const LogRecord &record)
{
    m_backlog.append(record);
    if (m_backlog.size() > kBacklogLimit)
        m_backlog.remove(0, m_backlog.size() - kBacklogLimit);
    Q_EMIT logged(record);
}

} // namespace lathe::ui
