// SqliteStatement: a thin RAII wrapper over one prepared sqlite3 statement, shared by
// the run recorder and the recording reader; plus an owning database handle and
// helpers that turn SQLite errors into absl::Status messages naming the file.
// Contract: text and blobs are bound without copying (SQLITE_STATIC), so the bound
// bytes must stay alive until the statement is stepped and reset. uint64 values
// (seeds, hashes) are stored as their int64 bit pattern. Not thread-safe: one
// statement belongs to one thread at a time, like its connection.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace livedeck::telemetry {

struct SqliteCloser {
    void operator()(sqlite3* db) const;
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;

// "<what> '<path>': <sqlite message> (code N)".
std::string sqliteErrorMessage(sqlite3* db, std::string_view what, std::string_view path);
absl::Status sqliteError(sqlite3* db, std::string_view what, std::string_view path);
// Runs one or more SQL statements without results.
absl::Status sqliteExec(sqlite3* db, const char* sql, std::string_view path);

class SqliteStatement {
public:
    SqliteStatement() = default;
    ~SqliteStatement();
    SqliteStatement(SqliteStatement&& other) noexcept;
    SqliteStatement& operator=(SqliteStatement&& other) noexcept;
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    static absl::StatusOr<SqliteStatement> prepare(sqlite3* db, std::string_view sql, std::string_view path);

    bool valid() const { return m_stmt != nullptr; }
    sqlite3_stmt* get() const { return m_stmt; }

    // Parameters are 1-based, as in the SQLite API.
    void bindInt(int index, std::int64_t value);
    void bindUint(int index, std::uint64_t value) { bindInt(index, static_cast<std::int64_t>(value)); }
    void bindDouble(int index, double value);
    void bindText(int index, std::string_view text);  // not copied
    void bindBlob(int index, std::string_view bytes); // not copied
    void bindNull(int index);

    // sqlite3_step: SQLITE_ROW, SQLITE_DONE or an error code.
    int step();
    // Steps a statement that returns no rows, then resets it; error names `what`.
    absl::Status run(std::string_view what, std::string_view path);
    void reset(); // also clears bindings

    // Columns are 0-based.
    std::int64_t columnInt(int column) const;
    std::uint64_t columnUint(int column) const { return static_cast<std::uint64_t>(columnInt(column)); }
    double columnDouble(int column) const;
    std::string_view columnText(int column) const; // valid until the next step/reset
    std::string_view columnBlob(int column) const; // valid until the next step/reset
    bool columnIsNull(int column) const;

    void finalize();

private:
    explicit SqliteStatement(sqlite3_stmt* stmt) : m_stmt(stmt) {}
    sqlite3_stmt* m_stmt = nullptr;
};

} // namespace livedeck::telemetry
