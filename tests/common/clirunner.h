// SPDX-License-Identifier: GPL-3.0-or-later
// Runs the built lathe-cli from tests: one invocation, or several side by side (each start
// costs about a second of loading libtorch), with optional stdin, capturing exit code and output.
#pragma once

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest/QtTest>

#include <memory>
#include <vector>

namespace lathe::test {

struct CliRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

struct CliInvocation {
    QStringList args;
    QByteArray input; // written to stdin, then closed
};

inline QString cliBinary() { return QStringLiteral(LATHE_BINARY_DIR "/app/cli/lathe-cli"); }

inline QList<CliRun> runCliInvocations(const QList<CliInvocation> &invocations)
{
    std::vector<std::unique_ptr<QProcess>> processes;
    for (const auto &inv : invocations) {
        processes.push_back(std::make_unique<QProcess>());
        processes.back()->start(cliBinary(), inv.args);
    }
    QList<CliRun> runs;
    for (std::size_t i = 0; i < processes.size(); ++i) {
        QProcess &p = *processes[i];
        CliRun r;
        if (!p.waitForStarted(10000)) {
            r.err = "could not start " + cliBinary().toUtf8();
        } else {
            p.write(invocations[qsizetype(i)].input);
            p.closeWriteChannel();
            if (!p.waitForFinished(120000)) {
                p.kill();
                p.waitForFinished();
                r.err = "timed out";
            } else {
                r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
                r.out = p.readAllStandardOutput();
                r.err = p.readAllStandardError();
            }
        }
        runs.push_back(r);
    }
    return runs;
}

inline CliRun runCli(const QStringList &args, const QByteArray &input = {})
{
    return runCliInvocations({ CliInvocation { args, input } }).first();
}

// The object in `bytes`; an empty one (and a warning) when it is not a JSON object.
inline QJsonObject parseJsonObject(const QByteArray &bytes)
{
    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("not a JSON object (%s): %.300s", qPrintable(error.errorString()),
            bytes.constData());
    return doc.object();
}

} // namespace lathe::test
