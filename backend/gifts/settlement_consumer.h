// SettlementConsumer: settles paid gift orders from the order events on the MQ
// (docs/GIFTS.md: "Settlement runs off a message queue … consumers are idempotent, commit
// offsets manually, send unprocessable messages to a dead-letter queue").
// Component "<path>" (kind "settlement-consumer"); its MQ consumer is "<path>/consumer",
// its dead-letter producer "<path>/dlq".
//
// Two roles:
// - Primary: a member of consumer group `group` on one broker's gift-orders topic
//   (every serving region consumes its own broker; in cross-region mode the regions
//   also share the sh-a broker's group). The poll loop hands each batch to process()
//   and commits the batch's offsets only after the settlement DB acknowledged it
//   (manual commit: at-least-once; duplicates are absorbed by the DB's unique index).
// - Standby (hot standby for another region, docs/GIFTS.md "cross-region consumption through
//   a mirror that tags each message with its region … hot-standby recovery"): consumes
//   the mirrored topic "<home>.gift-orders" on its own region's broker, keeps only the
//   records tagged region=<home>, and follows the home group's committed offsets (a
//   checkpoint read every standbyInterval while the home broker is reachable, as
//   MirrorMaker 2's checkpoints): records the home group already committed are skipped,
//   the rest wait — until setActive(true) (the home region was declared down), when the
//   standby settles them itself. It commits its own progress with explicit offsets.
//
// process(batch): each record is parsed (parseOrderEvent); an unparseable or invalid
// record is retried with the whole batch (nothing of the batch is written) up to
// `poisonAttempts` times, then sent to "<topic>.dlq" (MqDeadLetter) and skipped, so the
// rest keep flowing; without a DLQ (sabotage) it is retried for ever and blocks its
// partition. Valid records go to the settlement DB in one transaction; the sinks (the
// settlement watchdog) hear of each settled order. A DB failure retries the batch
// after retryBackoff. Duplicates (same producer sequence) are counted with an
// MqSequenceTracker (gifts.settlement.duplicates, weighted).
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/gifts_config.h"
#include "backend/gifts/settlement_db.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_dead_letter.h"
#include "backend/infra/mq_producer.h"
#include "backend/infra/mq_sequence_tracker.h"
#include "backend/telemetry/telemetry.h"

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace livedeck::gifts {

class SettlementSink {
public:
    virtual ~SettlementSink() = default;
    virtual void onSettled(const PaidOrder& order) = 0;
};

// Where a standby reads the home group's checkpoint.
struct StandbySource {
    infra::MqBroker* homeBroker = nullptr;
    std::string homeRegion;
    std::string homeGroup;
    std::string homeTopic;
};

class SettlementConsumer final : public sim::Inspectable {
public:
    enum class Role : std::uint8_t { Primary, Standby };

    SettlementConsumer(sim::World& world, std::string path, infra::MqBroker& broker, std::string topic, Role role,
                       const SettlementConfig& config, bool deadLetter, SettlementDb& db,
                       telemetry::Telemetry& telemetry, StandbySource standby = {});
    ~SettlementConsumer() override;
    SettlementConsumer(const SettlementConsumer&) = delete;
    SettlementConsumer& operator=(const SettlementConsumer&) = delete;

    void start();
    void stop();
    bool running() const { return m_running; }
    // Standby: the home region is down (take over) or back (follow again).
    void setActive(bool active);
    bool active() const { return m_active; }
    void addSink(SettlementSink* sink) { m_sinks.push_back(sink); }

    const std::string& path() const { return m_path; }
    Role role() const { return m_role; }
    infra::MqConsumer& consumer() { return m_consumer; }

    struct Stats {
        std::uint64_t batches = 0;
        std::uint64_t settled = 0;        // records written to the DB (including absorbed duplicates)
        std::uint64_t poisonRetries = 0;  // batch retries caused by a poison record
        std::uint64_t deadLettered = 0;
        std::uint64_t dbRetries = 0;
        std::uint64_t duplicatesSeen = 0; // by producer sequence
        std::uint64_t skippedCheckpoint = 0; // standby: already committed by the home group
        std::uint64_t skippedRegion = 0;     // standby: another region's record
        std::uint64_t takenOver = 0;         // standby: settled while the home region was down
    };
    const Stats& stats() const { return m_stats; }

    void inspect(sim::StateWriter& out) const override;

private:
    using Then = sim::InlineFunction<void(bool ok), 48>;
    using AttemptKey = std::tuple<std::string, int, std::int64_t>;

    void process(const std::vector<const infra::MqConsumerRecord*>& records, Then then);
    void stepDone(bool ok);
    void onPrimaryBatch(const infra::MqBatch& batch, infra::MqAck ack);
    void standbyTick();
    void refreshCheckpoint();
    void onStandbyBatch(infra::MqError error, const infra::MqBatch& batch);
    void scheduleTick(sim::Nanos delay);

    sim::World& m_world;
    std::string m_path;
    sim::ComponentId m_component;
    infra::MqBroker& m_broker;
    std::string m_topic;
    Role m_role;
    SettlementConfig m_config;
    bool m_deadLetter;
    SettlementDb& m_db;
    StandbySource m_standby;
    infra::MqConsumer m_consumer;
    infra::MqProducer m_dlq;
    infra::MqSequenceTracker m_tracker;
    std::vector<SettlementSink*> m_sinks;
    bool m_running = false;
    bool m_active = false;
    bool m_busy = false;
    std::uint64_t m_batchSeq = 0;
    int m_outstanding = 0;
    bool m_stepFailed = false;
    Then m_then;
    std::vector<PaidOrder> m_valid;          // scratch of the batch in hand
    std::vector<const infra::MqConsumerRecord*> m_records; // scratch
    std::map<AttemptKey, int> m_attempts;    // poison records seen, by position
    std::vector<std::int64_t> m_checkpoint;  // standby: home group's committed offset per partition
    std::vector<infra::MqOffsetCommit> m_pendingCommits; // standby: offsets to commit after the batch
    sim::EventHandle m_tick;
    sim::EventKindId m_tickKind;
    sim::EventKindId m_retryKind;
    Stats m_stats;
    telemetry::Counter* m_settledCounter = nullptr;
    telemetry::Counter* m_dlqCounter = nullptr;
    telemetry::Counter* m_duplicateCounter = nullptr;
    telemetry::Counter* m_poisonCounter = nullptr;
};

} // namespace livedeck::gifts
