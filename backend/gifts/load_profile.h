// LoadProfile: the real-equivalent traffic of the gift system over simulated time.
//
// The write-up gives one number: about 330 million concurrent viewers at the peak
// (docs/GIFTS.md). The rest are ours, stated here so a drill can reshape them:
// - room entries per second = concurrent viewers × entryChurnPerSec (a viewer enters a
//   new room every ~10 minutes: 1/600 per second → 550 K entries/s at 330 M viewers);
//   every entry preloads the gift panel (one panel request);
// - gift sends per second = concurrent viewers × giftsPerViewerPerSec (0.05 % of viewers
//   send a gift each second → 165 K sends/s at 330 M viewers), multiplied by
//   countdownFactor around the New Year countdown;
// - a room-entry storm multiplies room entries by stormFactor for stormLength.
// Viewers are interpolated linearly between (rampStart, startViewers) and
// (peakAt, peakViewers) and stay at the peak after it.
//
// Named profiles: "steady" (a normal evening), "gala" (ramp to the countdown at
// 00:00 with the countdown spike), "room-storm" (steady plus a room-entry storm).
// Value type; pure arithmetic on simulated time.
#pragma once

#include "backend/sim/time.h"

#include <absl/status/statusor.h>

#include <string>
#include <string_view>
#include <vector>

namespace livedeck::gifts {

struct LoadRates {
    double viewers = 0.0;          // concurrent viewers
    double roomEntriesPerSec = 0.0;
    double giftsPerSec = 0.0;
};

struct LoadProfile {
    std::string name = "steady";
    double startViewers = 60e6;
    double peakViewers = 60e6;
    sim::Nanos rampStart = 0;
    sim::Nanos peakAt = 0;
    double entryChurnPerSec = 1.0 / 600.0;
    double giftsPerViewerPerSec = 0.0005;
    // Countdown spike on gift sends: ×countdownFactor from countdownAt - countdownLead
    // to countdownAt + countdownTail (countdownFactor 1 = none).
    double countdownFactor = 1.0;
    sim::Nanos countdownAt = 0;
    sim::Nanos countdownLead = 10 * sim::kSecond;
    sim::Nanos countdownTail = 50 * sim::kSecond;
    // Room-entry storm (stormFactor 1 = none).
    double stormFactor = 1.0;
    sim::Nanos stormAt = 0;
    sim::Nanos stormLength = 0;
    // Scales every rate (the SetLoad command's multiplier).
    double multiplier = 1.0;

    LoadRates at(sim::Nanos t) const;

    // A normal evening: 60 M viewers, flat.
    static LoadProfile steady();
    // The gala: 150 M viewers at t = 0 rising to 330 M at the countdown (simulated
    // `countdownAt`, 10 min with the default calendar start of 23:50), gift sends ×4
    // from 10 s before to 50 s after it.
    static LoadProfile gala(sim::Nanos countdownAt = 10 * sim::kMinute);
    // Steady evening with room entries ×10 for 30 s starting at `at`.
    static LoadProfile roomStorm(sim::Nanos at = 60 * sim::kSecond);
    // By name: "steady", "gala", "room-storm".
    static absl::StatusOr<LoadProfile> named(std::string_view name);
    static std::vector<std::string> names();
};

} // namespace livedeck::gifts
