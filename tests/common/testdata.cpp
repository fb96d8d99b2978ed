// SPDX-License-Identifier: GPL-3.0-or-later
#include "testdata.h"

#include <QDir>
#include <QFileInfo>

namespace lathe::test {

QString sharedDataDir()
{
    QString dir = qEnvironmentVariable("LATHE_TEST_DATA");
    if (dir.isEmpty())
        dir = QStringLiteral(LATHE_SHARED_DATA_DEFAULT);
    QFileInfo info(dir);
    if (!info.isDir())
        return {};
    return info.canonicalFilePath();
}

QString dataPath(const QString &relative)
{
    return QDir(sharedDataDir()).filePath(relative);
}

bool dataRequired()
{
    return qEnvironmentVariable("LATHE_REQUIRE_DATA") == QStringLiteral("1");
}

QString sourceDir() { return QStringLiteral(LATHE_SOURCE_DIR); }

} // namespace lathe::test
