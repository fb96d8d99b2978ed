// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/startview.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::ui
{

namespace
{

QLabel *makeLabel(const QString &text, QWidget *parent, qreal scale = 1.0, bool bold = false)
{
    auto *label = new QLabel(text, parent);
    QFont font = label->font();
    if (scale != 1.0)
        font.setPointSizeF(font.pointSizeF() * scale);
    font.setBold(bold);
    label->setFont(font);
    label->setWordWrap(true);
    return label;
}

} // namespace

StartView::StartView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("startView"));
    auto *outer = new QHBoxLayout(this);
    outer->setContentsMargins(24, 24, 24, 24);

    // A centred column of readable width, like a welcome page, rather than stretched text.
    auto *column = new QWidget(this);
    column->setMaximumWidth(760);
    auto *layout = new QVBoxLayout(column);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    outer->addStretch(1);
    outer->addWidget(column, 4);
    outer->addStretch(1);

    layout->addSpacing(12);
    layout->addWidget(makeLabel(tr("Lathe"), column, 2.2, true));
    auto *tagline = makeLabel(tr("A workbench for making language models smaller."), column, 1.15);
    tagline->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(tagline);
    layout->addSpacing(10);

    const QStringList lines = {
        tr("Open a model: a Hugging Face folder, a .safetensors file or a GGUF file."),
        tr("See what it is made of: the model card and every stored tensor with its shape, "
           "type and size."),
        tr("Lathe is growing into a bench for compressing models and measuring what each "
           "compression costs."),
    };
    for (const QString &line : lines) {
        auto *label = makeLabel(QStringLiteral("•  ") + line, column);
        label->setObjectName(QStringLiteral("startLine"));
        layout->addWidget(label);
    }
    layout->addSpacing(14);

    auto *buttons = new QHBoxLayout;
    auto *openModel = new QPushButton(tr("Open Model…"), column);
    openModel->setObjectName(QStringLiteral("startOpenModel"));
    openModel->setDefault(true);
    openModel->setMinimumHeight(32);
    openModel->setToolTip(tr("Open a .safetensors or .gguf file"));
    auto *openFolder = new QPushButton(tr("Open Folder…"), column);
    openFolder->setObjectName(QStringLiteral("startOpenFolder"));
    openFolder->setMinimumHeight(32);
    openFolder->setToolTip(tr("Open a Hugging Face model folder"));
    m_openDemo = new QPushButton(tr("Open Demo Model"), column);
    m_openDemo->setObjectName(QStringLiteral("startOpenDemo"));
    m_openDemo->setMinimumHeight(32);
    m_openDemo->setVisible(false);
    buttons->addWidget(openModel);
    buttons->addWidget(openFolder);
    buttons->addWidget(m_openDemo);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    auto *dropHint
        = makeLabel(tr("Or drop a model folder or file anywhere on this window."), column);
    dropHint->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(dropHint);
    layout->addSpacing(18);

    layout->addWidget(makeLabel(tr("Recent models"), column, 1.15, true));
    m_recentList = new QTreeWidget(column);
    m_recentList->setObjectName(QStringLiteral("recentList"));
    m_recentList->setColumnCount(2);
    m_recentList->setHeaderLabels({ tr("Name"), tr("Location") });
    m_recentList->setRootIsDecorated(false);
    m_recentList->setUniformRowHeights(true);
    m_recentList->setAlternatingRowColors(true);
    m_recentList->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_recentList->header()->setStretchLastSection(true);
    m_noRecent = makeLabel(tr("No recent models yet. The models you open appear here."), column);
    m_noRecent->setObjectName(QStringLiteral("noRecentLabel"));
    m_noRecent->setForegroundRole(QPalette::PlaceholderText);
    m_recentList->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    layout->addWidget(m_recentList);
    layout->addWidget(m_noRecent);
    layout->addStretch(1);

    connect(openModel, &QPushButton::clicked, this, &StartView::openModelRequested);
    connect(openFolder, &QPushButton::clicked, this, &StartView::openFolderRequested);
    connect(m_openDemo, &QPushButton::clicked, this, &StartView::demoModelRequested);
    connect(m_recentList, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        Q_EMIT recentModelActivated(item->data(0, Qt::UserRole).toString());
    });
    setRecentModels({});
}

void StartView::setDemoModelPath(const QString &path)
{
    m_openDemo->setVisible(!path.isEmpty());
    m_openDemo->setToolTip(tr("Open the small story-writing model that comes with Lathe (%1)")
                               .arg(QDir::toNativeSeparators(path)));
}

void StartView::setRecentModels(const QStringList &paths)
{
    m_recent = paths;
    m_recentList->clear();
    for (const QString &path : paths) {
        const QFileInfo info(path);
        auto *item = new QTreeWidgetItem(
            m_recentList, { info.fileName(), QDir::toNativeSeparators(info.path()) });
        item->setData(0, Qt::UserRole, path);
        item->setToolTip(0, QDir::toNativeSeparators(path));
        item->setToolTip(1, QDir::toNativeSeparators(path));
    }
    // As tall as its rows (at most ten), so the page has no large empty box.
    const int rows = static_cast<int>(std::max<qsizetype>(paths.size(), 1));
    const int rowHeight = std::max(m_recentList->sizeHintForRow(0), fontMetrics().height() + 6);
    m_recentList->setFixedHeight(m_recentList->header()->sizeHint().height() + rows * rowHeight
        + 2 * m_recentList->frameWidth() + 2);
    m_recentList->setVisible(!paths.isEmpty());
    m_noRecent->setVisible(paths.isEmpty());
}

} // namespace lathe::ui
