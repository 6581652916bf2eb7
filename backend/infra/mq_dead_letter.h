// MqDeadLetter: the dead-letter topic convention. A consumer that cannot process a
// record (bad payload, a business rule that will never pass) sends it to
// "<topic>.dlq" on the same broker and commits past it, so one poison record does not
// block its partition (docs/GIFTS.md: settlement sends unprocessable messages to a DLQ).
// The dead-letter record keeps the key, value, weight and headers, and adds
// dlq.topic, dlq.partition, dlq.offset (where it came from) and dlq.reason.
// The DLQ topic is auto-created by the broker (one partition by default) unless the
// engine created it beforehand.
#pragma once

#include "backend/infra/mq_producer.h"
#include "backend/infra/mq_record.h"

#include <string>
#include <string_view>

namespace livedeck::infra {

class MqDeadLetter {
public:
    static std::string topicFor(std::string_view topic); // "<topic>.dlq"
    static MqMessage message(const MqConsumerRecord& record, std::string_view reason);
    // Sends `record` to its topic's dead-letter topic through `producer`.
    static void send(MqProducer& producer, const MqConsumerRecord& record, std::string_view reason,
                     MqProducer::Callback callback = {});
};

} // namespace livedeck::infra
