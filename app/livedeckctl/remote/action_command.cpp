// `livedeckctl --server HOST:PORT action NAME TARGET [VALUE]`: an operator action on
// the node's run (ApplyOperatorAction). The node routes it to the engines whose
// descriptors declare it (the gift engine: shed-load, drain-region, restore); an action
// no engine declares, or a bad target or value, comes back INVALID_ARGUMENT (exit 2).
// For a local run: `livedeckctl drill run DRILL --action AT:NAME:TARGET[:VALUE]`.
#include "app/livedeckctl/cli.h"
#include "app/livedeckctl/parse.h"
#include "app/livedeckctl/remote/node_client.h"

#include <ostream>

namespace livedeck::ctl {
namespace {

int action(const Invocation& inv)
{
    v1::OperatorActionRequest req;
    req.mutable_action()->set_action(inv.arg(0));
    req.mutable_action()->set_target(inv.arg(1));
    if (inv.args().size() > 2) {
        double value = 0.0;
        if (!parseDouble(inv.arg(2), value))
            return inv.usageError("VALUE wants a number, got '" + inv.arg(2) + "'");
        req.mutable_action()->set_value(value);
    }
    NodeClient node;
    int code = 0;
    if (!connectNode(inv, node, code))
        return code;
    v1::CommandResponse resp;
    if (grpc::Status st = node.stub->ApplyOperatorAction(node.ctx().get(), req, &resp); !st.ok())
        return reportRpcError("action", st);
    out() << "action " << inv.arg(0) << " " << inv.arg(1) << (inv.args().size() > 2 ? " " + inv.arg(2) : std::string())
          << ": " << (resp.result().empty() ? std::string("applied") : resp.result()) << "\n";
    return kExitOk;
}

} // namespace

void registerActionCommand(CommandRegistry& registry)
{
    Command c;
    c.path = {"action"};
    c.where = Where::Remote;
    c.args = "NAME TARGET [VALUE]";
    c.summary = "Apply an operator action (shed-load, drain-region, restore, ...)";
    c.description =
        "Applies an operator action to the node's run. The node routes it to the engines\n"
        "whose descriptors declare it ('topology' lists them); the gift engine declares\n"
        "shed-load REGION|* ORDERS_PER_SEC (0 lifts the limit), drain-region REGION and\n"
        "restore REGION. An undeclared action, a bad target or value: exit 2 (INVALID_ARGUMENT).\n"
        "A local run takes actions too: livedeckctl drill run DRILL --action AT:NAME:TARGET[:VALUE].";
    c.minArgs = 2;
    c.maxArgs = 3;
    c.run = action;
    registry.add(std::move(c));
}

} // namespace livedeck::ctl
