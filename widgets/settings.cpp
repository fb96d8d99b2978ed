// SPDX-License-Identifier: GPL-3.0-or-later
#include "settings.h"

#include <QDir>

namespace lathe::ui
{

namespace
{
const QString kRecentModels = QStringLiteral("recent/models");
const QString kGeometry = QStringLiteral("window/geometry");
const QString kState = QStringLiteral("window/state");
const QString kLastOpenDir = QStringLiteral("files/lastOpenDir");
} // namespace

Settings::Settings() = default;

QStringList Settings::recentModels() const
{
    QStringList list = m_settings.value(kRecentModels).toStringList();
    list.removeAll(QString());
    list.removeDuplicates();
    if (list.size() > kMaxRecentModels)
        list = list.mid(0, kMaxRecentModels);
    return list;
}

void Settings::addRecentModel(const QString &path)
{
    const QString clean = QDir::cleanPath(path);
    QStringList list = recentModels();
    list.removeAll(clean);
    list.prepend(clean);
    while (list.size() > kMaxRecentModels)
        list.removeLast();
    m_settings.setValue(kRecentModels, list);
}

void Settings::removeRecentModel(const QString &path)
{
    QStringList list = recentModels();
    list.removeAll(QDir::cleanPath(path));
    m_settings.setValue(kRecentModels, list);
}

void Settings::clearRecentModels()
{
    m_settings.remove(kRecentModels);
}

QByteArray Settings::windowGeometry() const
{
    return m_settings.value(kGeometry).toByteArray();
}

void Settings::setWindowGeometry(const QByteArray &geometry)
{
    m_settings.setValue(kGeometry, geometry);
}

QByteArray Settings::windowState() const
{
    return m_settings.value(kState).toByteArray();
}

void Settings::setWindowState(const QByteArray &state)
{
    m_settings.setValue(kState, state);
}

QString Settings::lastOpenDir() const
{
    const QString dir = m_settings.value(kLastOpenDir).toString();
    return dir.isEmpty() || !QDir(dir).exists() ? QDir::homePath() : dir;
}

void Settings::setLastOpenDir(const QString &dir)
{
    m_settings.setValue(kLastOpenDir, dir);
}

} // namespace lathe::ui
