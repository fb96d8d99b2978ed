// SPDX-License-Identifier: GPL-3.0-or-later
// MainWindow, continued: the Compress and Evaluate modes and the variants they share. The
// window owns the variants made since the model was opened; the variant bar, the Evaluate
// table and the current variant follow that one list.
#include "mainwindow.h"

#include "actions.h"
#include "api/loadedmodel.h"
#include "panels/compressview.h"
#include "panels/evaluateview.h"
#include "panels/glyphs.h"
#include "panels/modebar.h"
#include "panels/sensitivityview.h"
#include "panels/variantbar.h"

#include <QAction>
#include <QStackedWidget>
#include <QStatusBar>

#include <spdlog/spdlog.h>

namespace lathe::ui
{

void MainWindow::createCompressionModes(const QColor &glyphColor, const QColor &glyphDisabled)
{
    m_compressView = new CompressView(m_runner, m_stack);
    m_stack->addWidget(m_compressView);
    m_modeBar->addMode(glyphIcon(Glyph::Compress, glyphColor, glyphDisabled), tr("Compress"),
        QStringLiteral("modeCompress"));
    m_modeBar->setModeToolTip(CompressMode,
        tr("Quantize the model into a smaller variant (Ctrl+%1)").arg(CompressMode + 1));
    m_modeBar->setModeEnabled(CompressMode, false);

    m_evaluateView = new EvaluateView(m_runner, m_stack);
    m_stack->addWidget(m_evaluateView);
    m_modeBar->addMode(glyphIcon(Glyph::Evaluate, glyphColor, glyphDisabled), tr("Evaluate"),
        QStringLiteral("modeEvaluate"));
    m_modeBar->setModeToolTip(EvaluateMode,
        tr("Measure what each variant lost against the original (Ctrl+%1)").arg(EvaluateMode + 1));
    m_modeBar->setModeEnabled(EvaluateMode, false);

    connect(m_compressView, &CompressView::variantCreated, this,
        [this](std::shared_ptr<lathe::LoadedModel> variant) { addVariant(std::move(variant)); });
    connect(m_compressView, &CompressView::errorOccurred, this,
        [this](const QString &title, const QString &text) { showError(title, text, QString()); });
    // The per-module table shows the Sensitivity mode's latest result for this model.
    connect(m_sensitivityView, &SensitivityView::resultShown, this, [this] {
        if (m_sensitivityView->model() == m_model)
            m_compressView->setSensitivity(m_sensitivityView->result());
    });
    connect(m_variantBar, &VariantBar::currentChanged, this, [this](int index) {
        if (index >= 0)
            m_evaluateView->setCurrentRow(index);
        Q_EMIT currentVariantChanged(index);
    });
    connect(m_evaluateView, &EvaluateView::currentRowChanged, this,
        [this](int row) { m_variantBar->setCurrentIndex(row); });
}

void MainWindow::resetVariants()
{
    // A newly opened model starts without variants; the old ones are freed with the list.
    m_variants.clear();
    m_variantBar->setOriginal(m_model.get());
    m_compressView->setModel(m_model);
    if (m_sensitivityView->model() == m_model)
        m_compressView->setSensitivity(m_sensitivityView->result());
    m_evaluateView->setOriginal(m_model);
    for (int mode : { CompressMode, EvaluateMode }) {
        m_modeBar->setModeEnabled(mode, m_model != nullptr);
        m_actions->modeActions[mode]->setEnabled(m_model != nullptr);
    }
}

void MainWindow::addVariant(std::shared_ptr<lathe::LoadedModel> variant)
{
    if (!variant || !m_model)
        return;
    m_variants.push_back(variant);
    const int index = m_variantBar->addVariant(*variant);
    m_evaluateView->addVariant(variant);
    m_variantBar->setCurrentIndex(index);
    statusBar()->showMessage(
        tr("Made %1").arg(QString::fromStdString(variant->displayName())), 5000);
    spdlog::info("variant {} added ({} so far)", variant->displayName(), m_variants.size());
    Q_EMIT variantAdded(index);
}

int MainWindow::currentVariantIndex() const
{
    return m_variantBar->currentIndex();
}

void MainWindow::setCurrentVariant(int index)
{
    m_variantBar->setCurrentIndex(index);
}

std::shared_ptr<const lathe::LoadedModel> MainWindow::currentVariant() const
{
    const int index = currentVariantIndex();
    if (index <= 0 || index > static_cast<int>(m_variants.size()))
        return m_model;
    return m_variants[static_cast<std::size_t>(index - 1)];
}

} // namespace lathe::ui
