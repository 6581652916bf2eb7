#include "backend/infra/raft_types.h"

namespace livedeck::infra {

const char* toString(RaftRole role)
{
    switch (role) {
    case RaftRole::Follower:
        return "follower";
    case RaftRole::PreCandidate:
        return "pre-candidate";
    case RaftRole::Candidate:
        return "candidate";
    case RaftRole::Leader:
        return "leader";
    }
    return "?";
}

const char* toString(RaftOp op)
{
    switch (op) {
    case RaftOp::Noop:
        return "noop";
    case RaftOp::Put:
        return "put";
    case RaftOp::Cas:
        return "cas";
    case RaftOp::Del:
        return "del";
    case RaftOp::LockAcquire:
        return "lock-acquire";
    case RaftOp::LockRenew:
        return "lock-renew";
    case RaftOp::LockRelease:
        return "lock-release";
    case RaftOp::PutIfToken:
        return "put-if-token";
    case RaftOp::SetIfNewer:
        return "set-if-newer";
    case RaftOp::Get:
        return "get";
    case RaftOp::GetLock:
        return "get-lock";
    }
    return "?";
}

const char* toString(RaftStatus status)
{
    switch (status) {
    case RaftStatus::Ok:
        return "ok";
    case RaftStatus::Refused:
        return "refused";
    case RaftStatus::NotLeader:
        return "not-leader";
    case RaftStatus::NoQuorum:
        return "no-quorum";
    case RaftStatus::Timeout:
        return "timeout";
    case RaftStatus::Interrupted:
        return "interrupted";
    case RaftStatus::Unavailable:
        return "unavailable";
    }
    return "?";
}

const char* toString(RaftRefusal refusal)
{
    switch (refusal) {
    case RaftRefusal::None:
        return "none";
    case RaftRefusal::VersionMismatch:
        return "version-mismatch";
    case RaftRefusal::ValueMismatch:
        return "value-mismatch";
    case RaftRefusal::LockHeld:
        return "lock-held";
    case RaftRefusal::NotHolder:
        return "not-holder";
    case RaftRefusal::StaleToken:
        return "stale-token";
    case RaftRefusal::NotNewer:
        return "not-newer";
    case RaftRefusal::LeaseExpired:
        return "lease-expired";
    }
    return "?";
}

const char* toString(RaftMsgType type)
{
    switch (type) {
    case RaftMsgType::PreVote:
        return "pre-vote";
    case RaftMsgType::PreVoteReply:
        return "pre-vote-reply";
    case RaftMsgType::RequestVote:
        return "request-vote";
    case RaftMsgType::RequestVoteReply:
        return "request-vote-reply";
    case RaftMsgType::AppendEntries:
        return "append-entries";
    case RaftMsgType::AppendEntriesReply:
        return "append-entries-reply";
    case RaftMsgType::Heartbeat:
        return "heartbeat";
    case RaftMsgType::HeartbeatReply:
        return "heartbeat-reply";
    case RaftMsgType::InstallSnapshot:
        return "install-snapshot";
    case RaftMsgType::InstallSnapshotReply:
        return "install-snapshot-reply";
    case RaftMsgType::ClientRequest:
        return "client-request";
    case RaftMsgType::ReadIndex:
        return "read-index";
    case RaftMsgType::ReadIndexReply:
        return "read-index-reply";
    case RaftMsgType::TimeoutNow:
        return "timeout-now";
    case RaftMsgType::ClientReply:
        return "client-reply";
    }
    return "?";
}

} // namespace livedeck::infra
