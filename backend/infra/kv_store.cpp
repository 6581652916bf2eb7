#include "backend/infra/kv_store.h"

#include <absl/container/btree_map.h>

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

namespace livedeck::infra {

struct KvStore::HashValue {
    // B-trees: a hash's fields sit together in a few nodes, so HGETALL walks contiguous
    // memory (as Redis's listpack for small hashes) instead of one heap node per field.
    absl::btree_map<std::string, std::string, std::less<>> fields;
    absl::btree_map<std::string, std::uint64_t, std::less<>> stamps; // hsetIfNewer versions by field
};

struct KvStore::ZSetValue {
    using Item = std::pair<double, std::string>;
    // Red-black tree with subtree sizes: O(log n) rank and select.
    using Tree = __gnu_pbds::tree<Item, __gnu_pbds::null_type, std::less<Item>, __gnu_pbds::rb_tree_tag,
                                  __gnu_pbds::tree_order_statistics_node_update>;
    Tree byScore;
    absl::flat_hash_map<std::string, double, sim::StringHash, sim::StringEq> scores;
};

struct KvStore::Entry {
    const std::string* key = nullptr; // the map's own key
    KvType type = KvType::String;
    std::uint64_t version = 0;
    std::uint64_t seq = 0;            // creation order: expiry-index tie-break
    sim::Nanos expireAt = sim::kNever;
    std::uint64_t bytes = 0;          // whole entry, counted in m_memory
    std::uint64_t dataBytes = 0;      // the value part
    std::string str;
    std::unique_ptr<HashValue> hash;
    std::unique_ptr<ZSetValue> zset;
    Entry* prev = nullptr; // towards the MRU end
    Entry* next = nullptr; // towards the LRU end
};

namespace {

bool parseInt(std::string_view s, std::int64_t& out)
{
    if (s.empty())
        return false;
    const char* first = s.data();
    const char* last = s.data() + s.size();
    const auto r = std::from_chars(first, last, out);
    return r.ec == std::errc() && r.ptr == last;
}

std::uint64_t fieldCost(std::string_view field, std::string_view value)
{
    return KvStore::kHashFieldOverhead + field.size() + value.size();
}

// A field's stamp as a Lua script keeps it in Redis: field "v:<field>", a 20-digit value.
std::uint64_t stampCost(std::string_view field)
{
    return KvStore::kHashFieldOverhead + 2 + field.size() + 20;
}

std::uint64_t memberCost(std::string_view member)
{
    return KvStore::kZsetMemberOverhead + member.size();
}

} // namespace

KvStore::KvStore(const sim::Clock& clock, KvStoreConfig config) : m_clock(clock), m_config(config) {}

KvStore::~KvStore() = default;

sim::Nanos KvStore::deadline(sim::Nanos ttl) const
{
    return ttl > 0 ? m_clock.now() + ttl : sim::kNever;
}

// ------------------------------------------------------------------ internals

void KvStore::begin(KvReply& out)
{
    out.clear();
    beginCommand();
}

void KvStore::beginCommand()
{
    m_work = KvWork{};
    purgeExpired();
}

void KvStore::purgeExpired()
{
    const sim::Nanos now = m_clock.now();
    while (!m_expiry.empty() && m_expiry.begin()->first.first <= now) {
        Entry* e = m_expiry.begin()->second;
        ++m_expirations;
        ++m_work.expired;
        erase(*e);
    }
}

KvStore::Entry* KvStore::find(std::string_view key)
{
    const auto it = m_entries.find(key);
    if (it == m_entries.end())
        return nullptr;
    Entry& e = it->second;
    if (m_lruHead != &e) {
        lruUnlink(e);
        lruPushFront(e);
    }
    return &e;
}

KvStore::Entry* KvStore::findRead(std::string_view key, KvReply& out, KvType type, KvStatus& status)
{
    m_work.bytes += key.size();
    Entry* e = find(key);
    if (!e) {
        ++m_misses;
        status = out.status = KvStatus::NotFound;
        return nullptr;
    }
    ++m_hits;
    if (e->type != type) {
        status = out.status = KvStatus::WrongType;
        return nullptr;
    }
    out.version = e->version;
    status = out.status = KvStatus::Ok;
    return e;
}

KvStore::Entry& KvStore::create(std::string_view key, KvType type)
{
    auto [it, inserted] = m_entries.try_emplace(std::string(key));
    assert(inserted && "create() on an existing key");
    (void)inserted;
    Entry& e = it->second;
    e.key = &it->first;
    e.type = type;
    e.seq = m_nextSeq++;
    if (type == KvType::Hash)
        e.hash = std::make_unique<HashValue>();
    else if (type == KvType::SortedSet)
        e.zset = std::make_unique<ZSetValue>();
    lruPushFront(e);
    e.bytes = baseBytes(e);
    m_memory += e.bytes;
    return e;
}

void KvStore::erase(Entry& e)
{
    lruUnlink(e);
    if (e.expireAt != sim::kNever)
        m_expiry.erase({e.expireAt, e.seq});
    assert(m_memory >= e.bytes);
    m_memory -= e.bytes;
    const auto it = m_entries.find(*e.key);
    assert(it != m_entries.end());
    m_entries.erase(it);
}

std::uint64_t KvStore::baseBytes(const Entry& e) const
{
    return kKeyOverhead + e.key->size() + (e.expireAt != sim::kNever ? kTtlOverhead : 0) + e.dataBytes;
}

void KvStore::resize(Entry& e, std::uint64_t bytes)
{
    assert(m_memory >= e.bytes);
    m_memory = m_memory - e.bytes + bytes;
    e.bytes = bytes;
}

void KvStore::setExpiry(Entry& e, sim::Nanos expireAt)
{
    if (e.expireAt == expireAt)
        return;
    if (e.expireAt != sim::kNever)
        m_expiry.erase({e.expireAt, e.seq});
    e.expireAt = expireAt;
    if (expireAt != sim::kNever)
        m_expiry.emplace(std::make_pair(expireAt, e.seq), &e);
    resize(e, baseBytes(e));
}

bool KvStore::wouldFit(std::uint64_t entryBytes) const
{
    return !m_config.enforceBudget || m_config.maxMemoryBytes == 0 || entryBytes <= m_config.maxMemoryBytes;
}

void KvStore::bumpVersion(Entry& e)
{
    e.version = std::max(e.version, m_versionClock) + 1;
    m_versionClock = e.version;
}

void KvStore::afterWrite(Entry& e, KvReply& out)
{
    resize(e, baseBytes(e));
    out.version = e.version;
    out.status = KvStatus::Ok;
    if (e.expireAt <= m_clock.now()) {
        // A deadline already past (a replicated write that arrived late): expired at once.
        ++m_expirations;
        ++m_work.expired;
        erase(e);
        checkInvariants();
        return;
    }
    evictToBudget(&e);
    checkInvariants();
}

void KvStore::evictToBudget(const Entry* pinned)
{
    if (!m_config.enforceBudget || m_config.maxMemoryBytes == 0)
        return;
    while (m_memory > m_config.maxMemoryBytes) {
        Entry* victim = m_lruTail;
        if (victim == pinned)
            victim = victim->prev;
        if (!victim)
            break; // only the pinned key is left; wouldFit() keeps it within budget
        if (m_evictionListener)
            m_evictionListener(*victim->key);
        ++m_evictions;
        ++m_work.evicted;
        erase(*victim);
    }
}

void KvStore::lruUnlink(Entry& e)
{
    if (e.prev)
        e.prev->next = e.next;
    else
        m_lruHead = e.next;
    if (e.next)
        e.next->prev = e.prev;
    else
        m_lruTail = e.prev;
    e.prev = e.next = nullptr;
}

void KvStore::lruPushFront(Entry& e)
{
    e.prev = nullptr;
    e.next = m_lruHead;
    if (m_lruHead)
        m_lruHead->prev = &e;
    m_lruHead = &e;
    if (!m_lruTail)
        m_lruTail = &e;
}

void KvStore::checkInvariants() const
{
    assert(!m_config.enforceBudget || m_config.maxMemoryBytes == 0 || m_memory <= m_config.maxMemoryBytes);
    assert((m_lruHead == nullptr) == m_entries.empty());
}

// ------------------------------------------------------------------ dispatcher

KvStatus KvStore::execute(const KvRequest& r, KvReply& out)
{
    const sim::Nanos expireAt = r.expireAt != 0 ? r.expireAt : deadline(r.ttl);
    switch (r.op) {
    case KvOp::Get:
        return get(r.key, out);
    case KvOp::Exists:
        return exists(r.key, out);
    case KvOp::Set:
        return set(r.key, r.value, expireAt, out);
    case KvOp::Del:
        return del(r.key, out);
    case KvOp::IncrBy:
        return incrBy(r.key, r.integer, out);
    case KvOp::Expire:
        return expire(r.key, expireAt, out);
    case KvOp::Ttl:
        return ttl(r.key, out);
    case KvOp::HSet:
        return hset(r.key, r.field, r.value, out);
    case KvOp::HSetIfNewer:
        return hsetIfNewer(r.key, r.field, r.value, r.version, out);
    case KvOp::HGet:
        return hget(r.key, r.field, out);
    case KvOp::HDel:
        return hdel(r.key, r.field, out);
    case KvOp::HGetAll:
        return hgetall(r.key, out);
    case KvOp::HIncrBy:
        return hincrBy(r.key, r.field, r.integer, out);
    case KvOp::HLen:
        return hlen(r.key, out);
    case KvOp::ZAdd:
        return zadd(r.key, r.field, r.score, out);
    case KvOp::ZIncrBy:
        return zincrBy(r.key, r.field, r.score, out);
    case KvOp::ZRem:
        return zrem(r.key, r.field, out);
    case KvOp::ZScore:
        return zscore(r.key, r.field, out);
    case KvOp::ZRank:
        return zrank(r.key, r.field, r.reverse, out);
    case KvOp::ZRange:
        return zrange(r.key, r.integer, r.stop, r.reverse, out);
    case KvOp::ZRangeByScore:
        return zrangeByScore(r.key, r.score, r.maxScore, r.integer, out);
    case KvOp::ZCard:
        return zcard(r.key, out);
    case KvOp::Cas:
        return compareAndSet(r.key, r.version, r.value, expireAt, out);
    case KvOp::SetIfNewer:
        return setIfNewer(r.key, r.value, r.version, expireAt, out);
    }
    return out.status = KvStatus::Error;
}

// ------------------------------------------------------------------ strings

KvStatus KvStore::get(std::string_view key, KvReply& out)
{
    begin(out);
    KvStatus st;
    Entry* e = findRead(key, out, KvType::String, st);
    if (!e)
        return st;
    out.value.assign(e->str);
    m_work.bytes += e->str.size();
    return st;
}

KvStatus KvStore::exists(std::string_view key, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size();
    const auto it = m_entries.find(key);
    out.integer = it != m_entries.end() ? 1 : 0;
    out.version = it != m_entries.end() ? it->second.version : 0;
    return out.status = out.integer ? KvStatus::Ok : KvStatus::NotFound;
}

KvStatus KvStore::set(std::string_view key, std::string_view value, sim::Nanos expireAt, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + value.size();
    const std::uint64_t bytes = kKeyOverhead + key.size() + (expireAt != sim::kNever ? kTtlOverhead : 0)
        + kStringOverhead + value.size();
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    Entry* e = find(key);
    if (!e)
        e = &create(key, KvType::String);
    // SET replaces a value of any type, like Redis.
    e->type = KvType::String;
    e->hash.reset();
    e->zset.reset();
    e->str.assign(value);
    e->dataBytes = kStringOverhead + value.size();
    setExpiry(*e, expireAt);
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::del(std::string_view key, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size();
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) {
        out.integer = 0;
        return out.status = KvStatus::NotFound;
    }
    erase(it->second);
    out.integer = 1;
    return out.status = KvStatus::Ok;
}

KvStatus KvStore::incrBy(std::string_view key, std::int64_t delta, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size();
    Entry* e = find(key);
    std::int64_t current = 0;
    if (e) {
        if (e->type != KvType::String)
            return out.status = KvStatus::WrongType;
        if (!parseInt(e->str, current))
            return out.status = KvStatus::NotInteger;
    }
    std::int64_t next = 0;
    if (__builtin_add_overflow(current, delta, &next))
        return out.status = KvStatus::NotInteger;
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, next);
    const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
    const sim::Nanos expireAt = e ? e->expireAt : sim::kNever;
    const std::uint64_t bytes = kKeyOverhead + key.size() + (expireAt != sim::kNever ? kTtlOverhead : 0)
        + kStringOverhead + text.size();
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    if (!e)
        e = &create(key, KvType::String);
    e->str.assign(text);
    e->dataBytes = kStringOverhead + text.size();
    m_work.bytes += text.size();
    out.integer = next;
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::expire(std::string_view key, sim::Nanos expireAt, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size();
    Entry* e = find(key);
    if (!e) {
        out.integer = 0;
        return out.status = KvStatus::NotFound;
    }
    if (expireAt != sim::kNever && expireAt <= m_clock.now()) {
        // A deadline in the past deletes the key, like EXPIRE with a non-positive TTL.
        erase(*e);
        out.integer = 1;
        return out.status = KvStatus::Ok;
    }
    const std::uint64_t bytes = e->bytes + (expireAt != sim::kNever && e->expireAt == sim::kNever ? kTtlOverhead : 0);
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    setExpiry(*e, expireAt);
    out.integer = 1;
    out.version = e->version;
    out.status = KvStatus::Ok;
    evictToBudget(e);
    checkInvariants();
    return out.status;
}

KvStatus KvStore::ttl(std::string_view key, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size();
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) {
        out.integer = -2;
        return out.status = KvStatus::NotFound;
    }
    const Entry& e = it->second;
    out.integer = e.expireAt == sim::kNever ? -1 : e.expireAt - m_clock.now();
    out.version = e.version;
    return out.status = KvStatus::Ok;
}

// ------------------------------------------------------------------ versions

KvStatus KvStore::compareAndSet(std::string_view key, std::uint64_t expectedVersion, std::string_view value,
                                sim::Nanos expireAt, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + value.size();
    Entry* e = find(key);
    const std::uint64_t current = e ? e->version : 0;
    if (current != expectedVersion) {
        out.version = current;
        return out.status = KvStatus::VersionConflict;
    }
    if (e && e->type != KvType::String)
        return out.status = KvStatus::WrongType;
    const std::uint64_t bytes = kKeyOverhead + key.size() + (expireAt != sim::kNever ? kTtlOverhead : 0)
        + kStringOverhead + value.size();
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    if (!e)
        e = &create(key, KvType::String);
    e->str.assign(value);
    e->dataBytes = kStringOverhead + value.size();
    setExpiry(*e, expireAt);
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::setIfNewer(std::string_view key, std::string_view value, std::uint64_t version,
                             sim::Nanos expireAt, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + value.size();
    Entry* e = find(key);
    const std::uint64_t current = e ? e->version : 0;
    if (version <= current) {
        out.version = current;
        return out.status = KvStatus::VersionConflict;
    }
    if (e && e->type != KvType::String)
        return out.status = KvStatus::WrongType;
    const std::uint64_t bytes = kKeyOverhead + key.size() + (expireAt != sim::kNever ? kTtlOverhead : 0)
        + kStringOverhead + value.size();
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    if (!e)
        e = &create(key, KvType::String);
    e->str.assign(value);
    e->dataBytes = kStringOverhead + value.size();
    setExpiry(*e, expireAt);
    e->version = version;
    m_versionClock = std::max(m_versionClock, version);
    afterWrite(*e, out);
    return out.status;
}

void KvStore::forceVersion(std::string_view key, std::uint64_t version)
{
    const auto it = m_entries.find(key);
    if (it == m_entries.end())
        return;
    it->second.version = version;
    m_versionClock = std::max(m_versionClock, version);
}

std::uint64_t KvStore::version(std::string_view key)
{
    purgeExpired();
    const auto it = m_entries.find(key);
    return it == m_entries.end() ? 0 : it->second.version;
}

// ------------------------------------------------------------------ hashes

KvStatus KvStore::hset(std::string_view key, std::string_view field, std::string_view value, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + field.size() + value.size();
    Entry* e = find(key);
    if (e && e->type != KvType::Hash)
        return out.status = KvStatus::WrongType;
    std::uint64_t oldCost = 0;
    decltype(HashValue::fields)::iterator fit;
    if (e) {
        fit = e->hash->fields.find(field);
        if (fit != e->hash->fields.end())
            oldCost = fieldCost(fit->first, fit->second);
    }
    const std::uint64_t bytes = e ? e->bytes - oldCost + fieldCost(field, value)
                                  : kKeyOverhead + key.size() + fieldCost(field, value);
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    if (!e) {
        e = &create(key, KvType::Hash);
        fit = e->hash->fields.end();
    }
    if (fit == e->hash->fields.end()) {
        e->hash->fields.emplace(std::string(field), std::string(value));
        out.integer = 1;
    } else {
        fit->second.assign(value);
        out.integer = 0;
    }
    e->dataBytes = e->dataBytes - oldCost + fieldCost(field, value);
    m_work.elements += 1;
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::hsetIfNewer(std::string_view key, std::string_view field, std::string_view value,
                              std::uint64_t version, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + field.size() + value.size();
    Entry* e = find(key);
    if (e && e->type != KvType::Hash)
        return out.status = KvStatus::WrongType;
    std::uint64_t oldCost = 0;
    std::uint64_t stamp = 0;
    decltype(HashValue::fields)::iterator fit;
    if (e) {
        fit = e->hash->fields.find(field);
        if (fit != e->hash->fields.end())
            oldCost += fieldCost(fit->first, fit->second);
        if (const auto s = e->hash->stamps.find(field); s != e->hash->stamps.end()) {
            stamp = s->second;
            oldCost += stampCost(field);
        }
    }
    if (version <= stamp) {
        out.version = stamp;
        if (e && fit != e->hash->fields.end())
            out.value.assign(fit->second);
        m_work.elements += 1;
        return out.status = KvStatus::VersionConflict;
    }
    const std::uint64_t added = fieldCost(field, value) + stampCost(field);
    const std::uint64_t bytes = e ? e->bytes - oldCost + added : kKeyOverhead + key.size() + added;
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    if (!e) {
        e = &create(key, KvType::Hash);
        fit = e->hash->fields.end();
    }
    if (fit == e->hash->fields.end()) {
        e->hash->fields.emplace(std::string(field), std::string(value));
        out.integer = 1;
    } else {
        fit->second.assign(value);
        out.integer = 0;
    }
    e->hash->stamps.insert_or_assign(std::string(field), version);
    e->dataBytes = e->dataBytes - oldCost + added;
    m_work.elements += 1;
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

std::uint64_t KvStore::fieldStamp(std::string_view key, std::string_view field)
{
    purgeExpired();
    const auto it = m_entries.find(key);
    if (it == m_entries.end() || it->second.type != KvType::Hash)
        return 0;
    const auto s = it->second.hash->stamps.find(field);
    return s == it->second.hash->stamps.end() ? 0 : s->second;
}

KvStatus KvStore::hget(std::string_view key, std::string_view field, KvReply& out)
{
    begin(out);
    m_work.bytes += field.size();
    KvStatus st;
    Entry* e = findRead(key, out, KvType::Hash, st);
    if (!e)
        return st;
    m_work.elements += 1;
    const auto it = e->hash->fields.find(field);
    if (it == e->hash->fields.end())
        return out.status = KvStatus::NotFound;
    out.value.assign(it->second);
    m_work.bytes += it->second.size();
    return out.status = KvStatus::Ok;
}

KvStatus KvStore::hdel(std::string_view key, std::string_view field, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + field.size();
    Entry* e = find(key);
    if (!e)
        return out.status = KvStatus::NotFound;
    if (e->type != KvType::Hash)
        return out.status = KvStatus::WrongType;
    const auto it = e->hash->fields.find(field);
    if (it == e->hash->fields.end()) {
        out.integer = 0;
        out.version = e->version;
        return out.status = KvStatus::NotFound;
    }
    e->dataBytes -= fieldCost(it->first, it->second);
    if (const auto s = e->hash->stamps.find(field); s != e->hash->stamps.end()) {
        e->dataBytes -= stampCost(s->first);
        e->hash->stamps.erase(s);
    }
    e->hash->fields.erase(it);
    out.integer = 1;
    m_work.elements += 1;
    if (e->hash->fields.empty()) { // Redis removes an emptied collection
        erase(*e);
        return out.status = KvStatus::Ok;
    }
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::hgetall(std::string_view key, KvReply& out)
{
    begin(out);
    KvStatus st;
    Entry* e = findRead(key, out, KvType::Hash, st);
    if (!e)
        return st;
    out.fields.reserve(e->hash->fields.size());
    for (const auto& [f, v] : e->hash->fields) {
        out.fields.emplace_back(f, v);
        m_work.bytes += f.size() + v.size();
    }
    m_work.elements += e->hash->fields.size();
    return st;
}

KvStatus KvStore::hincrBy(std::string_view key, std::string_view field, std::int64_t delta, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + field.size();
    Entry* e = find(key);
    if (e && e->type != KvType::Hash)
        return out.status = KvStatus::WrongType;
    std::int64_t current = 0;
    std::uint64_t oldCost = 0;
    decltype(HashValue::fields)::iterator fit;
    if (e) {
        fit = e->hash->fields.find(field);
        if (fit != e->hash->fields.end()) {
            if (!parseInt(fit->second, current))
                return out.status = KvStatus::NotInteger;
            oldCost = fieldCost(fit->first, fit->second);
        }
    }
    std::int64_t next = 0;
    if (__builtin_add_overflow(current, delta, &next))
        return out.status = KvStatus::NotInteger;
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, next);
    const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
    const std::uint64_t bytes = e ? e->bytes - oldCost + fieldCost(field, text)
                                  : kKeyOverhead + key.size() + fieldCost(field, text);
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    if (!e) {
        e = &create(key, KvType::Hash);
        fit = e->hash->fields.end();
    }
    if (fit == e->hash->fields.end())
        e->hash->fields.emplace(std::string(field), std::string(text));
    else
        fit->second.assign(text);
    e->dataBytes = e->dataBytes - oldCost + fieldCost(field, text);
    m_work.elements += 1;
    out.integer = next;
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::hlen(std::string_view key, KvReply& out)
{
    begin(out);
    KvStatus st;
    Entry* e = findRead(key, out, KvType::Hash, st);
    if (!e)
        return st;
    out.integer = static_cast<std::int64_t>(e->hash->fields.size());
    return st;
}

// ------------------------------------------------------------------ sorted sets

KvStatus KvStore::zadd(std::string_view key, std::string_view member, double score, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + member.size();
    if (std::isnan(score))
        return out.status = KvStatus::NotInteger;
    Entry* e = find(key);
    if (e && e->type != KvType::SortedSet)
        return out.status = KvStatus::WrongType;
    const bool exists = e && e->zset->scores.contains(member);
    const std::uint64_t add = exists ? 0 : memberCost(member);
    const std::uint64_t bytes = e ? e->bytes + add : kKeyOverhead + key.size() + add;
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    if (!e)
        e = &create(key, KvType::SortedSet);
    ZSetValue& z = *e->zset;
    if (exists) {
        auto it = z.scores.find(member);
        if (it->second != score) {
            z.byScore.erase({it->second, it->first});
            it->second = score;
            z.byScore.insert({score, it->first});
        }
        out.integer = 0;
    } else {
        z.scores.emplace(std::string(member), score);
        z.byScore.insert({score, std::string(member)});
        e->dataBytes += add;
        out.integer = 1;
    }
    out.score = score;
    m_work.elements += 1;
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::zincrBy(std::string_view key, std::string_view member, double delta, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + member.size();
    Entry* e = find(key);
    if (e && e->type != KvType::SortedSet)
        return out.status = KvStatus::WrongType;
    double score = delta;
    bool exists = false;
    if (e) {
        const auto it = e->zset->scores.find(member);
        if (it != e->zset->scores.end()) {
            exists = true;
            score = it->second + delta;
        }
    }
    if (std::isnan(score))
        return out.status = KvStatus::NotInteger;
    const std::uint64_t add = exists ? 0 : memberCost(member);
    const std::uint64_t bytes = e ? e->bytes + add : kKeyOverhead + key.size() + add;
    if (!wouldFit(bytes))
        return out.status = KvStatus::OutOfMemory;
    if (!e)
        e = &create(key, KvType::SortedSet);
    ZSetValue& z = *e->zset;
    if (exists) {
        auto it = z.scores.find(member);
        z.byScore.erase({it->second, it->first});
        it->second = score;
        z.byScore.insert({score, it->first});
    } else {
        z.scores.emplace(std::string(member), score);
        z.byScore.insert({score, std::string(member)});
        e->dataBytes += add;
    }
    out.score = score;
    m_work.elements += 1;
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::zrem(std::string_view key, std::string_view member, KvReply& out)
{
    begin(out);
    m_work.bytes += key.size() + member.size();
    Entry* e = find(key);
    if (!e)
        return out.status = KvStatus::NotFound;
    if (e->type != KvType::SortedSet)
        return out.status = KvStatus::WrongType;
    ZSetValue& z = *e->zset;
    const auto it = z.scores.find(member);
    if (it == z.scores.end()) {
        out.integer = 0;
        out.version = e->version;
        return out.status = KvStatus::NotFound;
    }
    z.byScore.erase({it->second, it->first});
    e->dataBytes -= memberCost(it->first);
    z.scores.erase(it);
    out.integer = 1;
    m_work.elements += 1;
    if (z.scores.empty()) {
        erase(*e);
        return out.status = KvStatus::Ok;
    }
    bumpVersion(*e);
    afterWrite(*e, out);
    return out.status;
}

KvStatus KvStore::zscore(std::string_view key, std::string_view member, KvReply& out)
{
    begin(out);
    m_work.bytes += member.size();
    KvStatus st;
    Entry* e = findRead(key, out, KvType::SortedSet, st);
    if (!e)
        return st;
    m_work.elements += 1;
    const auto it = e->zset->scores.find(member);
    if (it == e->zset->scores.end())
        return out.status = KvStatus::NotFound;
    out.score = it->second;
    return out.status = KvStatus::Ok;
}

KvStatus KvStore::zrank(std::string_view key, std::string_view member, bool reverse, KvReply& out)
{
    begin(out);
    m_work.bytes += member.size();
    KvStatus st;
    Entry* e = findRead(key, out, KvType::SortedSet, st);
    if (!e)
        return st;
    const ZSetValue& z = *e->zset;
    const auto it = z.scores.find(member);
    if (it == z.scores.end())
        return out.status = KvStatus::NotFound;
    const auto rank = static_cast<std::int64_t>(z.byScore.order_of_key({it->second, it->first}));
    out.integer = reverse ? static_cast<std::int64_t>(z.scores.size()) - 1 - rank : rank;
    out.score = it->second;
    m_work.elements += 1;
    return out.status = KvStatus::Ok;
}

KvStatus KvStore::zrange(std::string_view key, std::int64_t start, std::int64_t stop, bool reverse, KvReply& out)
{
    begin(out);
    KvStatus st;
    Entry* e = findRead(key, out, KvType::SortedSet, st);
    if (!e)
        return st;
    const ZSetValue& z = *e->zset;
    const auto n = static_cast<std::int64_t>(z.byScore.size());
    if (start < 0)
        start += n;
    if (stop < 0)
        stop += n;
    start = std::max<std::int64_t>(start, 0);
    stop = std::min<std::int64_t>(stop, n - 1);
    if (start > stop || start >= n)
        return st;
    const auto count = static_cast<std::size_t>(stop - start + 1);
    out.members.reserve(count);
    if (!reverse) {
        auto it = z.byScore.find_by_order(static_cast<std::size_t>(start));
        for (std::size_t i = 0; i < count; ++i, ++it) {
            out.members.push_back(ScoredMember{it->second, it->first});
            m_work.bytes += it->second.size();
        }
    } else {
        auto it = z.byScore.find_by_order(static_cast<std::size_t>(n - 1 - start));
        for (std::size_t i = 0; i < count; ++i, --it) {
            out.members.push_back(ScoredMember{it->second, it->first});
            m_work.bytes += it->second.size();
        }
    }
    m_work.elements += count;
    return st;
}

KvStatus KvStore::zrangeByScore(std::string_view key, double min, double max, std::int64_t limit, KvReply& out)
{
    begin(out);
    KvStatus st;
    Entry* e = findRead(key, out, KvType::SortedSet, st);
    if (!e)
        return st;
    const ZSetValue& z = *e->zset;
    for (auto it = z.byScore.lower_bound({min, std::string()}); it != z.byScore.end() && it->first <= max; ++it) {
        if (limit > 0 && static_cast<std::int64_t>(out.members.size()) >= limit)
            break;
        out.members.push_back(ScoredMember{it->second, it->first});
        m_work.bytes += it->second.size();
        m_work.elements += 1;
    }
    return st;
}

KvStatus KvStore::zcard(std::string_view key, KvReply& out)
{
    begin(out);
    KvStatus st;
    Entry* e = findRead(key, out, KvType::SortedSet, st);
    if (!e)
        return st;
    out.integer = static_cast<std::int64_t>(e->zset->scores.size());
    return st;
}

// ------------------------------------------------------------------ whole store

void KvStore::clear()
{
    m_entries.clear();
    m_expiry.clear();
    m_lruHead = m_lruTail = nullptr;
    m_memory = 0;
}

std::uint64_t KvStore::copyFrom(const KvStore& other)
{
    assert(&other != this);
    clear();
    const sim::Nanos now = m_clock.now();
    // From other's least to most recently used, each pushed to our front: same order.
    for (const Entry* src = other.m_lruTail; src; src = src->prev) {
        if (src->expireAt <= now)
            continue;
        Entry& e = create(*src->key, src->type);
        e.version = src->version;
        e.str = src->str;
        if (src->hash)
            *e.hash = *src->hash;
        if (src->zset)
            *e.zset = *src->zset;
        e.dataBytes = src->dataBytes;
        setExpiry(e, src->expireAt);
        resize(e, baseBytes(e));
    }
    m_versionClock = std::max(m_versionClock, other.m_versionClock);
    evictToBudget(nullptr);
    checkInvariants();
    return m_memory;
}

void KvStore::setEnforceBudget(bool enforce)
{
    m_config.enforceBudget = enforce;
    m_work = KvWork{};
    evictToBudget(nullptr);
}

void KvStore::setMaxMemory(std::uint64_t bytes)
{
    m_config.maxMemoryBytes = bytes;
    m_work = KvWork{};
    evictToBudget(nullptr);
}

std::vector<std::string> KvStore::keysByRecency() const
{
    std::vector<std::string> keys;
    keys.reserve(m_entries.size());
    for (const Entry* e = m_lruTail; e; e = e->prev)
        keys.push_back(*e->key);
    return keys;
}

} // namespace livedeck::infra
