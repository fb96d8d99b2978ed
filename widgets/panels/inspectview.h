// SPDX-License-Identifier: GPL-3.0-or-later
// InspectView: the Inspect mode. A searchable tree of the model's tensors on the left; for the
// selected tensor its statistics (with a plain-words explanation), histogram and per-channel
// absmax; below, a layer x module heatmap of one statistic whose cells select tensors.
// Statistics are computed by worker jobs (weight statistics when the view is first shown,
// activation statistics on request) and cached per model, so switching tensors is instant.
#pragma once

#include "models/modulegrid.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTimer;
class QTreeView;

namespace lathe
{
class LoadedModel;
struct ActivationStats;
struct ModuleActivationStats;
struct WeightStats;
}

namespace lathe::ui
{

class ActivationStatsJob;
class ChannelChart;
class HeatmapChart;
class HistogramChart;
class JobRunner;
class TensorStatsPanel;
class TensorTreeModel;
class WeightStatsJob;

class InspectView : public QWidget
{
    Q_OBJECT
public:
    // Heatmap statistics, in the order of the statistic box.
    enum HeatStatistic { Kurtosis, Absmax, OutlierFraction, ActivationAbsmax, Importance };
    Q_ENUM(HeatStatistic)
    enum ChannelMode { OutputChannels, InputChannels };

    explicit InspectView(JobRunner *runner, QWidget *parent = nullptr);
    ~InspectView() override;

    // A new model clears every cached statistic and cancels jobs still working on the old one.
    void setModel(std::shared_ptr<const lathe::LoadedModel> model);
    void clear();
    std::shared_ptr<const lathe::LoadedModel> model() const { return m_model; }

    // Selects the tensor in the tree (clearing a search that hides it); false when unknown.
    bool selectTensor(const QString &name);
    QString currentTensor() const { return m_current; }

    // Starts weight statistics for every tensor not cached yet (done automatically when the
    // view is first shown with a model).
    void computeWeightStats();
    const lathe::WeightStats *cachedStats(const QString &name) const;
    int cachedCount() const { return static_cast<int>(m_stats.size()); }
    bool weightStatsComplete() const;

    // Runs activation statistics on `textFile` (samples x ctx tokens) in the Jobs dock; the
    // choice becomes the dialog's default next time.
    void startActivationStats(const QString &textFile, int samples, int ctx);
    // Asks for the calibration text and options, then starts.
    void requestActivationStats();
    const lathe::ActivationStats *activationStats() const { return m_activations.get(); }
    // Activation statistics of the module whose weight is `tensor`, if known.
    const lathe::ModuleActivationStats *moduleActivations(const QString &tensor) const;

    void setHeatmapStatistic(HeatStatistic statistic);
    HeatStatistic heatmapStatistic() const;
    void setChannelMode(ChannelMode mode);
    const ModuleGrid &moduleGrid() const { return m_grid; }

    // The latest jobs (null once the runner has deleted them).
    WeightStatsJob *weightStatsJob() const;
    ActivationStatsJob *activationStatsJob() const;
    QTreeView *tree() const { return m_tree; }
    QLineEdit *searchEdit() const { return m_search; }
    TensorTreeModel *treeModel() const { return m_treeModel; }
    TensorStatsPanel *statsPanel() const { return m_statsPanel; }
    HistogramChart *histogram() const { return m_histogram; }
    ChannelChart *channels() const { return m_channels; }
    HeatmapChart *heatmap() const { return m_heatmap; }
    QComboBox *heatmapStatisticBox() const { return m_heatStatBox; }
    QComboBox *channelModeBox() const { return m_channelBox; }
    QPushButton *activationButton() const { return m_activationButton; }

Q_SIGNALS:
    // The selected tensor's statistics are on screen (after a selection or when they arrive).
    void tensorShown(const QString &name);
    void weightStatsFinished();
    void activationStatsFinished();
    void activationStatsCancelled();
    void activationStatsFailed(const QString &message);

protected:
    void showEvent(QShowEvent *event) override;

private:
    QWidget *createTreePane();
    QWidget *createDetailPane();
    QWidget *createHeatmapPane();
    void onSelectionChanged();
    void onTensorReady(std::shared_ptr<const lathe::WeightStats> stats);
    void onWeightJobDone(WeightStatsJob *job);
    void onActivationFinished(ActivationStatsJob *job);
    void showTensor(const QString &name);
    void updateChannels();
    void updateHeatmap();
    void scheduleHeatmapUpdate();
    void updateHeatmapChoices();
    void updateStatus();
    void onHeatmapCellClicked(int row, const QString &kind);

    JobRunner *m_runner = nullptr;
    std::shared_ptr<const lathe::LoadedModel> m_model;
    QHash<QString, std::shared_ptr<const lathe::WeightStats>> m_stats;
    QHash<QString, QString> m_failed; // tensor -> why it has no statistics
    std::shared_ptr<const lathe::ActivationStats> m_activations;
    ModuleGrid m_grid;
    QString m_current;
    QPointer<WeightStatsJob> m_weightJob;
    QPointer<ActivationStatsJob> m_activationJob;

    QLabel *m_title = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_activationButton = nullptr;
    QLineEdit *m_search = nullptr;
    QTreeView *m_tree = nullptr;
    TensorTreeModel *m_treeModel = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QLabel *m_tensorTitle = nullptr;
    TensorStatsPanel *m_statsPanel = nullptr;
    HistogramChart *m_histogram = nullptr;
    ChannelChart *m_channels = nullptr;
    QComboBox *m_channelBox = nullptr;
    HeatmapChart *m_heatmap = nullptr;
    QComboBox *m_heatStatBox = nullptr;
    QCheckBox *m_heatLog = nullptr;
    QTimer *m_heatmapTimer = nullptr;
};

} // namespace lathe::ui
