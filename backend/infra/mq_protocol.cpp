#include "backend/infra/mq_protocol.h"

namespace livedeck::infra {

const char* toString(MqError error)
{
    switch (error) {
    case MqError::Ok:
        return "ok";
    case MqError::Timeout:
        return "timeout";
    case MqError::Down:
        return "broker down";
    case MqError::Rejected:
        return "rejected (overload)";
    case MqError::BrokerError:
        return "broker error";
    case MqError::UnknownTopic:
        return "unknown topic";
    case MqError::UnknownPartition:
        return "unknown partition";
    case MqError::UnknownMember:
        return "unknown member";
    case MqError::RebalanceInProgress:
        return "rebalance in progress";
    case MqError::NotOwner:
        return "partition not owned";
    case MqError::NotMember:
        return "not a group member yet";
    case MqError::Crashed:
        return "consumer crashed";
    }
    return "?";
}

bool isRetriable(MqError error)
{
    switch (error) {
    case MqError::Timeout:
    case MqError::Down:
    case MqError::Rejected:
    case MqError::BrokerError:
        return true;
    default:
        return false;
    }
}

const char* toString(MqOffsetReset reset)
{
    return reset == MqOffsetReset::Earliest ? "earliest" : "latest";
}

const char* toString(MqAssignor assignor)
{
    return assignor == MqAssignor::Range ? "range" : "roundrobin";
}

} // namespace livedeck::infra
