#include "backend/engine/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>

namespace livedeck::engine {

std::string numberText(double value, int significant)
{
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    char buf[64];
    const auto result = significant > 0 ? std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, significant)
                                        : std::to_chars(buf, buf + sizeof buf, value);
    return std::string(buf, result.ptr);
}

std::string fixedText(double value, int decimals)
{
    if (!std::isfinite(value))
        return numberText(value);
    char buf[400];
    const auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, decimals);
    return std::string(buf, result.ptr);
}

void JsonWriter::appendEscaped(std::string& out, std::string_view text)
{
    out.push_back('"');
    for (const char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                static constexpr char kHex[] = "0123456789abcdef";
                out += "\\u00";
                out.push_back(kHex[(c >> 4) & 0xF]);
                out.push_back(kHex[c & 0xF]);
            } else {
                out.push_back(c);
            }
        }
    }
    out.push_back('"');
}

void JsonWriter::newline()
{
    if (m_indent <= 0)
        return;
    m_out.push_back('\n');
    m_out.append(m_stack.size() * static_cast<std::size_t>(m_indent), ' ');
}

void JsonWriter::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_stack.empty())
        return;
    assert(m_stack.back().array && "a value inside an object needs a key first");
    if (m_stack.back().items++ > 0)
        m_out.push_back(',');
    newline();
}

JsonWriter& JsonWriter::beginObject()
{
    beforeValue();
    m_out.push_back('{');
    m_stack.push_back(Level{false, 0});
    return *this;
}

JsonWriter& JsonWriter::endObject()
{
    assert(!m_stack.empty() && !m_stack.back().array);
    const bool empty = m_stack.back().items == 0;
    m_stack.pop_back();
    if (!empty)
        newline();
    m_out.push_back('}');
    if (m_stack.empty() && m_indent > 0)
        m_out.push_back('\n');
    return *this;
}

JsonWriter& JsonWriter::beginArray()
{
    beforeValue();
    m_out.push_back('[');
    m_stack.push_back(Level{true, 0});
    return *this;
}

JsonWriter& JsonWriter::endArray()
{
    assert(!m_stack.empty() && m_stack.back().array);
    const bool empty = m_stack.back().items == 0;
    m_stack.pop_back();
    if (!empty)
        newline();
    m_out.push_back(']');
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name)
{
    assert(!m_stack.empty() && !m_stack.back().array);
    if (m_stack.back().items++ > 0)
        m_out.push_back(',');
    newline();
    appendEscaped(m_out, name);
    m_out += m_indent > 0 ? ": " : ":";
    m_afterKey = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text)
{
    beforeValue();
    appendEscaped(m_out, text);
    return *this;
}

JsonWriter& JsonWriter::value(double number)
{
    beforeValue();
    if (!std::isfinite(number))
        m_out += "null";
    else
        m_out += numberText(number);
    return *this;
}

JsonWriter& JsonWriter::value(std::int64_t number)
{
    beforeValue();
    m_out += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::value(std::uint64_t number)
{
    beforeValue();
    m_out += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::value(bool flag)
{
    beforeValue();
    m_out += flag ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null()
{
    beforeValue();
    m_out += "null";
    return *this;
}

} // namespace livedeck::engine
