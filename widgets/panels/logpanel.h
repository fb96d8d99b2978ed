// SPDX-License-Identifier: GPL-3.0-or-later
// LogPanel: the contents of the Log dock. Shows what the engine and the GUI log through spdlog
// (via LogSink), filtered by level.
#pragma once

#include "logsink.h"

#include <QWidget>

class QComboBox;
class QPlainTextEdit;

namespace lathe::ui
{

class LogPanel : public QWidget
{
    Q_OBJECT
public:
    explicit LogPanel(QWidget *parent = nullptr);

    // Lines currently shown (for tests and copy).
    QString text() const;
    int lineCount() const;

public Q_SLOTS:
    void clear();

private:
    void append(const LogRecord &record);
    void rebuild();
    spdlog::level::level_enum minimumLevel() const;

    QComboBox *m_level = nullptr;
    QPlainTextEdit *m_view = nullptr;
};

} // namespace lathe::ui
