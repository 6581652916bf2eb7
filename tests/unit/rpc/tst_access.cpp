// Access to a node: token files (errors name file and line), bearer tokens with the
// viewer and operator roles, and the binding policy (off loopback: tokens, and TLS or
// an explicit --insecure).
#include "tests/common/multi_test.h"

#include "tests/unit/rpc/rpc_test_util.h"

#include <QTest>

using namespace livedeck;
using namespace livedeck::rpc;
using rpc::test::context;
using rpc::test::LoopbackNode;

namespace {

constexpr const char* kTokens = "# tokens for the tests\n"
                                "viewer-token-0123456789 viewer alice\n"
                                "operator-token-0123456789 operator bob\n";

NodeOptions withTokens(const std::string& listen = "127.0.0.1:0")
{
    NodeOptions o;
    o.listen = listen;
    o.service.tokens = TokenStore::parse(kTokens, "tokens.txt").value();
    return o;
}

grpc::StatusCode injectAs(v1::ClusterService::Stub& stub, const std::string& token)
{
    v1::InjectFaultRequest req;
    req.mutable_fault()->set_kind(v1::FAULT_DOWN);
    req.mutable_fault()->set_target("sh-a/synthetic/svc/0");
    v1::InjectFaultResponse resp;
    auto ctx = context(token);
    return stub.InjectFault(ctx.get(), req, &resp).error_code();
}

} // namespace

class TstAccess : public QObject {
    Q_OBJECT

private slots:
    void tokenFileErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("unknown role") << "abcdefghijklmnopq admin x\n" << "tokens.txt:1: unknown role 'admin'";
        QTest::newRow("short token") << "# c\nshort operator\n" << "tokens.txt:2: token too short";
        QTest::newRow("missing role") << "abcdefghijklmnopq\n" << "tokens.txt:1: expected '<token> <viewer|operator> [<name>]'";
        QTest::newRow("duplicate") << "abcdefghijklmnopq viewer\nabcdefghijklmnopq operator\n" << "tokens.txt:2: duplicate token";
        QTest::newRow("empty") << "# nothing\n\n" << "tokens.txt: no tokens";
    }
    void tokenFileErrors()
    {
        QFETCH(QString, text);
        QFETCH(QString, error);
        auto store = TokenStore::parse(text.toStdString(), "tokens.txt");
        QVERIFY(!store.ok());
        QVERIFY2(std::string(store.status().message()).find(error.toStdString()) == 0,
                 std::string(store.status().message()).c_str());
    }

    void tokensIdentifyAndAuthorize()
    {
        auto store = TokenStore::parse(kTokens, "tokens.txt");
        QVERIFY(store.ok());
        QCOMPARE(store->size(), std::size_t{2});
        const Identity* alice = store->fromAuthorization("Bearer viewer-token-0123456789");
        QVERIFY(alice != nullptr);
        QCOMPARE(alice->name, std::string("alice"));
        QVERIFY(alice->role == Role::Viewer);
        QVERIFY(store->fromAuthorization("Bearer viewer-token-012345678") == nullptr); // a prefix is not the token
        QVERIFY(store->fromAuthorization("viewer-token-0123456789") == nullptr);       // no scheme
        QVERIFY(store->fromAuthorization("Basic viewer-token-0123456789") == nullptr);
    }

    void rolesOnATokenNode()
    {
        LoopbackNode node(withTokens());
        QVERIFY2(node.status.ok(), node.status.ToString().c_str());
        auto stub = node.stub();
        // No token: refused, even for reading.
        v1::GetStatusResponse status;
        auto ctx = context();
        QCOMPARE(stub->GetStatus(ctx.get(), {}, &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
        QCOMPARE(injectAs(*stub, "wrong-token-0123456789"), grpc::StatusCode::UNAUTHENTICATED);
        // A viewer watches but cannot change the world.
        auto vctx = context("viewer-token-0123456789");
        QVERIFY(stub->GetStatus(vctx.get(), {}, &status).ok());
        QCOMPARE(status.role(), std::string("viewer"));
        QCOMPARE(injectAs(*stub, "viewer-token-0123456789"), grpc::StatusCode::PERMISSION_DENIED);
        // An operator can; the command carries the operator's name.
        QCOMPARE(injectAs(*stub, "operator-token-0123456789"), grpc::StatusCode::OK);
        const auto audit = node.server->service().audit();
        QVERIFY(!audit.empty());
        QCOMPARE(audit.back().identity, std::string("bob"));
        const std::string issuer = node.host
                                       .query([](host::HostedRun& run) {
                                           return run.world().commandLog().back().command().issuer();
                                       })
                                       .get();
        QCOMPARE(issuer, std::string("bob"));
    }

    void bindingPolicy()
    {
        QVERIFY(isLoopbackAddress("127.0.0.1:7400"));
        QVERIFY(isLoopbackAddress("localhost:1"));
        QVERIFY(isLoopbackAddress("[::1]:7400"));
        QVERIFY(!isLoopbackAddress("0.0.0.0:7400"));
        QVERIFY(!isLoopbackAddress("10.1.2.3:7400"));
        {
            NodeOptions o;
            o.listen = "0.0.0.0:0";
            LoopbackNode node(o);
            QCOMPARE(node.status.code(), absl::StatusCode::kInvalidArgument);
            QVERIFY(std::string(node.status.message()).find("--token-file") != std::string::npos);
        }
        {
            LoopbackNode node(withTokens("0.0.0.0:0"));
            QCOMPARE(node.status.code(), absl::StatusCode::kInvalidArgument);
            QVERIFY(std::string(node.status.message()).find("--insecure") != std::string::npos);
        }
    }

    void unauthenticatedCallToANonLoopbackNodeIsRefused()
    {
        NodeOptions o = withTokens("0.0.0.0:0");
        o.insecure = true;
        LoopbackNode node(o);
        QVERIFY2(node.status.ok(), node.status.ToString().c_str());
        auto stub = node.stub(); // reaches it through 127.0.0.1
        v1::Topology topo;
        auto ctx = context();
        QCOMPARE(stub->GetTopology(ctx.get(), {}, &topo).error_code(), grpc::StatusCode::UNAUTHENTICATED);
        auto octx = context("operator-token-0123456789");
        QVERIFY(stub->GetTopology(octx.get(), {}, &topo).ok());
    }

    void secondNodeOnTheSamePortFails()
    {
        LoopbackNode first;
        QVERIFY(first.status.ok());
        NodeOptions o;
        o.listen = first.address();
        LoopbackNode second(o);
        QVERIFY(!second.status.ok()); // port reuse is off
    }
};

LIVEDECK_TEST_CLASS(TstAccess)
#include "tst_access.moc"
