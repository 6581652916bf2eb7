// RunRecorder + RecordingReader round trip: a small world (SyntheticWorkload plus a
// few metrics of the test's own) runs for a few simulated seconds with telemetry and
// a recorder attached; the file is read back and compared with what the world and
// the rollups produced. Also: unfinished files, live reading, errors, determinism.
#include "tests/common/multi_test.h"

#include "backend/sim/synthetic_workload.h"
#include "backend/sim/world.h"
#include "backend/telemetry/recorder.h"
#include "backend/telemetry/recording_reader.h"
#include "backend/telemetry/recording_schema.h"
#include "backend/telemetry/telemetry.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace livedeck;
using telemetry::RecordingReader;
using telemetry::RunInfo;
using telemetry::RunRecorder;
using telemetry::Sample;
using telemetry::Telemetry;

namespace {

constexpr const char* kDrillText = "name: recorder-test\nseed: 4242\nduration: 5s\n";

struct Rollup {
    sim::Nanos time;
    std::vector<Sample> samples;
};

// A world with traffic, faults (as commands and events) and metrics.
class Rig {
public:
    explicit Rig(std::uint64_t seed = 4242)
        : world([seed] {
              sim::WorldConfig c;
              c.seed = seed;
              c.runId = "recorder-run";
              return c;
          }()),
          telemetry(world),
          workload(world, [] {
              sim::SyntheticWorkload::Config c;
              c.servicesPerRegion = 2;
              c.meanInterSend = 2 * sim::kMillisecond;
              c.meanFaultGap = 250 * sim::kMillisecond;
              c.meanFaultLength = 200 * sim::kMillisecond;
              return c;
          }()),
          m_rng(world.stream("test/probe")),
          m_sent(telemetry.metrics().counter("synthetic.sent", "world/synthetic")),
          m_delivered(telemetry.metrics().gauge("synthetic.delivered", "world/synthetic")),
          m_latency(telemetry.metrics().histogram("test.latency", "sh-a/test/probe", "path=x"))
    {
        m_tick = world.kind("test.probe");
    }

    // Samples the workload every 10 ms; at 2.5 s registers one more series.
    void start()
    {
        telemetry.addRollupListener([this](sim::Nanos t, const std::vector<Sample>& s) { rollups.push_back({t, s}); });
        telemetry.start();
        workload.start();
        scheduleProbe();
        world.at(2'500 * sim::kMillisecond, m_tick, sim::kNoComponent,
                 [this] { m_late = &telemetry.metrics().counter("test.late", "gz"); });
    }

    sim::World world;
    Telemetry telemetry;
    sim::SyntheticWorkload workload;
    std::vector<Rollup> rollups;

private:
    void scheduleProbe()
    {
        world.after(10 * sim::kMillisecond, m_tick, sim::kNoComponent, [this] {
            m_sent.add(static_cast<double>(workload.sent()) - m_sent.total());
            m_delivered.set(static_cast<double>(workload.delivered()));
            m_latency.record(static_cast<std::int64_t>(m_rng.lognormalMedianP99(2e6, 80e6)), 10.0);
            if (m_late)
                m_late->add(2.0);
            scheduleProbe();
        });
    }

    sim::RandomStream m_rng;
    telemetry::Counter& m_sent;
    telemetry::Gauge& m_delivered;
    telemetry::Histogram& m_latency;
    telemetry::Counter* m_late = nullptr;
    sim::EventKindId m_tick = 0;
};

std::string bytes(const google::protobuf::Message& m)
{
    return m.SerializeAsString();
}

template <class T>
T valueOrFail(absl::StatusOr<T> v)
{
    if (!v.ok())
        qFatal("%s", std::string(v.status().message()).c_str());
    return std::move(*v);
}

} // namespace

class TstRecorder : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    std::string path(const char* name) const
    {
        return m_dir.filePath(QString::fromUtf8(name)).toStdString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // LIVEDECK_KEEP_RECORDINGS=1 keeps the files for a look with sqlite3.
        if (qEnvironmentVariableIsSet("LIVEDECK_KEEP_RECORDINGS")) {
            m_dir.setAutoRemove(false);
            qInfo("recordings kept in %s", qPrintable(m_dir.path()));
        }
    }

    void roundTrip()
    {
        const std::string file = path("round-trip.ldrec");
        Rig rig;
        // One command before the recording starts: attach() must catch up with it.
        v1::Command early;
        early.set_issuer("console");
        auto* f = early.mutable_inject_fault()->mutable_fault();
        f->set_kind(v1::FAULT_LATENCY);
        f->set_target("gz");
        auto* p = f->add_params();
        p->set_name("add_ms");
        p->set_value(5);
        f->set_end_ns(700 * sim::kMillisecond);
        QVERIFY(rig.world.apply(early).ok());

        auto recorder = valueOrFail(RunRecorder::create(file, RunInfo::fromWorld(rig.world, "recorder-test", kDrillText)));
        QVERIFY(recorder->attach(rig.world, rig.telemetry).ok());
        QVERIFY(!recorder->attach(rig.world, rig.telemetry).ok()); // once
        rig.start();

        // A host-applied command recorded by the host (and later also seen in the
        // command log): it must be written once. It fails: the result is recorded too.
        rig.world.scheduler().runUntil(1'500 * sim::kMillisecond);
        v1::Command bad;
        bad.set_issuer("ctl");
        bad.mutable_clear_fault()->set_fault_id(987654);
        QVERIFY(!rig.world.apply(bad).ok());
        QVERIFY(recorder->recordCommand(rig.world.commandLog().back()).ok());

        rig.world.scheduler().runUntil(5 * sim::kSecond + 250 * sim::kMillisecond);
        QVERIFY(recorder->finish(rig.world).ok());
        QVERIFY(recorder->finished());
        const auto counts = recorder->counts();
        QVERIFY(recorder->close().ok());
        QVERIFY(recorder->close().ok()); // idempotent
        QVERIFY(!recorder->recordEvent(v1::Event{}).ok()); // closed
        QVERIFY(!QFile::exists(QString::fromStdString(file + "-wal"))); // self-contained

        auto reader = valueOrFail(RecordingReader::open(file));

        // Metadata
        const auto meta = valueOrFail(reader->metadata());
        QCOMPARE(meta.schemaVersion, telemetry::kRecordingSchemaVersion);
        QCOMPARE(meta.runId, std::string("recorder-run"));
        QCOMPARE(meta.drillName, std::string("recorder-test"));
        QCOMPARE(meta.drillText, std::string(kDrillText));
        QCOMPARE(meta.seed, std::uint64_t{4242});
        QCOMPARE(meta.buildId, std::string(RunRecorder::defaultBuildId()));
        QVERIFY(!meta.buildId.empty());
        QCOMPARE(meta.calendarStartUnixMs, rig.world.calendar().startUnixMs());
        QCOMPARE(meta.calendarUtcOffsetMinutes, rig.world.calendar().utcOffsetMinutes());
        QCOMPARE(meta.rollupIntervalNs, sim::kSecond);
        QCOMPARE(meta.startedNs, sim::Nanos{0});
        QVERIFY(meta.finished);
        QCOMPARE(meta.finishedNs, rig.world.now());
        QCOMPARE(meta.lastNs, rig.world.now());
        QCOMPARE(meta.eventsExecuted, rig.world.scheduler().executed());
        QCOMPARE(meta.finalTraceHash, rig.world.traceHash());
        QCOMPARE(meta.stateDigest, rig.world.stateDigest());
        const auto topo = valueOrFail(reader->topology());
        v1::Topology expectedTopo;
        rig.world.topologyToProto(expectedTopo);
        QCOMPARE(bytes(topo), bytes(expectedTopo));

        // Series catalogue: everything the registry defined, including the late one.
        const auto defs = valueOrFail(reader->seriesDefs());
        std::vector<v1::SeriesDef> expectedDefs;
        rig.telemetry.metrics().seriesDefs(0, expectedDefs);
        QCOMPARE(defs.size(), expectedDefs.size());
        QCOMPARE(defs.size(), std::size_t{2 + 1 + 4 + 2});
        for (std::size_t i = 0; i < defs.size(); ++i)
            QCOMPARE(bytes(defs[i]), bytes(expectedDefs[i]));

        // Samples: exactly what each rollup produced.
        QCOMPARE(rig.rollups.size(), std::size_t{5});
        std::map<std::uint32_t, std::vector<telemetry::SeriesPoint>> expected;
        std::uint64_t sampleCount = 0;
        for (const Rollup& r : rig.rollups) {
            for (const Sample& s : r.samples)
                expected[s.series].push_back({r.time, s.value});
            sampleCount += r.samples.size();
        }
        for (const auto& [id, points] : expected) {
            const auto got = valueOrFail(reader->seriesValues(id));
            QCOMPARE(got.size(), points.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                QCOMPARE(got[i].time, points[i].time);
                QCOMPARE(got[i].value, points[i].value);
            }
        }
        const auto late = valueOrFail(reader->seriesValues({"test.late", "gz", "", v1::METRIC_TYPE_COUNTER}));
        QCOMPARE(late.size(), std::size_t{3}); // rollups at 3, 4, 5 s
        QCOMPARE(late.front().time, 3 * sim::kSecond);
        QCOMPARE(late.back().value, 200.0); // 100 probes x 2 per second
        const auto p99 = valueOrFail(reader->seriesValues(
            {"test.latency", "sh-a/test/probe", "path=x", v1::METRIC_TYPE_HISTOGRAM_P99}, 2 * sim::kSecond,
            4 * sim::kSecond));
        QCOMPARE(p99.size(), std::size_t{3}); // inclusive range
        QVERIFY(p99[0].value > 10.0 && p99[0].value < 300.0); // ms, lognormal p99 80 ms
        QCOMPARE(reader->findSeries({"test.latency", "sh-a/test/probe", "", v1::METRIC_TYPE_HISTOGRAM_P99}).status().code(),
                 absl::StatusCode::kNotFound);

        // Events: the whole EventLog, field for field.
        const auto events = valueOrFail(reader->events(0, sim::kNever));
        const auto& log = rig.world.events().recent();
        QVERIFY(log.size() > 10);
        QCOMPARE(events.size(), log.size());
        QCOMPARE(events.back().seq(), rig.world.events().lastSeq());
        for (std::size_t i = 0; i < events.size(); ++i)
            QVERIFY2(bytes(events[i]) == bytes(log[i]), events[i].ShortDebugString().c_str());
        bool sawFields = false;
        for (const auto& e : events)
            sawFields = sawFields || e.fields_size() > 0;
        QVERIFY(sawFields);
        const auto on = valueOrFail(reader->events(0, sim::kNever, "fault.on"));
        QCOMPARE(on.size(), static_cast<std::size_t>(rig.world.events().count("fault.on")));
        const auto family = valueOrFail(reader->events(0, sim::kNever, "fault.*"));
        QCOMPARE(family.size(),
                 static_cast<std::size_t>(rig.world.events().count("fault.on") + rig.world.events().count("fault.off")));
        const auto window = valueOrFail(reader->events(sim::kSecond, 2 * sim::kSecond));
        std::size_t inWindow = 0;
        for (const auto& e : log)
            inWindow += e.sim_time_ns() >= sim::kSecond && e.sim_time_ns() <= 2 * sim::kSecond;
        QCOMPARE(window.size(), inWindow);
        for (const auto& e : window)
            QVERIFY(e.sim_time_ns() >= sim::kSecond && e.sim_time_ns() <= 2 * sim::kSecond);
        telemetry::EventQuery limited;
        limited.limit = 3;
        QCOMPARE(valueOrFail(reader->events(limited)).size(), std::size_t{3});

        // Commands: the world's command log, in order, the host-recorded one once.
        const auto commands = valueOrFail(reader->commands());
        const auto& applied = rig.world.commandLog();
        QVERIFY(applied.size() > 5);
        QCOMPARE(commands.size(), applied.size());
        for (std::size_t i = 0; i < commands.size(); ++i)
            QVERIFY2(bytes(commands[i]) == bytes(applied[i]), commands[i].ShortDebugString().c_str());
        QCOMPARE(commands.front().command().issuer(), std::string("console"));

        // Snapshots: at attach (0 s), every rollup (1..5 s) and at finish (5.25 s).
        const auto times = valueOrFail(reader->snapshotTimes());
        const std::vector<sim::Nanos> wantTimes = {0, sim::kSecond, 2 * sim::kSecond, 3 * sim::kSecond,
                                                   4 * sim::kSecond, 5 * sim::kSecond, rig.world.now()};
        QCOMPARE(times, wantTimes);
        for (std::size_t i = 0; i < rig.rollups.size(); ++i) {
            const Rollup& r = rig.rollups[i];
            const auto snap = valueOrFail(reader->snapshotAt(r.time + 200 * sim::kMillisecond));
            QCOMPARE(snap.sim_time_ns(), r.time);
            QCOMPARE(snap.run_id(), std::string("recorder-run"));
            QCOMPARE(snap.seq(), static_cast<std::uint64_t>(i + 2));
            QCOMPARE(snap.sample_ids_size(), static_cast<int>(r.samples.size()));
            for (int j = 0; j < snap.sample_ids_size(); ++j) {
                QCOMPARE(snap.sample_ids(j), r.samples[static_cast<std::size_t>(j)].series);
                QCOMPARE(snap.sample_values(j), r.samples[static_cast<std::size_t>(j)].value);
            }
            QVERIFY(snap.components_size() >= 1); // the workload's inspector state
        }
        // Series defs travel with the snapshot after they appear.
        QCOMPARE(valueOrFail(reader->snapshotAt(0)).series_defs_size(), 7);
        QCOMPARE(valueOrFail(reader->snapshotAt(3 * sim::kSecond)).series_defs_size(), 2);
        QCOMPARE(valueOrFail(reader->snapshotAt(4 * sim::kSecond)).series_defs_size(), 0);
        const auto last = valueOrFail(reader->snapshotAt(sim::kNever));
        QCOMPARE(last.trace_hash(), rig.world.traceHash());
        QCOMPARE(last.events_executed(), rig.world.scheduler().executed());
        QCOMPARE(reader->snapshotAt(-1).status().code(), absl::StatusCode::kNotFound);

        // Counts agree with the recorder's own.
        const auto c = valueOrFail(reader->counts());
        QCOMPARE(c.samples, sampleCount);
        QCOMPARE(c.samples, counts.samples);
        QCOMPARE(c.sampleTimes, std::uint64_t{5});
        QCOMPARE(c.events, counts.events);
        QCOMPARE(c.commands, counts.commands);
        QCOMPARE(c.snapshots, counts.snapshots);
        QCOMPARE(c.series, counts.series);
        QVERIFY(counts.commits >= 6);
    }

    // A recording that never reached finish() is still a readable file.
    void unfinishedIsReadable()
    {
        const std::string file = path("unfinished.ldrec");
        std::uint64_t events = 0;
        {
            Rig rig;
            auto recorder = valueOrFail(RunRecorder::create(file, RunInfo::fromWorld(rig.world, "cut-short")));
            QVERIFY(recorder->attach(rig.world, rig.telemetry).ok());
            rig.start();
            rig.world.scheduler().runUntil(2'500 * sim::kMillisecond);
            events = rig.world.events().lastSeq();
            // The recorder goes first (declared last): its destructor closes the file.
        }
        auto reader = valueOrFail(RecordingReader::open(file));
        const auto meta = valueOrFail(reader->metadata());
        QVERIFY(!meta.finished);
        QCOMPARE(meta.drillName, std::string("cut-short"));
        QVERIFY(meta.lastNs >= 2 * sim::kSecond);
        QCOMPARE(valueOrFail(reader->events(0, sim::kNever)).size(), static_cast<std::size_t>(events));
        QCOMPARE(valueOrFail(reader->snapshotTimes()).size(), std::size_t{3}); // 0, 1, 2 s
        QCOMPARE(valueOrFail(reader->snapshotAt(sim::kNever)).sim_time_ns(), 2 * sim::kSecond);
        QCOMPARE(valueOrFail(reader->seriesValues(0)).size(), std::size_t{2});
    }

    // A console can read a recording while it is being written: it sees each commit.
    void liveRead()
    {
        const std::string file = path("live.ldrec");
        Rig rig;
        auto recorder = valueOrFail(RunRecorder::create(file, RunInfo::fromWorld(rig.world)));
        QVERIFY(recorder->attach(rig.world, rig.telemetry).ok());
        rig.start();
        rig.world.scheduler().runUntil(1'500 * sim::kMillisecond);
        auto reader = valueOrFail(RecordingReader::open(file));
        QCOMPARE(valueOrFail(reader->snapshotTimes()).size(), std::size_t{2});
        rig.world.scheduler().runUntil(3'100 * sim::kMillisecond);
        QCOMPARE(valueOrFail(reader->snapshotTimes()).size(), std::size_t{4});
        QCOMPARE(valueOrFail(reader->metadata()).lastNs, 3 * sim::kSecond);
        // Events after the last rollup are visible once flushed.
        rig.world.events().raise("test.marker", sim::kNoComponent, v1::SEVERITY_WARNING, "mark", {{"k", "v \"q\"\n"}});
        QVERIFY(recorder->flush().ok());
        const auto marks = valueOrFail(reader->events(0, sim::kNever, "test.marker"));
        QCOMPARE(marks.size(), std::size_t{1});
        QCOMPARE(marks[0].fields(0).value(), std::string("v \"q\"\n"));
        QCOMPARE(marks[0].severity(), v1::SEVERITY_WARNING);
        telemetry::EventQuery severe;
        severe.minSeverity = v1::SEVERITY_WARNING;
        for (const auto& e : valueOrFail(reader->events(severe)))
            QVERIFY(e.severity() >= v1::SEVERITY_WARNING);
        QVERIFY(recorder->finish(rig.world).ok());
        QVERIFY(valueOrFail(reader->metadata()).finished);
        recorder.reset();
    }

    // Recording observes the run; it never changes it.
    void recordingDoesNotPerturb()
    {
        auto run = [this](bool record) {
            Rig rig(99);
            std::unique_ptr<RunRecorder> recorder;
            if (record) {
                RunRecorder::Options o;
                o.overwrite = true;
                recorder = valueOrFail(RunRecorder::create(path("perturb.ldrec"), RunInfo::fromWorld(rig.world), o));
                if (!recorder->attach(rig.world, rig.telemetry).ok())
                    qFatal("attach failed");
            }
            rig.start();
            rig.world.scheduler().runUntil(3 * sim::kSecond);
            return std::make_pair(rig.world.traceHash(), rig.world.stateDigest());
        };
        QVERIFY(run(false) == run(true));
    }

    // Direct feeds without a world (e.g. recording a remote stream); NaN survives.
    void directFeed()
    {
        const std::string file = path("direct.ldrec");
        RunInfo info;
        info.runId = "remote";
        info.seed = ~std::uint64_t{0}; // the full uint64 range survives
        auto recorder = valueOrFail(RunRecorder::create(file, info));
        v1::SeriesDef d;
        d.set_id(0);
        d.set_name("g");
        d.set_type(v1::METRIC_TYPE_GAUGE);
        QVERIFY(recorder->recordSeriesDefs({d}).ok());
        QVERIFY(recorder->recordSeriesDefs({d}).ok()); // already written: skipped
        QVERIFY(recorder->recordSamples(sim::kSecond, {Sample{0, std::nan("")}}).ok());
        QVERIFY(recorder->recordSamples(2 * sim::kSecond, {Sample{0, -1.5}}).ok());
        // Many series at once: full multi-row batches plus a remainder.
        std::vector<Sample> wide;
        for (std::uint32_t i = 0; i < 200; ++i)
            wide.push_back(Sample{1000 + i, 0.5 * i});
        QVERIFY(recorder->recordSamples(3 * sim::kSecond, wide).ok());
        v1::Event e;
        e.set_seq(7);
        e.set_kind("x");
        QVERIFY(recorder->recordEvent(e).ok());
        QVERIFY(recorder->recordEvent(e).ok()); // duplicate seq ignored
        QVERIFY(recorder->finish(telemetry::RunResult{2 * sim::kSecond, 10, 0xFEEDFACECAFEBEEFULL, 1}).ok());
        QVERIFY(recorder->close().ok());

        auto reader = valueOrFail(RecordingReader::open(file));
        const auto meta = valueOrFail(reader->metadata());
        QCOMPARE(meta.seed, ~std::uint64_t{0});
        QCOMPARE(meta.finalTraceHash, 0xFEEDFACECAFEBEEFULL);
        QCOMPARE(valueOrFail(reader->seriesDefs()).size(), std::size_t{1});
        const auto values = valueOrFail(reader->seriesValues({"g", "", "", v1::METRIC_TYPE_GAUGE}));
        QCOMPARE(values.size(), std::size_t{2});
        QVERIFY(std::isnan(values[0].value));
        QCOMPARE(values[1].value, -1.5);
        for (std::uint32_t i = 0; i < 200; ++i) {
            const auto v = valueOrFail(reader->seriesValues(1000 + i));
            QCOMPARE(v.size(), std::size_t{1});
            QCOMPARE(v[0].time, 3 * sim::kSecond);
            QCOMPARE(v[0].value, 0.5 * i);
        }
        QCOMPARE(valueOrFail(reader->counts()).samples, std::uint64_t{202});
        QCOMPARE(valueOrFail(reader->events(0, sim::kNever)).size(), std::size_t{1});
        QCOMPARE(valueOrFail(reader->snapshotTimes()).size(), std::size_t{0});
    }

    void errors()
    {
        // An existing file is not replaced unless asked.
        const std::string file = path("exists.ldrec");
        {
            auto r = valueOrFail(RunRecorder::create(file, RunInfo{}));
        }
        auto again = RunRecorder::create(file, RunInfo{});
        QCOMPARE(again.status().code(), absl::StatusCode::kAlreadyExists);
        QVERIFY(std::string(again.status().message()).find(file) != std::string::npos);
        RunRecorder::Options overwrite;
        overwrite.overwrite = true;
        QVERIFY(RunRecorder::create(file, RunInfo{}, overwrite).ok());

        // A directory that does not exist: the message names the file.
        const std::string nowhere = path("no/such/dir/x.ldrec");
        auto bad = RunRecorder::create(nowhere, RunInfo{});
        QVERIFY(!bad.ok());
        QVERIFY(std::string(bad.status().message()).find(nowhere) != std::string::npos);

        // Reader: missing file, not a database, a database that is not a recording.
        const std::string missing = path("missing.ldrec");
        auto r1 = RecordingReader::open(missing);
        QCOMPARE(r1.status().code(), absl::StatusCode::kNotFound);
        QVERIFY(std::string(r1.status().message()).find(missing) != std::string::npos);

        const std::string text = path("text.ldrec");
        {
            QFile f(QString::fromStdString(text));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(4096, 'x'));
        }
        auto r2 = RecordingReader::open(text);
        QVERIFY(!r2.ok());
        QVERIFY(std::string(r2.status().message()).find(text) != std::string::npos);

        const std::string other = path("other.sqlite");
        {
            sqlite3* db = nullptr;
            QCOMPARE(sqlite3_open(other.c_str(), &db), SQLITE_OK);
            QCOMPARE(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
            sqlite3_close(db);
        }
        auto r3 = RecordingReader::open(other);
        QCOMPARE(r3.status().code(), absl::StatusCode::kInvalidArgument);
        QVERIFY(std::string(r3.status().message()).find("not a livedeck run recording") != std::string::npos);

        // A newer schema than this build knows is refused with a clear message.
        const std::string newer = path("newer.ldrec");
        {
            auto r = valueOrFail(RunRecorder::create(newer, RunInfo{}));
        }
        {
            sqlite3* db = nullptr;
            QCOMPARE(sqlite3_open(newer.c_str(), &db), SQLITE_OK);
            QCOMPARE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
            sqlite3_close(db);
        }
        auto r4 = RecordingReader::open(newer);
        QCOMPARE(r4.status().code(), absl::StatusCode::kFailedPrecondition);
        QVERIFY(std::string(r4.status().message()).find("schema version 99") != std::string::npos);
    }
};

LIVEDECK_TEST_CLASS(TstRecorder)
#include "tst_recorder.moc"
