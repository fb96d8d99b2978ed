// SPDX-License-Identifier: GPL-3.0-or-later
#include "screenshotdriver.h"

#include "api/loadedmodel.h"
#include "mainwindow.h"
#include "models/moduleplantablemodel.h"
#include "panels/compressview.h"
#include "panels/evaluateview.h"
#include "panels/inspectview.h"
#include "panels/sensitivityview.h"
#include "quant/quanttypes.h"

#include <QApplication>
#include <QDir>
#include <QPixmap>
#include <QTimer>

#include <cmath>
#include <cstdio>

namespace
{

// Long enough for the demo model on two busy cores; a hang must not keep a script waiting.
constexpr int kTimeLimitMs = 360000;
// Lets layouts, chart replots and the Details text settle before the grab.
constexpr int kSettleMs = 600;

int presetIndex(const std::string &label)
{
    const auto &presets = lathe::quantPresets();
    for (std::size_t i = 0; i < presets.size(); ++i)
        if (presets[i].label == label)
            return static_cast<int>(i);
    return -1;
}

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
                showCompress();
        });
    });
    view->run();
}

void ScreenshotDriver::showCompress()
{
    using lathe::ui::CompressView;
    using lathe::ui::MainWindow;
    m_window->setCurrentMode(MainWindow::CompressMode);
    CompressView *view = m_window->compressView();
    connect(view, &CompressView::runFailed, this, [this](const QString &m) { fail(m); });
    // W4 g32 first, then W8; the picture shows the W4 g32 recipe again with its most
    // sensitive module kept at int8, as a user would set it.
    connect(m_window, &MainWindow::variantAdded, this, [this, view](int index) {
        if (index == 1) {
            makeVariant(presetIndex("W8 per-channel"));
            return;
        }
        view->applyPreset(presetIndex("W4 g32"));
        const auto result = m_window->sensitivityView()->result();
        if (result && !result->modules.empty()) {
            const lathe::SensitivityEntry *worst = &result->modules.front();
            for (const lathe::SensitivityEntry &e : result->modules)
                if (e.meanKl > worst->meanKl)
                    worst = &e;
            view->setOverride(worst->name, "int8");
        }
        QTimer::singleShot(kSettleMs, this, [this] {
            if (save(QStringLiteral("compress.png")))
                showEvaluate();
        });
    });
    makeVariant(presetIndex("W4 g32"));
}

void ScreenshotDriver::makeVariant(int preset)
{
    lathe::ui::CompressView *view = m_window->compressView();
    if (!view->applyPreset(preset)) {
        fail(QStringLiteral("preset missing"));
        return;
    }
    view->run();
}

void ScreenshotDriver::showEvaluate()
{
    using lathe::ui::EvaluateView;
    using lathe::ui::MainWindow;
    m_window->setCurrentMode(MainWindow::EvaluateMode);
    EvaluateView *view = m_window->evaluateView();
    view->setEvaluationFile(QString()); // the built-in generated stories
    view->setWindows(16, 256);
    view->setAxes(EvaluateView::SizeAxis, EvaluateView::KldAxis);
    view->setCurrentRow(0);
    connect(view, &EvaluateView::evaluationFailed, this, [this](const QString &m) { fail(m); });
    connect(view, &EvaluateView::evaluationsFinished, this, [this, view] {
        view->setCurrentRow(1); // the W4 g32 variant: its KLD histogram
        QTimer::singleShot(kSettleMs, this, [this] {
            if (save(QStringLiteral("evaluate.png")))
                QApplication::exit(0);
        });
    });
    view->evaluate();
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
