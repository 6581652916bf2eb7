// Settlement repair after an MQ outage: the shrunk swarm seed 137 of gala-night-sweep
// (tests/gala/drills/gala-night-sweep-swarm-137.yaml, the same text). sh-b's gift MQ is
// down for 3.4 s at the countdown; the events of the orders paid meanwhile fail to
// publish, the missing-settlement alert re-publishes them. Each re-published record is
// heavy (it stands for 15 000 real orders); sent all at once they overload the broker's
// queue and are rejected together on every attempt, so some orders stayed charged and
// unsettled to the end. The order service now sends its repairs one at a time.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

namespace {

constexpr std::string_view kDrill = R"(# Shrunk by: livedeckctl drill sweep gala-night-sweep --swarm --seeds 137
# Breaks gifts.paid_unsettled with 1 of the seed's 4 faults (4 runs of delta debugging).
# Reproduce: livedeckctl drill run THIS_FILE
name: gala-night-sweep-swarm-137
description: "Shrunk from drill sweep gala-night-sweep --swarm, seed 137: down sh-b/gifts/mq break gifts.paid_unsettled.\n"
seed: 137
duration: 30s
start: 2026-12-31T23:59:52+08:00
engines:
  gifts:
    mode: local-first
    scale: 0.02
    profile: gala
    profile_params:
      start_viewers: 150e6
      peak_viewers: 330e6
      ramp_start: 0s
      peak_at: 8s
      countdown_at: 8s
      countdown_lead: 2s
      countdown_tail: 4s
    stop_load_at: 14s
    min_pods: 120
    timers: {settlement_missing: 4s, audit_interval: 1s, audit_delay: 8s, audit_max_pending: 12s}
    gala: {shared_infra: true, notices: true, audience: true}
  messaging:
    mode: upgraded
    scale: 0.05
    data_scale: 0.02
    stop_load_at: 14s
    gala: {shared_infra: true, notices: true, audience: true, countdown_campaign_users: 4e5}
  cdn:
    mode: new
    profile: gala
    fidelity: 400
    stop_load_at: 14s
    gala: {audience: true}
faults:
  - name: swarm-3
    at: 8.581s
    until: 12s
    kind: down
    target: sh-b/gifts/mq
)";

} // namespace

class TstSettlementRepair : public QObject {
    Q_OBJECT

private slots:
    void mqOutageRepairSettlesEveryPaidOrder()
    {
        const absl::StatusOr<livedeck::drills::DrillReport> r =
            runDrillText(kDrill, "gala-night-sweep-swarm-137.yaml");
        QVERIFY2(r.ok(), std::string(r.status().message()).c_str());
        qInfo("%s", r->verdictLine().c_str());
        const std::string why = invariantsOutside(*r, {});
        QVERIFY2(why.empty(), why.c_str());
        LIVEDECK_VERIFY_REPORT(r->passed(), *r);
    }
};

LIVEDECK_TEST_CLASS(TstSettlementRepair)
#include "tst_settlement_repair.moc"
