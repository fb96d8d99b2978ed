// SPDX-License-Identifier: GPL-3.0-or-later
#include "panels/modelview.h"

#include "api/loadedmodel.h"
#include "format.h"
#include "models/layerfilterproxy.h"
#include "models/layertablemodel.h"
#include "panels/modelcardview.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace lathe::ui
{

ModelView::ModelView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("modelView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 8);
    layout->setSpacing(6);

    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("modelTitle"));
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_subtitle = new QLabel(this);
    m_subtitle->setObjectName(QStringLiteral("modelSubtitle"));
    m_subtitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_subtitle->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_title);
    layout->addWidget(m_subtitle);

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("modelSplitter"));
    m_splitter->setChildrenCollapsible(false);
    layout->addWidget(m_splitter, 1);

    m_card = new ModelCardView(m_splitter);
    m_card->setMinimumWidth(220);

    auto *tensors = new QWidget(m_splitter);
    auto *tensorsLayout = new QVBoxLayout(tensors);
    tensorsLayout->setContentsMargins(0, 0, 0, 0);
    tensorsLayout->setSpacing(4);
    auto *filterRow = new QHBoxLayout;
    auto *tensorsTitle = new QLabel(tr("Tensors"), tensors);
    QFont bold = tensorsTitle->font();
    bold.setBold(true);
    tensorsTitle->setFont(bold);
    m_filter = new QLineEdit(tensors);
    m_filter->setObjectName(QStringLiteral("layerFilter"));
    m_filter->setPlaceholderText(tr("Filter by name, e.g. mlp or layers.1*proj"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(tr("Shows tensors whose name contains the text (case-insensitive). "
                            "Use * and ? as wildcards."));
    m_count = new QLabel(tensors);
    m_count->setObjectName(QStringLiteral("layerCount"));
    filterRow->addWidget(tensorsTitle);
    filterRow->addSpacing(8);
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_count);
    tensorsLayout->addLayout(filterRow);

    m_layers = new LayerTableModel(this);
    m_proxy = new LayerFilterProxy(this);
    m_proxy->setSourceModel(m_layers);

    m_table = new QTableView(tensors);
    m_table->setObjectName(QStringLiteral("layerTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    QHeaderView *header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionResizeMode(LayerTableModel::NameColumn, QHeaderView::Stretch);
    for (int c = LayerTableModel::ShapeColumn; c < LayerTableModel::ColumnCount; ++c)
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    // Start in the stored (natural) order; a header click sorts.
    header->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);
    tensorsLayout->addWidget(m_table, 1);

    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({ 320, 700 });

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &LayerFilterProxy::setFilterText);
    connect(m_filter, &QLineEdit::textChanged, this, &ModelView::updateCount);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &ModelView::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &ModelView::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &ModelView::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &ModelView::updateCount);
    updateCount();
}

void ModelView::setModel(std::shared_ptr<const lathe::LoadedModel> model)
{
    m_model = std::move(model);
    if (!m_model) {
        clear();
        return;
    }
    const lathe::ModelSummary &s = m_model->summary();
    m_title->setText(QString::fromStdString(m_model->displayName()));
    m_subtitle->setText(
        tr("%1 · %2 parameters · %3 · %4")
            .arg(QString::fromStdString(s.architecture), formatCompactCount(s.parameters),
                formatSize(s.bytes), QString::fromStdString(s.format)));
    m_subtitle->setToolTip(QString::fromStdString(s.path));
    m_card->setModel(*m_model);
    m_layers->setTensors(s.tensors);
    m_table->scrollToTop();
}

void ModelView::clear()
{
    m_model.reset();
    m_title->clear();
    m_subtitle->clear();
    m_card->clear();
    m_layers->clear();
}

void ModelView::updateCount()
{
    const int shown = m_proxy->rowCount();
    const int total = m_layers->rowCount();
    const QString tensors = total == 1 ? tr("1 tensor") : tr("%1 tensors").arg(total);
    m_count->setText(shown == total ? tensors : tr("%1 of %2").arg(shown).arg(tensors));
    const bool valid = m_proxy->filterRegularExpression().isValid();
    m_filter->setStyleSheet(valid ? QString() : QStringLiteral("QLineEdit { color: #d9534f; }"));
}

} // namespace lathe::ui
