// JsonWriter: a small streaming JSON writer for drill reports (RFC 8259 output: strings
// escaped, non-finite numbers written as null). Numbers are formatted with
// std::to_chars — shortest round-trip form, independent of the C locale — so the same
// report is the same bytes in every process. numberText() is the same formatting for
// human-readable text. Not thread-safe; one writer per document.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::engine {

// Shortest round-trip text of a double ("0.5", "1e-05", "100"); `significant` > 0
// rounds to that many significant digits instead. NaN → "nan", infinities → "inf"/"-inf".
std::string numberText(double value, int significant = 0);
// Fixed-point text with `decimals` digits after the point ("99.5"), locale-independent.
std::string fixedText(double value, int decimals);

class JsonWriter {
public:
    explicit JsonWriter(int indent = 2) : m_indent(indent) {}

    JsonWriter& beginObject();
    JsonWriter& endObject();
    JsonWriter& beginArray();
    JsonWriter& endArray();
    JsonWriter& key(std::string_view name);
    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(double number);
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(std::uint64_t number);
    JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
    JsonWriter& value(bool flag);
    JsonWriter& null();

    // The document; complete once every object and array is closed.
    const std::string& text() const { return m_out; }
    static void appendEscaped(std::string& out, std::string_view text);

private:
    void beforeValue();
    void newline();

    std::string m_out;
    int m_indent;
    struct Level {
        bool array = false;
        int items = 0;
    };
    std::vector<Level> m_stack;
    bool m_afterKey = false;
};

} // namespace livedeck::engine
