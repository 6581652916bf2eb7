#include "backend/gifts/catalog_table.h"

#include "backend/sim/strings.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <utility>

namespace livedeck::gifts {
namespace {

// Price tiers in cents (1 yuan … 1314 yuan): popular gifts are cheap.
constexpr std::int64_t kPriceTiers[] = {100, 520, 990, 1000, 1314, 5200, 9990, 13140, 52000, 131400};
constexpr std::uint64_t kTemplateSalt = 0x7470'6c5f'7461'6273ULL;
constexpr std::uint64_t kEventSalt = 0x6576'656e'745f'726dULL;
constexpr std::uint64_t kLevelSalt = 0x6c65'7665'6c5f'7573ULL;
constexpr std::uint64_t kCustomSalt = 0x6375'7374'6f6d'5f74ULL;

std::uint64_t mix(std::uint64_t a, std::uint64_t b)
{
    std::uint64_t s = a ^ (b * 0x9E3779B97F4A7C15ULL);
    return sim::splitmix64(s);
}

template <class T>
bool parseNumber(std::string_view text, T& out)
{
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// Splits off the text up to `sep`; false when `sep` is absent.
bool take(std::string_view& rest, char sep, std::string_view& field)
{
    const std::size_t p = rest.find(sep);
    if (p == std::string_view::npos)
        return false;
    field = rest.substr(0, p);
    rest.remove_prefix(p + 1);
    return true;
}

void appendNumber(std::string& out, std::int64_t v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

} // namespace

CatalogTable::CatalogTable(sim::RandomStream rng, CatalogTableConfig config) : m_config(config)
{
    assert(config.products > 0 && config.templates > 0 && config.generalTabSize > 0);
    m_salt = rng.next();
    m_products.reserve(config.products);
    const std::uint32_t rest = config.products > config.alwaysGeneral ? config.products - config.alwaysGeneral : 0;
    const double privilegedP
        = rest > 0 ? std::min(1.0, config.privilegedShare * config.products / static_cast<double>(rest)) : 0.0;
    for (std::uint32_t i = 0; i < config.products; ++i) {
        Product p;
        p.id = i + 1;
        const bool popular = p.id <= config.alwaysGeneral;
        const std::uint64_t tier = popular ? rng.uniformInt(4) : rng.uniformInt(std::size(kPriceTiers));
        p.priceCents = kPriceTiers[tier];
        const double u = rng.uniform01();
        p.kind = u < 0.10 ? GiftKind::BlindBox : (u < 0.15 ? GiftKind::TreasureChest : GiftKind::Single);
        p.privileged = !popular && rng.bernoulli(privilegedP);
        (p.privileged ? m_privileged : m_general).push_back(p.id);
        m_products.push_back(p);
    }
    m_keyNames.reserve(static_cast<std::size_t>(config.products) + config.templates + config.eventRooms);
    for (const Product& p : m_products)
        m_keyNames.push_back(sim::strCat("gifts:product:", p.id));
    for (std::uint32_t t = 0; t < config.templates; ++t)
        m_keyNames.push_back(sim::strCat("gifts:panel:tpl:", t));
    for (std::uint32_t r = 1; r <= config.eventRooms; ++r)
        m_keyNames.push_back(sim::strCat("gifts:panel:room:", r));
}

const Product* CatalogTable::product(ProductId id) const
{
    return id >= 1 && id <= m_products.size() ? &m_products[id - 1] : nullptr;
}

std::uint32_t CatalogTable::productKey(ProductId id) const
{
    return id >= 1 && id <= m_products.size() ? id - 1 : kNoKey;
}

std::uint32_t CatalogTable::roomKey(RoomId room) const
{
    const std::uint32_t base = m_config.products;
    if (room >= 1 && room <= m_config.eventRooms)
        return base + m_config.templates + (room - 1);
    return base + static_cast<std::uint32_t>(mix(m_salt ^ kTemplateSalt, room) % m_config.templates);
}

CatalogKeyKind CatalogTable::keyKind(std::uint32_t key) const
{
    if (key < m_config.products)
        return CatalogKeyKind::Product;
    if (key < m_config.products + m_config.templates)
        return CatalogKeyKind::Template;
    return CatalogKeyKind::EventRoom;
}

void CatalogTable::composeTab(std::uint64_t salt, std::uint32_t size, std::vector<ProductId>& out) const
{
    out.clear();
    std::vector<std::pair<std::uint64_t, ProductId>> rest;
    rest.reserve(m_general.size());
    for (ProductId id : m_general) {
        if (id <= m_config.alwaysGeneral && out.size() < size)
            out.push_back(id);
        else
            rest.emplace_back(mix(salt, id), id);
    }
    std::sort(rest.begin(), rest.end());
    for (const auto& [order, id] : rest) {
        if (out.size() >= size)
            break;
        out.push_back(id);
    }
}

CatalogWork CatalogTable::encode(std::uint32_t key, std::string& out) const
{
    assert(key < keyCount());
    CatalogWork work;
    out.clear();
    const CatalogKeyKind kind = keyKind(key);
    if (kind == CatalogKeyKind::Product) {
        const Product& p = m_products[key];
        out.append("product|");
        appendNumber(out, p.id);
        out.push_back('|');
        appendNumber(out, p.priceCents);
        out.push_back('|');
        appendNumber(out, static_cast<int>(p.kind));
        out.append(p.privileged ? "|1" : "|0");
        work.scanned = 1;
    } else {
        std::vector<ProductId> ids;
        if (kind == CatalogKeyKind::Template) {
            const std::uint32_t t = key - m_config.products;
            composeTab(m_salt ^ kTemplateSalt ^ ((t + 1) * 0x100000001B3ULL), m_config.generalTabSize, ids);
        } else {
            const std::uint32_t room = key - m_config.products - m_config.templates + 1;
            composeTab(m_salt ^ kEventSalt ^ (room * 0x100000001B3ULL), m_config.generalTabSize + m_config.eventGifts,
                       ids);
        }
        out.append("tab|");
        out.append(m_keyNames[key]);
        out.push_back('|');
        appendNumber(out, static_cast<std::int64_t>(ids.size()));
        out.push_back('|');
        for (ProductId id : ids) {
            const Product& p = m_products[id - 1];
            appendNumber(out, p.id);
            out.push_back(':');
            appendNumber(out, p.priceCents);
            out.push_back(':');
            appendNumber(out, static_cast<int>(p.kind));
            out.push_back(';');
        }
        work.scanned = static_cast<std::uint32_t>(m_general.size());
    }
    work.bytes = static_cast<std::uint32_t>(out.size());
    return work;
}

std::uint64_t CatalogTable::foldId(std::uint64_t checksum, ProductId id)
{
    return (checksum ^ id) * 0x100000001B3ULL;
}

bool CatalogTable::decode(std::string_view value, CatalogEntry& out)
{
    out = CatalogEntry{};
    std::string_view rest = value;
    std::string_view type;
    if (!take(rest, '|', type))
        return false;
    if (type == "product") {
        std::string_view id, price, kind;
        if (!take(rest, '|', id) || !take(rest, '|', price) || !take(rest, '|', kind))
            return false;
        int kindValue = 0;
        if (!parseNumber(id, out.product) || !parseNumber(price, out.priceCents) || !parseNumber(kind, kindValue)
            || kindValue < 0 || kindValue > static_cast<int>(GiftKind::TreasureChest) || (rest != "0" && rest != "1"))
            return false;
        out.isProduct = true;
        out.kind = static_cast<GiftKind>(kindValue);
        out.privileged = rest == "1";
        out.items = 1;
        return true;
    }
    if (type != "tab")
        return false;
    std::string_view name, count;
    std::uint32_t expected = 0;
    if (!take(rest, '|', name) || !take(rest, '|', count) || !parseNumber(count, expected))
        return false;
    std::uint64_t checksum = 0;
    std::uint32_t items = 0;
    std::string_view entry;
    while (take(rest, ';', entry)) {
        std::string_view id;
        ProductId pid = 0;
        if (!take(entry, ':', id) || !parseNumber(id, pid))
            return false;
        checksum = foldId(checksum, pid);
        ++items;
    }
    if (!rest.empty() || items != expected)
        return false;
    out.items = items;
    out.checksum = checksum;
    return true;
}

std::uint32_t CatalogTable::privilegedFor(Uid uid, std::uint64_t& checksum, CatalogWork& work) const
{
    constexpr std::uint32_t kMaxPrivileged = 8;
    const std::uint64_t level = mix(m_salt ^ kLevelSalt, uid) % 10; // viewer level 0..9
    std::uint32_t n = 0;
    checksum = 0;
    for (ProductId id : m_privileged) {
        ++work.scanned;
        if (mix(uid, id) % 10 < level) {
            checksum = foldId(checksum, id);
            if (++n == kMaxPrivileged)
                break;
        }
    }
    return n;
}

std::uint32_t CatalogTable::customFor(Uid uid, std::uint64_t& checksum, CatalogWork& work) const
{
    const std::uint32_t n = static_cast<std::uint32_t>(mix(m_salt ^ kCustomSalt, uid) % 4);
    checksum = 0;
    for (std::uint32_t i = 0; i < n && !m_general.empty(); ++i) {
        checksum = foldId(checksum, m_general[mix(uid, i + 1) % m_general.size()]);
        ++work.scanned;
    }
    return n;
}

} // namespace livedeck::gifts
