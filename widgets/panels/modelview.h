// SPDX-License-Identifier: GPL-3.0-or-later
// ModelView: the Model mode. The opened model's name and format on top, its model card on the
// left and the table of stored tensors on the right, with a filter box and a row count.
#pragma once

#include <QWidget>

#include <memory>

class QLabel;
class QLineEdit;
class QSplitter;
class QTableView;

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class LayerFilterProxy;
class LayerTableModel;
class ModelCardView;

class ModelView : public QWidget
{
    Q_OBJECT
public:
    explicit ModelView(QWidget *parent = nullptr);

    void setModel(std::shared_ptr<const lathe::LoadedModel> model);
    void clear();
    std::shared_ptr<const lathe::LoadedModel> model() const { return m_model; }

    LayerTableModel *layerModel() const { return m_layers; }
    LayerFilterProxy *layerProxy() const { return m_proxy; }
    QTableView *layerTable() const { return m_table; }
    QLineEdit *filterEdit() const { return m_filter; }
    ModelCardView *cardView() const { return m_card; }
    QSplitter *splitter() const { return m_splitter; }

private:
    void updateCount();

    std::shared_ptr<const lathe::LoadedModel> m_model;
    QLabel *m_title = nullptr;
    QLabel *m_subtitle = nullptr;
    ModelCardView *m_card = nullptr;
    QSplitter *m_splitter = nullptr;
    QLineEdit *m_filter = nullptr;
    QLabel *m_count = nullptr;
    QTableView *m_table = nullptr;
    LayerTableModel *m_layers = nullptr;
    LayerFilterProxy *m_proxy = nullptr;
};

} // namespace lathe::ui
