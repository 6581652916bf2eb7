// EventLogModel: the run's events (v1::Event) as a table — time, severity, kind,
// component, message — newest last, at most `capacity` rows (20 000, like the
// world's own event ring: sim::EventLog::kRecentCapacity); the oldest are dropped.
// EventFilter: a proxy that keeps rows matching a kind (exact, or "family.*"), a
// component path (prefix by segment, or substring), a text (in message, kind or
// component) and a minimum severity. GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QStringList>

#include <deque>

namespace livedeck::ui {

class EventLogModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, SeverityColumn, KindColumn, ComponentColumn, MessageColumn, ColumnCount };
    enum Role { SimTimeRole = Qt::UserRole + 1, KindRole, ComponentRole, SeverityRole, SeqRole, EventIndexRole };
    static constexpr std::size_t kDefaultCapacity = 20'000;

    explicit EventLogModel(QObject* parent = nullptr, std::size_t capacity = kDefaultCapacity);

    void clear();
    void append(const std::vector<v1::Event>& events);
    // Kinds seen so far, sorted.
    QStringList kinds() const;
    std::uint64_t dropped() const { return m_dropped; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    void kindsChanged();

private:
    struct Row {
        std::uint64_t seq = 0;
        std::int64_t timeNs = 0;
        std::uint64_t eventIndex = 0;
        v1::Severity severity = v1::SEVERITY_UNSPECIFIED;
        QString kind;
        QString component;
        QString message;
        QString fields; // "k=v, k=v"
    };
    std::size_t m_capacity;
    std::deque<Row> m_rows;
    QStringList m_kinds;
    std::uint64_t m_lastSeq = 0;
    std::uint64_t m_dropped = 0;
};

class EventFilter final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit EventFilter(QObject* parent = nullptr) : QSortFilterProxyModel(parent) {}
    void setKind(const QString& kind);         // "" = all; "fault.*" = a family
    void setPath(const QString& path);         // "" = all
    void setText(const QString& text);         // "" = all
    void setMinSeverity(v1::Severity severity);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString m_kind;
    QString m_path;
    QString m_text;
    v1::Severity m_minSeverity = v1::SEVERITY_UNSPECIFIED;
};

} // namespace livedeck::ui
