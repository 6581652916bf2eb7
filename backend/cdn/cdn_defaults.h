// The CDN engine's default numbers, each with its source (docs/CDN.md, "Defaults").
// Sources: "write-up" = the platform's CDN redesign write-up as summarised in
// docs/CDN.md; a named reference system (nginx, Maglev, Envoy, HAProxy, brpc, ketama,
// S3-FIFO, SIEVE); "ours" = chosen here, meant to be swept by drills.
// Every constant below appears once in kDefaultsTable, which docs/CDN.md reproduces
// and a test keeps in step with the constants.
#pragma once

#include "backend/sim/time.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace livedeck::cdn {

inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * kKiB;

// Slice module
inline constexpr std::uint64_t kSliceBytes = 1 * kMiB;   // nginx docs' example `slice 1m`; ATS slice blocks 1 MiB
inline constexpr int kPrefetchWindow = 2;                 // write-up: prefetch[2]
inline constexpr int kLegacyWindow = 1;                   // nginx http_slice_module: strictly sequential
// L4
inline constexpr std::uint32_t kMaglevTableSize = 65'537; // Maglev paper / Envoy default (prime)
// Health checks
inline constexpr sim::Nanos kHealthInterval = 1 * sim::kSecond;   // ours (docs/CDN.md: 1 s × 3)
inline constexpr int kHealthRise = 2;                             // HAProxy default `rise 2`
inline constexpr int kHealthFall = 3;                             // HAProxy default `fall 3`
inline constexpr sim::Nanos kHealthTimeout = 500 * sim::kMillisecond; // ours
// Gateway → cache node: a slice whose first byte has not come after the timeout is asked
// of the next ring owner (Envoy's per-try timeout with a retry on another host; nginx's
// proxy_next_upstream on timeout), within a retry budget (Envoy's retry_budget defaults).
inline constexpr sim::Nanos kFirstByteTimeout = 500 * sim::kMillisecond; // ours: the health checks' timeout; a miss's first byte takes ~70 ms at a 60 ms origin RTT
inline constexpr double kRetryBudgetShare = 0.20;         // Envoy retry_budget.budget_percent default 20 %
inline constexpr int kRetryMinConcurrency = 3;            // Envoy retry_budget.min_retry_concurrency default 3
// Consistent hashing
inline constexpr int kRingVnodes = 160;                   // ketama: 160 points per server
inline constexpr double kBoundedLoadFactor = 1.25;        // brpc; HAProxy uses 1.5 (hash-balance-factor 150)
// Live slots
inline constexpr std::uint32_t kLiveSlots = 1'024;        // ours
inline constexpr double kSlotShrinkHysteresis = 0.8;      // ours: shrink below 80 % of the smaller set's capacity
// Cache policy
inline constexpr double kS3FifoSmallRatio = 0.10;         // S3-FIFO (SOSP'23), libCacheSim default
inline constexpr double kS3FifoGhostRatio = 0.90;         // libCacheSim default ghost-size-ratio
inline constexpr int kS3FifoMoveToMain = 2;               // libCacheSim default move-to-main-threshold
// Disk (one spindle-like device per cache disk)
inline constexpr sim::Nanos kDiskSeek = 4 * sim::kMillisecond;  // ours (7.2k rpm class)
inline constexpr double kDiskBytesPerSec = 200e6;               // ours
// Back-origin
inline constexpr double kOriginConnBytesPerSec = 12.5e6;  // ours: 100 Mbit/s per connection (1 MiB in ~84 ms)
inline constexpr double kOriginLinkBytesPerSec = 125e6;   // ours: 1 Gbit/s path to the origin, shared
inline constexpr int kOriginConnections = 32;             // ours
inline constexpr sim::Nanos kOriginTtfb = 5 * sim::kMillisecond;  // ours: origin think time
inline constexpr sim::Nanos kOriginRtt = 60 * sim::kMillisecond;  // write-up conditions: ~60 ms origin RTT
// Checkable content
inline constexpr std::uint64_t kDigestBlockBytes = 64 * kKiB; // ours

struct DefaultEntry {
    std::string_view name;
    double value;
    std::string_view unit;
    std::string_view source;
};

inline constexpr std::array<DefaultEntry, 26> kDefaultsTable{{
    {"slice.bytes", static_cast<double>(kSliceBytes), "B", "nginx docs example (slice 1m); ATS 1 MiB blocks"},
    {"slice.window.new", kPrefetchWindow, "sub-requests", "write-up (prefetch[2])"},
    {"slice.window.legacy", kLegacyWindow, "sub-requests", "nginx http_slice_module (sequential)"},
    {"l4.maglev.table_size", kMaglevTableSize, "entries", "Maglev (NSDI'16), Envoy default"},
    {"health.interval", sim::toMillis(kHealthInterval), "ms", "ours"},
    {"health.rise", kHealthRise, "checks", "HAProxy default"},
    {"health.fall", kHealthFall, "checks", "HAProxy default"},
    {"health.timeout", sim::toMillis(kHealthTimeout), "ms", "ours"},
    {"gateway.first_byte_timeout", sim::toMillis(kFirstByteTimeout), "ms", "ours (the health checks' timeout; Envoy per_try_timeout, nginx proxy_next_upstream timeout)"},
    {"gateway.retry_budget", kRetryBudgetShare, "of active sub-requests", "Envoy retry_budget budget_percent default"},
    {"gateway.retry_min_concurrency", kRetryMinConcurrency, "retries", "Envoy retry_budget min_retry_concurrency default"},
    {"ring.vnodes", kRingVnodes, "points/node", "ketama (160 points per server)"},
    {"ring.bounded_load_factor", kBoundedLoadFactor, "x mean", "brpc 1.25 (HAProxy 1.5)"},
    {"slots.count", kLiveSlots, "slots", "ours"},
    {"slots.shrink_hysteresis", kSlotShrinkHysteresis, "ratio", "ours"},
    {"cache.s3fifo.small_ratio", kS3FifoSmallRatio, "of bytes", "S3-FIFO (SOSP'23), libCacheSim"},
    {"cache.s3fifo.ghost_ratio", kS3FifoGhostRatio, "of objects", "libCacheSim"},
    {"cache.s3fifo.move_to_main", kS3FifoMoveToMain, "accesses", "libCacheSim"},
    {"disk.seek", sim::toMillis(kDiskSeek), "ms", "ours"},
    {"disk.bandwidth", kDiskBytesPerSec, "B/s", "ours"},
    {"origin.conn_bandwidth", kOriginConnBytesPerSec, "B/s", "ours (100 Mbit/s)"},
    {"origin.link_bandwidth", kOriginLinkBytesPerSec, "B/s", "ours (1 Gbit/s, shared)"},
    {"origin.connections", kOriginConnections, "connections", "ours"},
    {"origin.ttfb", sim::toMillis(kOriginTtfb), "ms", "ours"},
    {"origin.rtt", sim::toMillis(kOriginRtt), "ms", "write-up conditions (~60 ms)"},
    {"content.digest_block", static_cast<double>(kDigestBlockBytes), "B", "ours"},
}};

} // namespace livedeck::cdn
