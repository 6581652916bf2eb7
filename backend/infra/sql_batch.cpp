#include "backend/infra/sql_batch.h"

#include "backend/sim/strings.h"

#include <absl/container/flat_hash_map.h>

#include <cassert>
#include <mutex>

namespace livedeck::infra {

bool sqlIsNull(const SqlValue& value)
{
    return std::holds_alternative<std::monostate>(value);
}

std::int64_t sqlInt(const SqlValue& value)
{
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return *i;
    if (const auto* d = std::get_if<double>(&value))
        return static_cast<std::int64_t>(*d);
    return 0;
}

double sqlReal(const SqlValue& value)
{
    if (const auto* d = std::get_if<double>(&value))
        return *d;
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return static_cast<double>(*i);
    return 0.0;
}

std::string_view sqlText(const SqlValue& value)
{
    if (const auto* s = std::get_if<std::string>(&value))
        return *s;
    return {};
}

std::string sqlToString(const SqlValue& value)
{
    if (sqlIsNull(value))
        return "NULL";
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return sim::strCat(*i);
    if (const auto* d = std::get_if<double>(&value))
        return sim::strCat(*d);
    return sim::strCat("'", std::get<std::string>(value), "'");
}

namespace {

struct InternTable {
    std::mutex mutex;
    absl::flat_hash_map<std::string_view, std::unique_ptr<SqlText>, sim::StringHash, sim::StringEq> texts;
};

InternTable& internTable()
{
    static InternTable* table = new InternTable; // never destroyed: texts outlive every batch
    return *table;
}

} // namespace

const SqlText* internSql(std::string_view sql)
{
    // Callers pass the same literal again and again: a per-thread cache by address (the
    // content checked, since a buffer may be reused) skips hashing and the lock.
    thread_local absl::flat_hash_map<const char*, const SqlText*> recent;
    if (const auto it = recent.find(sql.data()); it != recent.end() && it->second->text == sql)
        return it->second;
    const std::size_t hash = sim::StringHash{}(sql);
    const SqlText* text = nullptr;
    {
        InternTable& table = internTable();
        std::lock_guard lock(table.mutex);
        if (const auto it = table.texts.find(sql, hash); it != table.texts.end()) {
            text = it->second.get();
        } else if (table.texts.size() < kMaxInternedSql) {
            auto owned = std::make_unique<SqlText>(SqlText{std::string(sql), hash, true});
            text = owned.get();
            table.texts.emplace(std::string_view(owned->text), std::move(owned));
        }
    }
    if (text) {
        if (recent.size() >= 4'096)
            recent.clear();
        recent[sql.data()] = text;
    }
    return text;
}

std::uint32_t SqlBatch::textIndex(std::string_view sql)
{
    // Batches hold a handful of distinct statements: search from the most recent (a batch
    // insert adds the same one per row), and intern only a statement new to the batch.
    for (std::size_t i = m_texts.size(); i-- > 0;) {
        if (m_texts[i]->text == sql)
            return static_cast<std::uint32_t>(i);
    }
    const SqlText* text = internSql(sql);
    if (!text) {
        auto owned = std::make_shared<const SqlText>(SqlText{std::string(sql), sim::StringHash{}(sql), false});
        text = owned.get();
        m_owned.push_back(std::move(owned));
    }
    m_texts.push_back(text);
    m_bytes += sql.size() + sizeof(std::string); // what the text weighs in the binlog's retention
    return static_cast<std::uint32_t>(m_texts.size() - 1);
}

SqlBatch& SqlBatch::add(std::string_view sql, std::initializer_list<SqlValue> params, std::int64_t key)
{
    return add(sql, std::span<const SqlValue>(params.begin(), params.size()), key);
}

SqlBatch& SqlBatch::add(std::string_view sql, std::span<const SqlValue> params, std::int64_t key)
{
    assert(!sql.empty());
    Step step;
    step.sql = textIndex(sql);
    step.firstParam = static_cast<std::uint32_t>(m_params.size());
    step.paramCount = static_cast<std::uint32_t>(params.size());
    step.key = key;
    m_params.insert(m_params.end(), params.begin(), params.end()); // one growth per statement at most
    for (const SqlValue& p : params) {
        m_bytes += sizeof(SqlValue);
        if (const auto* s = std::get_if<std::string>(&p))
            m_bytes += s->size();
    }
    m_steps.push_back(step);
    m_bytes += sizeof(Step);
    return *this;
}

void SqlBatch::reserve(std::size_t steps, std::size_t params)
{
    m_steps.reserve(steps);
    m_params.reserve(params);
}

void SqlBatch::keys(std::vector<std::int64_t>& out) const
{
    for (const Step& s : m_steps) {
        if (s.key != 0)
            out.push_back(s.key);
    }
}

std::string SqlBatch::summary() const
{
    if (m_steps.empty())
        return "(empty batch)";
    std::string s(sql(m_steps.front()));
    if (m_steps.size() > 1)
        s += sim::strCat(" (+", m_steps.size() - 1, " more)");
    return s;
}

} // namespace livedeck::infra
