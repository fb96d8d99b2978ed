// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "actions.h"
#include "api/loadedmodel.h"
#include "format.h"
#include "jobs/jobrunner.h"
#include "jobs/loadmodeljob.h"
#include "logsink.h"
#include "panels/glyphs.h"
#include "panels/inspectview.h"
#include "panels/jobspanel.h"
#include "panels/jobstatuswidget.h"
#include "panels/logpanel.h"
#include "panels/modebar.h"
#include "panels/modelview.h"
#include "panels/sensitivityview.h"
#include "panels/startview.h"
#include "panels/variantbar.h"
#include "settings.h"
#include "util/demomodel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

namespace lathe::ui
{

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_settings(std::make_unique<Settings>())
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    // Make sure engine log lines reach the Log dock, including those logged before the
    // window existed.
    LogSink::instance();

    m_actions = new Actions(this);
    m_runner = new JobRunner(this);

    createModes();
    createDocks();
    createMenus();
    createStatusBar();

    connect(m_actions->openModel, &QAction::triggered, this, &MainWindow::openModelDialog);
    connect(m_actions->openFolder, &QAction::triggered, this, &MainWindow::openFolderDialog);
    connect(m_actions->clearRecent, &QAction::triggered, this, [this] {
        m_settings->clearRecentModels();
        updateRecent();
    });
    connect(m_actions->quit, &QAction::triggered, this, &QWidget::close);
    connect(m_actions->cancelJob, &QAction::triggered, this, &MainWindow::cancelJob);
    connect(m_actions->about, &QAction::triggered, this, &MainWindow::showAbout);
    connect(m_actions->aboutQt, &QAction::triggered, qApp, &QApplication::aboutQt);
    connect(m_runner, &JobRunner::busyChanged, this, &MainWindow::updateJobActions);
    connect(m_runner, &JobRunner::jobAdded, this, [this](Job *job) {
        connect(job, &Job::cancelRequested, this, &MainWindow::updateJobActions);
    });

    // Drops on child widgets that accept drops themselves (the filter box would paste the
    // path as text) still open the model: see eventFilter().
    qApp->installEventFilter(this);

    updateRecent();
    updateTitle();
    updateJobActions();
    restoreWindowState();
}

MainWindow::~MainWindow()
{
    qApp->removeEventFilter(this);
    // Stop the worker before the views it might still report to go away.
    delete m_runner;
    m_runner = nullptr;
}

void MainWindow::createModes()
{
    // The mode bar sits in a fixed toolbar rather than in the central widget so that it spans
    // the window's full height, beside the docks, as in Qt Creator.
    auto *modeToolBar = new QToolBar(tr("Modes"), this);
    modeToolBar->setObjectName(QStringLiteral("modeToolBar"));
    modeToolBar->setMovable(false);
    modeToolBar->setFloatable(false);
    modeToolBar->setAllowedAreas(Qt::LeftToolBarArea);
    modeToolBar->toggleViewAction()->setVisible(false);
    modeToolBar->setStyleSheet(
        QStringLiteral("QToolBar { background: #2b2d30; border: none; padding: 0; spacing: 0; }"));
    m_modeBar = new ModeBar(modeToolBar);
    modeToolBar->addWidget(m_modeBar);
    addToolBar(Qt::LeftToolBarArea, modeToolBar);

    // The variant bar sits above every mode's view.
    auto *central = new QWidget(this);
    central->setObjectName(QStringLiteral("centralArea"));
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    m_variantBar = new VariantBar(central);
    centralLayout->addWidget(m_variantBar);
    m_stack = new QStackedWidget(central);
    m_stack->setObjectName(QStringLiteral("modeStack"));
    centralLayout->addWidget(m_stack, 1);
    setCentralWidget(central);

    const QColor glyphColor(0xd4, 0xd4, 0xd4);
    const QColor glyphDisabled(0x6c, 0x6f, 0x73);

    m_startView = new StartView(m_stack);
    m_stack->addWidget(m_startView);
    m_modeBar->addMode(glyphIcon(Glyph::Start, glyphColor, glyphDisabled), tr("Start"),
        QStringLiteral("modeStart"));
    m_modeBar->setModeToolTip(StartMode, tr("Open a model (Ctrl+1)"));

    m_modelView = new ModelView(m_stack);
    m_stack->addWidget(m_modelView);
    m_modeBar->addMode(glyphIcon(Glyph::Model, glyphColor, glyphDisabled), tr("Model"),
        QStringLiteral("modeModel"));
    m_modeBar->setModeToolTip(ModelMode, tr("Model card and tensors (Ctrl+2)"));
    // Nothing to show until a model is open.
    m_modeBar->setModeEnabled(ModelMode, false);

    m_inspectView = new InspectView(m_runner, m_stack);
    m_stack->addWidget(m_inspectView);
    m_modeBar->addMode(glyphIcon(Glyph::Inspect, glyphColor, glyphDisabled), tr("Inspect"),
        QStringLiteral("modeInspect"));
    m_modeBar->setModeToolTip(InspectMode,
        tr("Weight and activation statistics of every tensor (Ctrl+%1)").arg(InspectMode + 1));
    m_modeBar->setModeEnabled(InspectMode, false);

    m_sensitivityView = new SensitivityView(m_runner, m_stack);
    m_stack->addWidget(m_sensitivityView);
    m_modeBar->addMode(glyphIcon(Glyph::Sensitivity, glyphColor, glyphDisabled), tr("Sensitivity"),
        QStringLiteral("modeSensitivity"));
    m_modeBar->setModeToolTip(SensitivityMode,
        tr("Which layers suffer most from compression (Ctrl+%1)").arg(SensitivityMode + 1));
    m_modeBar->setModeEnabled(SensitivityMode, false);

    createCompressionModes(glyphColor, glyphDisabled);

    m_actions->addModeAction(StartMode, tr("Start"));
    m_actions->addModeAction(ModelMode, tr("Model"));
    m_actions->addModeAction(InspectMode, tr("Inspect"));
    m_actions->addModeAction(SensitivityMode, tr("Sensitivity"));
    m_actions->addModeAction(CompressMode, tr("Compress"));
    m_actions->addModeAction(EvaluateMode, tr("Evaluate"));
    for (int mode = ModelMode; mode < ModeCount; ++mode)
        m_actions->modeActions[mode]->setEnabled(false);
    for (int i = 0; i < m_actions->modeActions.size(); ++i) {
        connect(
            m_actions->modeActions[i], &QAction::triggered, this, [this, i] { setCurrentMode(i); });
    }
    connect(m_modeBar, &ModeBar::currentChanged, this, [this](int index) {
        m_stack->setCurrentIndex(index);
        for (int i = 0; i < m_actions->modeActions.size(); ++i)
            m_actions->modeActions[i]->setChecked(i == index);
    });
    m_actions->modeActions[StartMode]->setChecked(true);

    connect(m_startView, &StartView::openModelRequested, this, &MainWindow::openModelDialog);
    connect(m_startView, &StartView::openFolderRequested, this, &MainWindow::openFolderDialog);
    connect(m_startView, &StartView::recentModelActivated, this, &MainWindow::openModel);
    connect(m_startView, &StartView::demoModelRequested, this,
        [this] { openModel(QStringLiteral("demo")); });
    m_startView->setDemoModelPath(QString::fromStdString(lathe::demoModelPath()));
}

void MainWindow::createDocks()
{
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

    m_logPanel = new LogPanel(this);
    m_logDock = new QDockWidget(tr("Log"), this);
    m_logDock->setObjectName(QStringLiteral("logDock"));
    m_logDock->setWidget(m_logPanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_logDock);

    m_jobsPanel = new JobsPanel(m_runner, this);
    m_jobsDock = new QDockWidget(tr("Jobs"), this);
    m_jobsDock->setObjectName(QStringLiteral("jobsDock"));
    m_jobsDock->setWidget(m_jobsPanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_jobsDock);
    // One bottom area with tabs keeps the central view large; the status bar already shows
    // the running job, so the Log tab is in front.
    tabifyDockWidget(m_logDock, m_jobsDock);
    m_logDock->raise();
    resizeDocks({ m_logDock }, { 160 }, Qt::Vertical);

    m_logDock->toggleViewAction()->setObjectName(QStringLiteral("actionToggleLog"));
    m_logDock->toggleViewAction()->setStatusTip(tr("Show or hide the log"));
    m_jobsDock->toggleViewAction()->setObjectName(QStringLiteral("actionToggleJobs"));
    m_jobsDock->toggleViewAction()->setStatusTip(tr("Show or hide the list of jobs"));
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("menuFile"));
    file->addAction(m_actions->openModel);
    file->addAction(m_actions->openFolder);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("menuRecent"));
    file->addSeparator();
    file->addAction(m_actions->quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("menuView"));
    for (QAction *mode : std::as_const(m_actions->modeActions))
        view->addAction(mode);
    view->addSeparator();
    view->addAction(m_jobsDock->toggleViewAction());
    view->addAction(m_logDock->toggleViewAction());
    view->addSeparator();
    view->addAction(m_actions->cancelJob);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("menuHelp"));
    help->addAction(m_actions->about);
    help->addAction(m_actions->aboutQt);
}

void MainWindow::createStatusBar()
{
    m_modelStatus = new QLabel(this);
    m_modelStatus->setObjectName(QStringLiteral("statusModel"));
    m_jobStatus = new JobStatusWidget(m_runner, this);
    statusBar()->addPermanentWidget(m_jobStatus);
    statusBar()->addPermanentWidget(m_modelStatus);
    m_modelStatus->setText(tr("No model open"));
}

void MainWindow::restoreWindowState()
{
    const QByteArray geometry = m_settings->windowGeometry();
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        resize(1280, 800);
    const QByteArray state = m_settings->windowState();
    if (!state.isEmpty())
        restoreState(state);
}

void MainWindow::saveWindowState()
{
    m_settings->setWindowGeometry(saveGeometry());
    m_settings->setWindowState(saveState());
}

bool MainWindow::isLoading() const
{
    return m_loadJob && !m_loadJob->isDone();
}

int MainWindow::currentMode() const
{
    return m_modeBar->currentIndex();
}

void MainWindow::setCurrentMode(int mode)
{
    m_modeBar->setCurrentIndex(mode);
    // A disabled mode leaves the current one; keep the action's check mark honest.
    for (int i = 0; i < m_actions->modeActions.size(); ++i)
        m_actions->modeActions[i]->setChecked(i == m_modeBar->currentIndex());
}

void MainWindow::openModelDialog()
{
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Open Model"), m_settings->lastOpenDir(),
            tr("Models (*.safetensors *.gguf config.json);;Safetensors (*.safetensors);;"
               "GGUF (*.gguf);;All files (*)"));
    if (path.isEmpty())
        return;
    QFileInfo info(path);
    m_settings->setLastOpenDir(info.absolutePath());
    // Picking config.json means "this Hugging Face folder".
    openModel(info.fileName() == QLatin1String("config.json") ? info.absolutePath() : path);
}

void MainWindow::openFolderDialog()
{
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("Open Model Folder"), m_settings->lastOpenDir(), QFileDialog::ShowDirsOnly);
    if (dir.isEmpty())
        return;
    m_settings->setLastOpenDir(QFileInfo(dir).absolutePath());
    openModel(dir);
}

void MainWindow::openModel(const QString &requested)
{
    if (requested.isEmpty())
        return;
    // "demo" is the shorthand for the bundled demo model, as in lathe-cli.
    QString path = requested;
    if (requested == QLatin1String("demo")) {
        path = QString::fromStdString(lathe::demoModelPath());
        if (path.isEmpty()) {
            showError(tr("Cannot Open Model"), tr("The demo model is not installed."),
                tr("Lathe looked in $LATHE_DEMO_MODEL, share/lathe/demo-model beside the "
                   "program and the source tree's resources/demo-model."));
            Q_EMIT loadFailed(requested, tr("The demo model is not installed."));
            return;
        }
    }
    const QFileInfo info(path);
    const QString absolute = QDir::cleanPath(info.absoluteFilePath());
    if (!info.exists()) {
        // A recent entry whose file was moved or deleted: forget it.
        m_settings->removeRecentModel(absolute);
        updateRecent();
        const QString problem = tr("%1 does not exist (it may have been moved or deleted).")
                                    .arg(QDir::toNativeSeparators(absolute));
        showError(tr("Cannot Open Model"), tr("Could not open %1.").arg(info.fileName()), problem);
        Q_EMIT loadFailed(absolute, problem);
        return;
    }
    if (isLoading()) {
        if (!confirmReplaceLoad(absolute))
            return;
        m_loadJob->cancel();
    }

    auto *job = new LoadModelJob(absolute);
    m_loadJob = job;
    connect(job, &Job::finished, this, [this, job] { onLoadFinished(job); });
    connect(job, &Job::failed, this, [this, job](const QString &msg) { onLoadFailed(job, msg); });
    connect(job, &Job::cancelled, this, [this, job] { onLoadCancelled(job); });
    spdlog::info("opening {}", absolute.toStdString());
    m_runner->start(job);
    statusBar()->clearMessage();
    Q_EMIT loadStarted(absolute);
}

bool MainWindow::confirmReplaceLoad(const QString &newPath)
{
    if (m_dialogsSuppressed)
        return true;
    const QString running = m_loadJob ? QFileInfo(m_loadJob->path()).fileName() : QString();
    const auto answer = QMessageBox::question(this, tr("A Model Is Loading"),
        tr("Lathe is still loading %1. Stop that and open %2 instead?")
            .arg(running, QFileInfo(newPath).fileName()),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
    return answer == QMessageBox::Yes;
}

void MainWindow::cancelJob()
{
    if (Job *job = m_runner->activeJob())
        job->cancel();
}

void MainWindow::onLoadFinished(LoadModelJob *job)
{
    std::shared_ptr<lathe::LoadedModel> model = job->takeResult();
    if (!model || job != m_loadJob)
        return; // superseded by a newer load
    m_model = std::move(model);
    m_modelView->setModel(m_model);
    m_modeBar->setModeEnabled(ModelMode, true);
    m_actions->modeActions[ModelMode]->setEnabled(true);
    m_inspectView->setModel(m_model);
    m_modeBar->setModeEnabled(InspectMode, true);
    m_actions->modeActions[InspectMode]->setEnabled(true);
    m_sensitivityView->setModel(m_model);
    m_modeBar->setModeEnabled(SensitivityMode, true);
    m_actions->modeActions[SensitivityMode]->setEnabled(true);
    resetVariants();
    setCurrentMode(ModelMode);

    m_settings->addRecentModel(job->path());
    updateRecent();
    updateTitle();

    const lathe::ModelSummary &s = m_model->summary();
    const QString name = QString::fromStdString(m_model->displayName());
    m_modelStatus->setText(tr("%1 · %2 parameters · %3")
                               .arg(name, formatCompactCount(s.parameters), formatSize(s.bytes)));
    m_modelStatus->setToolTip(QDir::toNativeSeparators(job->path()));
    statusBar()->showMessage(
        tr("Opened %1 in %2 ms").arg(name, QString::number(job->elapsedMs())), 5000);
    spdlog::info("opened {} in {} ms", job->path().toStdString(), job->elapsedMs());
    Q_EMIT modelLoaded(job->path());
}

void MainWindow::onLoadFailed(LoadModelJob *job, const QString &message)
{
    spdlog::error("could not open {}: {}", job->path().toStdString(), message.toStdString());
    // The headline names the file; the engine's message gives the full path and the problem.
    showError(tr("Cannot Open Model"),
        tr("Could not open %1.").arg(QFileInfo(job->path()).fileName()), message);
    Q_EMIT loadFailed(job->path(), message);
}

void MainWindow::onLoadCancelled(LoadModelJob *job)
{
    const QString name = QFileInfo(job->path()).fileName();
    spdlog::info("cancelled opening {}", job->path().toStdString());
    statusBar()->showMessage(tr("Cancelled opening %1").arg(name), 5000);
    Q_EMIT loadCancelled(job->path());
}

void MainWindow::showError(const QString &title, const QString &text, const QString &details)
{
    const QString full = details.isEmpty() ? text : text + QStringLiteral("\n\n") + details;
    Q_EMIT errorShown(full);
    if (m_dialogsSuppressed)
        return;
    // Window-modal and non-blocking: no nested event loop, so the worker's signals and the
    // rest of the window keep flowing while the message is up.
    auto *box = new QMessageBox(QMessageBox::Critical, title, text, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorDialog"));
    box->setInformativeText(details);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    box->open();
}

void MainWindow::updateRecent()
{
    const QStringList recent = m_settings->recentModels();
    m_startView->setRecentModels(recent);
    m_recentMenu->clear();
    for (int i = 0; i < recent.size(); ++i) {
        const QString &path = recent[i];
        // Mnemonics 1..9 then 0, as in most editors.
        const QString mnemonic = i < 9 ? QStringLiteral("&%1 ").arg(i + 1)
                                       : (i == 9 ? QStringLiteral("1&0 ") : QString());
        QString name = QFileInfo(path).fileName();
        name.replace(QLatin1Char('&'), QStringLiteral("&&"));
        QAction *action = m_recentMenu->addAction(mnemonic + name);
        action->setObjectName(QStringLiteral("actionRecent%1").arg(i + 1));
        action->setData(path);
        action->setToolTip(QDir::toNativeSeparators(path));
        action->setStatusTip(QDir::toNativeSeparators(path));
        connect(action, &QAction::triggered, this, [this, path] { openModel(path); });
    }
    if (recent.isEmpty()) {
        QAction *none = m_recentMenu->addAction(tr("No recent models"));
        none->setEnabled(false);
    }
    m_recentMenu->setToolTipsVisible(true);
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(m_actions->clearRecent);
    m_actions->clearRecent->setEnabled(!recent.isEmpty());
}

void MainWindow::updateTitle()
{
    if (m_model)
        setWindowTitle(tr("%1 — Lathe").arg(QString::fromStdString(m_model->displayName())));
    else
        setWindowTitle(tr("Lathe"));
}

void MainWindow::updateJobActions()
{
    Job *job = m_runner ? m_runner->activeJob() : nullptr;
    m_actions->cancelJob->setEnabled(job && !job->isCancelRequested());
    // Engine loggers created while the job ran get the log sink now that the worker is idle.
    if (m_runner && !m_runner->isBusy())
        LogSink::attachToAllLoggers();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Lathe"),
        tr("<h3>Lathe %1</h3>"
           "<p>A workbench for making language models smaller: open a model, look inside, "
           "compress it and measure what the compression costs.</p>"
           "<p>Lathe is free software under the GNU General Public License, version 3 or "
           "later. It uses Qt %2 and libtorch.</p>")
            .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion())));
}

QString MainWindow::droppedPath(const QMimeData *mime)
{
    if (!mime || !mime->hasUrls())
        return {};
    for (const QUrl &url : mime->urls()) {
        if (url.isLocalFile())
            return url.toLocalFile();
    }
    return {};
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveWindowState();
    m_runner->cancelAll();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!droppedPath(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (!droppedPath(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QString path = droppedPath(event->mimeData());
    if (path.isEmpty())
        return;
    event->acceptProposedAction();
    // Open after the drop has completed: a question dialog inside a drop handler would keep
    // the drag source waiting.
    QMetaObject::invokeMethod(
        this, [this, path] { openModel(path); }, Qt::QueuedConnection);
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    const QEvent::Type type = event->type();
    if (type != QEvent::DragEnter && type != QEvent::DragMove && type != QEvent::Drop)
        return QMainWindow::eventFilter(watched, event);
    auto *widget = qobject_cast<QWidget *>(watched);
    if (!widget || widget == this || widget->window() != this)
        return QMainWindow::eventFilter(watched, event);
    auto *drop = static_cast<QDropEvent *>(event);
    if (droppedPath(drop->mimeData()).isEmpty())
        return QMainWindow::eventFilter(watched, event);
    if (type == QEvent::Drop)
        dropEvent(drop);
    else
        drop->acceptProposedAction();
    return true;
}

} // namespace lathe::ui
