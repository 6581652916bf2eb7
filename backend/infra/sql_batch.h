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

#include <absl/container/inlined_vector.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
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
        std::uint32_t sql = 0;        // index of its text (text())
        std::uint32_t firstParam = 0; // index into the flat parameter array
        std::uint32_t paramCount = 0;
        std::int64_t key = 0;         // caller's id of the written entity; 0 = none
    };

    SqlBatch& add(std::string_view sql, std::initializer_list<SqlValue> params, std::int64_t key = 0);
    SqlBatch& add(std::string_view sql, std::span<const SqlValue> params, std::int64_t key = 0);
    void reserve(std::size_t steps, std::size_t params);

    std::size_t size() const { return m_steps.size(); }
    bool empty() const { return m_steps.empty(); }
    std::span<const Step> steps() const { return {m_steps.data(), m_steps.size()}; }
    // The distinct statement texts, in order of first use.
    std::size_t textCount() const { return m_textSpans.size(); }
    std::string_view text(std::size_t i) const
    {
        return std::string_view(m_textChars).substr(m_textSpans[i].first, m_textSpans[i].second);
    }
    // sim::StringHash of text(i), computed once when the text joins the batch: the
    // primary and every replica look their prepared statement up by it.
    std::size_t textHash(std::size_t i) const { return m_textHashes[i]; }
    std::string_view sql(const Step& step) const { return text(step.sql); }
    std::span<const SqlValue> params(const Step& step) const
    {
        return std::span<const SqlValue>(m_params.data(), m_params.size()).subspan(step.firstParam, step.paramCount);
    }
    // Approximate memory held (SQL texts + parameters), for binlog retention.
    std::size_t bytes() const { return m_bytes; }
    // Non-zero keys in statement order.
    void keys(std::vector<std::int64_t>& out) const;
    // "INSERT INTO … (+99 more)": the first statement, for logs.
    std::string summary() const;

private:
    std::uint32_t textIndex(std::string_view sql);

    // A batch is built for one write and usually holds a few statements: inline storage
    // keeps building one to about one allocation (the texts' characters).
    std::string m_textChars;                                         // every distinct text, back to back
    absl::InlinedVector<std::pair<std::uint32_t, std::uint32_t>, 4> m_textSpans; // offset, length
    absl::InlinedVector<std::size_t, 4> m_textHashes;
    absl::InlinedVector<Step, 4> m_steps;
    absl::InlinedVector<SqlValue, 8> m_params;
    std::size_t m_bytes = 0;
};

} // namespace livedeck::infra
