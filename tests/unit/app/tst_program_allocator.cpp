// The programs' heap on huge pages (app/common/program_allocator.h): with tcmalloc, the
// heap grows through the huge-page system allocator, in 2 MiB-aligned runs marked for
// transparent huge pages, and keeps what it frees until the program hands it back.
#include "tests/common/multi_test.h"

#include "app/common/program_allocator.h"

#include <QFile>
#include <QTest>

#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

using namespace livedeck;

namespace {

// The kernel's THP mode: the bracketed word of /sys/kernel/mm/transparent_hugepage/enabled.
QByteArray thpMode()
{
    QFile file(QStringLiteral("/sys/kernel/mm/transparent_hugepage/enabled"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray text = file.readAll();
    const qsizetype open = text.indexOf('[');
    const qsizetype close = text.indexOf(']', open);
    return open < 0 || close < 0 ? QByteArray() : text.mid(open + 1, close - open - 1);
}

// The smaps block of the mapping that holds `address`.
QByteArray smapsOf(const void* address)
{
    QFile file(QStringLiteral("/proc/self/smaps"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const auto at = reinterpret_cast<std::uintptr_t>(address);
    QByteArray block;
    bool inside = false;
    for (const QByteArray& line : file.readAll().split('\n')) {
        const qsizetype dash = line.indexOf('-');
        const qsizetype space = line.indexOf(' ');
        bool okLow = false;
        bool okHigh = false;
        if (dash > 0 && space > dash) {
            const std::uintptr_t low = line.left(dash).toULongLong(&okLow, 16);
            const std::uintptr_t high = line.mid(dash + 1, space - dash - 1).toULongLong(&okHigh, 16);
            if (okLow && okHigh) {
                if (inside)
                    break;
                inside = at >= low && at < high;
            }
        }
        if (inside)
            block += line + '\n';
    }
    return block;
}

// Bytes of [block, block + size) that are resident (mincore).
std::size_t residentBytes(const char* block, std::size_t size)
{
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(block) & ~(page - 1);
    const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(block) + size;
    std::vector<unsigned char> flags((end - begin + page - 1) / page);
    if (mincore(reinterpret_cast<void*>(begin), end - begin, flags.data()) != 0)
        return 0;
    std::size_t n = 0;
    for (unsigned char f : flags)
        n += (f & 1) != 0 ? page : 0;
    return n;
}

} // namespace

class TstProgramAllocator : public QObject {
    Q_OBJECT
private slots:
    void heapGrowsOnHugePages()
    {
#if LIVEDECK_TCMALLOC
        if (qEnvironmentVariable("LIVEDECK_HEAP_HUGE_PAGES") == QLatin1String("0"))
            QSKIP("LIVEDECK_HEAP_HUGE_PAGES=0: tcmalloc's own system allocator");
        const app::HeapPolicy before = app::heapPolicy();
        QVERIFY(before.hugePages);
        if (!qEnvironmentVariableIsSet("TCMALLOC_RELEASE_RATE"))
            QCOMPARE(before.releaseRate, 0.0);
        // The heap's first 256 MiB stay on 4 KiB pages; this test program's heap is far
        // smaller, so a block of 300 MiB (never touched) takes it past that, unmarked...
        constexpr std::size_t kMiB = std::size_t{1} << 20;
        QVERIFY(before.heapBytes < 256 * kMiB);
        auto small = std::make_unique_for_overwrite<char[]>(300 * kMiB);
        const app::HeapPolicy past = app::heapPolicy();
        QCOMPARE(past.fallbackRuns, before.fallbackRuns);
        QVERIFY(past.heapBytes >= before.heapBytes + 300 * kMiB);
        QCOMPARE(past.hugeBytes, std::size_t{0});
        QVERIFY(!smapsOf(small.get() + 150 * kMiB).contains(" hg"));
        // ...and from there on the heap grows in runs marked for huge pages.
        constexpr std::size_t kBlock = 96 * kMiB;
        auto block = std::make_unique<char[]>(kBlock);
        std::memset(block.get(), 1, kBlock);
        const app::HeapPolicy after = app::heapPolicy();
        QCOMPARE(after.fallbackRuns, before.fallbackRuns);
        QVERIFY(after.runs > past.runs);
        QVERIFY(after.hugeBytes >= kBlock);
        QCOMPARE(after.heapBytes % (2 * kMiB), std::size_t{0});
        QCOMPARE(after.hugeBytes % (2 * kMiB), std::size_t{0});
        // The block's mapping is marked for huge pages (VmFlags "hg").
        const QByteArray smaps = smapsOf(block.get() + kBlock / 2);
        QVERIFY2(!smaps.isEmpty(), "no mapping in /proc/self/smaps");
        const qsizetype flags = smaps.indexOf("VmFlags:");
        QVERIFY(flags >= 0);
        const QByteArray vmFlags = smaps.mid(flags, smaps.indexOf('\n', flags) - flags);
        QVERIFY2(vmFlags.contains(" hg"), vmFlags.constData());
        // Where the kernel allows THP, the mapping is eligible for them (the kernel's own
        // verdict; how many it found free to back the block with is AnonHugePages).
        const QByteArray mode = thpMode();
        if (mode == "always" || mode == "madvise") {
            const qsizetype eligible = smaps.indexOf("THPeligible:");
            QVERIFY(eligible >= 0);
            QCOMPARE(smaps.mid(eligible + 12, smaps.indexOf('\n', eligible) - eligible - 12).trimmed(), QByteArray("1"));
            const qsizetype anon = smaps.indexOf("AnonHugePages:");
            qInfo("THP %s; %s", mode.constData(), smaps.mid(anon, smaps.indexOf('\n', anon) - anon).simplified().constData());
        }
#else
        QVERIFY(!app::heapPolicy().hugePages);
#endif
    }

    // With a spare core, the heap thread keeps runs past the first 256 MiB touched ahead of
    // need: the heap grows into memory that is already resident.
    void reserveHandsOutTouchedRuns()
    {
#if LIVEDECK_TCMALLOC
        if (qEnvironmentVariable("LIVEDECK_HEAP_HUGE_PAGES") == QLatin1String("0"))
            QSKIP("LIVEDECK_HEAP_HUGE_PAGES=0: tcmalloc's own system allocator");
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        QCOMPARE(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
        const bool wanted = CPU_COUNT(&cpus) > 1 && qEnvironmentVariable("LIVEDECK_HEAP_PREFAULT") != QLatin1String("0");
        QCOMPARE(app::heapPolicy().reserveThread, wanted);
        if (!wanted)
            QSKIP("one core, or LIVEDECK_HEAP_PREFAULT=0: no heap thread");
        constexpr std::size_t kMiB = std::size_t{1} << 20;
        std::vector<std::unique_ptr<char[]>> blocks;
        if (app::heapPolicy().heapBytes < 256 * kMiB)
            blocks.push_back(std::make_unique_for_overwrite<char[]>(300 * kMiB)); // never touched
        // What the heap holds free goes back to the system, so reusing it is not resident.
        app::releaseFreedMemory();
        QTRY_COMPARE_WITH_TIMEOUT(app::heapPolicy().reservedRuns, std::size_t{4}, 20'000);
        const app::HeapPolicy before = app::heapPolicy();
        // Blocks of 1 MiB, never touched, until the heap has taken two runs from the reserve.
        constexpr std::size_t kBlock = kMiB;
        const std::size_t first = blocks.size();
        while (app::heapPolicy().runsFromReserve < before.runsFromReserve + 2 && blocks.size() < 4096)
            blocks.push_back(std::make_unique_for_overwrite<char[]>(kBlock));
        const app::HeapPolicy after = app::heapPolicy();
        QVERIFY2(after.runsFromReserve >= before.runsFromReserve + 2, qPrintable(QString::number(blocks.size())));
        QCOMPARE(after.fallbackRuns, before.fallbackRuns);
        // Each run from the reserve is 16 MiB, touched by the heap thread: at least one
        // whole run's worth of the untouched blocks is resident.
        std::size_t resident = 0;
        for (std::size_t i = first; i < blocks.size(); ++i)
            resident += residentBytes(blocks[i].get(), kBlock);
        QVERIFY2(resident >= 16 * kMiB, qPrintable(QString::number(resident)));
        // The thread fills the reserve again.
        QTRY_COMPARE_WITH_TIMEOUT(app::heapPolicy().reservedRuns, std::size_t{4}, 20'000);
#else
        QVERIFY(!app::heapPolicy().reserveThread);
#endif
    }

    void freedPagesStayUntilReleased()
    {
#if LIVEDECK_TCMALLOC
        if (qEnvironmentVariableIsSet("TCMALLOC_RELEASE_RATE"))
            QSKIP("TCMALLOC_RELEASE_RATE is set: the environment's rate wins");
        if (qEnvironmentVariable("LIVEDECK_HEAP_HUGE_PAGES") == QLatin1String("0"))
            QSKIP("LIVEDECK_HEAP_HUGE_PAGES=0: tcmalloc's own release rate");
        app::releaseFreedMemory();
        QCOMPARE(app::heapPolicy().freeBytes, std::size_t{0});
        // A world's worth of small blocks and some large ones, touched, then freed.
        constexpr std::size_t kSmall = 200'000;
        constexpr std::size_t kLarge = 16;
        constexpr std::size_t kLargeBytes = std::size_t{4} << 20;
        {
            std::vector<std::unique_ptr<char[]>> blocks;
            blocks.reserve(kSmall + kLarge);
            for (std::size_t i = 0; i < kSmall; ++i) {
                blocks.emplace_back(new char[96]);
                std::memset(blocks.back().get(), 1, 96);
            }
            for (std::size_t i = 0; i < kLarge; ++i) {
                blocks.emplace_back(new char[kLargeBytes]);
                std::memset(blocks.back().get(), 1, kLargeBytes);
            }
        }
        // At release rate 0 the freed large spans stay in the heap...
        QVERIFY2(app::heapPolicy().freeBytes >= kLarge * kLargeBytes,
                 qPrintable(QString::number(app::heapPolicy().freeBytes)));
        // ...until the program hands them back.
        app::releaseFreedMemory();
        QCOMPARE(app::heapPolicy().freeBytes, std::size_t{0});
#else
        QCOMPARE(app::heapPolicy().freeBytes, std::size_t{0});
        app::releaseFreedMemory();
#endif
    }
};

LIVEDECK_TEST_CLASS(TstProgramAllocator)
#include "tst_program_allocator.moc"
