#include "app/livedeckctl/drill_actions.h"

#include "app/livedeckctl/parse.h"
#include "backend/engine/json_writer.h"
#include "backend/sim/strings.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace livedeck::ctl {

bool parseActionSpec(std::string_view text, ScheduledAction& out, std::string& error)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t colon = text.find(':', start);
        parts.emplace_back(text.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
        if (colon == std::string_view::npos)
            break;
        start = colon + 1;
    }
    if (parts.size() < 3 || parts.size() > 4 || parts[1].empty() || parts[2].empty()) {
        error = sim::strCat("--action wants AT:NAME:TARGET[:VALUE] (e.g. 10s:drain-region:sh-a, 20s:shed-load:*:500), got '",
                            text, "'");
        return false;
    }
    sim::Nanos at = 0;
    if (parts[0] == "0" || parts[0] == "0s") {
        at = 0;
    } else if (!parseSimTime(parts[0], at)) {
        error = sim::strCat("--action '", text, "': AT wants a simulated time such as 10s, 1m30s or 90 (seconds), got '",
                            parts[0], "'");
        return false;
    }
    double value = 0.0;
    if (parts.size() == 4 && !parseDouble(parts[3], value)) {
        error = sim::strCat("--action '", text, "': VALUE wants a number, got '", parts[3], "'");
        return false;
    }
    out.at = at;
    out.action.set_action(parts[1]);
    out.action.set_target(parts[2]);
    out.action.set_value(value);
    out.text = std::string(text);
    out.hasValue = parts.size() == 4;
    return true;
}

absl::Status checkActions(const drills::DrillRun& run, const std::vector<ScheduledAction>& actions)
{
    for (const ScheduledAction& a : actions) {
        if (a.at > run.stopTime())
            return absl::InvalidArgumentError(sim::strCat("--action '", a.text, "': ", engine::numberText(sim::toSeconds(a.at)),
                                                          " s is after the run's end (",
                                                          engine::numberText(sim::toSeconds(run.stopTime())), " s)"));
        bool declared = false;
        std::string offered;
        for (const v1::EngineDescriptor& d : run.engineDescriptors()) {
            declared = declared || engine::declaresAction(d, a.action.action());
            for (const v1::ActionDescriptor& ad : d.actions())
                offered += sim::strCat(offered.empty() ? "" : ", ", ad.name(), " (", d.name(), ")");
        }
        if (!declared)
            return absl::InvalidArgumentError(sim::strCat("--action '", a.text, "': no engine of drill ", run.spec().name,
                                                          " declares operator action '", a.action.action(), "'",
                                                          offered.empty() ? std::string(" (its engines declare none)")
                                                                          : sim::strCat(" (declared: ", offered, ")")));
    }
    return absl::OkStatus();
}

drills::HeadlessDrillResult runDrillWithActions(std::unique_ptr<drills::DrillRun> run, host::WallClock& clock,
                                                const drills::HeadlessDrillOptions& options,
                                                std::vector<ScheduledAction> actions, ActionLog& log,
                                                const drills::DrillProgressSink& progress)
{
    std::stable_sort(actions.begin(), actions.end(),
                     [](const ScheduledAction& a, const ScheduledAction& b) { return a.at < b.at; });
    host::WorldHost host(std::move(run), clock, options.host);
    std::mutex mutex;
    std::condition_variable arrived;
    bool pending = false;
    host::SubscribeOptions so;
    so.rateHz = options.progressHz;
    so.includeComponents = false;
    host::Subscription subscription = host.subscribe(so, [&] {
        {
            std::lock_guard lock(mutex);
            pending = true;
        }
        arrived.notify_one();
    });
    // Prints progress until `done` says stop (checked after each snapshot and every 50 ms).
    const auto follow = [&](const auto& done) {
        for (;;) {
            {
                std::unique_lock lock(mutex);
                arrived.wait_for(lock, std::chrono::milliseconds(50), [&] { return pending; });
                pending = false;
            }
            if (auto snapshot = subscription.takeSnapshot(); snapshot && progress)
                progress(drills::formatDrillProgress(*snapshot));
            if (done())
                return;
        }
    };

    const sim::Nanos wallStart = clock.now();
    host.setSpeed(options.speed);
    host.start();
    for (const ScheduledAction& a : actions) {
        std::future<absl::Status> reached = host.runUntil(a.at);
        follow([&] { return reached.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
        absl::Status st = reached.get();
        // Reaching AT may fail only when the run ended first (a halt): the action is moot.
        if (!st.ok()) {
            log.lines.push_back(sim::strCat(engine::numberText(sim::toSeconds(a.at)), " s  ", a.action.action(), " ",
                                            a.action.target(), ": not applied (", std::string(st.message()), ")"));
            break;
        }
        v1::Command command;
        *command.mutable_operator_action() = a.action;
        st = host.submit(command).get();
        log.lines.push_back(sim::strCat(engine::numberText(sim::toSeconds(a.at)), " s  ", a.action.action(), " ",
                                        a.action.target(),
                                        a.hasValue ? sim::strCat(" ", engine::numberText(a.action.value())) : "",
                                        st.ok() ? ": applied" : sim::strCat(": refused: ", std::string(st.message()))));
        if (!st.ok()) {
            log.status = absl::Status(st.code(), sim::strCat("--action '", a.text, "': ", std::string(st.message())));
            break;
        }
    }
    if (log.status.ok()) {
        host.resume();
        follow([&] { return host.status().finished; });
    }
    subscription.close();
    host.stop();
    auto& drill = static_cast<drills::DrillRun&>(host.run());
    drills::HeadlessDrillResult result;
    if (log.status.ok()) {
        // As runDrillHeadless: events left at the stop instant run here.
        drill.runToEnd();
    }
    result.report = drill.report();
    result.report.wallNs = clock.now() - wallStart;
    result.recording = drill.recordingStatus();
    return result;
}

} // namespace livedeck::ctl
