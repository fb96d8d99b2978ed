// SPDX-License-Identifier: GPL-3.0-or-later
// The committed demo model (resources/demo-model) needs no shared data: it loads with its
// tokenizer and chat template, `demo` finds it, and its perplexity on freshly generated text
// (same generator, another seed) is within 10% of the validation perplexity on its card.
#include "corpus/storycorpus.h"
#include "eval/perplexity.h"
#include "model/model.h"
#include "model/transformer.h"
#include "text/tokenizerloader.h"
#include "util/demomodel.h"

#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace lathe;

namespace {

const std::string kDemo = LATHE_SOURCE_DIR "/resources/demo-model";

nlohmann::json readJson(const std::string &path)
{
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

} // namespace

class TestDemoModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void folderIsComplete()
    {
        for (const char *f : { "config.json", "model.safetensors", "tokenizer.json",
                 "tokenizer_config.json", "generation_config.json", "README.md", "training.json" })
            QVERIFY2(std::filesystem::exists(kDemo + "/" + f), f);
        std::uintmax_t bytes = 0;
        for (const auto &e : std::filesystem::directory_iterator(kDemo))
            bytes += e.is_regular_file() ? e.file_size() : 0;
        QVERIFY2(bytes < 8u * 1024 * 1024, qPrintable(QString::number(bytes)));
        QVERIFY(findChatTemplate(kDemo).has_value());
    }

    void demoShorthandFindsIt()
    {
        QCOMPARE(std::filesystem::canonical(resolveModelArgument("demo")),
            std::filesystem::canonical(kDemo));
    }

    void perplexityOnFreshTextMatchesCard()
    {
        const nlohmann::json card = readJson(kDemo + "/training.json");
        const double cardPpl = card.at("val_ppl").get<double>();
        const auto &corpus = card.at("config").at("corpus");

        StoryCorpusOptions options;
        options.seed = corpus.at("seed").get<std::uint64_t>() + 7919; // text never trained on
        options.targetChars = 120'000;
        options.arithmeticShare = corpus.value("arithmetic_share", options.arithmeticShare);
        options.chatShare = corpus.value("chat_share", options.chatShare);
        const auto tokenizer = loadTokenizer(kDemo);
        std::vector<std::int32_t> ids;
        for (const std::string &doc : generateStoryCorpus(options)) {
            const auto docIds = tokenizer->encode(doc, true);
            ids.insert(ids.end(), docIds.begin(), docIds.end());
            ids.push_back(tokenizer->eosId());
        }

        const Transformer model(Model::load(kDemo));
        PerplexityOptions po;
        po.ctx = card.at("val_ppl_ctx").get<std::int64_t>();
        const double ppl = evaluatePerplexity(model, ids, po).ppl;
        qInfo("demo model: perplexity %.3f on %zu fresh tokens, card %.3f", ppl, ids.size(),
            cardPpl);
        QVERIFY2(std::abs(ppl / cardPpl - 1.0) <= 0.10, qPrintable(QString::number(ppl)));
    }
};

QTEST_GUILESS_MAIN(TestDemoModel)
#include "tst_demomodel.moc"
