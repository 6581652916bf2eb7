#include "backend/rpc/node_server.h"

#include "backend/sim/strings.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/server_builder.h>

namespace livedeck::rpc {
namespace {

// Drops the process-wide server plugins (server reflection) from one builder, so the
// health address serves grpc.health.v1 and nothing else.
class NoPluginsOption final : public grpc::ServerBuilderOption {
public:
    void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
    void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override { plugins->clear(); }
};

} // namespace

bool isLoopbackAddress(const std::string& hostPort)
{
    std::string host = hostPort;
    if (const std::size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos
                                                   && host.find(':') == colon)
        host = host.substr(0, colon); // "127.0.0.1:7400"
    else if (host.size() > 1 && host.front() == '[')
        host = host.substr(1, host.find(']') - 1); // "[::1]:7400"
    if (host.rfind("ipv4:", 0) == 0)
        host = host.substr(5);
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

NodeServer::NodeServer(host::WorldHost& host, host::LeaseKeeper& leases, NodeOptions options)
    : m_host(host), m_leases(leases), m_options(std::move(options))
{
}

NodeServer::~NodeServer() { shutdown(); }

absl::StatusOr<int> NodeServer::start()
{
    const bool loopback = isLoopbackAddress(m_options.listen);
    const bool tls = !m_options.tlsCertPem.empty() || !m_options.tlsKeyPem.empty();
    if (tls && (m_options.tlsCertPem.empty() || m_options.tlsKeyPem.empty()))
        return absl::InvalidArgumentError("TLS needs both a certificate and a key (--tls-cert and --tls-key)");
    if (!loopback) {
        if (!m_options.service.tokens)
            return absl::InvalidArgumentError(sim::strCat("listening on ", m_options.listen,
                                                          " (not loopback) requires --token-file with bearer tokens"));
        if (!tls && !m_options.insecure)
            return absl::InvalidArgumentError(
                sim::strCat("listening on ", m_options.listen,
                            " (not loopback) requires TLS (--tls-cert and --tls-key), or --insecure to accept plaintext tokens"));
    }
    std::shared_ptr<grpc::ServerCredentials> creds;
    if (tls) {
        grpc::SslServerCredentialsOptions ssl;
        ssl.pem_key_cert_pairs.push_back({m_options.tlsKeyPem, m_options.tlsCertPem});
        creds = grpc::SslServerCredentials(ssl);
    } else {
        creds = grpc::InsecureServerCredentials();
    }
    m_service = std::make_unique<ClusterServiceImpl>(m_host, m_leases, m_options.service);
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort(m_options.listen, creds, &m_port);
    builder.RegisterService(m_service.get());
    builder.SetMaxReceiveMessageSize(4 << 20);
    builder.SetMaxSendMessageSize(64 << 20);
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    m_server = builder.BuildAndStart();
    if (!m_server || m_port == 0) {
        m_server.reset();
        m_service.reset();
        return absl::UnavailableError(sim::strCat("cannot listen on ", m_options.listen, " (address in use or invalid)"));
    }
    if (!m_options.healthListen.empty()) {
        // Plaintext on purpose (probes speak no TLS); it answers only "is the node up".
        grpc::ServerBuilder healthBuilder;
        healthBuilder.SetOption(std::make_unique<NoPluginsOption>());
        healthBuilder.RegisterCallbackGenericService(&m_healthFallback);
        healthBuilder.AddListeningPort(m_options.healthListen, grpc::InsecureServerCredentials(), &m_healthPort);
        healthBuilder.SetMaxReceiveMessageSize(4 << 10);
        healthBuilder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
        m_healthServer = healthBuilder.BuildAndStart();
        if (!m_healthServer || m_healthPort == 0) {
            m_healthServer.reset();
            m_healthPort = 0;
            shutdown(std::chrono::milliseconds(0));
            return absl::UnavailableError(
                sim::strCat("cannot serve health checks on ", m_options.healthListen, " (address in use or invalid)"));
        }
    }
    for (grpc::Server* server : {m_server.get(), m_healthServer.get()}) {
        if (auto* health = server ? server->GetHealthCheckService() : nullptr)
            health->SetServingStatus(true);
    }
    return m_port;
}

void NodeServer::shutdown(std::chrono::milliseconds grace)
{
    if (!m_server)
        return;
    for (grpc::Server* server : {m_server.get(), m_healthServer.get()}) {
        if (auto* health = server ? server->GetHealthCheckService() : nullptr)
            health->SetServingStatus(false);
    }
    m_service->shutdown();
    if (m_healthServer) {
        m_healthServer->Shutdown(std::chrono::system_clock::now() + grace); // wall-clock: gRPC shutdown grace (backend/rpc)
        m_healthServer->Wait();
        m_healthServer.reset();
    }
    m_server->Shutdown(std::chrono::system_clock::now() + grace); // wall-clock: gRPC shutdown grace (backend/rpc)
    m_server->Wait();
    m_server.reset();
    m_service.reset();
}

} // namespace livedeck::rpc
