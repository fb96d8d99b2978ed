// SPDX-License-Identifier: GPL-3.0-or-later
// ModelCardView: the model card, a key/value list (architecture, parameters, layers, sizes,
// format, path) from ModelSummary::card, plus whether Lathe can run the model.
#pragma once

#include <QWidget>

#include <string>
#include <utility>
#include <vector>

class QTreeWidget;

namespace lathe
{
class LoadedModel;
}

namespace lathe::ui
{

class ModelCardView : public QWidget
{
    Q_OBJECT
public:
    explicit ModelCardView(QWidget *parent = nullptr);

    void setModel(const lathe::LoadedModel &model);
    void clear();

    // Shown value for a card key ("Architecture"), or a null string when absent.
    QString value(const QString &key) const;
    int rowCount() const;

private:
    void addRow(const QString &key, const QString &value, const QString &toolTip = {});

    QTreeWidget *m_tree = nullptr;
};

} // namespace lathe::ui
