// A deliberately bad console plugin for tests/plugins, built several times: with
// another plugin interface (BAD_IID), metadata for another API (its JSON), an
// initialize() that fails (BAD_INIT_FAILS), or a constructor that crashes (BAD_CRASH).
#pragma once

#include "livedeck_console/console_plugin.h"

#include <QObject>

class BadConsolePlugin final : public QObject, public livedeck::console::ConsolePlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID BAD_IID FILE "bad.json")
    Q_INTERFACES(livedeck::console::ConsolePlugin)
public:
    BadConsolePlugin();
    bool initialize(livedeck::console::ConsoleHost* host, QString* error) override;
    QVector<livedeck::console::Dashboard*> dashboards() override { return {}; }
    QVector<livedeck::console::InspectorView*> inspectorViews() override { return {}; }
};
