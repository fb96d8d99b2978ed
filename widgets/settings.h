// SPDX-License-Identifier: GPL-3.0-or-later
// Settings: every persistent user setting of the GUI, with its key and default in one place.
// Backed by QSettings (organisation and application name "Lathe").
#pragma once

#include <QByteArray>
#include <QSettings>
#include <QString>
#include <QStringList>

namespace lathe::ui
{

class Settings
{
public:
    Settings();

    static constexpr int kMaxRecentModels = 10;

    // Most recent first, at most kMaxRecentModels absolute paths.
    QStringList recentModels() const;
    void addRecentModel(const QString &path);
    void removeRecentModel(const QString &path);
    void clearRecentModels();

    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray &geometry);
    QByteArray windowState() const;
    void setWindowState(const QByteArray &state);

    // Folder the open dialogs start in (default: the user's home).
    QString lastOpenDir() const;
    void setLastOpenDir(const QString &dir);

    void sync() { m_settings.sync(); }

private:
    QSettings m_settings;
};

} // namespace lathe::ui
