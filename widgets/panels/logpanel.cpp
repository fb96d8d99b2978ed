// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/logpanel.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>
#include <QToolButton>
#include <QVBoxLayout>

namespace lathe::ui
{

namespace
{

QString levelTag(spdlog::level::level_enum level)
{
    switch (level) {
    case spdlog::level::trace:
        return QStringLiteral("trace");
    case spdlog::level::debug:
        return QStringLiteral("debug");
    case spdlog::level::info:
        return QStringLiteral("info");
    case spdlog::level::warn:
        return QStringLiteral("warning");
    case spdlog::level::err:
        return QStringLiteral("error");
    case spdlog::level::critical:
        return QStringLiteral("critical");
    default:
        return {};
    }
}

QString levelColor(spdlog::level::level_enum level)
{
    if (level >= spdlog::level::err)
        return QStringLiteral("#d9534f");
    if (level == spdlog::level::warn)
        return QStringLiteral("#c77c02");
    if (level <= spdlog::level::debug)
        return QStringLiteral("#8a8a8a");
    return {};
}

} // namespace

LogPanel::LogPanel(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("logPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    auto *bar = new QHBoxLayout;
    auto *label = new QLabel(tr("Show:"), this);
    m_level = new QComboBox(this);
    m_level->setObjectName(QStringLiteral("logLevel"));
    m_level->addItem(tr("Debug and above"), static_cast<int>(spdlog::level::debug));
    m_level->addItem(tr("Info and above"), static_cast<int>(spdlog::level::info));
    m_level->addItem(tr("Warnings and errors"), static_cast<int>(spdlog::level::warn));
    m_level->addItem(tr("Errors only"), static_cast<int>(spdlog::level::err));
    m_level->setCurrentIndex(1);
    label->setBuddy(m_level);
    auto *clearButton = new QToolButton(this);
    clearButton->setObjectName(QStringLiteral("logClear"));
    clearButton->setText(tr("Clear"));
    clearButton->setToolTip(tr("Clear the log"));
    bar->addWidget(label);
    bar->addWidget(m_level);
    bar->addStretch(1);
    bar->addWidget(clearButton);
    layout->addLayout(bar);

    m_view = new QPlainTextEdit(this);
    m_view->setObjectName(QStringLiteral("logView"));
    m_view->setReadOnly(true);
    m_view->setMaximumBlockCount(LogSink::kBacklogLimit);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    layout->addWidget(m_view, 1);

    connect(clearButton, &QToolButton::clicked, this, &LogPanel::clear);
    connect(m_level, &QComboBox::currentIndexChanged, this, &LogPanel::rebuild);
    const auto sink = LogSink::instance();
    connect(sink.get(), &LogSink::logged, this, &LogPanel::append);
    rebuild();
}

QString LogPanel::text() const
{
    return m_view->toPlainText();
}

int LogPanel::lineCount() const
{
    return m_view->document()->isEmpty() ? 0 : m_view->document()->blockCount();
}

void LogPanel::clear()
{
    m_view->clear();
}

spdlog::level::level_enum LogPanel::minimumLevel() const
{
    return static_cast<spdlog::level::level_enum>(m_level->currentData().toInt());
}

void LogPanel::append(const LogRecord &record)
{
    if (record.level < minimumLevel())
        return;
    QScrollBar *bar = m_view->verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 2;
    QString line = record.time.toString(QStringLiteral("HH:mm:ss.zzz")) + QLatin1Char(' ');
    if (!record.logger.isEmpty())
        line += QLatin1Char('[') + record.logger + QStringLiteral("] ");
    if (record.level != spdlog::level::info)
        line += levelTag(record.level) + QStringLiteral(": ");
    line += record.text;
    // An explicit format per line: appendHtml() would leak one line's colour into the next.
    QTextCharFormat format;
    const QString color = levelColor(record.level);
    if (!color.isEmpty())
        format.setForeground(QColor(color));
    QTextCursor cursor(m_view->document());
    cursor.movePosition(QTextCursor::End);
    if (!m_view->document()->isEmpty())
        cursor.insertBlock();
    cursor.insertText(line, format);
    // Follow new lines unless the user scrolled up to read something.
    if (atEnd)
        bar->setValue(bar->maximum());
}

void LogPanel::rebuild()
{
    m_view->clear();
    for (const LogRecord &record : LogSink::instance()->backlog())
        append(record);
}

} // namespace lathe::ui
