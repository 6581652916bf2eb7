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
//   SQL texts are interned process-wide (SqlText): a batch refers to the one copy of
//   each statement's text, and a connection finds its prepared statement by it. The
//   table holds at most kMaxInternedSql texts; a batch keeps its own copy of any text
//   past that bound (a plugin that writes values into its SQL cannot grow it forever).
//   Each statement may carry the caller's id of what it writes (order id, message
//   id), so a failover can report exactly which writes it lost.
// Value types; a batch is immutable once handed to a shard (shared by the binlog).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
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

// One statement's SQL text and its sim::StringHash. Interned texts live as long as the
// process and are unique by content, so their address identifies the statement.
struct SqlText {
    std::string text;
    std::size_t hash = 0;
    bool interned = false;
};

inline constexpr std::size_t kMaxInternedSql = 16'384;

// The interned copy of `sql`, or nullptr when the table is full and `sql` is not in it.
// Thread-safe.
const SqlText* internSql(std::string_view sql);

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
    // The batch's distinct statements, in the order they joined it: the primary and every
    // replica look their prepared statement up by each.
    const std::vector<const SqlText*>& texts() const { return m_texts; }
    std::string_view sql(const Step& step) const { return m_texts[step.sql]->text; }
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

    std::vector<const SqlText*> m_texts;
    std::vector<std::shared_ptr<const SqlText>> m_owned; // texts past the intern table's bound
    std::vector<Step> m_steps;
    std::vector<SqlValue> m_params;
    std::size_t m_bytes = 0;
};

} // namespace livedeck::infra
