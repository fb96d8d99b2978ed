// SPDX-License-Identifier: GPL-3.0-or-later
#include "screenshotdriver.h"

#include "api/loadedmodel.h"
#include "mainwindow.h"
#include "panels/inspectview.h"
#include "panels/sensitivityview.h"

#include <QApplication>
#include <QDir>
#include <QPixmap>
#include <QTimer>

#include <cstdio>

namespace
{

// Long enough for the demo model on two busy cores; a hang must not keep a script waiting.
constexpr int kTimeLimitMs = 240000;
// Lets layouts, chart replots and the Details text settle before the grab.
constexpr int kSettleMs = 600;

} // namespace

ScreenshotDriver::ScreenshotDriver(lathe::ui::MainWindow *window, QString dir, QObject *parent)
    : QObject(parent)
    , m_window(window)
    , m_dir(std::move(dir))
{
}

void ScreenshotDriver::start(const QString &model)
{
    using lathe::ui::MainWindow;
    QDir().mkpath(m_dir);
    m_window->setDialogsSuppressed(true);
    connect(m_window, &MainWindow::modelLoaded, this, [this] {
        QTimer::singleShot(kSettleMs, this, &ScreenshotDriver::showInspect);
    });
    connect(m_window, &MainWindow::loadFailed, this,
        [this](const QString &, const QString &message) { fail(message); });
    QTimer::singleShot(kTimeLimitMs, this, [this] { fail(QStringLiteral("time limit reached")); });
    m_window->openModel(model);
}

void ScreenshotDriver::showInspect()
{
    using lathe::ui::InspectView;
    using lathe::ui::MainWindow;
    m_window->setCurrentMode(MainWindow::InspectMode);
    InspectView *view = m_window->inspectView();
    const QString tensor = QStringLiteral("model.layers.3.self_attn.k_proj.weight");
    if (!view->selectTensor(tensor) && view->model()) {
        // Another model: its first tensor instead.
        const auto &tensors = view->model()->summary().tensors;
        if (!tensors.empty())
            view->selectTensor(QString::fromStdString(tensors.front().name));
    }
    // Weight statistics start when the view is shown; wait for all of them (the heatmap).
    auto *poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, [this, poll, view] {
        if (!view->weightStatsComplete())
            return;
        poll->stop();
        poll->deleteLater();
        QTimer::singleShot(kSettleMs, this, [this] {
            if (save(QStringLiteral("inspect.png")))
                showSensitivity();
        });
    });
    poll->start(100);
}

void ScreenshotDriver::showSensitivity()
{
    using lathe::ui::MainWindow;
    using lathe::ui::SensitivityView;
    m_window->setCurrentMode(MainWindow::SensitivityMode);
    SensitivityView *view = m_window->sensitivityView();
    view->setCalibrationFile(QString()); // the built-in generated stories
    view->setFormat(lathe::parseWeightFormat("int3-g32"));
    view->setWindows(8, 128);
    view->setParts(true, true);
    connect(view, &SensitivityView::runFailed, this, [this](const QString &m) { fail(m); });
    connect(view, &SensitivityView::resultShown, this, [this] {
        QTimer::singleShot(kSettleMs, this, [this] {
            if (save(QStringLiteral("sensitivity.png")))
                QApplication::exit(0);
        });
    });
    view->run();
}

bool ScreenshotDriver::save(const QString &name)
{
    const QString path = QDir(m_dir).filePath(name);
    const QPixmap picture = m_window->grab();
    if (!picture.save(path)) {
        fail(QStringLiteral("cannot write ") + path);
        return false;
    }
    std::fprintf(stderr, "saved %s (%dx%d)\n", qPrintable(path), picture.width(),
        picture.height());
    return true;
}

void ScreenshotDriver::fail(const QString &why)
{
    std::fprintf(stderr, "screenshots failed: %s\n", qPrintable(why));
    QApplication::exit(1);
}
