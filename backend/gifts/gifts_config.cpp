#include "backend/gifts/gifts_config.h"

#include "backend/sim/strings.h"

#include <algorithm>

namespace livedeck::gifts {

bool Sabotage::any() const
{
    return consumerNotIdempotent || asyncReplication || noIdempotencyKey || noPaymentRecheck || noAudit
        || noDeadLetter || noRegionDrain || quotaFailClosed || noAutoscale || noBreaker || noSingleflight
        || noHotKeyCache || noHotRoomCache || noKvHedge;
}

std::string Sabotage::describe() const
{
    std::string out;
    const auto add = [&out](bool on, std::string_view name) {
        if (!on)
            return;
        if (!out.empty())
            out.append(", ");
        out.append(name);
    };
    add(consumerNotIdempotent, "consumer-not-idempotent");
    add(asyncReplication, "async-replication");
    add(noIdempotencyKey, "no-idempotency-key");
    add(noPaymentRecheck, "no-payment-recheck");
    add(noAudit, "no-audit");
    add(noDeadLetter, "no-dead-letter");
    add(noRegionDrain, "no-region-drain");
    add(quotaFailClosed, "quota-fail-closed");
    add(noAutoscale, "no-autoscale");
    add(noBreaker, "no-breaker");
    add(noSingleflight, "no-singleflight");
    add(noHotKeyCache, "no-hot-key-cache");
    add(noHotRoomCache, "no-hot-room-cache");
    add(noKvHedge, "no-kv-hedge");
    return out.empty() ? std::string("none") : out;
}

absl::Status GiftsConfig::validate() const
{
    const auto bad = [](std::string message) { return absl::InvalidArgumentError(std::move(message)); };
    if (multiActive.serving.empty())
        return bad("gifts: at least one serving region is needed (multi_active.serving is empty)");
    for (std::size_t i = 0; i < multiActive.serving.size(); ++i) {
        for (std::size_t j = i + 1; j < multiActive.serving.size(); ++j)
            if (multiActive.serving[i] == multiActive.serving[j])
                return bad(sim::strCat("gifts: serving region '", multiActive.serving[i], "' is listed twice"));
        if (multiActive.serving[i] == multiActive.standby)
            return bad(sim::strCat("gifts: region '", multiActive.standby, "' cannot be both serving and standby"));
    }
    if (multiActive.probeInterval <= 0 || multiActive.downAfter < multiActive.probeInterval
        || multiActive.restoreAfter < multiActive.probeInterval)
        return bad("gifts: GSLB probe interval must be > 0 and down/restore delays at least one interval");
    if (orders.initialPods < 1 || orders.threadsPerPod <= 0.0 || orders.cpuPerOrder <= 0)
        return bad("gifts: order pods need at least 1 pod, > 0 threads per pod and > 0 CPU per order");
    if (orders.crossServiceTimeout <= 0 || orders.dbTimeout <= 0 || orders.lockTimeout <= 0 || orders.recheckDelay <= 0)
        return bad("gifts: order timeouts (cross-service, DB, lock) and the payment re-check delay must be > 0");
    if (orders.maxRechecks < 1)
        return bad("gifts: orders.max_rechecks must be at least 1");
    if (orders.topicPartitions < 1)
        return bad("gifts: the order topic needs at least one partition");
    if (const absl::Status s = orders.paymentBreaker.validate(); !s.ok())
        return bad(sim::strCat("gifts: payment breaker: ", std::string(s.message())));
    if (payment.serviceTime <= 0 || payment.concurrency <= 0.0 || payment.declineRate < 0.0
        || payment.declineRate >= 1.0)
        return bad("gifts: payment needs service time > 0, concurrency > 0 and a decline rate in [0, 1)");
    if (client.timeout <= 0 || client.maxAttempts < 1)
        return bad("gifts: the client needs a timeout > 0 and at least one attempt");
    if (quota.enabled && quota.limitPerSec <= 0.0)
        return bad("gifts: the entry quota limit must be > 0 (or disable the quota)");
    if (quota.enabled && quota.headroom < 0.0)
        return bad("gifts: the entry quota's headroom must be >= 0");
    if (settlement.maxPollRecords < 1 || settlement.poisonAttempts < 1 || settlement.missingDelay <= 0
        || settlement.watchInterval <= 0)
        return bad("gifts: settlement needs max poll records >= 1, poison attempts >= 1, missing delay and watch "
                   "interval > 0");
    if (audit.interval <= 0 || audit.delay < 0 || audit.maxPending < audit.delay || audit.batch < 1)
        return bad("gifts: audit needs an interval > 0, delay >= 0, max pending >= delay and batch >= 1");
    if (autoscale.minPods < 1 || autoscale.maxPods < autoscale.minPods || autoscale.targetUtilization <= 0.0
        || autoscale.syncPeriod <= 0 || autoscale.sampleInterval <= 0)
        return bad("gifts: autoscaler needs 1 <= min pods <= max pods, a target > 0 and periods > 0");
    if (orderDb.shards < 1 || orderDb.placement.empty())
        return bad("gifts: the order DB needs at least one shard and one data centre");
    if (load.multiplier < 0.0 || load.peakViewers < 0.0 || load.startViewers < 0.0)
        return bad("gifts: load profile rates must not be negative");
    if (loadGenerator.minDiscreteGiftsPerSec <= 0.0 || loadGenerator.minDiscreteEntriesPerSec <= 0.0
        || loadGenerator.clusters < 1 || loadGenerator.products < 1 || loadGenerator.rooms < 1)
        return bad("gifts: the load generator needs discrete rates > 0 and at least one cluster, product and room");
    if (loadGenerator.products > catalog.table.products)
        return bad(sim::strCat("gifts: the load generator sends ", loadGenerator.products,
                               " products but the catalogue has ", catalog.table.products));
    if (const absl::Status s = catalog.validate(); !s.ok())
        return bad(sim::strCat("gifts: catalog: ", std::string(s.message())));
    if (const absl::Status s = panel.validate(); !s.ok())
        return bad(sim::strCat("gifts: panel: ", std::string(s.message())));
    return absl::OkStatus();
}

} // namespace livedeck::gifts
