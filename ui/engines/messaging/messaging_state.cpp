#include "ui/engines/messaging/messaging_state.h"

#include <QStringList>

#include <string_view>

namespace livedeck::ui::messaging {

namespace {

double toD(const std::string& v) { return QString::fromStdString(v).toDouble(); }

QStringList split(const std::string& v, QChar sep)
{
    return QString::fromStdString(v).split(sep, Qt::KeepEmptyParts);
}

TierLatency parseLatency(const std::string& v)
{
    const QStringList p = split(v, QLatin1Char(','));
    TierLatency t;
    if (p.size() >= 3) {
        t.p50 = p[0].toDouble();
        t.p99 = p[1].toDouble();
        t.count = p[2].toDouble();
    }
    return t;
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

} // namespace

bool parseMessagingState(const v1::Snapshot& snapshot, MessagingState& out)
{
    out = MessagingState{};
    const v1::ComponentState* cs = nullptr;
    for (const v1::ComponentState& c : snapshot.components()) {
        if (c.path() == "messaging") {
            cs = &c;
            break;
        }
    }
    if (!cs)
        return false;
    out.present = true;
    out.simNs = snapshot.sim_time_ns();
    for (const v1::KeyValue& kv : cs->state()) {
        const std::string& k = kv.key();
        const std::string& v = kv.value();
        if (k == "mode") {
            out.mode = QString::fromStdString(v);
        } else if (startsWith(k, "tier.")) {
            TierCounts& t = out.tier;
            if (k == "tier.queries") t.queries = toD(v);
            else if (k == "tier.redis_hits") t.redisHits = toD(v);
            else if (k == "tier.redis_misses") t.redisMisses = toD(v);
            else if (k == "tier.taishan_hits") t.taishanHits = toD(v);
            else if (k == "tier.taishan_misses") t.taishanMisses = toD(v);
            else if (k == "tier.mysql_reads") t.mysqlReads = toD(v);
            else if (k == "tier.mysql_primary_reads") t.mysqlPrimary = toD(v);
            else if (k == "tier.hedges") t.hedges = toD(v);
            else if (k == "tier.hedges_won") t.hedgesWon = toD(v);
            else if (k == "tier.failed") t.failed = toD(v);
            else if (k == "tier.hot_prewarms") t.hotPrewarms = toD(v);
            else if (k == "tier.taishan") out.taishanTier = v == "true";
            else if (k == "tier.latency.redis") out.latency[0] = parseLatency(v);
            else if (k == "tier.latency.taishan") out.latency[1] = parseLatency(v);
            else if (k == "tier.latency.mysql") out.latency[2] = parseLatency(v);
        } else if (startsWith(k, "hot.")) {
            if (k == "hot.second") {
                out.hotSecond = QString::fromStdString(v).toLongLong();
                continue;
            }
            const QStringList p = split(v, QLatin1Char(','));
            if (p.size() < 12)
                continue;
            HotRow r;
            r.user = p[0].toUInt();
            r.queries = p[1].toDouble();
            r.redis = p[2].toDouble();
            r.taishan = p[3].toDouble();
            r.mysql = p[4].toDouble();
            r.failed = p[5].toDouble();
            r.maxMs = p[6].toDouble();
            r.meanMs = p[7].toDouble();
            r.conversations = p[8].toLongLong();
            r.shard = p[9].toInt();
            r.region = p[10];
            r.prewarmed = p[11] == QLatin1String("1");
            out.hot.push_back(r);
        } else if (startsWith(k, "sync.")) {
            if (k == "sync.enabled") out.syncEnabled = v == "true";
            else if (k == "sync.apply") out.syncApply = QString::fromStdString(v);
            else if (k == "sync.version") out.syncVersion = QString::fromStdString(v);
            else if (k == "sync.applied") out.syncApplied = toD(v);
            else if (k == "sync.refused_duplicate") out.refusedDuplicate = toD(v);
            else if (k == "sync.refused_stale") out.refusedStale = toD(v);
            else if (k == "sync.lowered") out.lowered = toD(v);
            else if (k == "sync.records_per_sec") out.syncRecordsPerSec = toD(v);
            else if (k == "sync.lag_p99_ms") out.syncLagP99Ms = toD(v);
            else if (k == "sync.replica_delay_p99_ms") out.replicaDelayP99Ms = toD(v);
            else if (k == "sync.lag_hist") {
                for (const QString& s : split(v, QLatin1Char(',')))
                    out.lagHist.push_back(s.toDouble());
            }
        } else if (startsWith(k, "bulk.")) {
            if (startsWith(k, "bulk.channel.")) {
                const QStringList p = split(v, QLatin1Char(','));
                if (p.size() < 8)
                    continue;
                BulkChannel c;
                c.topic = p[0];
                c.carries = p[1];
                c.partitions = p[2].toInt();
                c.consumers = p[3].toInt();
                c.workers = p[4].toInt();
                c.lag = p[5].toDouble();
                c.inHand = p[6].toInt();
                c.busy = p[7].toInt();
                out.channels.push_back(c);
            } else if (k == "bulk.campaign.produced") out.campaignProduced = toD(v);
            else if (k == "bulk.campaign.left") out.campaignLeft = toD(v);
            else if (k == "bulk.campaign.delivered") out.campaignDelivered = toD(v);
            else if (k == "bulk.campaign.dead_lettered") out.deadLettered = toD(v);
            else if (k == "bulk.campaign.redelivered") out.redelivered = toD(v);
            else if (k == "bulk.campaign.paused") out.campaignPaused = v == "true";
            else if (k == "bulk.campaign.rate") out.campaignRate = toD(v);
            else if (k == "bulk.high.delivered") out.highDelivered = toD(v);
            else if (k == "bulk.high.rate") out.highRate = toD(v);
            else if (k == "bulk.high.p99_ms") out.highP99Ms = toD(v);
        } else if (startsWith(k, "content.")) {
            if (k == "content.layout") {
                out.contentLayout = QString::fromStdString(v);
            } else if (k == "content.rows") {
                for (const QString& item : split(v, QLatin1Char(';'))) {
                    const qsizetype eq = item.lastIndexOf(QLatin1Char('='));
                    if (eq > 0)
                        out.contentRows.emplace_back(item.left(eq), item.mid(eq + 1).toDouble());
                }
            }
        } else if (startsWith(k, "timeline.")) {
            if (k == "timeline.pairs") {
                out.pairs = QString::fromStdString(v);
            } else if (k == "timeline.users") {
                for (const QString& u : split(v, QLatin1Char(','))) {
                    if (u.isEmpty())
                        continue;
                    Inbox box;
                    box.user = u.toUInt();
                    out.inboxes.push_back(box);
                }
            } else if (startsWith(k, "timeline.inbox.")) {
                const std::uint32_t user = QString::fromStdString(k.substr(15)).toUInt();
                const QStringList p = split(v, QLatin1Char(','));
                for (Inbox& box : out.inboxes) {
                    if (box.user != user || p.size() < 6)
                        continue;
                    box.handed = p[0].toULongLong();
                    box.ceiling = p[1].toULongLong();
                    box.writtenBack = p[2].toULongLong();
                    box.cached = p[3] == QLatin1String("1");
                    box.skipped = p[4].toULongLong();
                    box.activity = p[5].toULongLong();
                }
            } else if (k != "timeline.epoch") {
                const std::uint32_t user = QString::fromStdString(k.substr(9)).toUInt();
                for (Inbox& box : out.inboxes) {
                    if (box.user != user)
                        continue;
                    for (const QString& item : split(v, QLatin1Char(';'))) {
                        const QStringList f = item.split(QLatin1Char('|'));
                        if (f.size() < 10)
                            continue;
                        TimelineEntry en;
                        en.gap = f[0] == QLatin1String("g");
                        en.atMs = f[1].toLongLong();
                        en.peer = f[2].toUInt();
                        en.outgoing = f[3] == QLatin1String("1");
                        en.seq = f[4].toULongLong();
                        en.peerSeq = f[5].toULongLong();
                        en.msgkey = f[6].toULongLong();
                        en.acked = f[7] == QLatin1String("1");
                        en.failure = f[8];
                        en.pushed = f[9].isEmpty() ? '-' : f[9].at(0).toLatin1();
                        box.entries.push_back(en);
                    }
                }
            }
        }
    }
    return true;
}

} // namespace livedeck::ui::messaging
