// SPDX-License-Identifier: GPL-3.0-or-later
// ChannelChart: one value per channel (the absmax of each output or input channel of a
// weight), as bars when there are few channels and as a line when there are many. An optional
// overlay on the right axis (activation absmax per input channel) lines up with the weights.
#pragma once

#include "charts/chartpanel.h"

#include <vector>

class QCPBars;
class QCPGraph;

namespace lathe::ui
{

class ChannelChart : public ChartPanel
{
    Q_OBJECT
public:
    explicit ChannelChart(QWidget *parent = nullptr);

    // `label` names the x axis ("output channel"), `valueLabel` the left axis ("|w| max").
    void setChannels(const std::vector<float> &values, const QString &label,
        const QString &valueLabel = QString());
    // A second series on the right axis; empty `values` removes it. It must have one value
    // per channel to be shown.
    void setOverlay(const std::vector<float> &values, const QString &valueLabel);
    void clear();

    int channelCount() const { return static_cast<int>(m_values.size()); }
    bool hasOverlay() const { return !m_overlay.empty(); }
    // Channels up to this count are drawn as bars, more as a line.
    static constexpr int kBarLimit = 96;
    bool drawsBars() const;
    QCPGraph *graph() const { return m_line; }
    QCPBars *bars() const { return m_bars; }
    QCPGraph *overlayGraph() const { return m_overlayGraph; }

    // channel,value[,overlay]
    QString csv() const override;

protected:
    void restyle() override;

private:
    void rebuild();

    std::vector<float> m_values;
    std::vector<float> m_overlay;
    QString m_label;
    QString m_valueLabel;
    QString m_overlayLabel;
    QCPGraph *m_line = nullptr;
    QCPBars *m_bars = nullptr;
    QCPGraph *m_overlayGraph = nullptr;
};

} // namespace lathe::ui
