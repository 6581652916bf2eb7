#include "backend/telemetry/sqlite_statement.h"

#include "backend/sim/strings.h"

#include <sqlite3.h>

#include <utility>

namespace livedeck::telemetry {

void SqliteCloser::operator()(sqlite3* db) const
{
    sqlite3_close_v2(db);
}

std::string sqliteErrorMessage(sqlite3* db, std::string_view what, std::string_view path)
{
    const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    const char* message = db ? sqlite3_errmsg(db) : "no database connection";
    return sim::strCat(what, " '", path, "': ", message, " (sqlite code ", code, ")");
}

absl::Status sqliteError(sqlite3* db, std::string_view what, std::string_view path)
{
    const int code = db ? sqlite3_errcode(db) : SQLITE_ERROR;
    std::string message = sqliteErrorMessage(db, what, path);
    switch (code) {
    case SQLITE_CANTOPEN:
    case SQLITE_NOTFOUND:
        return absl::NotFoundError(std::move(message));
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_READONLY:
        return absl::PermissionDeniedError(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return absl::UnavailableError(std::move(message));
    case SQLITE_FULL:
        return absl::ResourceExhaustedError(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return absl::DataLossError(std::move(message));
    default:
        return absl::InternalError(std::move(message));
    }
}

absl::Status sqliteExec(sqlite3* db, const char* sql, std::string_view path)
{
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
        return sqliteError(db, sim::strCat("cannot run \"", std::string_view(sql).substr(0, 60), "\" on"), path);
    return absl::OkStatus();
}

SqliteStatement::~SqliteStatement()
{
    finalize();
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept : m_stmt(std::exchange(other.m_stmt, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept
{
    if (this != &other) {
        finalize();
        m_stmt = std::exchange(other.m_stmt, nullptr);
    }
    return *this;
}

absl::StatusOr<SqliteStatement> SqliteStatement::prepare(sqlite3* db, std::string_view sql, std::string_view path)
{
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr)
        != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return sqliteError(db, sim::strCat("cannot prepare \"", sql.substr(0, 60), "\" for"), path);
    }
    return SqliteStatement(stmt);
}

void SqliteStatement::bindInt(int index, std::int64_t value)
{
    sqlite3_bind_int64(m_stmt, index, value);
}

void SqliteStatement::bindDouble(int index, double value)
{
    sqlite3_bind_double(m_stmt, index, value);
}

void SqliteStatement::bindText(int index, std::string_view text)
{
    // A zero-length text must not be bound as NULL: SQLite treats a null pointer as NULL.
    sqlite3_bind_text64(m_stmt, index, text.data() ? text.data() : "", text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

void SqliteStatement::bindBlob(int index, std::string_view bytes)
{
    if (bytes.empty())
        sqlite3_bind_zeroblob(m_stmt, index, 0);
    else
        sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(), SQLITE_STATIC);
}

void SqliteStatement::bindNull(int index)
{
    sqlite3_bind_null(m_stmt, index);
}

int SqliteStatement::step()
{
    return sqlite3_step(m_stmt);
}

absl::Status SqliteStatement::run(std::string_view what, std::string_view path)
{
    const int rc = sqlite3_step(m_stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        sqlite3* db = sqlite3_db_handle(m_stmt);
        absl::Status status = sqliteError(db, what, path);
        reset();
        return status;
    }
    reset();
    return absl::OkStatus();
}

void SqliteStatement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

std::int64_t SqliteStatement::columnInt(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

double SqliteStatement::columnDouble(int column) const
{
    return sqlite3_column_double(m_stmt, column);
}

std::string_view SqliteStatement::columnText(int column) const
{
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
    const int n = sqlite3_column_bytes(m_stmt, column);
    return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}

std::string_view SqliteStatement::columnBlob(int column) const
{
    const auto* p = static_cast<const char*>(sqlite3_column_blob(m_stmt, column));
    const int n = sqlite3_column_bytes(m_stmt, column);
    return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
}

bool SqliteStatement::columnIsNull(int column) const
{
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

void SqliteStatement::finalize()
{
    if (m_stmt) {
        sqlite3_finalize(m_stmt);
        m_stmt = nullptr;
    }
}

} // namespace livedeck::telemetry
