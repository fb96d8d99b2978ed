// SPDX-License-Identifier: GPL-3.0-or-later
// MainWindow: Lathe's one window. A vertical mode bar (Start, Model, Inspect, Sensitivity,
// Compress, Evaluate) selects the central view; the variant bar above it lists the open model and
// the variants made from it (the window owns them); the Log and Jobs docks are shared by all
// modes. Models open in a worker thread (JobRunner), from the File menu, the Start view, the
// command line or a drop anywhere on the window.
#pragma once

#include <QMainWindow>
#include <QPointer>

#include <memory>
#include <vector>

class QDockWidget;
class QLabel;
class QMenu;
class QMimeData;
class QStackedWidget;

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class Actions;
class CompressView;
class EvaluateView;
class InspectView;
class JobRunner;
class JobsPanel;
class JobStatusWidget;
class LoadModelJob;
class LogPanel;
class ModeBar;
class ModelView;
class SensitivityView;
class Settings;
class StartView;
class VariantBar;

class MainWindow : public QMainWindow
{
    Q_OBJECT
    // When true, errors and questions are not shown as dialogs (tests, scripted runs): errors
    // are still logged and emitted through errorShown(), questions take their default.
    Q_PROPERTY(bool dialogsSuppressed READ dialogsSuppressed WRITE setDialogsSuppressed)
public:
    enum Mode {
        StartMode,
        ModelMode,
        InspectMode,
        SensitivityMode,
        CompressMode,
        EvaluateMode,
        ModeCount
    };

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    bool dialogsSuppressed() const { return m_dialogsSuppressed; }
    void setDialogsSuppressed(bool suppressed) { m_dialogsSuppressed = suppressed; }

    std::shared_ptr<const lathe::LoadedModel> currentModel() const { return m_model; }
    bool isLoading() const;
    int currentMode() const;
    void setCurrentMode(int mode);

    Actions *actions() const { return m_actions; }
    JobRunner *jobRunner() const { return m_runner; }
    ModeBar *modeBar() const { return m_modeBar; }
    StartView *startView() const { return m_startView; }
    ModelView *modelView() const { return m_modelView; }
    InspectView *inspectView() const { return m_inspectView; }
    SensitivityView *sensitivityView() const { return m_sensitivityView; }
    CompressView *compressView() const { return m_compressView; }
    EvaluateView *evaluateView() const { return m_evaluateView; }
    VariantBar *variantBar() const { return m_variantBar; }
    LogPanel *logPanel() const { return m_logPanel; }
    QMenu *recentMenu() const { return m_recentMenu; }

    // Variants made since the model was opened, in the variant bar's order (after the original).
    const std::vector<std::shared_ptr<lathe::LoadedModel>> &variants() const { return m_variants; }
    // 0 = the original, i = variants()[i - 1]; -1 without a model.
    int currentVariantIndex() const;
    void setCurrentVariant(int index);
    // The original or the selected variant (nullptr without a model).
    std::shared_ptr<const lathe::LoadedModel> currentVariant() const;
    // Adds a variant of the open model to the bar and the Evaluate table and selects it.
    void addVariant(std::shared_ptr<lathe::LoadedModel> variant);

    // The local file or folder a drag carries, or an empty string.
    static QString droppedPath(const QMimeData *mime);

public Q_SLOTS:
    // Opens a folder, .safetensors or .gguf in the worker thread. The current model stays
    // until the new one has loaded. If a load is running, asks first (unless dialogs are
    // suppressed) and cancels it.
    // `path` may be "demo" for the bundled demo model.
    void openModel(const QString &path);
    void openModelDialog();
    void openFolderDialog();
    void cancelJob();

Q_SIGNALS:
    void loadStarted(const QString &path);
    void modelLoaded(const QString &path);
    void loadFailed(const QString &path, const QString &message);
    void loadCancelled(const QString &path);
    // The text of every error reported to the user (shown in a dialog unless suppressed).
    void errorShown(const QString &text);
    void variantAdded(int index);
    void currentVariantChanged(int index);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createModes();
    void createCompressionModes(const QColor &glyphColor, const QColor &glyphDisabled);
    void resetVariants();
    void createDocks();
    void createMenus();
    void createStatusBar();
    void restoreWindowState();
    void saveWindowState();

    void onLoadFinished(LoadModelJob *job);
    void onLoadFailed(LoadModelJob *job, const QString &message);
    void onLoadCancelled(LoadModelJob *job);
    void showError(const QString &title, const QString &text, const QString &details);
    bool confirmReplaceLoad(const QString &newPath);
    void updateRecent();
    void updateTitle();
    void updateJobActions();
    void showAbout();

    std::unique_ptr<Settings> m_settings;
    Actions *m_actions = nullptr;
    JobRunner *m_runner = nullptr;
    ModeBar *m_modeBar = nullptr;
    QStackedWidget *m_stack = nullptr;
    StartView *m_startView = nullptr;
    ModelView *m_modelView = nullptr;
    InspectView *m_inspectView = nullptr;
    SensitivityView *m_sensitivityView = nullptr;
    CompressView *m_compressView = nullptr;
    EvaluateView *m_evaluateView = nullptr;
    VariantBar *m_variantBar = nullptr;
    std::vector<std::shared_ptr<lathe::LoadedModel>> m_variants;
    QDockWidget *m_logDock = nullptr;
    QDockWidget *m_jobsDock = nullptr;
    LogPanel *m_logPanel = nullptr;
    JobsPanel *m_jobsPanel = nullptr;
    JobStatusWidget *m_jobStatus = nullptr;
    QLabel *m_modelStatus = nullptr;
    QMenu *m_recentMenu = nullptr;
    QPointer<LoadModelJob> m_loadJob;
    std::shared_ptr<const lathe::LoadedModel> m_model;
    bool m_dialogsSuppressed = false;
};

} // namespace lathe::ui
