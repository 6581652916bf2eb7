#include "backend/drills/drill_loader.h"

#include "backend/drills/duration.h"
#include "backend/drills/json_writer.h"
#include "backend/drills/yaml_reader.h"
#include "backend/sim/faults.h"
#include "backend/sim/strings.h"

#include <absl/container/flat_hash_set.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace livedeck::drills {
namespace {

constexpr std::string_view kFaultParamNames[] = {"add_ms", "multiply", "rate", "share", "one_way", "peer", "key"};

bool isTextParam(std::string_view name)
{
    return name == "peer" || name == "key";
}

bool validName(std::string_view s, bool allowSlash = false)
{
    if (s.empty() || s.size() > 200)
        return false;
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
            || c == '.' || (allowSlash && (c == '/' || c == '*'));
        if (!ok)
            return false;
    }
    return true;
}

std::vector<YAML::Node> itemsOf(const YAML::Node& node, std::string_view what)
{
    if (!node.IsDefined() || node.IsNull())
        return {};
    if (!node.IsSequence())
        fail(node, sim::strCat(what, ": expected a list (entries starting with '- '), got ", describe(node)));
    if (node.size() > kMaxListItems)
        fail(node, sim::strCat(what, ": at most ", kMaxListItems, " entries"));
    std::vector<YAML::Node> out;
    for (const YAML::Node& item : node)
        out.push_back(item);
    return out;
}

// "lo..hi" or a single value, for numbers.
std::pair<double, double> numberRange(const YAML::Node& node, std::string_view what)
{
    const std::string text = scalarText(node, what);
    const std::size_t dots = text.find("..");
    double lo = 0.0;
    double hi = 0.0;
    if (dots == std::string::npos) {
        if (!parseNumber(text, lo))
            fail(node, sim::strCat(what, ": expected a number or a range such as 5..80, got '", text, "'"));
        return {lo, lo};
    }
    if (!parseNumber(std::string_view(text).substr(0, dots), lo) || !parseNumber(std::string_view(text).substr(dots + 2), hi))
        fail(node, sim::strCat(what, ": expected a number or a range such as 5..80, got '", text, "'"));
    if (hi < lo)
        fail(node, sim::strCat(what, ": the range ", text, " runs backwards (low..high)"));
    return {lo, hi};
}

// "lo..hi" or a single duration.
std::pair<sim::Nanos, sim::Nanos> durationRange(const YAML::Node& node, std::string_view what)
{
    const std::string text = scalarText(node, what);
    const std::size_t dots = text.find("..");
    if (dots == std::string::npos) {
        const sim::Nanos d = durationValue(node, what, 1);
        return {d, d};
    }
    auto lo = parseDuration(std::string_view(text).substr(0, dots));
    auto hi = parseDuration(std::string_view(text).substr(dots + 2));
    if (!lo.ok() || !hi.ok())
        fail(node, sim::strCat(what, ": expected a duration or a range such as 2s..20s, got '", text, "'"));
    if (*lo <= 0 || *hi < *lo)
        fail(node, sim::strCat(what, ": expected a range low..high of positive durations, got '", text, "'"));
    return {*lo, *hi};
}

class Loader {
public:
    Loader(std::string_view text, std::string_view fileName, const EngineRegistry& engines)
        : m_engines(engines)
    {
        m_spec.fileName = std::string(fileName);
        m_spec.text = std::string(text);
    }

    DrillSpec run()
    {
        YAML::Node root;
        try {
            root = YAML::Load(m_spec.text);
        } catch (const YAML::Exception& e) {
            const SourcePos pos = e.mark.is_null() ? SourcePos{} : SourcePos{e.mark.line + 1, e.mark.column + 1};
            fail(pos, sim::strCat("not valid YAML: ", e.msg));
        }
        if (!root.IsDefined() || root.IsNull())
            fail(SourcePos{1, 1}, "the drill file is empty: expected a map with at least name, duration and engines");
        if (!root.IsMap())
            fail(root, sim::strCat("a drill file is a map of keys (name, duration, engines, ...), got ", describe(root)));
        const YamlMap top(root, "drill",
                          {"name", "description", "sabotage_of", "seed", "duration", "start", "topology", "engines", "load",
                           "faults", "random_faults", "swarm", "halt", "expectations", "invariants", "scoring"});
        readHeader(top);
        if (top.has("topology"))
            readTopology(top.get("topology"));
        readEngines(top);
        readLoad(top.get("load"));
        readFaults(top.get("faults"));
        readRandomFaults(top.get("random_faults"));
        if (top.has("swarm"))
            readSwarm(top.get("swarm"));
        readHalts(top.get("halt"));
        readExpectations(top.get("expectations"));
        readInvariants(top);
        if (top.has("scoring")) {
            const YamlMap s(top.get("scoring"), "scoring", {"invariant_weight"});
            m_spec.invariantWeight = s.number("invariant_weight", 1.0, 0.0, 1e6);
        }
        return std::move(m_spec);
    }

private:
    // ---------------------------------------------------------------- header

    void readHeader(const YamlMap& top)
    {
        const YAML::Node name = top.require("name");
        m_spec.name = scalarText(name, "name");
        if (!validName(m_spec.name))
            fail(name, sim::strCat("name: expected letters, digits, '-', '_' or '.', got '", m_spec.name, "'"));
        m_spec.description = top.string("description");
        if (top.has("sabotage_of")) {
            m_spec.sabotageOf = top.string("sabotage_of");
            if (!validName(m_spec.sabotageOf))
                fail(top.get("sabotage_of"), "sabotage_of: expected the name of the drill this one sabotages");
        }
        if (top.has("seed"))
            m_spec.seed = unsignedValue(top.get("seed"), "seed");
        m_spec.duration = durationValue(top.require("duration"), "duration", sim::kMillisecond, kMaxDuration);
        if (top.has("start"))
            m_spec.calendar = readCalendar(top.get("start"));
    }

    sim::Calendar readCalendar(const YAML::Node& node)
    {
        const std::string text = scalarText(node, "start");
        const auto bad = [&](std::string_view why) {
            fail(node, sim::strCat("start: expected a local date and time such as 2026-12-31T23:50:00+08:00, got '", text,
                                   "'", why.empty() ? "" : " (", why, why.empty() ? "" : ")"));
        };
        // YYYY-MM-DDTHH:MM[:SS][Z|(+|-)HH:MM]
        sim::CivilTime c;
        int offset = sim::Calendar::kDefaultUtcOffsetMinutes;
        const auto digits = [&](std::size_t at, std::size_t n, int& out) {
            if (at + n > text.size())
                return false;
            out = 0;
            for (std::size_t i = at; i < at + n; ++i) {
                if (text[i] < '0' || text[i] > '9')
                    return false;
                out = out * 10 + (text[i] - '0');
            }
            return true;
        };
        if (!digits(0, 4, c.year) || text.size() < 16 || text[4] != '-' || !digits(5, 2, c.month) || text[7] != '-'
            || !digits(8, 2, c.day) || (text[10] != 'T' && text[10] != ' ') || !digits(11, 2, c.hour) || text[13] != ':'
            || !digits(14, 2, c.minute))
            bad({});
        std::size_t i = 16;
        if (i < text.size() && text[i] == ':') {
            if (!digits(i + 1, 2, c.second))
                bad({});
            i += 3;
        }
        if (i < text.size()) {
            if (text[i] == 'Z' && i + 1 == text.size()) {
                offset = 0;
            } else if ((text[i] == '+' || text[i] == '-') && i + 6 == text.size() && text[i + 3] == ':') {
                int h = 0;
                int m = 0;
                if (!digits(i + 1, 2, h) || !digits(i + 4, 2, m) || h > 14 || m > 59)
                    bad("bad UTC offset");
                offset = (text[i] == '-' ? -1 : 1) * (h * 60 + m);
            } else {
                bad({});
            }
        }
        static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
        if (c.year < 1970 || c.year > 2200 || c.month < 1 || c.month > 12 || c.day < 1
            || c.day > kDays[c.month - 1] - (c.month == 2 && !leap ? 1 : 0) || c.hour > 23 || c.minute > 59 || c.second > 59)
            bad("no such date or time, or before 1970");
        return sim::Calendar::fromCivil(c, offset);
    }

    // ---------------------------------------------------------------- topology

    void readTopology(const YAML::Node& node)
    {
        const YamlMap t(node, "topology", {"regions", "links"});
        sim::Topology topology;
        const auto regions = itemsOf(t.require("regions"), "topology.regions");
        if (regions.empty())
            fail(t.get("regions"), "topology.regions: expected at least one region");
        if (regions.size() > static_cast<std::size_t>(kMaxRegions))
            fail(t.get("regions"), sim::strCat("topology.regions: at most ", kMaxRegions, " regions"));
        for (const YAML::Node& r : regions) {
            const YamlMap rm(r, "region", {"name", "city", "data_centres", "map"});
            const YAML::Node nameNode = rm.require("name");
            const std::string name = scalarText(nameNode, "region.name");
            if (!validName(name) || name == "world")
                fail(nameNode, sim::strCat("region.name: expected letters, digits, '-' or '_' (not 'world'), got '", name, "'"));
            if (topology.regionIndex(name) >= 0 || topology.dataCentreIndex(name) >= 0)
                fail(nameNode, sim::strCat("region '", name, "' is defined twice"));
            double x = 0.5;
            double y = 0.5;
            if (rm.has("map")) {
                const YAML::Node mp = rm.get("map");
                if (!mp.IsSequence() || mp.size() != 2)
                    fail(mp, "region.map: expected [x, y] with each in 0..1");
                x = numberValue(mp[0], "region.map x", 0.0, 1.0);
                y = numberValue(mp[1], "region.map y", 0.0, 1.0);
            }
            topology.addRegion(name, rm.string("city", name), x, y);
            std::vector<YAML::Node> dcs = listOf(rm.get("data_centres"), "region.data_centres");
            if (dcs.size() > 8)
                fail(rm.get("data_centres"), "region.data_centres: at most 8 per region");
            if (dcs.empty()) {
                topology.addDataCentre(sim::strCat(name, "1"), name);
            }
            for (const YAML::Node& dc : dcs) {
                const std::string dcName = scalarText(dc, "data centre");
                if (!validName(dcName))
                    fail(dc, sim::strCat("data centre: expected letters, digits, '-' or '_', got '", dcName, "'"));
                if (topology.dataCentreIndex(dcName) >= 0 || topology.regionIndex(dcName) >= 0)
                    fail(dc, sim::strCat("data centre '", dcName, "' is defined twice"));
                topology.addDataCentre(dcName, name);
            }
        }
        for (const YAML::Node& l : itemsOf(t.get("links"), "topology.links")) {
            const YamlMap lm(l, "link", {"between", "latency", "jitter", "loss"});
            const YAML::Node between = lm.require("between");
            if (!between.IsSequence() || between.size() != 2)
                fail(between, "link.between: expected two region names, [a, b]");
            std::string ends[2];
            for (std::size_t i = 0; i < 2; ++i) {
                ends[i] = scalarText(between[i], "link.between");
                if (topology.regionIndex(ends[i]) < 0)
                    fail(between[i], sim::strCat("link.between: unknown region '", ends[i], "': expected one of ", regionNames(topology)));
            }
            if (ends[0] == ends[1])
                fail(between, "link.between: a link joins two different regions");
            const int a = topology.regionIndex(ends[0]);
            const int b = topology.regionIndex(ends[1]);
            if (topology.link(a, b))
                fail(between, sim::strCat("the link between ", ends[0], " and ", ends[1], " is defined twice"));
            const sim::Nanos latency = lm.duration("latency", sim::kMillisecond, 0, sim::kMinute);
            const sim::Nanos jitter = lm.duration("jitter", 0, 0, sim::kMinute);
            const double loss = lm.number("loss", 0.0, 0.0, 1.0);
            topology.setLink(ends[0], ends[1], latency, jitter, loss);
        }
        m_spec.topology = std::move(topology);
    }

    static std::string regionNames(const sim::Topology& t)
    {
        std::string s;
        for (const sim::RegionSpec& r : t.regions())
            s += sim::strCat(s.empty() ? "" : ", ", r.name);
        return s;
    }

    // ---------------------------------------------------------------- engines and load

    void readEngines(const YamlMap& top)
    {
        const YamlMap engines(top.require("engines"), "engines");
        if (engines.entries().empty())
            fail(top.get("engines"), sim::strCat("engines: expected at least one engine: ", m_engines.names()));
        for (const YamlMap::Entry& e : engines.entries()) {
            const EngineFactory* factory = m_engines.find(e.key);
            if (!factory)
                fail(e.keyNode, sim::strCat("unknown engine '", e.key, "': expected one of ", m_engines.names()));
            EngineEntry entry;
            entry.name = e.key;
            entry.pos = posOf(e.keyNode);
            entry.factory = factory;
            entry.settings = factory->parseSettings(e.value);
            m_spec.engines.push_back(std::move(entry));
        }
    }

    const EngineEntry* engineEntry(std::string_view name) const
    {
        for (const EngineEntry& e : m_spec.engines) {
            if (e.name == name)
                return &e;
        }
        return nullptr;
    }

    std::string engineNames() const
    {
        std::string s;
        for (const EngineEntry& e : m_spec.engines)
            s += sim::strCat(s.empty() ? "" : ", ", e.name);
        return s;
    }

    void readLoad(const YAML::Node& node)
    {
        for (const YAML::Node& item : itemsOf(node, "load")) {
            const YamlMap m(item, "load entry", {"at", "engine", "profile", "multiplier", "params"});
            LoadPhase phase;
            phase.pos = m.pos();
            phase.at = atTime(m, "at", true);
            const YAML::Node engineNode = m.require("engine");
            phase.engine = scalarText(engineNode, "load.engine");
            const EngineEntry* engine = engineEntry(phase.engine);
            if (!engine)
                fail(engineNode, sim::strCat("load.engine: '", phase.engine, "' is not among this drill's engines: expected one of ",
                                             engineNames()));
            const std::vector<std::string> profiles = engine->factory->loadProfiles();
            if (profiles.empty())
                fail(engineNode, sim::strCat("engine ", phase.engine, " takes no load phases"));
            const YAML::Node profileNode = m.require("profile");
            phase.profile = scalarText(profileNode, "load.profile");
            bool known = false;
            std::string list;
            for (const std::string& p : profiles) {
                known = known || p == phase.profile;
                list += sim::strCat(list.empty() ? "" : ", ", p);
            }
            if (!known)
                fail(profileNode, sim::strCat("unknown load profile '", phase.profile, "' for engine ", phase.engine,
                                              ": expected one of ", list));
            phase.multiplier = m.number("multiplier", 1.0, 0.0, 1e6);
            phase.params = engine->factory->parseLoad(phase.profile, m.get("params"));
            if (!m_spec.load.empty() && phase.at < m_spec.load.back().at)
                fail(m.keyPos("at"), "load entries must be in time order");
            m_spec.load.push_back(std::move(phase));
        }
    }

    // A time inside the drill: a duration from the start, at most the drill's duration.
    sim::Nanos atTime(const YamlMap& m, std::string_view key, bool required)
    {
        if (!m.has(key)) {
            if (required)
                m.require(key);
            return 0;
        }
        const YAML::Node n = m.get(key);
        const sim::Nanos t = durationValue(n, m.path(key), 0);
        if (t > m_spec.duration)
            fail(n, sim::strCat(m.path(key), ": ", scalarText(n, key), " is after the drill's end (duration ",
                                formatDuration(m_spec.duration), ")"));
        return t;
    }

    // ---------------------------------------------------------------- faults

    v1::FaultKind faultKind(const YAML::Node& node, std::string_view what)
    {
        const std::string text = scalarText(node, what);
        auto kind = sim::FaultRegistry::parseKind(text);
        if (!kind.ok())
            fail(node, std::string(kind.status().message()));
        return *kind;
    }

    void readFaults(const YAML::Node& node)
    {
        absl::flat_hash_set<std::string> names;
        for (const YAML::Node& item : itemsOf(node, "faults")) {
            const YamlMap m(item, "fault", {"name", "at", "for", "until", "target", "kind", "params"});
            ScheduledFault f;
            f.pos = m.pos();
            if (m.has("name")) {
                f.name = m.string("name");
                if (!validName(f.name) || f.name == "end")
                    fail(m.get("name"), sim::strCat("fault.name: expected letters, digits, '-' or '_' (not 'end'), got '", f.name, "'"));
                if (f.name.find('.') != std::string::npos)
                    fail(m.get("name"), "fault.name: a fault name may not contain '.' (times refer to NAME.start and NAME.end)");
                if (!names.insert(f.name).second)
                    fail(m.get("name"), sim::strCat("fault.name: '", f.name, "' names another fault already"));
            }
            f.at = atTime(m, "at", true);
            if (m.has("for") && m.has("until"))
                fail(m.keyPos("until"), "a fault takes 'for' (a length) or 'until' (an end time), not both");
            if (m.has("for")) {
                const sim::Nanos length = m.duration("for", 0, sim::kMillisecond);
                f.end = f.at + length;
            } else if (m.has("until")) {
                const sim::Nanos until = atTime(m, "until", false);
                if (until <= f.at)
                    fail(m.get("until"), "fault.until: the fault must end after it starts ('at')");
                f.end = until;
            }
            const YAML::Node kindNode = m.require("kind");
            f.kind = faultKind(kindNode, "fault.kind");
            const YAML::Node targetNode = m.require("target");
            f.target = scalarText(targetNode, "fault.target");
            f.targetPos = posOf(targetNode);
            if (!validName(f.target, true))
                fail(targetNode, sim::strCat("fault.target: expected a component path such as sh-a/orders/db/3, got '",
                                             f.target, "'"));
            readFaultParams(m, f);
            m_spec.faults.push_back(std::move(f));
        }
    }

    void readFaultParams(const YamlMap& m, ScheduledFault& f)
    {
        const YamlMap params(m.get("params"), "fault.params");
        for (const YamlMap::Entry& e : params.entries()) {
            bool known = false;
            for (std::string_view n : kFaultParamNames)
                known = known || n == e.key;
            if (!known)
                fail(e.keyNode, sim::strCat("unknown fault parameter '", e.key, "' for kind ", sim::FaultRegistry::kindName(f.kind),
                                            ": expected add_ms, multiply, rate, share, one_way, peer or key"));
            v1::FaultParam p;
            p.set_name(e.key);
            if (isTextParam(e.key)) {
                p.set_text(scalarText(e.value, params.path(e.key)));
                if (e.key == "peer") {
                    f.peerPos = posOf(e.value);
                    if (!validName(p.text(), true))
                        fail(e.value, sim::strCat("fault.params.peer: expected a component path, got '", p.text(), "'"));
                }
            } else if (e.key == "one_way") {
                const std::string t = scalarText(e.value, "fault.params.one_way");
                double v = 0.0;
                p.set_value(parseNumber(t, v) ? (v != 0.0 ? 1.0 : 0.0) : (boolValue(e.value, "fault.params.one_way") ? 1.0 : 0.0));
            } else {
                p.set_value(numberValue(e.value, params.path(e.key), -HUGE_VAL, HUGE_VAL));
            }
            f.params.push_back(std::move(p));
        }
        v1::FaultSpec spec;
        spec.set_kind(f.kind);
        for (const v1::FaultParam& p : f.params)
            *spec.add_params() = p;
        auto ok = sim::FaultRegistry::validateParams(spec);
        if (!ok.ok())
            fail(m.has("params") ? m.get("params") : m.get("kind"), std::string(ok.status().message()));
    }

    void readRandomFaults(const YAML::Node& node)
    {
        int index = 0;
        absl::flat_hash_set<std::string> names;
        for (const YAML::Node& item : itemsOf(node, "random_faults")) {
            const YamlMap m(item, "random fault set",
                            {"name", "kinds", "targets", "rate", "mean_gap", "length", "from", "until", "max_active", "params"});
            RandomFaultSet set;
            set.pos = m.pos();
            set.name = m.has("name") ? m.string("name") : sim::strCat("random-", index);
            ++index;
            if (!validName(set.name))
                fail(m.get("name"), sim::strCat("random fault set name: expected letters, digits, '-' or '_', got '", set.name, "'"));
            if (!names.insert(set.name).second)
                fail(m.has("name") ? m.keyPos("name") : set.pos, sim::strCat("two random fault sets are named '", set.name, "'"));
            const YAML::Node kindsNode = m.require("kinds");
            for (const YAML::Node& k : listOf(kindsNode, "random_faults.kinds")) {
                const v1::FaultKind kind = faultKind(k, "random_faults.kinds");
                if (std::find(set.kinds.begin(), set.kinds.end(), kind) != set.kinds.end())
                    fail(k, sim::strCat("random_faults.kinds: '", scalarText(k, "kind"), "' is listed twice"));
                set.kinds.push_back(kind);
            }
            if (set.kinds.empty())
                fail(kindsNode, sim::strCat("random_faults.kinds: expected at least one of ", sim::FaultRegistry::vocabulary()));
            const YAML::Node targetsNode = m.require("targets");
            for (const YAML::Node& t : listOf(targetsNode, "random_faults.targets")) {
                const std::string target = scalarText(t, "random_faults.targets");
                if (!validName(target, true))
                    fail(t, sim::strCat("random_faults.targets: expected component paths such as sh-a/orders/db or */synthetic/svc/*, got '",
                                        target, "'"));
                set.targets.push_back(target);
                set.targetPos.push_back(posOf(t));
            }
            if (set.targets.empty())
                fail(targetsNode, "random_faults.targets: expected at least one target");
            if (m.has("rate") == m.has("mean_gap"))
                fail(set.pos, "a random fault set takes 'rate' (e.g. 6/min) or 'mean_gap' (e.g. 10s), one of them");
            if (m.has("rate")) {
                set.ratePerMinute = readRate(m.get("rate"));
            } else {
                const sim::Nanos gap = m.duration("mean_gap", 0, sim::kMillisecond);
                set.ratePerMinute = static_cast<double>(sim::kMinute) / static_cast<double>(gap);
            }
            if (m.has("length")) {
                const auto [lo, hi] = durationRange(m.get("length"), "random_faults.length");
                set.minLength = lo;
                set.maxLength = hi;
            }
            set.from = atTime(m, "from", false);
            set.until = m.has("until") ? atTime(m, "until", false) : m_spec.duration;
            if (set.until <= set.from)
                fail(m.keyPos("until"), "random_faults.until: must come after 'from'");
            set.maxActive = static_cast<int>(m.integer("max_active", 0, 0, 1000));
            const double expected = set.ratePerMinute * sim::toSeconds(set.until - set.from) / 60.0;
            if (expected > kMaxRandomFaultsPerSet)
                fail(m.has("rate") ? m.get("rate") : m.get("mean_gap"),
                     sim::strCat("random fault set '", set.name, "' would draw about ", numberText(expected, 3),
                                 " faults: at most ", numberText(kMaxRandomFaultsPerSet), " per set"));
            readRandomParams(m, set);
            m_spec.randomFaults.push_back(std::move(set));
        }
    }

    void readSwarm(const YAML::Node& node)
    {
        const YamlMap m(node, "swarm", {"faults_until", "faults", "length"});
        SwarmSpec& sw = m_spec.swarm;
        sw.pos = m.pos();
        if (m.has("faults_until")) {
            sw.faultsUntil = m.duration("faults_until", 0, sim::kMillisecond);
            if (sw.faultsUntil >= m_spec.duration)
                fail(m.get("faults_until"), sim::strCat("swarm.faults_until: the faults must stop before the drill ends (",
                                                        formatDuration(m_spec.duration), ") to leave a recovery tail"));
        }
        if (m.has("faults")) {
            const YAML::Node f = m.get("faults");
            const std::string text = scalarText(f, "swarm.faults");
            const std::size_t dots = text.find("..");
            double lo = 0.0;
            double hi = 0.0;
            const bool ok = dots == std::string::npos
                ? parseNumber(text, lo) && (hi = lo, true)
                : parseNumber(std::string_view(text).substr(0, dots), lo) && parseNumber(std::string_view(text).substr(dots + 2), hi);
            if (!ok || lo < 1 || hi < lo || hi > 64 || lo != static_cast<int>(lo) || hi != static_cast<int>(hi))
                fail(f, sim::strCat("swarm.faults: expected a count or a range of counts in 1..64 such as 2..6, got '", text, "'"));
            sw.minFaults = static_cast<int>(lo);
            sw.maxFaults = static_cast<int>(hi);
        }
        if (m.has("length")) {
            const auto [lo, hi] = durationRange(m.get("length"), "swarm.length");
            if (lo < sim::kMillisecond)
                fail(m.get("length"), "swarm.length: faults last at least 1ms");
            sw.minLength = lo;
            sw.maxLength = hi;
        }
        if (m_spec.swarmFaultsUntil() < sw.minLength)
            fail(m.pos(), sim::strCat("swarm: the faults must stop (", formatDuration(m_spec.swarmFaultsUntil()),
                                      ") after the shortest fault could end (", formatDuration(sw.minLength), ")"));
    }

    double readRate(const YAML::Node& node)
    {
        const std::string text = scalarText(node, "random_faults.rate");
        const std::size_t slash = text.find('/');
        double n = 0.0;
        const auto bad = [&] {
            fail(node, sim::strCat("random_faults.rate: expected faults per time such as 6/min, 0.5/s or 2/h, got '", text, "'"));
        };
        if (slash == std::string::npos || !parseNumber(std::string_view(text).substr(0, slash), n) || n <= 0.0)
            bad();
        const std::string_view unit = std::string_view(text).substr(slash + 1);
        double perMinute = 0.0;
        if (unit == "s")
            perMinute = n * 60.0;
        else if (unit == "min" || unit == "m")
            perMinute = n;
        else if (unit == "h")
            perMinute = n / 60.0;
        else
            bad();
        return perMinute;
    }

    void readRandomParams(const YamlMap& m, RandomFaultSet& set)
    {
        const YamlMap byKind(m.get("params"), "random_faults.params");
        for (const YamlMap::Entry& e : byKind.entries()) {
            auto kind = sim::FaultRegistry::parseKind(e.key);
            if (!kind.ok())
                fail(e.keyNode, std::string(kind.status().message()));
            if (std::find(set.kinds.begin(), set.kinds.end(), *kind) == set.kinds.end())
                fail(e.keyNode, sim::strCat("random_faults.params: '", e.key, "' is not among this set's kinds"));
            RandomParamSet ps;
            ps.kind = *kind;
            const YamlMap params(e.value, sim::strCat("random_faults.params.", e.key));
            for (const YamlMap::Entry& pe : params.entries()) {
                bool known = false;
                for (std::string_view n : kFaultParamNames)
                    known = known || n == pe.key;
                if (!known)
                    fail(pe.keyNode, sim::strCat("unknown fault parameter '", pe.key, "' for kind ", e.key,
                                                 ": expected add_ms, multiply, rate, share, one_way, peer or key"));
                RandomParam rp;
                rp.name = pe.key;
                rp.pos = posOf(pe.value);
                if (pe.value.IsSequence()) {
                    for (const YAML::Node& c : listOf(pe.value, params.path(pe.key))) {
                        std::string choice = scalarText(c, params.path(pe.key));
                        double v = 0.0;
                        if (!isTextParam(pe.key) && !parseNumber(choice, v))
                            fail(c, sim::strCat(params.path(pe.key), ": expected numbers, got '", choice, "'"));
                        rp.choices.push_back(std::move(choice));
                    }
                    if (rp.choices.empty())
                        fail(pe.value, sim::strCat(params.path(pe.key), ": expected at least one choice"));
                } else if (isTextParam(pe.key)) {
                    rp.choices.push_back(scalarText(pe.value, params.path(pe.key)));
                } else {
                    const auto [lo, hi] = numberRange(pe.value, params.path(pe.key));
                    rp.lo = lo;
                    rp.hi = hi;
                }
                if (pe.key == "peer") {
                    for (const std::string& c : rp.choices) {
                        if (!validName(c, true))
                            fail(pe.value, sim::strCat(params.path("peer"), ": expected component paths, got '", c, "'"));
                    }
                }
                ps.params.push_back(std::move(rp));
            }
            // Both ends of every range (and every choice) must make a valid fault.
            for (int corner = 0; corner < 2; ++corner) {
                v1::FaultSpec spec;
                spec.set_kind(ps.kind);
                for (const RandomParam& rp : ps.params) {
                    auto* p = spec.add_params();
                    p->set_name(rp.name);
                    if (isTextParam(rp.name)) {
                        p->set_text(rp.choices.front());
                    } else if (!rp.choices.empty()) {
                        double v = 0.0;
                        parseNumber(corner == 0 ? rp.choices.front() : rp.choices.back(), v);
                        p->set_value(v);
                    } else {
                        p->set_value(corner == 0 ? rp.lo : rp.hi);
                    }
                }
                if (ps.kind == v1::FAULT_PARTITION && spec.params_size() == 0)
                    break; // the peer defaults to another target (checked below)
                if (ps.params.empty())
                    break;
                auto ok = sim::FaultRegistry::validateParams(spec);
                if (!ok.ok())
                    fail(e.value, sim::strCat("random_faults.params.", e.key, ": ", std::string(ok.status().message())));
            }
            set.params.push_back(std::move(ps));
        }
        // A random partition needs a peer: from params, or another target of the set.
        for (v1::FaultKind k : set.kinds) {
            if (k != v1::FAULT_PARTITION)
                continue;
            bool hasPeer = false;
            for (const RandomParamSet& ps : set.params) {
                for (const RandomParam& rp : ps.params)
                    hasPeer = hasPeer || (ps.kind == k && rp.name == "peer");
            }
            if (!hasPeer && set.targets.size() < 2)
                fail(m.get("kinds"), "random partition faults need a peer: give params.partition.peer, or two or more targets");
        }
    }

    // ---------------------------------------------------------------- metrics

    MetricSelector readSelector(const YamlMap& m, telemetry::MetricKind& kind)
    {
        MetricSelector sel;
        const YAML::Node nameNode = m.require("metric");
        sel.name = scalarText(nameNode, m.path("metric"));
        sel.namePos = posOf(nameNode);
        bool found = false;
        for (const EngineEntry& e : m_spec.engines) {
            if (e.factory->offersMetric(sel.name, &kind)) {
                found = true;
                break;
            }
        }
        if (!found) {
            std::string offered;
            for (const EngineEntry& e : m_spec.engines) {
                for (const MetricOffer& o : e.factory->metrics())
                    offered += sim::strCat(offered.empty() ? "" : ", ", o.name);
            }
            fail(nameNode, sim::strCat("unknown metric '", sel.name, "': the engines of this drill offer ", offered));
        }
        if (m.has("component")) {
            const YAML::Node c = m.get("component");
            sel.component = scalarText(c, m.path("component"));
            sel.componentPos = posOf(c);
            if (!validName(sel.component, true))
                fail(c, sim::strCat(m.path("component"), ": expected a component path, got '", sel.component, "'"));
        }
        sel.labels = m.string("labels");
        using K = telemetry::MetricKind;
        switch (kind) {
        case K::Counter:
            sel.type = v1::METRIC_TYPE_COUNTER;
            sel.combine = SeriesCombine::Sum;
            break;
        case K::Gauge:
            sel.type = v1::METRIC_TYPE_GAUGE;
            sel.combine = SeriesCombine::Mean;
            break;
        case K::Histogram:
            sel.type = v1::METRIC_TYPE_HISTOGRAM_P99;
            sel.combine = SeriesCombine::Max;
            break;
        }
        if (m.has("type")) {
            const YAML::Node t = m.get("type");
            const std::string text = scalarText(t, m.path("type"));
            const std::string_view allowed = kind == K::Counter ? "rate or total"
                : kind == K::Gauge                              ? "value"
                                                                : "p50, p90, p99 or p999";
            v1::MetricType type = v1::METRIC_TYPE_UNSPECIFIED;
            if (kind == K::Counter && text == "rate")
                type = v1::METRIC_TYPE_COUNTER;
            else if (kind == K::Counter && text == "total")
                type = v1::METRIC_TYPE_COUNTER_TOTAL;
            else if (kind == K::Gauge && text == "value")
                type = v1::METRIC_TYPE_GAUGE;
            else if (kind == K::Histogram && text == "p50")
                type = v1::METRIC_TYPE_HISTOGRAM_P50;
            else if (kind == K::Histogram && text == "p90")
                type = v1::METRIC_TYPE_HISTOGRAM_P90;
            else if (kind == K::Histogram && text == "p99")
                type = v1::METRIC_TYPE_HISTOGRAM_P99;
            else if (kind == K::Histogram && text == "p999")
                type = v1::METRIC_TYPE_HISTOGRAM_P999;
            if (type == v1::METRIC_TYPE_UNSPECIFIED)
                fail(t, sim::strCat(m.path("type"), ": '", text, "' does not apply to ", sel.name, ": expected ", allowed));
            sel.type = type;
        }
        if (m.has("combine")) {
            const YAML::Node c = m.get("combine");
            const std::string text = scalarText(c, m.path("combine"));
            if (text == "sum")
                sel.combine = SeriesCombine::Sum;
            else if (text == "mean")
                sel.combine = SeriesCombine::Mean;
            else if (text == "min")
                sel.combine = SeriesCombine::Min;
            else if (text == "max")
                sel.combine = SeriesCombine::Max;
            else
                fail(c, sim::strCat(m.path("combine"), ": expected sum, mean, min or max, got '", text, "'"));
        }
        return sel;
    }

    Condition readCondition(const YAML::Node& node, std::string_view what)
    {
        const std::string text = scalarText(node, what);
        auto c = Condition::parse(text);
        if (!c.ok())
            fail(node, sim::strCat(what, ": ", std::string(c.status().message())));
        return *c;
    }

    TimeRef readTimeRef(const YAML::Node& node, std::string_view what)
    {
        const std::string text = scalarText(node, what);
        auto t = TimeRef::parse(text);
        if (!t.ok())
            fail(node, sim::strCat(what, ": ", std::string(t.status().message())));
        t->pos = posOf(node);
        if ((t->base == TimeRef::Base::FaultStart || t->base == TimeRef::Base::FaultEnd) && !m_spec.findFault(t->fault)) {
            std::string names;
            for (const ScheduledFault& f : m_spec.faults) {
                if (!f.name.empty())
                    names += sim::strCat(names.empty() ? "" : ", ", f.name);
            }
            fail(node, sim::strCat(what, ": no fault is named '", t->fault, "'",
                                   names.empty() ? std::string(" (no fault of this drill has a name)")
                                                 : sim::strCat(": expected one of ", names)));
        }
        if (t->base == TimeRef::Base::Start && t->offset > m_spec.duration)
            fail(node, sim::strCat(what, ": ", text, " is after the drill's end (duration ", formatDuration(m_spec.duration), ")"));
        return *t;
    }

    void readHalts(const YAML::Node& node)
    {
        int index = 0;
        for (const YAML::Node& item : itemsOf(node, "halt")) {
            const YamlMap m(item, "halt condition", {"name", "metric", "component", "labels", "type", "combine", "when", "for", "after"});
            HaltCondition h;
            h.pos = m.pos();
            h.name = m.has("name") ? m.string("name") : sim::strCat("halt-", index);
            ++index;
            telemetry::MetricKind kind = telemetry::MetricKind::Gauge;
            h.metric = readSelector(m, kind);
            h.when = readCondition(m.require("when"), "halt.when");
            h.sustain = m.duration("for", 0, 0, m_spec.duration);
            h.after = atTime(m, "after", false);
            m_spec.halts.push_back(std::move(h));
        }
    }

    void readExpectations(const YAML::Node& node)
    {
        absl::flat_hash_set<std::string> names;
        for (const YAML::Node& item : itemsOf(node, "expectations")) {
            const YamlMap m(item, "expectation",
                            {"name", "weight", "metric", "component", "labels", "type", "combine", "stat", "expect", "event",
                             "fields", "within", "after", "never", "count", "from", "to"});
            ExpectationSpec x;
            x.pos = m.pos();
            const YAML::Node nameNode = m.require("name");
            x.name = scalarText(nameNode, "expectation.name");
            if (x.name.empty() || x.name.size() > 200)
                fail(nameNode, "expectation.name: expected a short name");
            if (!names.insert(x.name).second)
                fail(nameNode, sim::strCat("expectation.name: '", x.name, "' names another expectation already"));
            x.weight = m.number("weight", 1.0, 0.0, 1e6);
            if (m.has("metric") == m.has("event"))
                fail(x.pos, sim::strCat("expectation '", x.name, "' needs 'metric' (a metric over a window) or 'event' (an event "
                                        "within a time, never, or a count), one of them"));
            x.isMetric = m.has("metric");
            const auto only = [&](std::initializer_list<std::string_view> keys, std::string_view mode) {
                for (std::string_view k : keys) {
                    if (m.has(k))
                        fail(m.keyPos(k), sim::strCat("expectation.", k, " applies to ", mode, " expectations; '", x.name,
                                                      "' is a ", x.isMetric ? "metric" : "event", " expectation"));
                }
            };
            if (x.isMetric) {
                only({"fields", "within", "after", "never", "count"}, "event");
                telemetry::MetricKind kind = telemetry::MetricKind::Gauge;
                x.metric.metric = readSelector(m, kind);
                x.metric.expect = readCondition(m.require("expect"), "expectation.expect");
                if (m.has("stat")) {
                    const YAML::Node s = m.get("stat");
                    const std::string t = scalarText(s, "expectation.stat");
                    static constexpr std::pair<std::string_view, SeriesStat> kStats[] = {
                        {"mean", SeriesStat::Mean}, {"min", SeriesStat::Min},   {"max", SeriesStat::Max},
                        {"first", SeriesStat::First}, {"last", SeriesStat::Last}, {"sum", SeriesStat::Sum}};
                    bool ok = false;
                    for (const auto& [n, v] : kStats) {
                        if (n == t) {
                            x.metric.stat = v;
                            ok = true;
                        }
                    }
                    if (!ok)
                        fail(s, sim::strCat("expectation.stat: expected mean, min, max, first, last or sum, got '", t, "'"));
                }
                if (m.has("from"))
                    x.metric.from = readTimeRef(m.get("from"), "expectation.from");
                if (m.has("to"))
                    x.metric.to = readTimeRef(m.get("to"), "expectation.to");
            } else {
                only({"labels", "type", "combine", "stat", "expect"}, "metric");
                EventExpectationSpec& ev = x.event;
                const YAML::Node kindNode = m.get("event");
                ev.kind = scalarText(kindNode, "expectation.event");
                if (!validName(ev.kind, true) || ev.kind.find('/') != std::string::npos
                    || (ev.kind.find('*') != std::string::npos && (ev.kind.size() < 3 || ev.kind.substr(ev.kind.size() - 2) != ".*"
                                                                   || ev.kind.find('*') != ev.kind.size() - 1)))
                    fail(kindNode, sim::strCat("expectation.event: expected an event kind such as breaker.open or a family "
                                               "such as invariant.*, got '", ev.kind, "'"));
                if (m.has("component")) {
                    const YAML::Node c = m.get("component");
                    ev.component = scalarText(c, "expectation.component");
                    ev.componentPos = posOf(c);
                    if (!validName(ev.component, true))
                        fail(c, sim::strCat("expectation.component: expected a component path, got '", ev.component, "'"));
                }
                const YamlMap fields(m.get("fields"), "expectation.fields");
                for (const YamlMap::Entry& f : fields.entries())
                    ev.fields.emplace_back(f.key, scalarText(f.value, fields.path(f.key)));
                const int modes = (m.has("within") ? 1 : 0) + (m.has("never") ? 1 : 0) + (m.has("count") ? 1 : 0);
                if (modes != 1)
                    fail(x.pos, sim::strCat("event expectation '", x.name, "' needs one of 'within' (with 'after'), "
                                            "'never: true' or 'count'"));
                if (m.has("within")) {
                    ev.mode = EventExpectationSpec::Mode::Within;
                    ev.within = m.duration("within", 0, 0, kMaxDuration);
                    ev.after = readTimeRef(m.require("after"), "expectation.after");
                    only({"from", "to"}, "'never' and 'count'");
                } else {
                    if (m.has("after"))
                        fail(m.keyPos("after"), "expectation.after goes with 'within'; use from/to for a window");
                    if (m.has("never")) {
                        ev.mode = EventExpectationSpec::Mode::Never;
                        if (!boolValue(m.get("never"), "expectation.never"))
                            fail(m.get("never"), "expectation.never: only 'never: true' makes sense (use count to want events)");
                    } else {
                        ev.mode = EventExpectationSpec::Mode::Count;
                        ev.count = readCondition(m.get("count"), "expectation.count");
                    }
                    if (m.has("from"))
                        ev.from = readTimeRef(m.get("from"), "expectation.from");
                    if (m.has("to"))
                        ev.to = readTimeRef(m.get("to"), "expectation.to");
                }
            }
            m_spec.expectations.push_back(std::move(x));
        }
    }

    void readInvariants(const YamlMap& top)
    {
        if (!top.has("invariants"))
            return;
        const YAML::Node node = top.get("invariants");
        if (node.IsScalar() && node.Scalar() == "all")
            return;
        m_spec.allInvariants = false;
        std::string offered(kNoViolationsInvariant);
        for (const EngineEntry& e : m_spec.engines) {
            for (const InvariantOffer& o : e.factory->invariants())
                offered += sim::strCat(", ", o.name);
        }
        for (const YAML::Node& n : listOf(node, "invariants")) {
            const std::string name = scalarText(n, "invariants");
            bool known = name == kNoViolationsInvariant;
            for (const EngineEntry& e : m_spec.engines) {
                for (const InvariantOffer& o : e.factory->invariants())
                    known = known || o.name == name;
            }
            if (!known)
                fail(n, sim::strCat("unknown invariant '", name, "': expected all, or some of ", offered));
            for (const auto& [existing, pos] : m_spec.invariants) {
                if (existing == name)
                    fail(n, sim::strCat("invariant '", name, "' is listed twice"));
            }
            m_spec.invariants.emplace_back(name, posOf(n));
        }
    }

    const EngineRegistry& m_engines;
    DrillSpec m_spec;
};

} // namespace

absl::StatusOr<DrillSpec> loadDrill(std::string_view text, std::string_view fileName, const EngineRegistry& engines)
{
    if (text.size() > kMaxFileBytes)
        return absl::InvalidArgumentError(
            formatDiagnostic(fileName, {}, sim::strCat("the drill file is larger than ", kMaxFileBytes / 1024, " KiB")));
    try {
        Loader loader(text, fileName, engines);
        return loader.run();
    } catch (const DrillError& e) {
        return absl::InvalidArgumentError(formatDiagnostic(fileName, e.pos(), e.message()));
    } catch (const YAML::Exception& e) {
        // yaml-cpp conversions that escaped a reader: still a position and a message.
        const SourcePos pos = e.mark.is_null() ? SourcePos{} : SourcePos{e.mark.line + 1, e.mark.column + 1};
        return absl::InvalidArgumentError(formatDiagnostic(fileName, pos, sim::strCat("not a valid drill: ", e.msg)));
    } catch (const std::exception& e) {
        return absl::InvalidArgumentError(formatDiagnostic(fileName, {}, sim::strCat("not a valid drill: ", e.what())));
    }
}

absl::StatusOr<DrillSpec> loadDrillFile(const std::string& path, const EngineRegistry& engines)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        return err == ENOENT ? absl::NotFoundError(sim::strCat(path, ": no such file"))
                             : absl::PermissionDeniedError(sim::strCat(path, ": cannot be read: ", std::strerror(err)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return absl::DataLossError(sim::strCat(path, ": read error"));
    return loadDrill(text.str(), path, engines);
}

} // namespace livedeck::drills
