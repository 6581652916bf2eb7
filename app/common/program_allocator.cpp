// See program_allocator.h. Compiled into each program (an object library), so the
// static initializer below runs in every program that links it.
#include "app/common/program_allocator.h"

#if LIVEDECK_TCMALLOC
#include "backend/sim/offload.h"

#include <gperftools/malloc_extension.h>

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#endif

namespace livedeck::app {

#if LIVEDECK_TCMALLOC
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kSmallHeap = std::size_t{256} << 20;
// The heap thread keeps kReserveRuns runs of kReserveRun bytes mapped, marked and
// touched ahead of the heap's growth; a request up to kReserveRun takes a whole one.
constexpr std::size_t kReserveRun = std::size_t{16} << 20;
constexpr std::size_t kReserveRuns = 4;

// Maps `length` bytes aligned to `align` (a power of two), trimming the surplus; null
// when the system refuses. Allocates nothing.
void* mapAligned(std::size_t length, std::size_t align)
{
    // Map one alignment more than needed, then trim both ends to the aligned run.
    const std::size_t mapped = length + align;
    void* raw = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return nullptr;
    const auto begin = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t start = (begin + align - 1) & ~(static_cast<std::uintptr_t>(align) - 1);
    const std::uintptr_t end = start + length;
    if (start > begin)
        munmap(raw, start - begin);
    if (begin + mapped > end)
        munmap(reinterpret_cast<void*>(end), begin + mapped - end);
    return reinterpret_cast<void*>(start);
}

// tcmalloc calls Alloc() with its page-heap lock held, whenever the heap must grow: it
// must not allocate. It gets whole 2 MiB pages, aligned; the surplus over `size` is
// reported in *actualSize and tcmalloc adds it to the heap.
class HugePageSystemAllocator final : public SysAllocator {
public:
    explicit HugePageSystemAllocator(SysAllocator* fallback) : m_fallback(fallback) {}

    void* Alloc(std::size_t size, std::size_t* actualSize, std::size_t alignment) override
    {
        const std::size_t align = alignment > kHugePage ? alignment : kHugePage;
        std::size_t length = (size + kHugePage - 1) & ~(kHugePage - 1);
        if (length < size || (align & (align - 1)) != 0 || length + align < length)
            return fallback(size, actualSize, alignment);
        const bool huge = m_bytes.load(std::memory_order_relaxed) >= kSmallHeap;
        void* run = nullptr;
        if (huge && length <= kReserveRun && align == kHugePage && (run = takeReserved()) != nullptr)
            length = kReserveRun; // the whole run goes to the heap
        if (run == nullptr) {
            run = mapAligned(length, align);
            if (run == nullptr)
                return fallback(size, actualSize, alignment);
            // The first kSmallHeap stay on 4 KiB pages: a huge page costs its whole 2 MiB
            // at the first touch, which a short or small run does not earn back.
            if (huge)
                madvise(run, length, MADV_HUGEPAGE); // a system without THP refuses: 4 KiB pages then
        }
        if (huge)
            m_hugeBytes.fetch_add(length, std::memory_order_relaxed);
        if (actualSize != nullptr)
            *actualSize = length;
        if (m_bytes.fetch_add(length, std::memory_order_relaxed) + length >= kSmallHeap)
            wakeReserve(); // a run was taken, or the heap has reached its huge part
        m_runs.fetch_add(1, std::memory_order_relaxed);
        return run;
    }

    std::size_t bytes() const { return m_bytes.load(std::memory_order_relaxed); }
    std::size_t hugeBytes() const { return m_hugeBytes.load(std::memory_order_relaxed); }
    std::size_t runs() const { return m_runs.load(std::memory_order_relaxed); }
    std::size_t fallbacks() const { return m_fallbacks.load(std::memory_order_relaxed); }
    std::size_t reserved() const
    {
        std::size_t n = 0;
        for (const auto& slot : m_reserve)
            n += slot.load(std::memory_order_relaxed) != nullptr;
        return n;
    }
    std::size_t runsFromReserve() const { return m_fromReserve.load(std::memory_order_relaxed); }
    bool reserveThread() const { return m_reserveThread.load(std::memory_order_relaxed); }

    // The heap thread ("ld-heap"): once the heap has reached its huge part, it keeps
    // kReserveRuns runs of kReserveRun bytes mapped, marked for huge pages and touched
    // (a hash table's growth may ask for several MiB at once), so the kernel's
    // clearing of fresh pages (a huge page's whole 2 MiB at its first touch) happens on
    // it rather than on whichever thread grows the heap: in the console, the world's.
    // Started only with a spare core: on one core it would only move the same work.
    // Allocates nothing: it may run while tcmalloc holds its locks.
    void startReserve()
    {
        m_reserveThread.store(true, std::memory_order_relaxed);
        std::thread([this] { reserveMain(); }).detach();
    }

private:
    void* takeReserved()
    {
        for (auto& slot : m_reserve) {
            if (void* run = slot.exchange(nullptr, std::memory_order_acq_rel)) {
                m_fromReserve.fetch_add(1, std::memory_order_relaxed);
                return run;
            }
        }
        return nullptr;
    }

    void wakeReserve()
    {
        if (!m_reserveThread.load(std::memory_order_relaxed))
            return;
        m_wake.fetch_add(1, std::memory_order_release);
        m_wake.notify_one();
    }

    void reserveMain()
    {
        pthread_setname_np(pthread_self(), "ld-heap"); // as top -H shows it
        const long page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
        for (;;) {
            const std::uint32_t seen = m_wake.load(std::memory_order_acquire);
            if (m_bytes.load(std::memory_order_relaxed) >= kSmallHeap) {
                for (auto& slot : m_reserve) {
                    if (slot.load(std::memory_order_relaxed) != nullptr)
                        continue;
                    void* run = mapAligned(kReserveRun, kHugePage);
                    if (run == nullptr)
                        break; // the system is short of memory: the heap maps its own
                    madvise(run, kReserveRun, MADV_HUGEPAGE);
                    // One write per page makes it resident (on a huge page the first one
                    // does); the memory is zero already and stays so.
                    auto* bytes = static_cast<volatile unsigned char*>(run);
                    for (std::size_t at = 0; at < kReserveRun; at += static_cast<std::size_t>(page))
                        bytes[at] = 0;
                    void* empty = nullptr;
                    if (!slot.compare_exchange_strong(empty, run, std::memory_order_acq_rel))
                        munmap(run, kReserveRun);
                }
            }
            m_wake.wait(seen, std::memory_order_acquire);
        }
    }

    void* fallback(std::size_t size, std::size_t* actualSize, std::size_t alignment)
    {
        m_fallbacks.fetch_add(1, std::memory_order_relaxed);
        return m_fallback != nullptr ? m_fallback->Alloc(size, actualSize, alignment) : nullptr;
    }

    SysAllocator* const m_fallback;
    std::atomic<std::size_t> m_bytes{0};
    std::atomic<std::size_t> m_hugeBytes{0};
    std::atomic<std::size_t> m_runs{0};
    std::atomic<std::size_t> m_fallbacks{0};
    std::array<std::atomic<void*>, kReserveRuns> m_reserve{};
    std::atomic<std::size_t> m_fromReserve{0};
    std::atomic<std::uint32_t> m_wake{0};
    std::atomic<bool> m_reserveThread{false};
};

// Never destroyed: the heap may grow until the process's very end.
alignas(HugePageSystemAllocator) unsigned char g_storage[sizeof(HugePageSystemAllocator)];
HugePageSystemAllocator* g_installed = nullptr;

// Before main(). tcmalloc is initialised by then (the loader's and libstdc++'s first
// allocations), so the allocator set here is not overwritten by tcmalloc's own set-up.
[[maybe_unused]] const bool kInstalled = [] {
    const char* env = std::getenv("LIVEDECK_HEAP_HUGE_PAGES");
    if (env != nullptr && std::strcmp(env, "0") == 0)
        return false;
    std::free(std::malloc(1)); // makes sure tcmalloc has set up its system allocator
    MallocExtension* heap = MallocExtension::instance();
    g_installed = new (g_storage) HugePageSystemAllocator(heap->GetSystemAllocator());
    heap->SetSystemAllocator(g_installed);
    if (std::getenv("TCMALLOC_RELEASE_RATE") == nullptr)
        heap->SetMemoryReleaseRate(0.0);
    const char* prefault = std::getenv("LIVEDECK_HEAP_PREFAULT");
    if (sim::Offload::spareCore() && !(prefault != nullptr && std::strcmp(prefault, "0") == 0))
        g_installed->startReserve();
    return true;
}();

} // namespace

HeapPolicy heapPolicy()
{
    HeapPolicy policy;
    MallocExtension* heap = MallocExtension::instance();
    policy.releaseRate = heap->GetMemoryReleaseRate();
    heap->GetNumericProperty("tcmalloc.pageheap_free_bytes", &policy.freeBytes);
    if (g_installed != nullptr) {
        policy.hugePages = true;
        policy.heapBytes = g_installed->bytes();
        policy.hugeBytes = g_installed->hugeBytes();
        policy.runs = g_installed->runs();
        policy.fallbackRuns = g_installed->fallbacks();
        policy.reserveThread = g_installed->reserveThread();
        policy.reservedRuns = g_installed->reserved();
        policy.runsFromReserve = g_installed->runsFromReserve();
    }
    return policy;
}

void releaseFreedMemory() { MallocExtension::instance()->ReleaseFreeMemory(); }
#else
HeapPolicy heapPolicy() { return {}; }

void releaseFreedMemory() {}
#endif

} // namespace livedeck::app
