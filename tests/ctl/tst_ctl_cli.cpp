// livedeckctl's one command-line structure: a command registered by a file (here, by the
// test) gets parsing, help and usage errors from the registry; the program keeps its
// commands, help texts and exit codes (0 ok, 1 failed, 2 bad usage with a message).
#include "tests/common/multi_test.h"
#include "tests/ctl/ctl_test_util.h"

#include "app/livedeckctl/cli.h"

#include <QTest>

#include <sstream>

using namespace livedeck;

namespace {

struct Ran {
    int code = -1;
    std::string out;
    std::string err;
};

Ran runRegistry(const ctl::CommandRegistry& registry, std::vector<std::string> args)
{
    args.insert(args.begin(), "livedeckctl");
    std::ostringstream out;
    std::ostringstream err;
    Ran r;
    r.code = registry.run(args, "test-build", out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

// A registry with one test-only command, "sweep shards", added the way a command file adds one.
struct Registry {
    ctl::CommandRegistry registry;
    std::vector<std::string> seenArgs;
    std::vector<std::string> seenShards;
    std::string seenServer;
    bool seenJson = false;

    Registry()
    {
        ctl::Command c;
        c.path = {"sweep", "shards"};
        c.args = "FILE [MORE...]";
        c.summary = "A test-only command";
        c.description = "Collects its arguments.";
        c.options = {{"shard", 0, "I/N", "A shard.", true}, {"json", 'j', "", "JSON."}, {"out", 'o', "F", "Output."}};
        c.minArgs = 1;
        c.maxArgs = -1;
        c.run = [this](const ctl::Invocation& inv) {
            seenArgs = inv.args();
            seenShards = inv.values("shard");
            seenJson = inv.has("json");
            return inv.value("out") == "fail" ? ctl::kExitFailed : ctl::kExitOk;
        };
        registry.add(std::move(c));
        ctl::Command remote;
        remote.path = {"sweep", "shards"};
        remote.where = ctl::Where::Remote;
        remote.summary = "Its remote form";
        remote.run = [this](const ctl::Invocation& inv) {
            seenServer = inv.global().server;
            return ctl::kExitOk;
        };
        registry.add(std::move(remote));
    }
};

} // namespace

class TstCtlCli : public QObject {
    Q_OBJECT

private slots:
    void aRegisteredCommandParses()
    {
        Registry r;
        const Ran ran = runRegistry(r.registry, {"sweep", "shards", "a.yaml", "--shard", "1/4", "-j", "--shard=2/4", "b",
                                                 "-5", "--", "--not-an-option"});
        QCOMPARE(ran.code, 0);
        QCOMPARE(r.seenArgs, (std::vector<std::string>{"a.yaml", "b", "-5", "--not-an-option"}));
        QCOMPARE(r.seenShards, (std::vector<std::string>{"1/4", "2/4"}));
        QVERIFY(r.seenJson);
        QCOMPARE(runRegistry(r.registry, {"sweep", "shards", "x", "-o", "fail"}).code, 1);
        QCOMPARE(runRegistry(r.registry, {"sweep", "shards", "x", "-ofail"}).code, 1);
    }

    void globalOptionsSelectTheRemoteForm()
    {
        Registry r;
        QCOMPARE(runRegistry(r.registry, {"--server", "h:1", "sweep", "shards"}).code, 0);
        QCOMPARE(r.seenServer, std::string("h:1"));
        r.seenServer.clear();
        QCOMPARE(runRegistry(r.registry, {"sweep", "shards", "--server=h:2"}).code, 0);
        QCOMPARE(r.seenServer, std::string("h:2"));
        QVERIFY(r.seenArgs.empty()); // the local form did not run
    }

    void badUsageExitsTwoWithAMessage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown option") << test::words({"sweep", "shards", "a", "--frobnicate"}) << QString::fromLatin1("unknown option '--frobnicate'");
        QTest::newRow("missing value") << test::words({"sweep", "shards", "a", "--out"}) << QString::fromLatin1("--out wants a value");
        QTest::newRow("missing argument") << test::words({"sweep", "shards"}) << QString::fromLatin1("missing argument");
        QTest::newRow("flag with a value") << test::words({"sweep", "shards", "a", "--json=1"}) << QString::fromLatin1("--json takes no value");
        QTest::newRow("twice") << test::words({"sweep", "shards", "a", "-o", "x", "-o", "y"}) << QString::fromLatin1("--out given twice");
        QTest::newRow("unknown command") << test::words({"launch"}) << QString::fromLatin1("unknown command 'launch'");
        QTest::newRow("unknown subcommand") << test::words({"sweep", "fly"}) << QString::fromLatin1("unknown subcommand 'fly'");
        QTest::newRow("missing subcommand") << test::words({"sweep"}) << QString::fromLatin1("missing subcommand");
        QTest::newRow("nothing") << test::words({}) << QString::fromLatin1("Usage: livedeckctl");
        QTest::newRow("version after a command") << test::words({"sweep", "shards", "a", "-v"}) << QString::fromLatin1("--version is not an option");
        QTest::newRow("server without value") << test::words({"sweep", "shards", "a", "--server"}) << QString::fromLatin1("--server wants a value");
    }
    void badUsageExitsTwoWithAMessage()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        Registry r;
        std::vector<std::string> a;
        for (const QString& s : args)
            a.push_back(s.toStdString());
        const Ran ran = runRegistry(r.registry, a);
        QCOMPARE(ran.code, 2);
        QVERIFY2(QString::fromStdString(ran.err).contains(message), ran.err.c_str());
        QVERIFY(ran.out.empty());
    }

    void helpForEveryCommand()
    {
        Registry r;
        const Ran all = runRegistry(r.registry, {"help"});
        QCOMPARE(all.code, 0);
        QVERIFY2(all.out.find("sweep shards FILE [MORE...]") != std::string::npos, all.out.c_str());
        const Ran one = runRegistry(r.registry, {"help", "sweep", "shards"});
        QCOMPARE(one.code, 0);
        QVERIFY2(one.out.find("--shard I/N") != std::string::npos, one.out.c_str());
        QVERIFY(one.out.find("(repeatable)") != std::string::npos);
        QVERIFY(one.out.find("--server HOST:PORT") != std::string::npos); // the remote form too
        const Ran flag = runRegistry(r.registry, {"sweep", "shards", "--help"});
        QCOMPARE(flag.code, 0);
        QVERIFY(flag.out.find("Collects its arguments.") != std::string::npos);
        QVERIFY(r.seenArgs.empty()); // help does not run the command
        const Ran group = runRegistry(r.registry, {"sweep", "help"});
        QCOMPARE(group.code, 0);
        QVERIFY(group.out.find("shards") != std::string::npos);
        QCOMPARE(runRegistry(r.registry, {"--version"}).out, std::string("livedeckctl test-build\n"));
    }

    // The program: every command is there, with help, and the exit codes hold.
    void theProgramsCommands()
    {
        const test::CtlRun help = test::runCtlProgram({QStringLiteral("help")});
        QCOMPARE(help.exitCode, 0);
        for (const char* c : {"demo", "drill list", "drill run FILE", "drill sweep FILE", "drill validate FILE",
                              "drill verify REC.sqlite", "figures", "version"})
            QVERIFY2(help.out.contains(QLatin1String(c)), c);
#if LIVEDECK_CTL_WITH_GRPC
        for (const char* c : {"action NAME TARGET [VALUE]", "status", "topology", "faults list", "fault inject KIND TARGET",
                              "fault clear ID"})
            QVERIFY2(help.out.contains(QLatin1String(c)), c);
        const test::CtlRun remoteHelp = test::runCtlProgram({"--server", "127.0.0.1:1", "--help"});
        QCOMPARE(remoteHelp.exitCode, 0);
        QVERIFY(remoteHelp.out.contains(QStringLiteral("Talks to a livedeckd node")));
        QVERIFY(!remoteHelp.out.contains(QStringLiteral("figures")));
        const test::CtlRun local = test::runCtlProgram({"action", "drain-region", "sh-a"});
        QCOMPARE(local.exitCode, 2);
        QVERIFY2(local.err.contains(QStringLiteral("--server HOST:PORT")) && local.err.contains(QStringLiteral("--action")),
                 qPrintable(local.err));
        const test::CtlRun badValue = test::runCtlProgram({"--server", "127.0.0.1:1", "action", "shed-load", "sh-a", "lots"});
        QCOMPARE(badValue.exitCode, 2);
        QVERIFY(badValue.err.contains(QStringLiteral("VALUE wants a number")));
#endif
        const test::CtlRun runHelp = test::runCtlProgram({"drill", "run", "--help"});
        QCOMPARE(runHelp.exitCode, 0);
        QVERIFY(runHelp.out.contains(QStringLiteral("--action AT:NAME:TARGET[:VALUE]")));
        QCOMPARE(test::runCtlProgram({"help", "figures"}).out, test::runCtlProgram({"figures", "-h"}).out);
        const test::CtlRun none = test::runCtlProgram(QStringList{});
        QCOMPARE(none.exitCode, 2);
        QVERIFY(none.err.contains(QStringLiteral("Usage: livedeckctl")));
        const test::CtlRun figuresJobs = test::runCtlProgram({"figures", "--jobs", "0"});
        QCOMPARE(figuresJobs.exitCode, 2);
        QVERIFY(figuresJobs.err.contains(QStringLiteral("--jobs")));
        const test::CtlRun figuresEngine = test::runCtlProgram({"figures", "--engine", "no-such-engine"});
        QCOMPARE(figuresEngine.exitCode, 2);
        QVERIFY(figuresEngine.err.contains(QStringLiteral("no-such-engine")));
        const test::CtlRun badAction = test::runCtlProgram({"drill", "run", "synthetic-chaos", "--action", "soon:restore"});
        QCOMPARE(badAction.exitCode, 2);
        QVERIFY(badAction.err.contains(QStringLiteral("AT:NAME:TARGET")));
        const test::CtlRun demo = test::runCtlProgram({"demo", "--seed=3", "-q", "-d", "1"});
        QCOMPARE(demo.exitCode, 0);
        QVERIFY(demo.out.contains(QStringLiteral("trace hash")));
        QCOMPARE(test::runCtlProgram({"demo", "-q", "-d", "1", "extra"}).exitCode, 2);
    }
};

LIVEDECK_TEST_CLASS(TstCtlCli)
#include "tst_ctl_cli.moc"
