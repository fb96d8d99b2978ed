// SPDX-License-Identifier: GPL-3.0-or-later
// ScreenshotDriver: `lathe --screenshots DIR MODEL` opens the model, shows the Inspect view
// with a tensor selected, the Sensitivity view after a run, the Compress view after making a
// W4 g32 and a W8 variant, and the Evaluate view with both evaluated, saves each as a PNG of
// the whole window (inspect.png, sensitivity.png, compress.png, evaluate.png) and quits: the
// README's pictures, made by scripts/screenshots.sh under Xvfb so they can be redone after any
// change to the views.
#pragma once

#include <QObject>
#include <QString>

namespace lathe::ui
{
class MainWindow;
}

class ScreenshotDriver : public QObject
{
    Q_OBJECT
public:
    ScreenshotDriver(lathe::ui::MainWindow *window, QString dir, QObject *parent = nullptr);

    // Opens `model` and goes through the views; the application exits with 0 when every
    // picture is saved, 1 on any failure or after a time limit.
    void start(const QString &model);

private:
    void showInspect();
    void showSensitivity();
    void showCompress();
    void makeVariant(int preset);
    void showEvaluate();
    bool save(const QString &name);
    void fail(const QString &why);

    lathe::ui::MainWindow *m_window = nullptr;
    QString m_dir;
};
