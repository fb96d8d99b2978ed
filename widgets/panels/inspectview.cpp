// SPDX-License-Identifier: GPL-3.0-or-later
// Layout and selection of the Inspect view; statistics jobs and the heatmap are in
// inspectviewstats.cpp.
#include "panels/inspectview.h"

#include "api/loadedmodel.h"
#include "charts/channelchart.h"
#include "charts/heatmapchart.h"
#include "charts/histogramchart.h"
#include "format.h"
#include "jobs/activationstatsjob.h"
#include "jobs/weightstatsjob.h"
#include "models/tensortreemodel.h"
#include "panels/statexplanations.h"
#include "panels/tensorstatspanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace lathe::ui
{

namespace
{

QLabel *boldLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    QFont font = label->font();
    font.setBold(true);
    label->setFont(font);
    return label;
}

} // namespace

InspectView::InspectView(JobRunner *runner, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
{
    setObjectName(QStringLiteral("inspectView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 8);
    layout->setSpacing(6);

    auto *header = new QHBoxLayout;
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("inspectTitle"));
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("inspectStatus"));
    m_status->setForegroundRole(QPalette::PlaceholderText);
    m_activationButton = new QPushButton(tr("Activation Statistics…"), this);
    m_activationButton->setObjectName(QStringLiteral("activationStatsButton"));
    m_activationButton->setToolTip(
        tr("Run the model over a calibration text and record the inputs of every linear module"));
    header->addWidget(m_title);
    header->addSpacing(12);
    header->addWidget(m_status, 1);
    header->addWidget(m_activationButton);
    layout->addLayout(header);

    auto *main = new QSplitter(Qt::Horizontal, this);
    main->setObjectName(QStringLiteral("inspectSplitter"));
    main->setChildrenCollapsible(false);
    main->addWidget(createTreePane());
    auto *right = new QSplitter(Qt::Vertical, main);
    right->setChildrenCollapsible(false);
    right->addWidget(createDetailPane());
    right->addWidget(createHeatmapPane());
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);
    main->addWidget(right);
    main->setStretchFactor(0, 0);
    main->setStretchFactor(1, 1);
    main->setSizes({ 420, 1180 });
    layout->addWidget(main, 1);

    m_heatmapTimer = new QTimer(this);
    m_heatmapTimer->setSingleShot(true);
    m_heatmapTimer->setInterval(200);
    connect(m_heatmapTimer, &QTimer::timeout, this, &InspectView::updateHeatmap);
    connect(m_activationButton, &QPushButton::clicked, this, &InspectView::requestActivationStats);
    clear();
}

InspectView::~InspectView()
{
    // Jobs belong to the runner; stop ours so they do not outlive the view's interest.
    if (m_weightJob)
        m_weightJob->disconnect(this);
    if (m_activationJob)
        m_activationJob->disconnect(this);
}

QWidget *InspectView::createTreePane()
{
    auto *pane = new QWidget(this);
    auto *layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    m_search = new QLineEdit(pane);
    m_search->setObjectName(QStringLiteral("inspectSearch"));
    m_search->setPlaceholderText(tr("Search tensors, e.g. q_proj or layers.3"));
    m_search->setClearButtonEnabled(true);
    layout->addWidget(m_search);

    m_treeModel = new TensorTreeModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_treeModel);
    m_proxy->setFilterRole(TensorTreeModel::TensorNameRole);
    m_proxy->setFilterKeyColumn(TensorTreeModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    // A match keeps its layer branch; a matching branch keeps all its tensors.
    m_proxy->setRecursiveFilteringEnabled(true);
    m_proxy->setAutoAcceptChildRows(true);

    m_tree = new QTreeView(pane);
    m_tree->setObjectName(QStringLiteral("inspectTree"));
    m_tree->setModel(m_proxy);
    m_tree->setUniformRowHeights(true);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(TensorTreeModel::NameColumn, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(
        TensorTreeModel::ShapeColumn, QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(
        TensorTreeModel::DTypeColumn, QHeaderView::ResizeToContents);
    layout->addWidget(m_tree, 1);

    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_proxy->setFilterFixedString(text.trimmed());
        if (!text.trimmed().isEmpty())
            m_tree->expandAll();
    });
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
        &InspectView::onSelectionChanged);
    return pane;
}

QWidget *InspectView::createDetailPane()
{
    auto *pane = new QWidget(this);
    auto *layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    m_tensorTitle = boldLabel(QString(), pane);
    m_tensorTitle->setObjectName(QStringLiteral("inspectTensorTitle"));
    m_tensorTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_tensorTitle);

    auto *row = new QSplitter(Qt::Horizontal, pane);
    row->setChildrenCollapsible(false);
    m_statsPanel = new TensorStatsPanel(row);
    m_statsPanel->setMinimumWidth(240);
    row->addWidget(m_statsPanel);

    m_histogram = new HistogramChart(row);
    m_histogram->setToolTip(tr("Histogram of the values (log count). Shaded: outliers."));
    row->addWidget(m_histogram);

    auto *channelPane = new QWidget(row);
    auto *channelLayout = new QVBoxLayout(channelPane);
    channelLayout->setContentsMargins(0, 0, 0, 0);
    channelLayout->setSpacing(2);
    m_channelBox = new QComboBox(channelPane);
    m_channelBox->setObjectName(QStringLiteral("channelModeBox"));
    m_channelBox->addItem(tr("Absmax per output channel (row)"));
    m_channelBox->addItem(tr("Absmax per input channel (column)"));
    channelLayout->addWidget(m_channelBox);
    m_channels = new ChannelChart(channelPane);
    channelLayout->addWidget(m_channels, 1);
    row->addWidget(channelPane);
    row->setStretchFactor(0, 0);
    row->setStretchFactor(1, 1);
    row->setStretchFactor(2, 1);
    row->setSizes({ 300, 450, 450 });
    layout->addWidget(row, 1);

    connect(m_channelBox, &QComboBox::currentIndexChanged, this, &InspectView::updateChannels);
    return pane;
}

QWidget *InspectView::createHeatmapPane()
{
    auto *pane = new QWidget(this);
    auto *layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(2);
    auto *controls = new QHBoxLayout;
    controls->addWidget(boldLabel(tr("Layers × modules:"), pane));
    m_heatStatBox = new QComboBox(pane);
    m_heatStatBox->setObjectName(QStringLiteral("heatmapStatisticBox"));
    m_heatStatBox->addItem(statisticTitle(QStringLiteral("kurtosis")), QStringLiteral("kurtosis"));
    m_heatStatBox->addItem(statisticTitle(QStringLiteral("absmax")), QStringLiteral("absmax"));
    m_heatStatBox->addItem(
        statisticTitle(QStringLiteral("outlier_fraction")), QStringLiteral("outlier_fraction"));
    m_heatStatBox->addItem(
        statisticTitle(QStringLiteral("activation_absmax")), QStringLiteral("activation_absmax"));
    m_heatStatBox->addItem(
        statisticTitle(QStringLiteral("importance")), QStringLiteral("importance"));
    m_heatLog = new QCheckBox(tr("Log colours"), pane);
    m_heatLog->setObjectName(QStringLiteral("heatmapLogBox"));
    auto *hint = new QLabel(tr("Click a cell to inspect that tensor."), pane);
    hint->setForegroundRole(QPalette::PlaceholderText);
    controls->addWidget(m_heatStatBox);
    controls->addWidget(m_heatLog);
    controls->addSpacing(12);
    controls->addWidget(hint);
    controls->addStretch(1);
    layout->addLayout(controls);
    m_heatmap = new HeatmapChart(pane);
    m_heatmap->setMinimumHeight(110);
    layout->addWidget(m_heatmap, 1);

    connect(m_heatStatBox, &QComboBox::currentIndexChanged, this, [this] {
        m_statsPanel->explain(m_heatStatBox->currentData().toString());
        updateHeatmap();
    });
    connect(m_heatLog, &QCheckBox::toggled, this, [this](bool on) {
        m_heatmap->setLogScale(on);
    });
    connect(m_heatmap, &HeatmapChart::cellClicked, this, &InspectView::onHeatmapCellClicked);
    return pane;
}

void InspectView::setModel(std::shared_ptr<const lathe::LoadedModel> model)
{
    if (m_weightJob)
        m_weightJob->cancel();
    if (m_activationJob)
        m_activationJob->cancel();
    m_weightJob = nullptr;
    m_activationJob = nullptr;
    m_stats.clear();
    m_failed.clear();
    m_activations.reset();
    m_current.clear();
    m_model = std::move(model);
    m_search->clear();
    if (!m_model) {
        m_treeModel->clearTensors();
        m_grid = ModuleGrid();
    } else {
        const lathe::ModelSummary &s = m_model->summary();
        m_treeModel->setTensors(s.tensors);
        m_grid = ModuleGrid::fromTensors(s.tensors);
        m_title->setText(QString::fromStdString(m_model->displayName()));
    }
    m_tensorTitle->clear();
    m_statsPanel->clear();
    m_histogram->clear();
    m_channels->clear();
    m_heatmap->setHighlightedCell(-1, -1);
    m_activationButton->setEnabled(m_model && m_model->runnable());
    m_activationButton->setToolTip(m_model && !m_model->runnable()
            ? QString::fromStdString(m_model->notRunnableReason())
            : tr("Run the model over a calibration text and record the inputs of every linear "
                 "module"));
    updateHeatmapChoices();
    updateHeatmap();
    updateStatus();
    if (m_model && isVisible())
        computeWeightStats();
}

void InspectView::clear()
{
    setModel(nullptr);
    m_title->setText(tr("No model open"));
}

void InspectView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Weight statistics cost a pass over every tensor: only when the user comes to look.
    if (m_model && !m_weightJob && !weightStatsComplete())
        computeWeightStats();
}

bool InspectView::selectTensor(const QString &name)
{
    const QModelIndex source = m_treeModel->indexOfTensor(name);
    if (!source.isValid())
        return false;
    QModelIndex index = m_proxy->mapFromSource(source);
    if (!index.isValid()) {
        // Hidden by the search: clear it rather than select something invisible.
        m_search->clear();
        index = m_proxy->mapFromSource(source);
    }
    m_tree->scrollTo(index);
    m_tree->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    return true;
}

void InspectView::onSelectionChanged()
{
    const QModelIndex index = m_tree->currentIndex();
    if (!index.isValid() || !index.data(TensorTreeModel::IsTensorRole).toBool())
        return;
    showTensor(index.data(TensorTreeModel::TensorNameRole).toString());
}

void InspectView::showTensor(const QString &name)
{
    m_current = name;
    const lathe::TensorRow *row = nullptr;
    if (m_model) {
        for (const lathe::TensorRow &t : m_model->summary().tensors) {
            if (QString::fromStdString(t.name) == name) {
                row = &t;
                break;
            }
        }
    }
    m_tensorTitle->setText(row ? tr("%1   %2 · %3 · %4 parameters")
                                     .arg(name, formatShape(row->shape),
                                         QString::fromStdString(row->dtype),
                                         formatCompactCount(row->parameters))
                               : name);
    int gridRow = -1;
    int gridColumn = -1;
    if (m_grid.cellOf(name, &gridRow, &gridColumn))
        m_heatmap->setHighlightedCell(gridRow, gridColumn);
    else
        m_heatmap->setHighlightedCell(-1, -1);

    const lathe::WeightStats *stats = cachedStats(name);
    const lathe::ModuleActivationStats *act = moduleActivations(name);
    if (!stats) {
        m_histogram->clear();
        m_channels->clear();
        if (m_failed.contains(name)) {
            m_statsPanel->showMessage(tr("No statistics: %1").arg(m_failed.value(name)));
        } else {
            m_statsPanel->showMessage(tr("Computing…"));
            if (m_weightJob && !m_weightJob->isDone())
                m_weightJob->prioritize(name.toStdString());
            else
                computeWeightStats();
        }
        return;
    }
    m_statsPanel->setStats(stats, act);
    HistogramChart::Data d;
    d.lo = stats->histogram.lo;
    d.hi = stats->histogram.hi;
    d.counts = stats->histogram.counts;
    d.logMagnitude = stats->histogram.logMagnitude;
    d.zeros = stats->histogram.zeros;
    d.mean = stats->mean;
    d.std = stats->std;
    d.outlierK = stats->outlierK;
    m_histogram->setData(d);
    m_histogram->setExportName(QStringLiteral("histogram-") + name);
    updateChannels();
    Q_EMIT tensorShown(name);
}

void InspectView::setChannelMode(ChannelMode mode)
{
    m_channelBox->setCurrentIndex(mode == OutputChannels ? 0 : 1);
}

void InspectView::updateChannels()
{
    const lathe::WeightStats *stats = cachedStats(m_current);
    if (!stats) {
        m_channels->clear();
        return;
    }
    const bool rows = m_channelBox->currentIndex() == 0;
    m_channels->setChannels(rows ? stats->rowAbsmax : stats->colAbsmax,
        rows ? tr("output channel") : tr("input channel"), tr("|w| max"));
    // The input of a linear module has one feature per weight column: show them together.
    const lathe::ModuleActivationStats *act = moduleActivations(m_current);
    if (!rows && act)
        m_channels->setOverlay(act->channelAbsmax, tr("activation absmax"));
    else
        m_channels->setOverlay({}, QString());
    m_channels->setExportName(
        (rows ? QStringLiteral("row-absmax-") : QStringLiteral("column-absmax-")) + m_current);
}

void InspectView::onHeatmapCellClicked(int row, const QString &kind)
{
    const QString tensor = m_grid.tensorAt(row, static_cast<int>(m_grid.kinds.indexOf(kind)));
    if (!tensor.isEmpty())
        selectTensor(tensor);
}

} // namespace lathe::ui
