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

    // Compress view: the recipe's options as YAML (no per-module rules; empty: the default
    // recipe) and the "Plan for budget" target in bits per weight.
    QString compressRecipe() const;
    void setCompressRecipe(const QString &yaml);
    double compressBudgetBits() const;
    void setCompressBudgetBits(double bits);

    // Evaluate view: the evaluation text (empty: generated stories), windows x tokens, and
    // the Pareto chart's axes (indices of its axis combos).
    QString evaluationFile() const;
    void setEvaluationFile(const QString &path);
    int evaluationWindows() const;
    void setEvaluationWindows(int windows);
    int evaluationCtx() const;
    void setEvaluationCtx(int ctx);
    int paretoXAxis() const;
    void setParetoXAxis(int axis);
    int paretoYAxis() const;
    void setParetoYAxis(int axis);

    void sync() { m_settings.sync(); }

private:
    QSettings m_settings;
};

} // namespace lathe::ui
