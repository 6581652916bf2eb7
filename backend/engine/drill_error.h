// DrillError: a problem found in a drill file, at a position (1-based line and column
// of the offending node, as yaml-cpp marks it). The YAML readers and engine factories
// throw it; the loader and DrillRun::create catch it at their edge and return an
// absl::Status whose message is "file:line:col: message" — it never escapes the
// library's public entry points. formatDiagnostic() is the one place that text is made.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace livedeck::engine {

struct SourcePos {
    int line = 0;   // 1-based; 0 = unknown
    int column = 0; // 1-based
    bool known() const { return line > 0; }
    friend bool operator==(const SourcePos&, const SourcePos&) = default;
};

class DrillError final : public std::exception {
public:
    DrillError(SourcePos pos, std::string message) : m_pos(pos), m_message(std::move(message)) {}
    const char* what() const noexcept override { return m_message.c_str(); }
    SourcePos pos() const { return m_pos; }
    const std::string& message() const { return m_message; }

private:
    SourcePos m_pos;
    std::string m_message;
};

// "file:line:col: message", or "file: message" when the position is unknown.
std::string formatDiagnostic(std::string_view file, SourcePos pos, std::string_view message);

} // namespace livedeck::engine
