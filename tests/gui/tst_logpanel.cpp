// SPDX-License-Identifier: GPL-3.0-or-later
// Log lines from any thread reach the Log panel in the GUI thread.
#include "logsink.h"
#include "panels/logpanel.h"

#include <QSignalSpy>
#include <QThread>
#include <QtTest/QtTest>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <thread>

using lathe::ui::LogPanel;
using lathe::ui::LogRecord;
using lathe::ui::LogSink;

class TestLogPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void linesFromWorkerThreads();
    void levelFilterAndLateLoggers();
};

void TestLogPanel::linesFromWorkerThreads()
{
    LogPanel panel;
    QSignalSpy logged(LogSink::instance().get(), &LogSink::logged);
    QThread *deliveredIn = nullptr;
    connect(LogSink::instance().get(), &LogSink::logged, this,
        [&] { deliveredIn = QThread::currentThread(); });
    std::thread worker([] {
        for (int i = 0; i < 50; ++i)
            spdlog::info("worker line {}", i);
    });
    worker.join();
    QTRY_COMPARE_WITH_TIMEOUT(logged.count(), 50, 5000);
    QCOMPARE(deliveredIn, QThread::currentThread());
    QVERIFY(panel.text().contains(QStringLiteral("worker line 0")));
    QVERIFY(panel.text().contains(QStringLiteral("worker line 49")));
    // A panel made later shows the backlog.
    LogPanel late;
    QVERIFY(late.text().contains(QStringLiteral("worker line 49")));
}

void TestLogPanel::levelFilterAndLateLoggers()
{
    LogPanel panel;
    panel.clear();
    QCOMPARE(panel.lineCount(), 0);
    spdlog::set_level(spdlog::level::debug);
    // A subsystem logger registered after the sink was installed gets it on the next attach.
    auto engine = std::make_shared<spdlog::logger>(
        "engine-test", std::make_shared<spdlog::sinks::null_sink_mt>());
    engine->set_level(spdlog::level::debug);
    spdlog::register_logger(engine);
    LogSink::attachToAllLoggers();
    QSignalSpy logged(LogSink::instance().get(), &LogSink::logged);
    engine->debug("hidden at the default level");
    engine->warn("tensor looks odd");
    QTRY_COMPARE_WITH_TIMEOUT(logged.count(), 2, 5000);
    const QString text = panel.text();
    QVERIFY(!text.contains(QStringLiteral("hidden at the default level")));
    QVERIFY(text.contains(QStringLiteral("[engine-test] warning: tensor looks odd")));
    spdlog::drop("engine-test");
}

QTEST_MAIN(TestLogPanel)
#include "tst_logpanel.moc"
