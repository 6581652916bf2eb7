// The figures runner (backend/drills/figures.h) on a test-only engine, "figtest": the
// synthetic engine's workload under another name, whose descriptor declares figures over
// two tiny drills written to a temporary directory and named by path — drill A sends
// every 10 ms per service, drill B every 5 ms, so B's send rate is twice A's. Checked:
// a ratio that holds and one that does not, a bound, a direction each way, p99, that a value
// that cannot be measured fails its figure, and that 1 and 2 jobs give identical JSON.
// The program's `figures` command: the gift engine's figure in its quick variant, as
// JSON and text, with the exit code that goes with its verdict.
#include "tests/common/multi_test.h"
#include "tests/ctl/ctl_test_util.h"

#include "backend/drills/figures.h"
#include "backend/drills/synthetic_engine.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;

namespace {

v1::FigureValue value(const std::string& drill, const char* metric, v1::MetricType type, const char* stat,
                      const char* from = "")
{
    v1::FigureValue v;
    v.set_drill(drill);
    v.set_metric(metric);
    v.set_component("world/*");
    v.set_type(type);
    v.set_stat(stat);
    v.set_from(from);
    return v;
}

// The synthetic engine under the name "figtest", with figures.
class FigtestFactory final : public engine::EngineFactory {
public:
    FigtestFactory(std::string drillA, std::string drillB)
        : m_inner(drills::makeSyntheticEngineFactory()), m_a(std::move(drillA)), m_b(std::move(drillB))
    {
    }
    std::string_view name() const override { return "figtest"; }
    std::string_view description() const override { return "test-only engine with figures"; }
    v1::EngineDescriptor describe() const override
    {
        v1::EngineDescriptor d = m_inner->describe();
        d.set_name("figtest");
        const auto sent = [&](const std::string& drill) {
            return value(drill, "synthetic.sent", v1::METRIC_TYPE_COUNTER, "mean", "2s");
        };
        auto add = [&](const char* id, v1::FigureCheckKind check) -> v1::FigureDescriptor& {
            v1::FigureDescriptor& f = *d.add_figures();
            f.set_id(id);
            f.set_description(std::string("test figure ") + id);
            f.set_check(check);
            *f.mutable_a() = sent(m_a);
            *f.mutable_b() = sent(m_b);
            return f;
        };
        v1::FigureDescriptor& doubles = add("figtest.b_doubles_a", v1::FIGURE_CHECK_RATIO);
        doubles.set_ratio_min(1.9);
        doubles.set_ratio_max(2.1);
        doubles.set_writeup_ratio(2.0);
        doubles.set_writeup_value("x2");
        v1::FigureDescriptor& triples = add("figtest.b_triples_a", v1::FIGURE_CHECK_RATIO);
        triples.set_ratio_min(2.9);
        triples.set_ratio_max(3.1);
        v1::FigureDescriptor& bound = add("figtest.success", v1::FIGURE_CHECK_BOUND);
        *bound.mutable_a() = value(m_a, "synthetic.send_success", v1::METRIC_TYPE_GAUGE, "min");
        bound.clear_b();
        bound.set_bound_op(">=");
        bound.set_bound(0.99);
        add("figtest.more_is_better", v1::FIGURE_CHECK_DIRECTION).set_higher_is_better(true);
        add("figtest.less_is_better", v1::FIGURE_CHECK_DIRECTION).set_higher_is_better(false);
        // Over 6 per-second values the nearest-rank p99 is the maximum.
        v1::FigureDescriptor& p99 = add("figtest.p99_of_six_is_max", v1::FIGURE_CHECK_RATIO);
        *p99.mutable_a() = value(m_b, "synthetic.sent", v1::METRIC_TYPE_COUNTER, "max", "2s");
        *p99.mutable_b() = value(m_b, "synthetic.sent", v1::METRIC_TYPE_COUNTER, "p99", "2s");
        p99.set_ratio_min(1.0);
        p99.set_ratio_max(1.0);
        v1::FigureDescriptor& missing = add("figtest.no_series", v1::FIGURE_CHECK_BOUND);
        *missing.mutable_a() = value(m_a, "figtest.nothing", v1::METRIC_TYPE_GAUGE, "max");
        missing.set_bound_op("<");
        missing.set_bound(1.0);
        return d;
    }
    std::vector<engine::MetricOffer> metrics() const override { return m_inner->metrics(); }
    std::vector<engine::InvariantOffer> invariants() const override { return m_inner->invariants(); }
    std::shared_ptr<const engine::EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        return m_inner->parseSettings(node);
    }
    absl::StatusOr<std::unique_ptr<engine::Engine>> build(engine::EngineContext& context,
                                                          const engine::EngineSettings& settings) const override
    {
        return m_inner->build(context, settings);
    }

private:
    std::shared_ptr<const engine::EngineFactory> m_inner;
    std::string m_a;
    std::string m_b;
};

QString writeDrill(const QTemporaryDir& dir, const char* name, const char* interval)
{
    const QString path = dir.filePath(QLatin1String(name) + QStringLiteral(".yaml"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(QStringLiteral("name: %1\ndescription: figures test drill\nseed: 5\nduration: 8s\n"
                           "engines:\n  figtest:\n    services_per_region: 2\n    send_interval: %2\n")
                .arg(QLatin1String(name), QLatin1String(interval))
                .toUtf8());
    return path;
}

const drills::FigureResult* find(const std::vector<drills::FigureResult>& results, const char* id)
{
    for (const drills::FigureResult& r : results) {
        if (r.figure.id() == id)
            return &r;
    }
    return nullptr;
}

} // namespace

class TstCtlFigures : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    engine::EngineRegistry m_engines;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString a = writeDrill(m_dir, "figtest-a", "10ms");
        const QString b = writeDrill(m_dir, "figtest-b", "5ms");
        QVERIFY(!a.isEmpty() && !b.isEmpty());
        auto factory = std::make_shared<FigtestFactory>(a.toStdString(), b.toStdString());
        // Drill files name the engine, so it is in the process's registry as well.
        QVERIFY(m_engines.add(factory).ok());
        if (engine::processEngines().find("figtest") == nullptr)
            QVERIFY(engine::processEngines().add(factory).ok());
    }

    void checksPassAndFail()
    {
        drills::FigureRunOptions options;
        options.engines = &m_engines;
        auto results = drills::runFigures(options);
        QVERIFY2(results.ok(), std::string(results.status().message()).c_str());
        QCOMPARE(results->size(), std::size_t(7));
        // Sorted by id.
        for (std::size_t i = 1; i < results->size(); ++i)
            QVERIFY((*results)[i - 1].figure.id() < (*results)[i].figure.id());

        const drills::FigureResult* doubles = find(*results, "figtest.b_doubles_a");
        QVERIFY(doubles && doubles->a.value && doubles->b && doubles->b->value && doubles->ratio);
        QVERIFY2(doubles->pass, qPrintable(QString::number(*doubles->ratio)));
        QVERIFY(*doubles->a.value > 0.0);
        QCOMPARE(doubles->a.seed, std::uint64_t(5));
        QCOMPARE(doubles->a.samples, std::size_t(6)); // rollups at 3..8 s: the window (2s, end]
        const drills::FigureResult* triples = find(*results, "figtest.b_triples_a");
        QVERIFY(triples && !triples->pass && triples->error.empty());
        QCOMPARE(*triples->ratio, *doubles->ratio); // the same drills, another check
        const drills::FigureResult* success = find(*results, "figtest.success");
        QVERIFY(success && success->pass && !success->b);
        QVERIFY(*success->a.value >= 0.99 && *success->a.value <= 1.0);
        QVERIFY(find(*results, "figtest.more_is_better")->pass);
        QVERIFY(!find(*results, "figtest.less_is_better")->pass);
        const drills::FigureResult* p99 = find(*results, "figtest.p99_of_six_is_max");
        QVERIFY(p99 && p99->pass && p99->a.samples == 6);
        const drills::FigureResult* missing = find(*results, "figtest.no_series");
        QVERIFY(missing && !missing->pass);
        QVERIFY2(missing->error.find("no series matches") != std::string::npos, missing->error.c_str());

        const QJsonDocument json = QJsonDocument::fromJson(QByteArray::fromStdString(drills::figuresJson(*results)));
        QVERIFY(json.isArray());
        QCOMPARE(json.array().size(), 7);
        const QJsonObject first = json.array().at(0).toObject();
        QCOMPARE(first.value(QStringLiteral("id")).toString(), QStringLiteral("figtest.b_doubles_a"));
        for (const char* key : {"value_a", "value_b", "check", "pass", "ratio", "writeup_ratio"})
            QVERIFY2(first.contains(QLatin1String(key)), key);
        QCOMPARE(first.value(QStringLiteral("pass")).toBool(), true);
        QCOMPARE(first.value(QStringLiteral("check")).toString(), QStringLiteral("ratio b/a in [1.9, 2.1]"));
        QVERIFY(json.array().at(1).toObject().value(QStringLiteral("pass")).isBool());
        const std::string text = drills::figuresText(*results);
        QVERIFY2(text.find("figures: 7, 4 passed, 3 failed") != std::string::npos, text.c_str());
        QVERIFY(text.find("write-up ratio 2") != std::string::npos);

        // The Markdown report: one table row per figure with its check beside its verdict,
        // then a section per figure with the commands that reproduce it.
        const std::string md = drills::figuresMarkdown(*results, "livedeckctl figures --markdown F.md", false);
        QVERIFY(md.find("```\nlivedeckctl figures --markdown F.md\n```") != std::string::npos);
        QVERIFY2(md.find("| `figtest.b_doubles_a` | figtest | ") != std::string::npos, md.c_str());
        QVERIFY(md.find("| ratio b/a in [1.9, 2.1] | pass |") != std::string::npos);
        QVERIFY(md.find("| ratio b/a in [2.9, 3.1] | **FAIL** |") != std::string::npos);
        QVERIFY(md.find("Figures: 7, 4 passed, 3 failed.") != std::string::npos);
        QVERIFY(md.find("## `figtest.no_series`") != std::string::npos);
        QVERIFY(md.find("livedeckctl figures --engine figtest\n") != std::string::npos);
        QVERIFY(md.find(" --seed 5 --record figtest-a.sqlite") != std::string::npos);
    }

    void jobsDoNotChangeTheResult()
    {
        drills::FigureRunOptions options;
        options.engines = &m_engines;
        options.engine = "figtest";
        options.jobs = 1;
        auto one = drills::runFigures(options);
        options.jobs = 2;
        auto two = drills::runFigures(options);
        options.jobs = 7;
        auto seven = drills::runFigures(options);
        QVERIFY(one.ok() && two.ok() && seven.ok());
        QCOMPARE(drills::figuresJson(*one), drills::figuresJson(*two));
        QCOMPARE(drills::figuresJson(*one), drills::figuresJson(*seven));
    }

    void badOptions()
    {
        drills::FigureRunOptions options;
        options.engines = &m_engines;
        options.engine = "nope";
        QCOMPARE(drills::runFigures(options).status().code(), absl::StatusCode::kInvalidArgument);
        options.engine.clear();
        options.jobs = 0;
        QCOMPARE(drills::runFigures(options).status().code(), absl::StatusCode::kInvalidArgument);
    }

    void theProgramsGiftFigure()
    {
        if (engine::processEngines().find("gifts") == nullptr)
            QSKIP("the gift engine is not built");
        const test::CtlRun r = test::runCtlProgram({"figures", "--engine", "gifts", "--quick", "--json", "--jobs", "2"});
        QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(r.out + r.err));
        const QJsonDocument json = QJsonDocument::fromJson(r.out.toUtf8());
        QVERIFY2(json.isArray() && !json.array().isEmpty(), qPrintable(r.out));
        bool seen = false;
        bool allPass = true;
        for (const QJsonValue& v : json.array()) {
            const QJsonObject o = v.toObject();
            QVERIFY(o.value(QStringLiteral("pass")).isBool());
            allPass = allPass && o.value(QStringLiteral("pass")).toBool();
            if (o.value(QStringLiteral("id")).toString() == QStringLiteral("gifts.availability")) {
                seen = true;
                // A served share from the gala run, judged against the write-up's 99.99 %.
                const double a = o.value(QStringLiteral("value_a")).toDouble();
                QVERIFY2(a > 0.0 && a <= 1.0, qPrintable(r.out));
                QCOMPARE(o.value(QStringLiteral("pass")).toBool(), a >= 0.9999);
                QVERIFY(o.value(QStringLiteral("value_b")).isNull());
                QCOMPARE(o.value(QStringLiteral("check")).toString(), QStringLiteral("a >= 0.9999"));
            }
        }
        QVERIFY(seen);
        QCOMPARE(r.exitCode, allPass ? 0 : 1);
        // Every engine's figures, one job and two: the same bytes.
        const test::CtlRun one = test::runCtlProgram({"figures", "--quick", "--json", "--jobs", "1"});
        const test::CtlRun two = test::runCtlProgram({"figures", "--quick", "--json", "--jobs", "2"});
        QCOMPARE(one.exitCode, two.exitCode);
        QVERIFY(!one.out.isEmpty());
        QCOMPARE(one.out, two.out);
        // The readable form says the same.
        const test::CtlRun text = test::runCtlProgram({"figures", "--engine", "gifts", "--quick"});
        QCOMPARE(text.exitCode, r.exitCode);
        QVERIFY2(text.out.contains(QStringLiteral("gifts.availability")) && text.out.contains(QStringLiteral("write-up 99.99 %")),
                 qPrintable(text.out));
        // --markdown writes the report file beside the printed one.
        const QString md = m_dir.filePath(QStringLiteral("FIGURES.md"));
        const test::CtlRun written =
            test::runCtlProgram({"figures", "--engine", "gifts", "--quick", "--markdown", qPrintable(md)});
        QCOMPARE(written.exitCode, r.exitCode);
        QFile file(md);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString report = QString::fromUtf8(file.readAll());
        QVERIFY2(report.contains(QStringLiteral("| `gifts.availability` | gifts | ")), qPrintable(report));
        QVERIFY(report.contains(QStringLiteral("livedeckctl figures --engine gifts --quick\n")));
    }
};

LIVEDECK_TEST_CLASS(TstCtlFigures)
#include "tst_ctl_figures.moc"
