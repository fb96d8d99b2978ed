// SPDX-License-Identifier: GPL-3.0-or-later
// Locating ../shared/data from tests. LATHE_TEST_DATA overrides the folder; when
// LATHE_REQUIRE_DATA=1 (CI), a missing folder fails the test instead of skipping it.
#pragma once

#include <QString>
#include <QtTest/QtTest>

namespace lathe::test {

// Absolute path of the shared data folder, or an empty string when it does not exist.
QString sharedDataDir();
// Path of a file or folder inside the shared data folder.
QString dataPath(const QString &relative);
bool dataRequired();
// Source root of the project.
QString sourceDir();

} // namespace lathe::test

// Use at the start of a data test function: skips (or fails under CI) without the data folder.
#define LATHE_REQUIRE_SHARED_DATA()                                                           \
    do {                                                                                      \
        if (lathe::test::sharedDataDir().isEmpty()) {                                         \
            if (lathe::test::dataRequired())                                                  \
                QFAIL("shared test data not found (set LATHE_TEST_DATA) and "                \
                      "LATHE_REQUIRE_DATA=1");                                                \
            QSKIP("shared test data folder not found; set LATHE_TEST_DATA");                  \
        }                                                                                     \
    } while (0)
