// SPDX-License-Identifier: GPL-3.0-or-later
// The decode matrix-vector kernels against libtorch on awkward sizes, for every kernel path
// this CPU can run, single-threaded and through the thread pool.
#include "model/matvec.h"
#include "util/threadpool.h"

#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <vector>

using namespace lathe;

namespace {

std::vector<MatvecPath> paths()
{
    std::vector<MatvecPath> p = {MatvecPath::Scalar};
    if (matvecBestPath() == MatvecPath::Avx2)
        p.push_back(MatvecPath::Avx2);
    return p;
}

// Max |kernel - at::mv| relative to the size of the products.
double matvecError(std::int64_t rows, std::int64_t cols, MatvecPath path, bool withBias)
{
    const at::Tensor w = at::randn({rows, cols});
    const at::Tensor x = at::randn({cols});
    const at::Tensor b = at::randn({rows});
    at::Tensor expected = at::mv(w.to(at::kDouble), x.to(at::kDouble));
    if (withBias)
        expected += b.to(at::kDouble);
    at::Tensor y = at::full({rows}, 12345.0f); // kernels must overwrite every output
    matvec(w.data_ptr<float>(), x.data_ptr<float>(), y.data_ptr<float>(), rows, cols,
           withBias ? b.data_ptr<float>() : nullptr, path);
    return (y.to(at::kDouble) - expected).abs().max().item<double>();
}

} // namespace

class TestMatvec : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        at::manual_seed(1);
        qInfo("best kernel path: %s, threads: %d", matvecPathName(MatvecPath::Auto).c_str(),
              threadCount());
    }

    void oddSizes()
    {
        const std::vector<std::int64_t> colsList = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63,
                                                    64, 65, 100, 127, 172, 255, 257, 300};
        for (MatvecPath path : paths()) {
            for (std::int64_t rows = 1; rows <= 37; ++rows) {
                for (std::int64_t cols : colsList) {
                    const double err = matvecError(rows, cols, path, rows % 2 == 0);
                    if (err > 1e-4 * std::sqrt(static_cast<double>(cols)))
                        QFAIL(qPrintable(QStringLiteral("%1 path, %2 x %3: error %4")
                                             .arg(QString::fromStdString(matvecPathName(path)))
                                             .arg(rows)
                                             .arg(cols)
                                             .arg(err)));
                }
            }
        }
    }

    // Big enough to go through the thread pool, with row counts that leave partial blocks.
    void threaded()
    {
        for (MatvecPath path : paths())
            for (std::int64_t rows : {1021, 2048, 4099})
                QVERIFY(matvecError(rows, 515, path, true) < 1e-3);
    }

    void batchMatchesSingle()
    {
        const at::Tensor w1 = at::randn({300, 257}), w2 = at::randn({37, 257});
        const at::Tensor w3 = at::randn({1000, 257}), x = at::randn({257});
        const at::Tensor b2 = at::randn({37});
        at::Tensor y1 = at::empty({300}), y2 = at::empty({37}), y3 = at::empty({1000});
        const MatvecJob jobs[3] = {
            {w1.data_ptr<float>(), x.data_ptr<float>(), y1.data_ptr<float>(), nullptr, 300, 257},
            {w2.data_ptr<float>(), x.data_ptr<float>(), y2.data_ptr<float>(), b2.data_ptr<float>(),
             37, 257},
            {w3.data_ptr<float>(), x.data_ptr<float>(), y3.data_ptr<float>(), nullptr, 1000, 257},
        };
        matvecBatch(jobs, 3);
        QVERIFY(at::allclose(y1, at::mv(w1, x), 1e-4, 1e-4));
        QVERIFY(at::allclose(y2, at::mv(w2, x) + b2, 1e-4, 1e-4));
        QVERIFY(at::allclose(y3, at::mv(w3, x), 1e-4, 1e-4));
    }

    void vecmat()
    {
        for (std::int64_t cols : {1, 7, 8, 13, 64, 100}) {
            const at::Tensor w = at::randn({29, cols}), p = at::randn({29});
            at::Tensor y = at::ones({cols});
            vecmatAccumulate(w.data_ptr<float>(), p.data_ptr<float>(), y.data_ptr<float>(), 29,
                             cols);
            QVERIFY(at::allclose(y, at::mv(w.t(), p) + 1, 1e-4, 1e-4));
        }
    }

    void threadPoolCoversRange()
    {
        std::vector<int> hits(1000, 0);
        parallelFor(1000, 7, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i)
                ++hits[static_cast<std::size_t>(i)];
        });
        for (int h : hits)
            QCOMPARE(h, 1);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                                 parallelFor(100, 1, [](std::int64_t b, std::int64_t) {
                                     if (b == 50)
                                         throw std::runtime_error("boom");
                                 }));
    }

    void threadCountSetting()
    {
        const int before = threadCount();
        setThreadCount(1);
        QCOMPARE(threadCount(), 1);
        QVERIFY(matvecError(2048, 300, MatvecPath::Auto, true) < 1e-3);
        setThreadCount(0);
        QVERIFY(threadCount() >= 1);
        setThreadCount(before);
    }
};

QTEST_GUILESS_MAIN(TestMatvec)
#include "tst_matvec.moc"
