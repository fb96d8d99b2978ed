// SPDX-License-Identifier: GPL-3.0-or-later
// Include QCustomPlot through this header. Its header uses Qt's lower-case keywords
// (signals, emit, foreach) that QT_NO_KEYWORDS removes for the rest of Lathe, so they are
// defined only around that one include.
#pragma once

#include <QtGlobal>
#include <QObject>

#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
