#include "backend/infra/mq_record.h"

namespace livedeck::infra {

namespace {
std::int64_t headerBytes(const MqHeaders& headers)
{
    std::int64_t n = 0;
    for (const MqHeader& h : headers)
        n += static_cast<std::int64_t>(h.key.size() + h.value.size());
    return n;
}
} // namespace

const std::string* findHeader(const MqHeaders& headers, std::string_view key)
{
    for (const MqHeader& h : headers) {
        if (h.key == key)
            return &h.value;
    }
    return nullptr;
}

void setHeader(MqHeaders& headers, std::string_view key, std::string_view value)
{
    for (MqHeader& h : headers) {
        if (h.key == key) {
            h.value.assign(value);
            return;
        }
    }
    headers.push_back(MqHeader{std::string(key), std::string(value)});
}

std::int64_t MqMessage::bytes() const
{
    return static_cast<std::int64_t>(key.size() + value.size()) + headerBytes(headers) + kRecordOverheadBytes;
}

std::int64_t MqRecord::bytes() const
{
    return static_cast<std::int64_t>(key.size() + value.size()) + headerBytes(headers) + kRecordOverheadBytes;
}

} // namespace livedeck::infra
