// Value types shared by the gift engine's parts (docs/GIFTS.md): viewers, rooms, gifts,
// orders. Ids are plain integers so event callbacks can capture them cheaply.
#pragma once

#include "backend/sim/time.h"

#include <cstdint>
#include <string_view>

namespace livedeck::gifts {

using Uid = std::uint64_t;      // viewer / user id
using RoomId = std::uint32_t;   // 1 = the gala room (rank 1 of the Zipf popularity)
using ProductId = std::uint32_t;
using OrderId = std::uint64_t;

enum class GiftKind : std::uint8_t {
    Single,        // one gift
    Combo,         // many in a row: one order whose quantity is the run's gifts (or, expanded,
                   // one order per gift, each with its own key: LoadGeneratorConfig)
    BlindBox,      // random content decided by the product service
    TreasureChest, // shared reward in the room
};
std::string_view toString(GiftKind kind);

// One viewer entering a room: the panel is preloaded (docs/GIFTS.md "gift panel").
struct RoomEntry {
    Uid uid = 0;
    RoomId room = 0;
    int region = 0;       // index of the region the viewer's traffic lands in
    double weight = 1.0;  // real requests this discrete request stands for
};

// One gift send (one order). A combo is one send whose quantity counts its gifts, or, with
// LoadGeneratorConfig::comboAsOneOrder off, several sends with consecutive sequence numbers.
struct GiftSend {
    Uid uid = 0;
    RoomId room = 0;
    int region = 0;
    ProductId product = 0;
    GiftKind kind = GiftKind::Single;
    std::uint32_t quantity = 1;
    std::uint64_t clientSeq = 0;   // with uid, the idempotency key of the order
    std::uint32_t comboIndex = 0;  // position inside a combo (0 for single gifts)
    double weight = 1.0;
};

// The idempotency key of an order: the client's (uid, sequence) pair. A client retry
// reuses it, so a second charge for the same key is a bug the invariants catch.
struct IdempotencyKey {
    Uid uid = 0;
    std::uint64_t clientSeq = 0;
    friend bool operator==(const IdempotencyKey&, const IdempotencyKey&) = default;
    friend auto operator<=>(const IdempotencyKey&, const IdempotencyKey&) = default;
};

// docs/GIFTS.md multi-active: today calls may reach another data centre's Redis/DB/MQ
// ("cross-region"); the next phase prefers local-region resources ("local-first").
enum class MultiActiveMode : std::uint8_t { CrossRegion, LocalFirst };
std::string_view toString(MultiActiveMode mode);

enum class OrderStatus : std::uint8_t {
    Created,   // stored, payment not yet confirmed
    Paid,      // payment succeeded and the order knows it
    Failed,    // payment failed, or timed out and the 2 s re-check found it unpaid
    Refunding, // paid/failed mismatch found by the audit: queued for refund verification
    Refunded,
};
std::string_view toString(OrderStatus status);

} // namespace livedeck::gifts
