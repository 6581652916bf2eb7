// Drill sources: builds an EmbeddedCluster that runs a drill (drills::DrillRun on the
// world host) from a drill file path or the name of a built-in drill — how the
// console starts (`livedeck` = the built-in `gala` drill at real time ×1) and
// what the Drill panel's "Open" does.
//
// Contract: makeDrillCluster() loads and builds the drill once up front, so a broken
// file or an unknown name is reported at once (the loader's "file:line:col: message"),
// never from the host thread; restarts build a fresh run of the same spec and seed.
// Thread: GUI thread (the factory itself runs wherever the cluster calls it).
#pragma once

#include "ui/embedded_cluster.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace livedeck::ui {

// The drill the console opens with no argument ("the gala drill").
inline constexpr const char* kDefaultDrill = "gala";

// Names of the built-in drills, in file order.
QStringList builtinDrillNames();
// kDefaultDrill when built in; otherwise the first built-in drill (empty when none).
QString defaultDrillName();

// An embedded cluster running `fileOrName` (a drill file, else a built-in drill's
// name) with `seed` (the file's seed when empty); nullptr and `error` on failure.
std::unique_ptr<EmbeddedCluster> makeDrillCluster(const QString& fileOrName, std::optional<std::uint64_t> seed,
                                                  EmbeddedOptions options, QString* error);

// The same from a drill's text (e.g. the drill a recording stores, for "re-simulate to
// here"); `fileName` names it in messages.
std::unique_ptr<EmbeddedCluster> makeDrillClusterFromText(const QString& text, const QString& fileName,
                                                          std::optional<std::uint64_t> seed, EmbeddedOptions options,
                                                          QString* error);

} // namespace livedeck::ui
