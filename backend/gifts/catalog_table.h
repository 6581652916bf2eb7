// CatalogTable: the gift catalogue's data (docs/GIFTS.md "product service"): the products
// with prices and kinds, the general tab of every room, and what the per-user services
// (privileged, custom tabs) hold for a viewer. It is data, generated once from the
// run's seed, so a run is reproducible and two runs with one seed see one catalogue.
//
// Keys: every value the KV cache may hold has a dense key index and a KV key name:
//   [0, products)                       "gifts:product:<id>"   one product (id = index + 1)
//   [products, +templates)              "gifts:panel:tpl:<t>"  a general-tab template
//   [products + templates, +eventRooms) "gifts:panel:room:<r>" an event room's own tab
// Rooms 1..eventRooms (the gala room is room 1) have curated tabs; every other room
// shows one of `templates` general tabs chosen by a hash of the room id. The key space
// is fixed, so per-key bookkeeping is a vector indexed by key.
//
// Values are text, as a cache would hold them:
//   product: "product|<id>|<priceCents>|<kind>|<privileged 0/1>"
//   tab:     "tab|<key name>|<n>|<id>:<price>:<kind>;..."  (n entries)
// encode() composes a value from the table (real work: it scans the products and
// sorts the tab), decode() parses one and checks it (entry count, item checksum).
//
// Defaults (ours): 200 products (LoadGeneratorConfig::products), 40 gifts on a general
// tab, 32 tab templates, 16 event rooms with 4 extra event gifts each, 10 % of products
// reserved for privileged users (never among the 20 most popular).
// Immutable after construction; any thread may read it.
#pragma once

#include "backend/gifts/gift_types.h"
#include "backend/sim/random.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::gifts {

struct CatalogTableConfig {
    std::uint32_t products = 200;
    std::uint32_t generalTabSize = 40;
    std::uint32_t templates = 32;
    std::uint32_t eventRooms = 16;
    std::uint32_t eventGifts = 4;
    double privilegedShare = 0.10;
    std::uint32_t alwaysGeneral = 20; // the most popular products are on every tab
};

struct Product {
    ProductId id = 0;
    std::int64_t priceCents = 0;
    GiftKind kind = GiftKind::Single;
    bool privileged = false;
};

enum class CatalogKeyKind : std::uint8_t { Product, Template, EventRoom };

// A decoded KV value (what the in-process cache holds).
struct CatalogEntry {
    bool isProduct = false;
    ProductId product = 0;
    std::int64_t priceCents = 0;
    GiftKind kind = GiftKind::Single;
    bool privileged = false;
    std::uint32_t items = 0;     // tab: gifts on it
    std::uint64_t checksum = 0;  // tab: fold of the gift ids in order
};

// What composing or reading a value cost in work units (for service-time models).
struct CatalogWork {
    std::uint32_t scanned = 0; // products examined
    std::uint32_t bytes = 0;   // bytes produced
};

class CatalogTable {
public:
    static constexpr std::uint32_t kNoKey = 0xFFFFFFFFu;

    CatalogTable(sim::RandomStream rng, CatalogTableConfig config = {});

    const CatalogTableConfig& config() const { return m_config; }
    const std::vector<Product>& products() const { return m_products; }
    const Product* product(ProductId id) const;

    std::uint32_t keyCount() const { return static_cast<std::uint32_t>(m_keyNames.size()); }
    std::uint32_t productKey(ProductId id) const;
    std::uint32_t roomKey(RoomId room) const;
    CatalogKeyKind keyKind(std::uint32_t key) const;
    const std::string& keyName(std::uint32_t key) const { return m_keyNames[key]; }

    // Composes the stored value of `key` into `out` (replacing it); returns the work.
    CatalogWork encode(std::uint32_t key, std::string& out) const;
    // Parses a value; false when it is malformed or its entry count does not match.
    static bool decode(std::string_view value, CatalogEntry& out);
    // The checksum decode() computes over a tab's gift ids, in order.
    static std::uint64_t foldId(std::uint64_t checksum, ProductId id);

    // Per-user tabs: the privileged gifts a viewer may send (by the viewer's level) and
    // the viewer's custom gifts. Returns the item count; `checksum` folds their ids.
    std::uint32_t privilegedFor(Uid uid, std::uint64_t& checksum, CatalogWork& work) const;
    std::uint32_t customFor(Uid uid, std::uint64_t& checksum, CatalogWork& work) const;

private:
    void composeTab(std::uint64_t salt, std::uint32_t size, std::vector<ProductId>& out) const;

    CatalogTableConfig m_config;
    std::uint64_t m_salt = 0;
    std::vector<Product> m_products;      // by id - 1
    std::vector<ProductId> m_general;     // non-privileged, by id
    std::vector<ProductId> m_privileged;  // by id
    std::vector<std::string> m_keyNames;
};

} // namespace livedeck::gifts
