// FaultDialog: injects one fault of the shared vocabulary (docs/API.md) — target path
// (prefilled from where the user right-clicked, completed from the topology), kind,
// the kind's parameters, a start delay and a duration (0 = until cleared). The spec is
// checked with the backend's own FaultRegistry::validateParams before it is sent, so
// the dialog refuses exactly what the world would refuse, with the same message.
// Times are relative to the latest snapshot's simulated time. GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QDialog>
#include <QStringList>

#include <vector>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
QT_END_NAMESPACE

namespace livedeck::ui {

class FaultDialog final : public QDialog {
    Q_OBJECT
public:
    FaultDialog(const QString& target, const QStringList& knownPaths, std::int64_t nowNs, QWidget* parent = nullptr);

    void setKind(v1::FaultKind kind);
    v1::FaultKind kind() const;
    void setTarget(const QString& target);
    // Sets a parameter editor's value (number or text); false when the kind has no such parameter.
    bool setParam(const QString& name, double value);
    bool setParamText(const QString& name, const QString& text);
    void setDurationSeconds(double seconds);
    void setStartDelaySeconds(double seconds);

    // The spec as the dialog stands (origin "console").
    v1::FaultSpec spec() const;
    // "" when the spec is valid, else the reason.
    QString validationError() const;

    // Description of each kind for the combo box and docs.
    static QString kindDescription(v1::FaultKind kind);

private:
    struct Editor {
        QString name;
        QDoubleSpinBox* number = nullptr;
        QLineEdit* text = nullptr;
        QCheckBox* flag = nullptr;
        bool optional = false;
    };
    void rebuildParams();
    void revalidate();

    std::int64_t m_nowNs;
    QLineEdit* m_target;
    QComboBox* m_kind;
    QFormLayout* m_paramForm;
    QWidget* m_paramBox;
    QDoubleSpinBox* m_delay;
    QDoubleSpinBox* m_duration;
    QLabel* m_error;
    QDialogButtonBox* m_buttons;
    std::vector<Editor> m_editors;
};

} // namespace livedeck::ui
