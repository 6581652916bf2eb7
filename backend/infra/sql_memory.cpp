#include "backend/infra/sql_memory.h"

#include <sqlite3.h>

#include <array>
#include <cstdlib>
#include <cstring>

namespace livedeck::infra::sql_memory {

namespace {

constexpr std::size_t kHeader = 16;    // keeps the payload 16-byte aligned, as malloc's
constexpr std::size_t kGranule = 16;
constexpr std::size_t kClasses = kMaxCached / kGranule;

static_assert(kMaxCached % kGranule == 0);

// How many blocks of class c (usable size (c + 1) × kGranule) a thread keeps.
constexpr std::uint32_t keptLimit(std::size_t c)
{
    const std::size_t n = kKeptBytesPerClass / ((c + 1) * kGranule);
    return static_cast<std::uint32_t>(n < 64 ? 64 : n);
}

constexpr auto kKeptLimit = [] {
    std::array<std::uint32_t, kClasses> a{};
    for (std::size_t c = 0; c < kClasses; ++c)
        a[c] = keptLimit(c);
    return a;
}();

// A block: [size_t usable size][pad][payload…]. A kept block links through its payload.
struct FreeBlock {
    FreeBlock* next;
};

std::size_t& usableOf(void* payload)
{
    return *reinterpret_cast<std::size_t*>(static_cast<char*>(payload) - kHeader);
}

void* headerOf(void* payload)
{
    return static_cast<char*>(payload) - kHeader;
}

// Trivially destructible and zero-initialised, so every access is a plain thread-local
// load (no guard, no wrapper call) and it stays readable while the thread ends.
struct ThreadLists {
    std::array<FreeBlock*, kClasses> head;
    std::array<std::uint32_t, kClasses> count;
    std::uint64_t reused;
    std::uint64_t fresh;
    bool keeping; // the reaper is registered: freed blocks may be kept
    bool ended;   // the reaper ran: nothing more is kept on this thread
};

thread_local ThreadLists t_lists{};

// Gives this thread's kept blocks back when the thread ends; constructed (and its
// destructor registered) the first time the thread keeps a block.
struct Reaper {
    ~Reaper()
    {
        t_lists.ended = true;
        t_lists.keeping = false;
        for (std::size_t c = 0; c < kClasses; ++c) {
            while (FreeBlock* b = t_lists.head[c]) {
                t_lists.head[c] = b->next;
                std::free(headerOf(b));
            }
            t_lists.count[c] = 0;
        }
    }
    void arm() {}
};

thread_local Reaper t_reaper;

// Whether a freed block may be kept on this thread (registering the reaper the first time).
bool mayKeep()
{
    if (t_lists.keeping) [[likely]]
        return true;
    if (t_lists.ended)
        return false;
    t_reaper.arm();
    t_lists.keeping = true;
    return true;
}

std::size_t roundUp(std::size_t n)
{
    return n == 0 ? kGranule : (n + kGranule - 1) / kGranule * kGranule;
}

void* systemBlock(std::size_t usable)
{
    void* raw = std::malloc(usable + kHeader);
    if (raw == nullptr)
        return nullptr;
    void* payload = static_cast<char*>(raw) + kHeader;
    usableOf(payload) = usable;
    return payload;
}

void* xMalloc(int n)
{
    if (n < 0)
        return nullptr;
    const std::size_t usable = roundUp(static_cast<std::size_t>(n));
    if (usable <= kMaxCached) {
        ThreadLists& l = t_lists;
        const std::size_t c = usable / kGranule - 1;
        if (FreeBlock* b = l.head[c]) {
            l.head[c] = b->next;
            --l.count[c];
            ++l.reused;
            return b;
        }
        ++l.fresh;
    }
    return systemBlock(usable);
}

void xFree(void* p)
{
    if (p == nullptr)
        return;
    const std::size_t usable = usableOf(p);
    if (usable <= kMaxCached) {
        ThreadLists& l = t_lists;
        const std::size_t c = usable / kGranule - 1;
        if (l.count[c] < kKeptLimit[c] && mayKeep()) {
            auto* b = static_cast<FreeBlock*>(p);
            b->next = l.head[c];
            l.head[c] = b;
            ++l.count[c];
            return;
        }
    }
    std::free(headerOf(p));
}

int xSize(void* p)
{
    return p == nullptr ? 0 : static_cast<int>(usableOf(p));
}

void* xRealloc(void* p, int n)
{
    if (p == nullptr)
        return xMalloc(n);
    if (n < 0)
        return nullptr;
    const std::size_t old = usableOf(p);
    const std::size_t usable = roundUp(static_cast<std::size_t>(n));
    if (usable == old)
        return p;
    if (old > kMaxCached && usable > kMaxCached) {
        void* raw = std::realloc(headerOf(p), usable + kHeader);
        if (raw == nullptr)
            return nullptr;
        void* payload = static_cast<char*>(raw) + kHeader;
        usableOf(payload) = usable;
        return payload;
    }
    void* q = xMalloc(n);
    if (q == nullptr)
        return nullptr;
    std::memcpy(q, p, old < usable ? old : usable);
    xFree(p);
    return q;
}

int xRoundup(int n)
{
    return n < 0 ? n : static_cast<int>(roundUp(static_cast<std::size_t>(n)));
}

int xInit(void*)
{
    return SQLITE_OK;
}

void xShutdown(void*) {}

bool g_installed = false;

} // namespace

bool install()
{
    static const sqlite3_mem_methods methods = {
        &xMalloc, &xFree, &xRealloc, &xSize, &xRoundup, &xInit, &xShutdown, nullptr,
    };
    g_installed = sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) == SQLITE_OK;
    return g_installed;
}

bool installed()
{
    return g_installed;
}

ThreadCounters threadCounters()
{
    ThreadCounters out;
    out.reused = t_lists.reused;
    out.fresh = t_lists.fresh;
    for (std::uint32_t n : t_lists.count)
        out.kept += n;
    return out;
}

} // namespace livedeck::infra::sql_memory
