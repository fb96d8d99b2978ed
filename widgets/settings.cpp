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
const QString kCompressRecipe = QStringLiteral("compress/recipe");
const QString kCompressBudget = QStringLiteral("compress/budgetBits");
const QString kEvaluationFile = QStringLiteral("evaluate/file");
const QString kEvaluationWindows = QStringLiteral("evaluate/windows");
const QString kEvaluationCtx = QStringLiteral("evaluate/ctx");
const QString kParetoX = QStringLiteral("evaluate/paretoX");
const QString kParetoY = QStringLiteral("evaluate/paretoY");
constexpr double kDefaultBudgetBits = 4.5;
constexpr int kDefaultEvaluationWindows = 8;
constexpr int kDefaultEvaluationCtx = 256;
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

QString Settings::compressRecipe() const
{
    return m_settings.value(kCompressRecipe).toString();
}

void Settings::setCompressRecipe(const QString &yaml)
{
    m_settings.setValue(kCompressRecipe, yaml);
}

double Settings::compressBudgetBits() const
{
    return m_settings.value(kCompressBudget, kDefaultBudgetBits).toDouble();
}

void Settings::setCompressBudgetBits(double bits)
{
    m_settings.setValue(kCompressBudget, bits);
}

QString Settings::evaluationFile() const
{
    return m_settings.value(kEvaluationFile).toString();
}

void Settings::setEvaluationFile(const QString &path)
{
    m_settings.setValue(kEvaluationFile, path);
}

int Settings::evaluationWindows() const
{
    return m_settings.value(kEvaluationWindows, kDefaultEvaluationWindows).toInt();
}

void Settings::setEvaluationWindows(int windows)
{
    m_settings.setValue(kEvaluationWindows, windows);
}

int Settings::evaluationCtx() const
{
    return m_settings.value(kEvaluationCtx, kDefaultEvaluationCtx).toInt();
}

void Settings::setEvaluationCtx(int ctx)
{
    m_settings.setValue(kEvaluationCtx, ctx);
}

int Settings::paretoXAxis() const
{
    return m_settings.value(kParetoX, 0).toInt();
}

void Settings::setParetoXAxis(int axis)
{
    m_settings.setValue(kParetoX, axis);
}

int Settings::paretoYAxis() const
{
    return m_settings.value(kParetoY, 0).toInt();
}

void Settings::setParetoYAxis(int axis)
{
    m_settings.setValue(kParetoY, axis);
}

} // namespace lathe::ui
