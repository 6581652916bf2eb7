#include "backend/infra/raft_kv_store.h"

#include <xxhash.h>

#include <algorithm>
#include <vector>

namespace livedeck::infra {

RaftResult RaftKvStore::apply(std::uint64_t index, const RaftEntry& entry)
{
    LIVEDECK_RAFT_ASSERT(index == m_appliedIndex + 1);
    m_appliedIndex = index;
    m_time = std::max(m_time, entry.timestamp);
    RaftResult r;
    r.index = index;
    const RaftCommand* c = entry.command.get();
    if (!c || c->op == RaftOp::Noop)
        return r;
    LIVEDECK_RAFT_ASSERT(!isRead(c->op));
    if (c->clientId == 0) {
        execute(index, *c, r);
        return r;
    }
    Session& s = m_sessions[c->clientId];
    if (c->firstUnacked > s.lowWater) {
        s.lowWater = c->firstUnacked;
        s.results.erase(s.results.begin(), s.results.lower_bound(s.lowWater));
    }
    if (c->seq < s.lowWater) {
        // A late duplicate of a command whose answer the client already has: do nothing.
        r.status = RaftStatus::Interrupted;
        return r;
    }
    if (const auto it = s.results.find(c->seq); it != s.results.end())
        return it->second;
    execute(index, *c, r);
    s.results.emplace(c->seq, r);
    return r;
}

void RaftKvStore::execute(std::uint64_t index, const RaftCommand& c, RaftResult& r)
{
    switch (c.op) {
    case RaftOp::Put: {
        RaftKvValue& v = m_data[c.key];
        v.value = c.value;
        v.version = index;
        r.found = true;
        r.version = index;
        return;
    }
    case RaftOp::Cas: {
        const auto it = m_data.find(c.key);
        const bool exists = it != m_data.end();
        const std::uint64_t current = exists ? it->second.version : 0;
        r.found = exists;
        if (c.expectedVersion >= 0 && current != static_cast<std::uint64_t>(c.expectedVersion)) {
            r.status = RaftStatus::Refused;
            r.refusal = RaftRefusal::VersionMismatch;
        } else if (c.hasExpectedValue && (!exists || it->second.value != c.expectedValue)) {
            r.status = RaftStatus::Refused;
            r.refusal = RaftRefusal::ValueMismatch;
        }
        if (r.status == RaftStatus::Refused) {
            r.version = current;
            if (exists)
                r.value = it->second.value;
            return;
        }
        RaftKvValue& v = exists ? it->second : m_data[c.key];
        v.value = c.value;
        v.version = index;
        r.version = index;
        return;
    }
    case RaftOp::Del: {
        const auto it = m_data.find(c.key);
        r.found = it != m_data.end();
        if (r.found) {
            r.version = it->second.version;
            m_data.erase(it);
        }
        return;
    }
    case RaftOp::SetIfNewer: {
        const auto it = m_data.find(c.key);
        const bool exists = it != m_data.end();
        r.found = exists;
        if (exists && it->second.stamp >= c.stamp) {
            r.status = RaftStatus::Refused;
            r.refusal = RaftRefusal::NotNewer;
            r.value = it->second.value;
            r.version = it->second.version;
            r.stamp = it->second.stamp;
            return;
        }
        RaftKvValue& v = exists ? it->second : m_data[c.key];
        v.value = c.value;
        v.version = index;
        v.stamp = c.stamp;
        r.version = index;
        r.stamp = c.stamp;
        return;
    }
    case RaftOp::LockAcquire: {
        auto it = m_locks.find(c.key);
        if (it != m_locks.end() && it->second.expiry > m_time) {
            RaftLockState& l = it->second;
            r.found = true;
            if (l.owner != c.owner) {
                r.status = RaftStatus::Refused;
                r.refusal = RaftRefusal::LockHeld;
                r.token = l.token;
                r.holder = l.owner;
                r.leaseExpiry = l.expiry;
                return;
            }
            // Re-acquire by the holder: extends the lease, keeps the token.
            l.expiry = m_time + c.lease;
            r.token = l.token;
            r.holder = l.owner;
            r.leaseExpiry = l.expiry;
            return;
        }
        if (it == m_locks.end())
            it = m_locks.emplace(c.key, RaftLockState{}).first;
        RaftLockState& l = it->second;
        l.owner = c.owner;
        l.token = index;
        l.expiry = m_time + c.lease;
        r.token = l.token;
        r.holder = l.owner;
        r.leaseExpiry = l.expiry;
        return;
    }
    case RaftOp::LockRenew:
    case RaftOp::LockRelease:
    case RaftOp::PutIfToken: {
        const std::string& name = c.op == RaftOp::PutIfToken ? c.lock : c.key;
        const auto it = m_locks.find(name);
        if (it == m_locks.end()) {
            r.status = RaftStatus::Refused;
            r.refusal = RaftRefusal::NotHolder;
            return;
        }
        RaftLockState& l = it->second;
        r.found = true;
        r.token = l.token;
        r.holder = l.owner;
        r.leaseExpiry = l.expiry;
        if (c.token < l.token) {
            r.status = RaftStatus::Refused;
            r.refusal = RaftRefusal::StaleToken;
            return;
        }
        if (c.token != l.token || (c.op != RaftOp::PutIfToken && l.owner != c.owner)) {
            r.status = RaftStatus::Refused;
            r.refusal = RaftRefusal::NotHolder;
            return;
        }
        if (c.op == RaftOp::LockRenew) {
            if (l.expiry <= m_time) {
                r.status = RaftStatus::Refused;
                r.refusal = RaftRefusal::LeaseExpired;
                return;
            }
            l.expiry = m_time + c.lease;
            r.leaseExpiry = l.expiry;
        } else if (c.op == RaftOp::LockRelease) {
            m_locks.erase(it);
        } else {
            RaftKvValue& v = m_data[c.key];
            v.value = c.value;
            v.version = index;
            r.version = index;
        }
        return;
    }
    case RaftOp::Noop:
    case RaftOp::Get:
    case RaftOp::GetLock:
        break;
    }
}

void RaftKvStore::read(std::string_view key, RaftResult& out) const
{
    out.status = RaftStatus::Ok;
    out.index = m_appliedIndex;
    if (const RaftKvValue* v = find(key)) {
        out.found = true;
        out.value = v->value;
        out.version = v->version;
        out.stamp = v->stamp;
    } else {
        out.found = false;
        out.value.clear();
        out.version = 0;
        out.stamp = 0;
    }
}

void RaftKvStore::readLock(std::string_view name, RaftResult& out) const
{
    out.status = RaftStatus::Ok;
    out.index = m_appliedIndex;
    const RaftLockState* l = findLock(name);
    // A lock whose lease has run out is reported as free, with its last token (a
    // fenced write with that token is still accepted until someone else acquires).
    out.found = l && l->expiry > m_time;
    out.token = l ? l->token : 0;
    out.holder = l && out.found ? l->owner : std::string();
    out.leaseExpiry = l ? l->expiry : 0;
}

const RaftKvValue* RaftKvStore::find(std::string_view key) const
{
    const auto it = m_data.find(key);
    return it == m_data.end() ? nullptr : &it->second;
}

const RaftLockState* RaftKvStore::findLock(std::string_view name) const
{
    const auto it = m_locks.find(name);
    return it == m_locks.end() ? nullptr : &it->second;
}

std::uint64_t RaftKvStore::digest() const
{
    XXH3_state_t* st = XXH3_createState();
    XXH3_64bits_reset(st);
    const auto num = [&](std::uint64_t v) { XXH3_64bits_update(st, &v, sizeof v); };
    const auto str = [&](const std::string& s) {
        num(s.size());
        XXH3_64bits_update(st, s.data(), s.size());
    };
    num(m_appliedIndex);
    num(static_cast<std::uint64_t>(m_time));
    // The keys in name order (a hash map's own order is not part of the state).
    std::vector<const std::pair<const std::string, RaftKvValue>*> keys;
    keys.reserve(m_data.size());
    for (const auto& entry : m_data)
        keys.push_back(&entry);
    std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* entry : keys) {
        const auto& [k, v] = *entry;
        str(k);
        str(v.value);
        num(v.version);
        num(v.stamp);
    }
    // The lock table in name order (a hash map's own order is not part of the state).
    std::vector<const std::pair<const std::string, RaftLockState>*> locks;
    locks.reserve(m_locks.size());
    for (const auto& entry : m_locks)
        locks.push_back(&entry);
    std::sort(locks.begin(), locks.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* entry : locks) {
        const auto& [k, l] = *entry;
        str(k);
        str(l.owner);
        num(l.token);
        num(static_cast<std::uint64_t>(l.expiry));
    }
    for (const auto& [id, s] : m_sessions) {
        num(id);
        num(s.lowWater);
        for (const auto& [seq, r] : s.results) {
            num(seq);
            num(static_cast<std::uint64_t>(r.status));
            num(r.index);
        }
    }
    const std::uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

} // namespace livedeck::infra
