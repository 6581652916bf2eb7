#include "backend/engine/yaml_reader.h"

#include "backend/engine/duration.h"
#include "backend/engine/json_writer.h"
#include "backend/sim/strings.h"

#include <absl/container/flat_hash_set.h>

#include <charconv>
#include <cmath>

namespace livedeck::engine {
namespace {

std::string rangeText(double min, double max)
{
    if (min == -HUGE_VAL && max == HUGE_VAL)
        return "a number";
    if (max == HUGE_VAL)
        return sim::strCat("a number >= ", numberText(min));
    if (min == -HUGE_VAL)
        return sim::strCat("a number <= ", numberText(max));
    return sim::strCat("a number from ", numberText(min), " to ", numberText(max));
}

} // namespace

SourcePos posOf(const YAML::Node& node)
{
    if (!node.IsDefined())
        return {};
    const YAML::Mark m = node.Mark();
    if (m.is_null() || m.line < 0 || m.column < 0)
        return {};
    return SourcePos{m.line + 1, m.column + 1};
}

void fail(const YAML::Node& node, std::string message)
{
    throw DrillError(posOf(node), std::move(message));
}

void fail(SourcePos pos, std::string message)
{
    throw DrillError(pos, std::move(message));
}

std::string_view describe(const YAML::Node& node)
{
    if (!node.IsDefined() || node.IsNull())
        return "nothing";
    if (node.IsMap())
        return "a map";
    if (node.IsSequence())
        return "a list";
    return "a value";
}

bool parseNumber(std::string_view text, double& out)
{
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    if (text.empty() || text.front() == '+' || text.front() == ' ')
        return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

std::string scalarText(const YAML::Node& node, std::string_view what)
{
    if (!node.IsDefined() || !node.IsScalar())
        fail(node, sim::strCat(what, ": expected a value, got ", describe(node)));
    return node.Scalar();
}

double numberValue(const YAML::Node& node, std::string_view what, double min, double max)
{
    const std::string text = scalarText(node, what);
    double v = 0.0;
    if (!parseNumber(text, v))
        fail(node, sim::strCat(what, ": expected ", rangeText(min, max), ", got '", text, "'"));
    if (v < min || v > max)
        fail(node, sim::strCat(what, ": expected ", rangeText(min, max), ", got ", text));
    return v;
}

std::int64_t integerValue(const YAML::Node& node, std::string_view what, std::int64_t min, std::int64_t max)
{
    const std::string text = scalarText(node, what);
    std::int64_t v = 0;
    std::string_view t = text;
    if (!t.empty() && t.front() == '+')
        t.remove_prefix(1);
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < min || v > max)
        fail(node, sim::strCat(what, ": expected a whole number from ", min, " to ", max, ", got '", text, "'"));
    return v;
}

std::uint64_t unsignedValue(const YAML::Node& node, std::string_view what)
{
    const std::string text = scalarText(node, what);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        fail(node, sim::strCat(what, ": expected a whole number from 0 to 18446744073709551615, got '", text, "'"));
    return v;
}

bool boolValue(const YAML::Node& node, std::string_view what)
{
    const std::string text = scalarText(node, what);
    if (text == "true" || text == "yes" || text == "on")
        return true;
    if (text == "false" || text == "no" || text == "off")
        return false;
    fail(node, sim::strCat(what, ": expected true or false (also yes/no, on/off), got '", text, "'"));
}

sim::Nanos durationValue(const YAML::Node& node, std::string_view what, sim::Nanos min, sim::Nanos max)
{
    const std::string text = scalarText(node, what);
    auto d = parseDuration(text);
    if (!d.ok())
        fail(node, sim::strCat(what, ": ", std::string(d.status().message())));
    if (*d < min)
        fail(node, sim::strCat(what, ": expected a duration of at least ", formatDuration(min), ", got ", text));
    if (*d > max)
        fail(node, sim::strCat(what, ": expected a duration of at most ", formatDuration(max), ", got ", text));
    return *d;
}

std::vector<YAML::Node> listOf(const YAML::Node& node, std::string_view what)
{
    std::vector<YAML::Node> out;
    if (!node.IsDefined() || node.IsNull())
        return out;
    if (node.IsSequence()) {
        for (const YAML::Node& item : node)
            out.push_back(item);
        return out;
    }
    if (node.IsScalar()) {
        out.push_back(node);
        return out;
    }
    fail(node, sim::strCat(what, ": expected a list, got ", describe(node)));
}

YamlMap::YamlMap(const YAML::Node& node, std::string what, std::initializer_list<std::string_view> allowed)
    : m_what(std::move(what)), m_pos(posOf(node))
{
    read(node);
    for (const Entry& e : m_entries) {
        bool ok = false;
        for (std::string_view a : allowed)
            ok = ok || a == e.key;
        if (ok)
            continue;
        std::string list;
        std::size_t i = 0;
        for (std::string_view a : allowed) {
            list += sim::strCat(i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ", a);
            ++i;
        }
        fail(e.keyNode, sim::strCat("unknown key '", e.key, "' in ", m_what, ": expected ", list));
    }
}

YamlMap::YamlMap(const YAML::Node& node, std::string what) : m_what(std::move(what)), m_pos(posOf(node))
{
    read(node);
}

void YamlMap::read(const YAML::Node& node)
{
    if (!node.IsDefined() || node.IsNull())
        return;
    if (!node.IsMap())
        fail(node, sim::strCat(m_what, ": expected a map of keys and values, got ", describe(node)));
    absl::flat_hash_set<std::string> seen;
    for (const auto& kv : node) {
        // Copies: a node iterator's value is a temporary.
        const YAML::Node k = kv.first;
        const YAML::Node v = kv.second;
        if (!k.IsScalar())
            fail(k, sim::strCat(m_what, ": keys must be plain names, got ", describe(k)));
        std::string key = k.Scalar();
        if (!seen.insert(key).second)
            fail(k, sim::strCat("duplicate key '", key, "' in ", m_what));
        m_entries.push_back(Entry{std::move(key), k, v});
    }
}

const YamlMap::Entry* YamlMap::find(std::string_view key) const
{
    for (const Entry& e : m_entries) {
        if (e.key == key)
            return &e;
    }
    return nullptr;
}

YAML::Node YamlMap::get(std::string_view key) const
{
    const Entry* e = find(key);
    return e ? e->value : YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node YamlMap::require(std::string_view key) const
{
    const Entry* e = find(key);
    if (!e)
        fail(m_pos, sim::strCat(m_what, " needs '", key, "'"));
    if (e->value.IsNull())
        fail(e->keyNode, sim::strCat(path(key), " needs a value"));
    return e->value;
}

SourcePos YamlMap::keyPos(std::string_view key) const
{
    const Entry* e = find(key);
    return e ? posOf(e->keyNode) : m_pos;
}

std::string YamlMap::path(std::string_view key) const
{
    return sim::strCat(m_what, ".", key);
}

std::string YamlMap::string(std::string_view key, std::string fallback) const
{
    const Entry* e = find(key);
    return e ? scalarText(e->value, path(key)) : fallback;
}

double YamlMap::number(std::string_view key, double fallback, double min, double max) const
{
    const Entry* e = find(key);
    return e ? numberValue(e->value, path(key), min, max) : fallback;
}

std::int64_t YamlMap::integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max) const
{
    const Entry* e = find(key);
    return e ? integerValue(e->value, path(key), min, max) : fallback;
}

bool YamlMap::boolean(std::string_view key, bool fallback) const
{
    const Entry* e = find(key);
    return e ? boolValue(e->value, path(key)) : fallback;
}

sim::Nanos YamlMap::duration(std::string_view key, sim::Nanos fallback, sim::Nanos min, sim::Nanos max) const
{
    const Entry* e = find(key);
    return e ? durationValue(e->value, path(key), min, max) : fallback;
}

} // namespace livedeck::engine
