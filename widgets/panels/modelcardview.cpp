// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/modelcardview.h"

#include "api/loadedmodel.h"

#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lathe::ui
{

ModelCardView::ModelCardView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("modelCardView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    auto *title = new QLabel(tr("Model card"), this);
    QFont font = title->font();
    font.setBold(true);
    title->setFont(font);
    layout->addWidget(title);

    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("modelCardTable"));
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({ tr("Property"), tr("Value") });
    m_tree->setHeaderHidden(true);
    m_tree->setRootIsDecorated(false);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tree->setWordWrap(true);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->header()->setStretchLastSection(true);
    layout->addWidget(m_tree, 1);
}

void ModelCardView::addRow(const QString &key, const QString &value, const QString &toolTip)
{
    auto *item = new QTreeWidgetItem(m_tree, { key, value });
    QFont font = item->font(0);
    font.setBold(true);
    item->setFont(0, font);
    item->setToolTip(1, toolTip.isEmpty() ? value : toolTip);
}

void ModelCardView::setModel(const lathe::LoadedModel &model)
{
    m_tree->clear();
    // The card's keys come from core in English; they are data, translated as a set later.
    for (const auto &[key, value] : model.summary().card)
        addRow(QString::fromStdString(key), QString::fromStdString(value));
    if (model.runnable()) {
        addRow(tr("Runs in Lathe"), tr("Yes"));
    } else {
        const QString reason = QString::fromStdString(model.notRunnableReason());
        addRow(tr("Runs in Lathe"), tr("No: %1").arg(reason), reason);
    }
}

void ModelCardView::clear()
{
    m_tree->clear();
}

QString ModelCardView::value(const QString &key) const
{
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        const QTreeWidgetItem *item = m_tree->topLevelItem(i);
        if (item->text(0) == key)
            return item->text(1);
    }
    return {};
}

int ModelCardView::rowCount() const
{
    return m_tree->topLevelItemCount();
}

} // namespace lathe::ui
