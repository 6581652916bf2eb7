// SqlValue, SqlQuery and SqlBatch: what a client sends to an emulated SQL shard.
//
// - SqlValue is one bound parameter or result cell: NULL, INTEGER, REAL or TEXT
//   (BLOB columns come back as TEXT).
// - SqlQuery is one read: a statement with `?` placeholders and its parameters.
// - SqlBatch is one write transaction: statements run in order inside one
//   BEGIN … COMMIT on the primary, and replicated as a unit (statement-based: the
//   SQL text and its bound parameters, so statements must be deterministic — pass
//   times and ids as parameters, never call random() or datetime('now')). A batch
//   insert is the same statement added once per row; its SQL text is stored once.
//   Each statement may carry the caller's id of what it writes (order id, message
//   id), so a failover can report exactly which writes it lost.
// Value types; a batch is immutable once handed to a shard (shared by the binlog).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace livedeck::infra {

using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

bool sqlIsNull(const SqlValue& value);
std::int64_t sqlInt(const SqlValue& value);      // INTEGER, REAL truncated, else 0
double sqlReal(const SqlValue& value);           // REAL or INTEGER, else 0
std::string_view sqlText(const SqlValue& value); // TEXT, else ""
std::string sqlToString(const SqlValue& value);  // for logs and the inspector

struct SqlQuery {
    std::string sql;
    std::vector<SqlValue> params;
};

class SqlBatch {
public:
    struct Step {
        std::uint32_t sql = 0;        // index into texts()
        std::uint32_t firstParam = 0; // index into the flat parameter array
        std::uint32_t paramCount = 0;
        std::int64_t key = 0;         // caller's id of the written entity; 0 = none
    };

    SqlBatch& add(std::string_view sql, std::initializer_list<SqlValue> params, std::int64_t key = 0);
    SqlBatch& add(std::string_view sql, std::span<const SqlValue> params, std::int64_t key = 0);
    void reserve(std::size_t steps, std::size_t params);

    std::size_t size() const { return m_steps.size(); }
    bool empty() const { return m_steps.empty(); }
    const std::vector<Step>& steps() const { return m_steps; }
    const std::vector<std::string>& texts() const { return m_texts; }
    // sim::StringHash of each text, computed once when the text joins the batch: the
    // primary and every replica look their prepared statement up by it.
    const std::vector<std::size_t>& textHashes() const { return m_textHashes; }
    std::string_view sql(const Step& step) const { return m_texts[step.sql]; }
    std::span<const SqlValue> params(const Step& step) const
    {
        return std::span<const SqlValue>(m_params).subspan(step.firstParam, step.paramCount);
    }
    // Approximate memory held (SQL texts + parameters), for binlog retention.
    std::size_t bytes() const { return m_bytes; }
    // Non-zero keys in statement order.
    void keys(std::vector<std::int64_t>& out) const;
    // "INSERT INTO … (+99 more)": the first statement, for logs.
    std::string summary() const;

private:
    std::uint32_t textIndex(std::string_view sql);

    std::vector<std::string> m_texts;
    std::vector<std::size_t> m_textHashes;
    std::vector<Step> m_steps;
    std::vector<SqlValue> m_params;
    std::size_t m_bytes = 0;
};

} // namespace livedeck::infra
