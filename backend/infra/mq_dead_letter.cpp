#include "backend/infra/mq_dead_letter.h"

#include "backend/sim/strings.h"

namespace livedeck::infra {

std::string MqDeadLetter::topicFor(std::string_view topic)
{
    return sim::strCat(topic, ".dlq");
}

MqMessage MqDeadLetter::message(const MqConsumerRecord& record, std::string_view reason)
{
    MqMessage m;
    m.key = record.record.key;
    m.value = record.record.value;
    m.headers = record.record.headers;
    m.weight = record.record.weight;
    setHeader(m.headers, kDlqTopicHeader, record.topic);
    setHeader(m.headers, kDlqPartitionHeader, sim::strCat(record.partition));
    setHeader(m.headers, kDlqOffsetHeader, sim::strCat(record.record.offset));
    setHeader(m.headers, kDlqReasonHeader, reason);
    return m;
}

void MqDeadLetter::send(MqProducer& producer, const MqConsumerRecord& record, std::string_view reason,
                        MqProducer::Callback callback)
{
    producer.send(topicFor(record.topic), message(record, reason), std::move(callback));
}

} // namespace livedeck::infra
