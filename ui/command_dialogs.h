// The Set-load and operator-action dialogs, built from the engines' descriptors
// (v1::Topology.engines) — never from engine names:
// - LoadDialog offers each engine's load profiles (LoadProfileDescriptor) with their
//   parameters and defaults, and a multiplier. A Set-load command carries the engine,
//   the profile and the multiplier (livedeck.v1 SetLoad); the parameters are shown as
//   the profile defines them (a drill file's load phase sets them).
// - ActionDialog offers the actions the engines declare (ActionDescriptor): the target
//   as the action wants it (a region from the topology, a component path, free text,
//   or none), the value with its unit, range and default when the action takes one.
//   An action that changes the world (changes_world) sent to a remote cluster asks for
//   confirmation first (needsConfirmation; MainWindow asks).
// GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QDialog>
#include <QString>
#include <QStringList>

#include <vector>

QT_BEGIN_NAMESPACE
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QTableWidget;
QT_END_NAMESPACE

namespace livedeck::ui {

class LoadDialog final : public QDialog {
    Q_OBJECT
public:
    LoadDialog(const v1::Topology& topology, QWidget* parent = nullptr);

    QStringList engines() const;
    // The profiles offered for the chosen engine ("" first: keep the current profile).
    QStringList profiles() const;
    // Parameter names of the chosen profile, as shown.
    QStringList paramNames() const;
    void setEngine(const QString& engine);
    void setProfile(const QString& profile);
    void setMultiplier(double multiplier);

    QString engine() const;
    QString profile() const;
    double multiplier() const;

private:
    void fillProfiles();
    void fillParams();

    v1::Topology m_topology;
    QComboBox* m_engine;
    QComboBox* m_profile;
    QLabel* m_description;
    QTableWidget* m_params;
    QDoubleSpinBox* m_multiplier;
};

class ActionDialog final : public QDialog {
    Q_OBJECT
public:
    // `selected`: the inspector's selection (a default target for component actions).
    ActionDialog(const v1::Topology& topology, const QString& selected, QWidget* parent = nullptr);

    // Offered action names (each once, engines in topology order), and the chosen one's
    // descriptor.
    QStringList actionNames() const;
    void setAction(const QString& name);
    const v1::ActionDescriptor* action() const;
    QString actionName() const;
    QString target() const;
    double value() const;
    // Target choices offered for the chosen action (regions for a region action).
    QStringList targetChoices() const;
    void setTarget(const QString& target);
    void setValue(double value);
    bool valueShown() const;
    double valueMinimum() const;
    double valueMaximum() const;
    QString valueSuffix() const;

    // Whether sending `action` to a source of kind `sourceKind` ("remote", ...) needs
    // the operator's confirmation first.
    static bool needsConfirmation(const v1::ActionDescriptor& action, const QString& sourceKind);

private:
    void updateForAction();

    // One offer per action name; an action several engines declare goes to each of them.
    struct Offer {
        QStringList engines;
        v1::ActionDescriptor descriptor;
    };
    v1::Topology m_topology;
    QString m_selected;
    std::vector<Offer> m_offers;
    QComboBox* m_action;
    QLabel* m_description;
    QLabel* m_targetLabel;
    QComboBox* m_target;
    QLabel* m_valueLabel;
    QDoubleSpinBox* m_value;
};

} // namespace livedeck::ui
