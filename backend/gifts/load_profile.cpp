#include "backend/gifts/load_profile.h"

#include "backend/sim/strings.h"

namespace livedeck::gifts {

LoadRates LoadProfile::at(sim::Nanos t) const
{
    LoadRates r;
    if (peakAt <= rampStart) {
        r.viewers = t >= peakAt ? peakViewers : startViewers; // a step, no ramp
    } else if (t <= rampStart) {
        r.viewers = startViewers;
    } else if (t >= peakAt) {
        r.viewers = peakViewers;
    } else {
        const double f = static_cast<double>(t - rampStart) / static_cast<double>(peakAt - rampStart);
        r.viewers = startViewers + (peakViewers - startViewers) * f;
    }
    r.roomEntriesPerSec = r.viewers * entryChurnPerSec;
    r.giftsPerSec = r.viewers * giftsPerViewerPerSec;
    if (countdownFactor != 1.0 && t >= countdownAt - countdownLead && t < countdownAt + countdownTail)
        r.giftsPerSec *= countdownFactor;
    if (stormFactor != 1.0 && t >= stormAt && t < stormAt + stormLength)
        r.roomEntriesPerSec *= stormFactor;
    r.viewers *= multiplier;
    r.roomEntriesPerSec *= multiplier;
    r.giftsPerSec *= multiplier;
    return r;
}

LoadProfile LoadProfile::steady()
{
    return LoadProfile{};
}

LoadProfile LoadProfile::gala(sim::Nanos countdownAt)
{
    LoadProfile p;
    p.name = "gala";
    p.startViewers = 150e6;
    p.peakViewers = 330e6; // docs/GIFTS.md: about 330 million concurrent viewers at the peak
    p.rampStart = 0;
    p.peakAt = countdownAt;
    p.countdownFactor = 4.0;
    p.countdownAt = countdownAt;
    return p;
}

LoadProfile LoadProfile::roomStorm(sim::Nanos at)
{
    LoadProfile p;
    p.name = "room-storm";
    p.stormFactor = 10.0;
    p.stormAt = at;
    p.stormLength = 30 * sim::kSecond;
    return p;
}

absl::StatusOr<LoadProfile> LoadProfile::named(std::string_view name)
{
    if (name == "steady")
        return steady();
    if (name == "gala")
        return gala();
    if (name == "room-storm")
        return roomStorm();
    return absl::InvalidArgumentError(sim::strCat("unknown load profile '", name, "': expected steady, gala or room-storm"));
}

std::vector<std::string> LoadProfile::names()
{
    return {"steady", "gala", "room-storm"};
}

} // namespace livedeck::gifts
