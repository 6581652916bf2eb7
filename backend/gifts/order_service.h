// OrderService: one region's order deployment (docs/GIFTS.md "gift feeding: order, product
// and settlement services"). Component "<region>/gifts/order" (kind "order-service"):
// its pods are a ServiceQueue of pods × threadsPerPod real orders at once (the HPA
// changes the pod count), with sub-components "<region>/gifts/order/raft" (Raft KV
// client), "<region>/gifts/order/mq" and ".../mq-shared" (MQ producers) and
// "<region>/gifts/order/breaker/payment".
//
// One order (place()):
//   1. handler CPU on a pod (queue; weighted; a job heavier than the pods' concurrency
//      takes proportionally longer, so capacity is real-equivalent);
//   2. product and price from the ProductSource (the ProductCatalog: local cache →
//      Redis → DB);
//   3. the order lock on the idempotency key in the Raft KV (Taishan): lease 30 s, a
//      fencing token stored in the order row; held by another attempt → InProgress;
//   4. INSERT the order (status created) and its key (uid, client_seq) into shard
//      uid % 10, month partition of the calendar; a duplicate key means an earlier
//      attempt created it: read it (strong) and answer its status — or, holding the
//      lock, resume its payment;
//   5. payment through a payment service found by discovery (local region first), with
//      the 250 ms cross-service deadline, behind a circuit breaker;
//   6. UPDATE the status paid/failed (only from created); the order DB is semi-sync by
//      default, so an acknowledged paid status survives a primary failure;
//   7. paid → publish the order event to the MQ topic gift-orders (local broker in
//      local-first mode, the shared sh-a broker in cross-region mode);
//   8. answer the caller over the network; release the lock.
// When payment timed out (or the status could not be written), the caller hears
// Pending and the order is re-checked after 2 s (docs/GIFTS.md): a strong read of the
// payment row at the primary; charged → paid, else → failed; up to maxRechecks, then
// the audit decides. Every DB call has the order path's own timeout (1 s).
//
// Observers hear of every paid status the DB acknowledged (the settlement watchdog, the
// invariant checker). Single-threaded (the world's thread); order state lives in pooled
// slots, callbacks capture (slot, generation).
#pragma once

#include "backend/gifts/gifts_config.h"
#include "backend/gifts/order_store.h"
#include "backend/gifts/payment_service.h"
#include "backend/gifts/product_source.h"
#include "backend/infra/discovery.h"
#include "backend/infra/mq_producer.h"
#include "backend/infra/raft_client.h"
#include "backend/resilience/circuit_breaker.h"
#include "backend/telemetry/telemetry.h"

#include <absl/container/flat_hash_set.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::gifts {

enum class OrderAnswer : std::uint8_t {
    Paid,        // charged and recorded
    Failed,      // declined, or not charged
    Pending,     // payment outcome unknown: the order is being re-checked
    InProgress,  // another attempt with the same key holds the order
    Error,       // a dependency failed (product, lock service, DB): retriable
    Unavailable, // the service (or its region) is down: retriable
    Overloaded,  // the pods' queue refused it: retriable
    RateLimited, // the entry quota refused it: not retried
    Timeout,     // (client side) no answer within the client's deadline
};
std::string_view toString(OrderAnswer answer);
bool isRetriable(OrderAnswer answer);
// An answer the system gave correctly (the order is in a known, intended state).
bool isServed(OrderAnswer answer);

struct OrderRequest {
    GiftSend send;
    sim::ComponentId from = sim::kNoComponent; // the entry that forwarded it
    int attempt = 1;
};

struct OrderReply {
    OrderAnswer answer = OrderAnswer::Error;
    OrderId order = 0;
};

// A paid status the order DB acknowledged.
struct PaidOrder {
    OrderId order = 0;
    IdempotencyKey key;
    RoomId room = 0;
    std::int64_t amountCents = 0;
    int region = -1;       // region of the order service that recorded it
    int partition = 0;
    double weight = 1.0;
    sim::Nanos paidAt = 0;
};

class OrderObserver {
public:
    virtual ~OrderObserver() = default;
    virtual void onPaidRecorded(const PaidOrder& order) = 0;
};

// Finds a payment service for a caller (discovery, local first); reports outcomes back
// for outlier ejection.
class PaymentDirectory {
public:
    virtual ~PaymentDirectory() = default;
    virtual PaymentService* pickPayment(sim::ComponentId caller, infra::InstanceId& instance) = 0;
    virtual void reportPayment(infra::InstanceId instance, bool ok) = 0;
};

struct OrderServiceDeps {
    OrderStore* store = nullptr;
    ProductSource* products = nullptr;
    infra::RaftCluster* raft = nullptr;
    PaymentDirectory* payments = nullptr;
    infra::MqBroker* localBroker = nullptr;  // this region's broker (local-first)
    infra::MqBroker* sharedBroker = nullptr; // the one broker everyone uses in cross-region mode
    telemetry::Telemetry* telemetry = nullptr;
};

class OrderService final : public sim::Inspectable {
public:
    using Done = sim::InlineFunction<void(const OrderReply& reply), 48>;

    OrderService(sim::World& world, std::string_view region, const GiftsConfig& config, OrderServiceDeps deps);
    ~OrderService() override;
    OrderService(const OrderService&) = delete;
    OrderService& operator=(const OrderService&) = delete;

    // An order request that arrived from `request.from`; `done` runs when the answer is
    // back at the caller (never when it is lost: the caller's own deadline covers that).
    void place(const OrderRequest& request, Done done);
    // Re-publishes a paid order's event (settlement repair after the missing alert).
    // Repairs go out one at a time, the next when the previous one's produce answered:
    // a missing-alert batch is many heavy records at once, and sent together they
    // overload the broker's queue and are rejected together, retry after retry, every
    // alert (settlement_watchdog.h). An order already waiting for its repair is not queued twice.
    void republish(const PaidOrder& order);
    // The next `count` published events carry a payload the settlement cannot parse.
    void injectPoison(int count) { m_poison += count; }

    void setMode(MultiActiveMode mode) { m_mode = mode; }
    MultiActiveMode mode() const { return m_mode; }
    void setPods(int pods);
    int pods() const { return m_pods; }
    void addObserver(OrderObserver* observer) { m_observers.push_back(observer); }

    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }
    int region() const { return m_region; }
    infra::ServiceQueue& queue() { return m_queue; }
    const infra::ServiceQueue& queue() const { return m_queue; }
    resilience::CircuitBreaker& paymentBreaker() { return m_breaker; }
    const resilience::CircuitBreaker& paymentBreaker() const { return m_breaker; }
    infra::RaftClient& raftClient() { return m_raft; }
    std::size_t activeOrders() const { return m_active; }

    struct Stats {
        std::uint64_t placed = 0;
        std::uint64_t paid = 0;
        std::uint64_t failed = 0;
        std::uint64_t pending = 0;
        std::uint64_t inProgress = 0;
        std::uint64_t duplicateKeys = 0;
        std::uint64_t resumed = 0;
        std::uint64_t rechecks = 0;
        std::uint64_t recheckPaid = 0;
        std::uint64_t recheckFailed = 0;
        std::uint64_t recheckGaveUp = 0;
        std::uint64_t paidConfirmed = 0; // status already paid by this attempt's own lost write
        std::uint64_t published = 0;
        std::uint64_t publishFailed = 0;
        std::uint64_t poisoned = 0;
        std::uint64_t errors = 0;
    };
    const Stats& stats() const { return m_stats; }

    void inspect(sim::StateWriter& out) const override;

private:
    enum class Stage : std::uint8_t { Admit, Product, Lock, Insert, Existing, Pay, Final, Recheck };
    struct Order {
        std::uint32_t gen = 0;
        bool live = false;    // the caller waits for an answer
        bool active = false;  // work on the order continues
        bool rechecking = false;
        bool holdsLock = false;
        Stage stage = Stage::Admit;
        OrderRequest request;
        OrderId id = 0;
        OrderId lockOwner = 0; // the order id that named the lock's owner
        int partition = 0;
        std::int64_t amountCents = 0;
        std::uint64_t token = 0;
        int rechecks = 0;
        sim::Nanos started = 0;
        resilience::Permit permit;
        infra::InstanceId paymentInstance = 0;
        OrderStatus target = OrderStatus::Created;
        Done done;
    };

    std::uint32_t alloc();
    void releaseSlot(std::uint32_t slot);
    Order* live(std::uint32_t slot, std::uint32_t gen);
    void admitted(std::uint32_t slot, infra::ServiceOutcome outcome);
    void productLookup(std::uint32_t slot);
    void lock(std::uint32_t slot);
    void insert(std::uint32_t slot);
    void existing(std::uint32_t slot);
    void existingStatus(std::uint32_t slot, OrderId id, int partition);
    void pay(std::uint32_t slot);
    void paid(std::uint32_t slot, const PaymentReply& reply);
    void markFinal(std::uint32_t slot, OrderStatus status);
    void recordedPaid(std::uint32_t slot); // the paid status is in the DB: event out, answer
    void statusUnknown(std::uint32_t slot); // answer Pending, re-check later
    void finalWritten(std::uint32_t slot, infra::SqlResult& result);
    void scheduleRecheck(std::uint32_t slot);
    void recheck(std::uint32_t slot);
    void reply(std::uint32_t slot, OrderAnswer answer);
    void finishWork(std::uint32_t slot);
    void releaseLock(const Order& o);
    void publish(const PaidOrder& order, bool poison, bool repair = false);
    void repairNext();
    PaidOrder paidOrder(const Order& o) const;
    OrderPlace place(const Order& o) const { return OrderPlace{o.id, o.request.send.uid, o.partition}; }
    void lockName(const IdempotencyKey& key);
    void ownerName(OrderId id);

    sim::World& m_world;
    GiftsConfig m_config;
    OrderServiceDeps m_deps;
    std::string m_path;
    int m_region;
    sim::ComponentId m_component;
    infra::ServiceQueue m_queue;
    infra::RaftClient m_raft;
    infra::MqProducer m_localProducer;
    infra::MqProducer m_sharedProducer;
    sim::ComponentId m_breakerComponent;
    resilience::WorldBreakerEvents m_breakerEvents;
    resilience::CircuitBreaker m_breaker;
    MultiActiveMode m_mode;
    int m_pods = 0;
    bool m_raftLock;
    bool m_recheck;
    std::vector<Order> m_orders;
    std::vector<std::uint32_t> m_free;
    std::vector<Done> m_replies; // answers on their way back to the caller
    std::vector<std::uint32_t> m_freeReplies;
    std::size_t m_active = 0;
    std::uint64_t m_nextOrder = 1;
    int m_poison = 0;
    std::vector<OrderObserver*> m_observers;
    std::string m_lockName;  // scratch
    std::string m_owner;     // scratch
    std::string m_eventKey;  // scratch
    std::string m_eventValue; // scratch
    std::deque<PaidOrder> m_repairs;           // repairs waiting for the one in flight
    absl::flat_hash_set<OrderId> m_repairQueued; // their order ids (lookups only)
    bool m_repairing = false;                  // a repair's produce is in flight
    Stats m_stats;
    sim::EventKindId m_replyKind;
    sim::EventKindId m_recheckKind;
    sim::EventKindId m_repairKind;
    telemetry::Counter* m_paidCounter = nullptr;
    telemetry::Counter* m_failedCounter = nullptr;
    telemetry::Counter* m_pendingCounter = nullptr;
    telemetry::Counter* m_rechecksCounter = nullptr;
    telemetry::Counter* m_duplicateCounter = nullptr;
    telemetry::Counter* m_publishedCounter = nullptr;
    telemetry::Counter* m_publishFailedCounter = nullptr;
    telemetry::Gauge* m_podsGauge = nullptr;
};

// The order event on the MQ: "o1;<order>;<uid>;<client_seq>;<amount>;<region>;<paid_at_ns>;<room>".
void formatOrderEvent(const PaidOrder& order, std::string& out);
// Parses an order event; false for anything malformed (a poison message).
bool parseOrderEvent(std::string_view value, PaidOrder& out);

} // namespace livedeck::gifts
