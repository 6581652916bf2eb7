// See program_allocator.h. Compiled into each program (an object library), so the
// static initializer below runs in every program that links it.
#include "app/common/program_allocator.h"

#if LIVEDECK_TCMALLOC
#include <gperftools/malloc_extension.h>

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#endif

namespace livedeck::app {

#if LIVEDECK_TCMALLOC
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kSmallHeap = std::size_t{256} << 20;

// tcmalloc calls Alloc() with its page-heap lock held, whenever the heap must grow: it
// must not allocate. It gets whole 2 MiB pages, aligned; the surplus over `size` is
// reported in *actualSize and tcmalloc adds it to the heap.
class HugePageSystemAllocator final : public SysAllocator {
public:
    explicit HugePageSystemAllocator(SysAllocator* fallback) : m_fallback(fallback) {}

    void* Alloc(std::size_t size, std::size_t* actualSize, std::size_t alignment) override
    {
        const std::size_t align = alignment > kHugePage ? alignment : kHugePage;
        const std::size_t length = (size + kHugePage - 1) & ~(kHugePage - 1);
        if (length < size || (align & (align - 1)) != 0 || length + align < length)
            return fallback(size, actualSize, alignment);
        // Map one alignment more than needed, then trim both ends to the aligned run.
        const std::size_t mapped = length + align;
        void* raw = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED)
            return fallback(size, actualSize, alignment);
        const auto begin = reinterpret_cast<std::uintptr_t>(raw);
        const std::uintptr_t start = (begin + align - 1) & ~(static_cast<std::uintptr_t>(align) - 1);
        const std::uintptr_t end = start + length;
        if (start > begin)
            munmap(raw, start - begin);
        if (begin + mapped > end)
            munmap(reinterpret_cast<void*>(end), begin + mapped - end);
        void* run = reinterpret_cast<void*>(start);
        // The first kSmallHeap stay on 4 KiB pages: a huge page costs its whole 2 MiB at
        // the first touch, which a short or small run does not earn back.
        if (m_bytes.load(std::memory_order_relaxed) >= kSmallHeap) {
            madvise(run, length, MADV_HUGEPAGE); // a system without THP refuses: 4 KiB pages then
            m_hugeBytes.fetch_add(length, std::memory_order_relaxed);
        }
        if (actualSize != nullptr)
            *actualSize = length;
        m_bytes.fetch_add(length, std::memory_order_relaxed);
        m_runs.fetch_add(1, std::memory_order_relaxed);
        return run;
    }

    std::size_t bytes() const { return m_bytes.load(std::memory_order_relaxed); }
    std::size_t hugeBytes() const { return m_hugeBytes.load(std::memory_order_relaxed); }
    std::size_t runs() const { return m_runs.load(std::memory_order_relaxed); }
    std::size_t fallbacks() const { return m_fallbacks.load(std::memory_order_relaxed); }

private:
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
    }
    return policy;
}

void releaseFreedMemory() { MallocExtension::instance()->ReleaseFreeMemory(); }
#else
HeapPolicy heapPolicy() { return {}; }

void releaseFreedMemory() {}
#endif

} // namespace livedeck::app
