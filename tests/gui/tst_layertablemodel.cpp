// SPDX-License-Identifier: GPL-3.0-or-later
// The tensor table model and its filter/sort proxy, on hand-made rows.
#include "models/layerfilterproxy.h"
#include "models/layertablemodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest/QtTest>

using lathe::ui::LayerFilterProxy;
using lathe::ui::LayerTableModel;

namespace
{

std::vector<lathe::TensorRow> sampleRows()
{
    // Natural order, as summarizeModel() gives it.
    return {
        { "model.embed_tokens.weight", { 32000, 64 }, "BF16", 2048000, 4096000 },
        { "model.layers.2.mlp.up_proj.weight", { 172, 64 }, "F32", 11008, 44032 },
        { "model.layers.2.self_attn.q_proj.weight", { 64, 64 }, "F32", 4096, 16384 },
        { "model.layers.10.mlp.up_proj.weight", { 172, 64 }, "Q4_K", 11008, 6192 },
        { "model.norm.weight", { 64 }, "F32", 64, 256 },
    };
}

QStringList names(const QAbstractItemModel &model)
{
    QStringList out;
    for (int r = 0; r < model.rowCount(); ++r)
        out << model.index(r, LayerTableModel::NameColumn).data().toString();
    return out;
}

} // namespace

class TestLayerTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void displayAndRoles();
    void numericAndNaturalSort();
    void filter();
};

void TestLayerTableModel::displayAndRoles()
{
    LayerTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.setTensors(sampleRows());
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.columnCount(), int(LayerTableModel::ColumnCount));
    auto cell
        = [&](int r, int c, int role = Qt::DisplayRole) { return model.index(r, c).data(role); };
    QCOMPARE(cell(0, LayerTableModel::ShapeColumn).toString(), QStringLiteral("[32000, 64]"));
    QCOMPARE(cell(0, LayerTableModel::DTypeColumn).toString(), QStringLiteral("BF16"));
    QCOMPARE(cell(0, LayerTableModel::ParametersColumn).toString(),
        QLocale().toString(qlonglong(2048000)));
    QCOMPARE(cell(0, LayerTableModel::BytesColumn).toString(), QStringLiteral("4.1 MB"));
    QCOMPARE(cell(4, LayerTableModel::BytesColumn).toString(), QStringLiteral("256 B"));
    QCOMPARE(cell(0, LayerTableModel::ParametersColumn, LayerTableModel::SortRole).toLongLong(),
        2048000);
    QVERIFY(model.headerData(0, Qt::Horizontal).toString() == QStringLiteral("Name"));
    QCOMPARE(model.tensorAt(3)->dtype, std::string("Q4_K"));
    QVERIFY(model.tensorAt(5) == nullptr);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestLayerTableModel::numericAndNaturalSort()
{
    LayerTableModel model;
    LayerFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setTensors(sampleRows());

    // Bytes: 4096000 > 44032 > 16384 > 6192 > 256, which text order would get wrong.
    proxy.sort(LayerTableModel::BytesColumn, Qt::DescendingOrder);
    QCOMPARE(names(proxy),
        QStringList({ QStringLiteral("model.embed_tokens.weight"),
            QStringLiteral("model.layers.2.mlp.up_proj.weight"),
            QStringLiteral("model.layers.2.self_attn.q_proj.weight"),
            QStringLiteral("model.layers.10.mlp.up_proj.weight"),
            QStringLiteral("model.norm.weight") }));
    // Name: natural order, layers.2 before layers.10.
    proxy.sort(LayerTableModel::NameColumn, Qt::AscendingOrder);
    QCOMPARE(names(proxy).at(1), QStringLiteral("model.layers.2.mlp.up_proj.weight"));
    QCOMPARE(names(proxy).at(3), QStringLiteral("model.layers.10.mlp.up_proj.weight"));
    // Shape: dim by dim, numerically ([64] < [64, 64] < [172, 64] < [32000, 64]).
    proxy.sort(LayerTableModel::ShapeColumn, Qt::AscendingOrder);
    QCOMPARE(names(proxy).first(), QStringLiteral("model.norm.weight"));
    QCOMPARE(names(proxy).last(), QStringLiteral("model.embed_tokens.weight"));
}

void TestLayerTableModel::filter()
{
    LayerTableModel model;
    LayerFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setTensors(sampleRows());

    proxy.setFilterText(QStringLiteral("MLP"));
    QCOMPARE(proxy.rowCount(), 2);
    proxy.setFilterText(QStringLiteral("layers.1"));
    QCOMPARE(proxy.rowCount(), 1); // layers.10 only: plain text is a substring, not a prefix
    proxy.setFilterText(QStringLiteral("layers.?.*proj"));
    QCOMPARE(proxy.rowCount(), 2);
    proxy.setFilterText(QStringLiteral("*.weight"));
    QCOMPARE(proxy.rowCount(), 5);
    proxy.setFilterText(QStringLiteral("up_proj"));
    QCOMPARE(proxy.rowCount(), 2);
    proxy.setFilterText(QStringLiteral("no such tensor"));
    QCOMPARE(proxy.rowCount(), 0);
    proxy.setFilterText(QString());
    QCOMPARE(proxy.rowCount(), 5);
    QVERIFY(LayerFilterProxy::isWildcard(QStringLiteral("a*b")));
    QVERIFY(!LayerFilterProxy::isWildcard(QStringLiteral("a.b")));
}

QTEST_MAIN(TestLayerTableModel)
#include "tst_layertablemodel.moc"
