// The programs' heap on huge pages (docs/BENCHMARKS.md, "The heap on huge pages").
//
// Linked into every program and benchmark by livedeck_program_allocator() (cmake). With
// tcmalloc, the heap takes its memory from the system in 2 MiB-aligned runs of whole
// 2 MiB pages. Once the heap has taken 256 MiB, each further run is marked
// MADV_HUGEPAGE, so the kernel backs it with transparent huge pages where the system
// allows them (`madvise` or `always` in /sys/kernel/mm/transparent_hugepage/enabled). A
// large world's SQLite page images, binlogs and queues are read all over a heap of one to
// several GB; on 4 KiB pages nearly every such read also misses the TLB, and a page walk
// is dear in a virtual machine. A huge page costs its whole 2 MiB at the first touch,
// which a small or short run does not earn back: hence the first 256 MiB.
//
// tcmalloc hands freed spans back to the system as it goes (madvise DONTNEED, 4 KiB at a
// time), which splits the huge pages they lie in and has the kernel clear them again
// when the heap regrows. So with huge pages the heap keeps what it frees (release rate
// 0) and the programs hand the free pages back at once where a world ends:
// releaseFreedMemory(), called from host::HostOptions::afterRunDestroyed.
//
// Clearing a fresh huge page is dear in a virtual machine (its whole 2 MiB at the first
// touch), and it fell on the thread that grew the heap: in the console, the world's, 6 %
// of its time at gala-night's countdown. So, where the process has a spare core, a heap
// thread ("ld-heap") keeps a reserve of four 16 MiB runs past the first 256 MiB already
// mapped, marked and touched; a request for up to 16 MiB takes a whole run, and the
// thread refills the reserve as runs are taken. The reserve (64 MiB) is not handed back
// by releaseFreedMemory(). LIVEDECK_HEAP_PREFAULT=0 leaves it out.
//
// LIVEDECK_HEAP_HUGE_PAGES=0 in the environment keeps tcmalloc's own system allocator and
// release rate; TCMALLOC_RELEASE_RATE (tcmalloc's own setting) sets the rate either way.
// With glibc's malloc (-DLIVEDECK_TCMALLOC=OFF) nothing is installed.
#pragma once

#include <cstddef>

namespace livedeck::app {

struct HeapPolicy {
    bool hugePages = false;       // the huge-page system allocator is installed
    double releaseRate = -1.0;    // tcmalloc's release rate (-1 without tcmalloc)
    std::size_t heapBytes = 0;    // bytes the allocator has handed to the heap
    std::size_t hugeBytes = 0;    // of which marked for huge pages (all past the first 256 MiB)
    std::size_t runs = 0;         // mappings it made
    std::size_t fallbackRuns = 0; // requests it passed to tcmalloc's own allocator (mmap failed)
    std::size_t freeBytes = 0;    // free pages the heap holds, not handed back
    bool reserveThread = false;     // the heap thread keeps touched runs ready
    std::size_t reservedRuns = 0;   // runs it holds ready now
    std::size_t runsFromReserve = 0; // runs the heap took from it
};

HeapPolicy heapPolicy();

// Hands the heap's free pages back to the system (tcmalloc's ReleaseFreeMemory). Any
// thread; a no-op without tcmalloc.
void releaseFreedMemory();

} // namespace livedeck::app
