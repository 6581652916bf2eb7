#include "ui/replay_cluster.h"

#include "ui/format.h"
#include "ui/logging.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace livedeck::ui {
namespace {

QString statusText(const absl::Status& status)
{
    const auto m = status.message();
    return QString::fromUtf8(m.data(), static_cast<qsizetype>(m.size()));
}

bool componentMatches(std::string_view path, std::string_view target)
{
    // Fault-style target: prefix by path segment, '*' matches one segment.
    if (target.empty())
        return true;
    std::size_t p = 0;
    std::size_t t = 0;
    while (t < target.size()) {
        const std::size_t tEnd = std::min(target.find('/', t), target.size());
        if (p > path.size())
            return false;
        const std::size_t pEnd = std::min(path.find('/', p), path.size());
        const std::string_view tSeg = target.substr(t, tEnd - t);
        const std::string_view pSeg = path.substr(p, pEnd - p);
        if (p >= path.size() || (tSeg != "*" && tSeg != pSeg))
            return false;
        t = tEnd + 1;
        p = pEnd + 1;
    }
    return true;
}

} // namespace

std::unique_ptr<ReplayCluster> ReplayCluster::open(const QString& path, QString* error, ReplayOptions options,
                                                   QObject* parent)
{
    auto reader = telemetry::RecordingReader::open(path.toStdString());
    if (!reader.ok()) {
        if (error)
            *error = statusText(reader.status());
        return nullptr;
    }
    std::unique_ptr<ReplayCluster> cluster(new ReplayCluster(std::move(*reader), options, parent));
    if (!cluster->load(error))
        return nullptr;
    return cluster;
}

ReplayCluster::ReplayCluster(std::unique_ptr<telemetry::RecordingReader> reader, ReplayOptions options, QObject* parent)
    : ClusterSource(parent), m_reader(std::move(reader)), m_options(options)
{
    m_playTimer.setInterval(m_options.playIntervalMs);
    connect(&m_playTimer, &QTimer::timeout, this, &ReplayCluster::onPlayTick);
}

ReplayCluster::~ReplayCluster() = default;

bool ReplayCluster::load(QString* error)
{
    const auto fail = [&](const absl::Status& s) {
        if (error)
            *error = statusText(s);
        return false;
    };
    auto meta = m_reader->metadata();
    if (!meta.ok())
        return fail(meta.status());
    m_meta = *meta;
    auto topology = m_reader->topology();
    if (!topology.ok())
        return fail(topology.status());
    m_topology = std::make_shared<const v1::Topology>(std::move(*topology));
    auto times = m_reader->snapshotTimes();
    if (!times.ok())
        return fail(times.status());
    m_snapshotTimes = std::move(*times);
    std::sort(m_snapshotTimes.begin(), m_snapshotTimes.end());
    if (m_snapshotTimes.empty()) {
        if (error)
            *error = tr("%1 holds no snapshots: it was recorded with snapshots off, so there is nothing to show")
                         .arg(QString::fromStdString(m_reader->path()));
        return false;
    }
    auto defs = m_reader->seriesDefs();
    if (!defs.ok())
        return fail(defs.status());
    m_catalogue = std::move(*defs);
    m_first = m_snapshotTimes.front();
    m_last = std::max({m_snapshotTimes.back(), m_meta.lastNs, m_meta.finished ? m_meta.finishedNs : 0});
    qCInfo(lcReplay) << "opened" << QString::fromStdString(m_reader->path()) << "run" << QString::fromStdString(m_meta.runId)
                     << m_snapshotTimes.size() << "snapshots," << m_catalogue.size() << "series";
    return true;
}

ClusterSource::Capabilities ReplayCluster::capabilities() const
{
    return Capabilities(Pacing | Seek | EventKinds);
}

SourceInfo ReplayCluster::info() const
{
    SourceInfo i;
    i.kind = QStringLiteral("replay");
    i.location = QString::fromStdString(m_reader->path());
    i.runId = QString::fromStdString(m_meta.runId);
    i.seed = m_meta.seed;
    i.seedKnown = true;
    return i;
}

void ReplayCluster::start()
{
    if (m_started)
        return;
    m_started = true;
    setConnectionState(ConnectionState::Replay, QString::fromStdString(m_reader->path()));
    emit topologyChanged(m_topology);
    emit timeRangeChanged(m_first, m_last);
    moveTo(m_cursor < 0 ? m_first : m_cursor, true);
}

void ReplayCluster::stop()
{
    setPlaying(false);
    m_started = false;
    setConnectionState(ConnectionState::Disconnected, tr("replay closed"));
}

void ReplayCluster::seek(std::int64_t simTimeNs)
{
    m_runUntil = -1;
    moveTo(simTimeNs, false);
}

void ReplayCluster::moveTo(std::int64_t t, bool forceReset)
{
    t = std::clamp(t, m_first, m_last);
    const bool reset = forceReset || m_cursor < 0 || t < m_cursor || t - m_cursor > m_options.historyWindowNs;
    if (reset) {
        emit runReset(QString::fromStdString(m_meta.runId));
        forgetDrill();
        emit topologyChanged(m_topology);
        const std::int64_t from = std::max<std::int64_t>(t - m_options.historyWindowNs, m_first);
        deliverEventsIn(from - 1, t, m_options.maxEventsOnReset);
        deliverSnapshotsIn(from - 1, t, true);
    } else if (t > m_cursor) {
        deliverEventsIn(m_cursor, t, 0);
        deliverSnapshotsIn(m_cursor, t, false);
    }
    m_cursor = t;
}

void ReplayCluster::deliverEventsIn(std::int64_t fromExclusive, std::int64_t toInclusive, std::size_t limit)
{
    auto events = m_reader->events(fromExclusive + 1, toInclusive);
    if (!events.ok()) {
        qCWarning(lcReplay) << "reading events failed:" << statusText(events.status());
        return;
    }
    if (events->empty())
        return;
    if (limit > 0 && events->size() > limit)
        events->erase(events->begin(), events->end() - static_cast<std::ptrdiff_t>(limit));
    emit eventsReady(std::make_shared<const std::vector<v1::Event>>(std::move(*events)));
}

void ReplayCluster::deliverSnapshotsIn(std::int64_t fromExclusive, std::int64_t toInclusive, bool firstCarriesCatalogue)
{
    auto it = std::upper_bound(m_snapshotTimes.begin(), m_snapshotTimes.end(), fromExclusive);
    auto end = std::upper_bound(m_snapshotTimes.begin(), m_snapshotTimes.end(), toInclusive);
    if (firstCarriesCatalogue && it == end && it != m_snapshotTimes.begin()) {
        // No snapshot inside the window: show the one before it.
        --it;
    }
    bool first = true;
    for (; it != end; ++it) {
        auto snapshot = m_reader->snapshotAt(*it);
        if (!snapshot.ok()) {
            qCWarning(lcReplay) << "reading the snapshot at" << *it << "failed:" << statusText(snapshot.status());
            continue;
        }
        auto s = std::make_shared<v1::Snapshot>(std::move(*snapshot));
        if (first && firstCarriesCatalogue) {
            s->clear_series_defs();
            for (const v1::SeriesDef& d : m_catalogue)
                *s->add_series_defs() = d;
        }
        first = false;
        v1::HostState* host = s->mutable_host();
        host->set_paused(!m_playing);
        host->set_speed(m_speed);
        host->set_sim_per_wall(m_playing ? m_speed : 0.0);
        m_current = s;
        publishSnapshot(std::move(s));
    }
}

void ReplayCluster::republishCurrent()
{
    if (!m_current)
        return;
    auto s = std::make_shared<v1::Snapshot>(*m_current);
    s->clear_series_defs();
    v1::HostState* host = s->mutable_host();
    host->set_paused(!m_playing);
    host->set_speed(m_speed);
    host->set_sim_per_wall(m_playing ? m_speed : 0.0);
    m_current = s;
    publishSnapshot(std::move(s));
}

void ReplayCluster::setPlaying(bool playing)
{
    if (playing == m_playing)
        return;
    m_playing = playing;
    if (playing) {
        m_wall.start();
        m_carryNs = 0.0;
        m_playTimer.start();
    } else {
        m_playTimer.stop();
        m_runUntil = -1;
    }
}

void ReplayCluster::onPlayTick()
{
    const qint64 elapsedNs = m_wall.nsecsElapsed();
    m_wall.restart();
    m_carryNs += static_cast<double>(elapsedNs) * m_speed;
    const auto advance = static_cast<std::int64_t>(m_carryNs);
    m_carryNs -= static_cast<double>(advance);
    std::int64_t target = m_cursor + advance;
    bool stop = false;
    if (m_runUntil >= 0 && target >= m_runUntil) {
        target = m_runUntil;
        stop = true;
    }
    if (target >= m_last) {
        target = m_last;
        stop = true;
    }
    moveTo(target, false);
    if (stop) {
        setPlaying(false);
        republishCurrent();
    }
}

std::int64_t ReplayCluster::nextEventTime(std::int64_t after, const std::string& kind, const std::string& component) const
{
    telemetry::EventQuery q;
    q.from = after + 1;
    q.kind = kind;
    q.limit = component.empty() ? 1 : 0;
    // Bounded batches keep a search for a rare component cheap enough.
    std::int64_t from = after + 1;
    for (;;) {
        q.from = from;
        q.limit = component.empty() ? 1 : 512;
        auto events = m_reader->events(q);
        if (!events.ok() || events->empty())
            return -1;
        for (const v1::Event& e : *events) {
            if (componentMatches(e.component(), component))
                return e.sim_time_ns();
        }
        if (component.empty())
            return -1;
        from = events->back().sim_time_ns() + 1;
    }
}

std::uint64_t ReplayCluster::sendCommand(v1::Command command)
{
    const std::uint64_t token = nextToken();
    const QString name = commandName(command);
    const auto refuse = [&](const QString& why) {
        finishLater(token, false, name + QStringLiteral(": ") + why);
        return token;
    };
    const auto ok = [&] {
        finishLater(token, true, name + QStringLiteral(": ok"));
        return token;
    };
    switch (command.action_case()) {
    case v1::Command::kPause:
        setPlaying(false);
        republishCurrent();
        return ok();
    case v1::Command::kResume:
        if (m_cursor >= m_last)
            return refuse(tr("the recording ends at %1; seek back to play it again").arg(formatSimTime(m_last)));
        setPlaying(true);
        republishCurrent();
        return ok();
    case v1::Command::kSetSpeed: {
        const double f = command.set_speed().factor();
        if (std::isnan(f))
            return refuse(tr("speed factor is not a number"));
        m_speed = f > 0 ? std::clamp(f, 0.001, m_options.maxSpeed) : m_options.maxSpeed;
        republishCurrent();
        return ok();
    }
    case v1::Command::kStep: {
        const v1::Step& s = command.step();
        const std::uint64_t n = std::max<std::uint64_t>(s.events(), 1);
        std::int64_t t = m_cursor;
        for (std::uint64_t i = 0; i < n; ++i) {
            const std::int64_t next = nextEventTime(t, s.until_kind(), s.until_component());
            if (next < 0)
                return refuse(s.until_kind().empty()
                                  ? tr("no recorded event after %1").arg(formatSimTime(t))
                                  : tr("no recorded event of kind '%1' after %2")
                                        .arg(QString::fromStdString(s.until_kind()), formatSimTime(t)));
            t = next;
        }
        setPlaying(false);
        moveTo(t, false);
        republishCurrent();
        return ok();
    }
    case v1::Command::kRunUntil: {
        const std::int64_t t = command.run_until().sim_time_ns();
        if (t <= m_cursor) {
            setPlaying(false);
            moveTo(t, false);
            return ok();
        }
        setPlaying(true);
        m_runUntil = std::min(t, m_last);
        return ok();
    }
    default:
        return refuse(tr("a recording cannot be changed; attach to a live world to act on it"));
    }
}

void ReplayCluster::requestEventKinds()
{
    telemetry::EventQuery q;
    q.limit = 200'000;
    auto events = m_reader->events(q);
    std::set<std::string> kinds;
    if (events.ok()) {
        for (const v1::Event& e : *events)
            kinds.insert(e.kind());
    }
    QStringList list;
    for (const std::string& k : kinds)
        list.push_back(QString::fromStdString(k));
    QMetaObject::invokeMethod(
        this, [this, list] { emit eventKindsReady(list); }, Qt::QueuedConnection);
}

} // namespace livedeck::ui
