#include "app/common/token_file.h"
#include "app/livedeckctl/remote/node_client.h"

#include "app/livedeckctl/parse.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <ostream>

namespace livedeck::ctl {

std::unique_ptr<grpc::ClientContext> NodeClient::ctx(int timeoutMs) const
{
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeoutMs));
    if (!token.empty())
        c->AddMetadata("authorization", "Bearer " + token);
    return c;
}

bool connectNode(const Invocation& inv, NodeClient& client, int& exitCode)
{
    const GlobalOptions& g = inv.global();
    client.address = g.server;
    exitCode = kExitBadInput;
    if (!g.tokenFile.empty()) {
        auto token = app::readClientToken(g.tokenFile);
        if (!token.ok()) {
            err() << "livedeckctl: " << token.status().message() << "\n";
            return false;
        }
        client.token = std::move(*token);
    }
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
    if (!g.tlsCa.empty()) {
        std::string pem;
        std::string error;
        if (!readFile(g.tlsCa, pem, error)) {
            err() << "livedeckctl: cannot read " << g.tlsCa << "\n";
            return false;
        }
        grpc::SslCredentialsOptions ssl;
        ssl.pem_root_certs = pem;
        creds = grpc::SslCredentials(ssl);
    }
    grpc::ChannelArguments channelArgs;
    channelArgs.SetMaxReceiveMessageSize(64 << 20);
    client.stub = v1::ClusterService::NewStub(grpc::CreateCustomChannel(client.address, creds, channelArgs));
    exitCode = kExitOk;
    return true;
}

int reportRpcError(const char* what, const grpc::Status& st)
{
    err() << "livedeckctl: " << what << ": " << st.error_message() << " (" << static_cast<int>(st.error_code()) << ")\n";
    const grpc::StatusCode c = st.error_code();
    return c == grpc::StatusCode::UNAVAILABLE || c == grpc::StatusCode::INVALID_ARGUMENT || c == grpc::StatusCode::NOT_FOUND
                   || c == grpc::StatusCode::DEADLINE_EXCEEDED
               ? kExitBadInput
               : kExitFailed;
}

std::string secondsText(std::int64_t ns)
{
    return fixed(static_cast<double>(ns) / 1e9, 3) + " s";
}

} // namespace livedeck::ctl
