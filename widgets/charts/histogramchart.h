// SPDX-License-Identifier: GPL-3.0-or-later
// HistogramChart: the distribution of a tensor's values as bars on a logarithmic count axis,
// with the outlier regions (|w - mean| > k * std) shaded so heavy tails stand out.
#pragma once

#include "charts/chartpanel.h"

#include <cstdint>
#include <vector>

class QCPBars;
class QCPItemRect;

namespace lathe::ui
{

class HistogramChart : public ChartPanel
{
    Q_OBJECT
public:
    // Plain histogram data: `counts` bins of equal width over [lo, hi]. With logMagnitude the
    // x axis is log10|w| and `zeros` counts the exact zeros kept out of the bins.
    struct Data {
        double lo = 0.0;
        double hi = 0.0;
        std::vector<std::uint64_t> counts;
        bool logMagnitude = false;
        std::uint64_t zeros = 0;
        // Outlier bounds: mean +- outlierK * std (std <= 0: no regions).
        double mean = 0.0;
        double std = 0.0;
        double outlierK = 6.0;
    };

    explicit HistogramChart(QWidget *parent = nullptr);

    void setData(const Data &data);
    void clear();
    const Data &data() const { return m_data; }

    QCPBars *bars() const { return m_bars; }
    // Shaded outlier regions currently shown (0, 1 or 2).
    int outlierRegionCount() const;
    // Sum of the bin counts (equals the element count, less zeros in log-magnitude mode).
    std::uint64_t totalCount() const;

    // bin_lo,bin_hi,count per bin; in log-magnitude mode bin edges are log10|w| and a last
    // line "zeros" gives the exact zeros.
    QString csv() const override;

protected:
    void restyle() override;

private:
    void rebuild();

    Data m_data;
    QCPBars *m_bars = nullptr;
    QList<QCPItemRect *> m_regions;
};

} // namespace lathe::ui
