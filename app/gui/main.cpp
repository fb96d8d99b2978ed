// SPDX-License-Identifier: GPL-3.0-or-later
// lathe: the desktop workbench. Parses the command line and shows the main window; all the
// window's logic lives in lathe_widgets so the tests can build it.
#include "logsink.h"
#include "mainwindow.h"
#include "screenshotdriver.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QMetaObject>

#include <spdlog/spdlog.h>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Lathe"));
    QApplication::setApplicationName(QStringLiteral("Lathe"));
    QApplication::setApplicationDisplayName(QStringLiteral("Lathe"));
    QApplication::setApplicationVersion(QStringLiteral(LATHE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("org.lathe.Lathe"));
    // Needs the Qt SVG image plugin (libqt6svg6) at run time; without it the icon is blank.
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/lathe/lathe.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QCoreApplication::translate("main", "Lathe, a workbench for compressing language models."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("model"),
        QCoreApplication::translate("main",
            "Model to open: a Hugging Face folder, a .safetensors file, a .gguf file, "
            "or \"demo\" for the bundled demo model."),
        QStringLiteral("[MODEL]"));
    QCommandLineOption screenshots(QStringLiteral("screenshots"),
        QCoreApplication::translate("main",
            "Save pictures of the Inspect and Sensitivity views (1600x1000) of MODEL (default: "
            "the demo model) into DIR, then quit. Used by scripts/screenshots.sh."),
        QStringLiteral("DIR"));
    parser.addOption(screenshots);
    parser.process(app);

    QString model;
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty())
        model = args.first();
    else
        model = qEnvironmentVariable("LATHE_DEFAULT_MODEL");

    // Before the first log line, so the Log dock shows everything from the start.
    lathe::ui::LogSink::instance();
    spdlog::info("Lathe {} starting", LATHE_VERSION);
    lathe::ui::MainWindow window;
    if (parser.isSet(screenshots)) {
        window.resize(1600, 1000);
        window.show();
        auto *driver = new ScreenshotDriver(&window, parser.value(screenshots), &window);
        driver->start(model.isEmpty() ? QStringLiteral("demo") : model);
        return QApplication::exec();
    }
    window.show();
    if (!model.isEmpty()) {
        // After the window is shown, so progress and errors appear in it.
        QMetaObject::invokeMethod(
            &window, [&window, model] { window.openModel(model); }, Qt::QueuedConnection);
    }
    return QApplication::exec();
}
