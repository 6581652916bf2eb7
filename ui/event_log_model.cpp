#include "ui/event_log_model.h"

#include "ui/format.h"
#include "ui/palette.h"

#include <QBrush>
#include <QFont>

#include <algorithm>

namespace livedeck::ui {

EventLogModel::EventLogModel(QObject* parent, std::size_t capacity) : QAbstractTableModel(parent), m_capacity(std::max<std::size_t>(capacity, 1)) {}

void EventLogModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_kinds.clear();
    m_lastSeq = 0;
    m_dropped = 0;
    endResetModel();
    emit kindsChanged();
}

void EventLogModel::append(const std::vector<v1::Event>& events)
{
    // Skip events already shown (a replay may re-deliver the edge of its window).
    std::size_t first = 0;
    while (first < events.size() && events[first].seq() != 0 && events[first].seq() <= m_lastSeq)
        ++first;
    std::size_t n = events.size() - first;
    if (n == 0)
        return;
    if (n > m_capacity) {
        m_dropped += n - m_capacity;
        first += n - m_capacity;
        n = m_capacity;
    }
    const std::size_t overflow = m_rows.size() + n > m_capacity ? m_rows.size() + n - m_capacity : 0;
    if (overflow > 0) {
        beginRemoveRows({}, 0, static_cast<int>(overflow) - 1);
        m_rows.erase(m_rows.begin(), m_rows.begin() + static_cast<std::ptrdiff_t>(overflow));
        m_dropped += overflow;
        endRemoveRows();
    }
    bool newKind = false;
    const int start = static_cast<int>(m_rows.size());
    beginInsertRows({}, start, start + static_cast<int>(n) - 1);
    for (std::size_t i = first; i < events.size(); ++i) {
        const v1::Event& e = events[i];
        Row r;
        r.seq = e.seq();
        r.timeNs = e.sim_time_ns();
        r.eventIndex = e.event_index();
        r.severity = e.severity();
        r.kind = QString::fromStdString(e.kind());
        r.component = QString::fromStdString(e.component());
        r.message = QString::fromStdString(e.message());
        for (const v1::KeyValue& kv : e.fields()) {
            if (!r.fields.isEmpty())
                r.fields += QStringLiteral(", ");
            r.fields += QString::fromStdString(kv.key()) + QLatin1Char('=') + QString::fromStdString(kv.value());
        }
        if (!m_kinds.contains(r.kind)) {
            m_kinds.insert(std::lower_bound(m_kinds.begin(), m_kinds.end(), r.kind), r.kind);
            newKind = true;
        }
        m_lastSeq = std::max(m_lastSeq, r.seq);
        m_rows.push_back(std::move(r));
    }
    endInsertRows();
    if (newKind)
        emit kindsChanged();
}

QStringList EventLogModel::kinds() const
{
    return m_kinds;
}

int EventLogModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int EventLogModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventLogModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= static_cast<int>(m_rows.size()))
        return {};
    const Row& r = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return formatSimTime(r.timeNs);
        case SeverityColumn:
            return severityName(r.severity);
        case KindColumn:
            return r.kind;
        case ComponentColumn:
            return r.component;
        case MessageColumn:
            return r.message;
        default:
            return {};
        }
    case Qt::ToolTipRole:
        return QStringLiteral("#%1 at %2 (after event %3)\n%4\n%5")
            .arg(r.seq)
            .arg(formatSimSeconds(r.timeNs))
            .arg(r.eventIndex)
            .arg(r.message, r.fields);
    case Qt::ForegroundRole:
        return QBrush(palette::severityColor(r.severity));
    case Qt::FontRole:
        if (r.severity >= v1::SEVERITY_ALERT) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case SimTimeRole:
        return QVariant::fromValue<qint64>(r.timeNs);
    case KindRole:
        return r.kind;
    case ComponentRole:
        return r.component;
    case SeverityRole:
        return static_cast<int>(r.severity);
    case SeqRole:
        return QVariant::fromValue<qulonglong>(r.seq);
    case EventIndexRole:
        return QVariant::fromValue<qulonglong>(r.eventIndex);
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case SeverityColumn:
        return tr("Severity");
    case KindColumn:
        return tr("Kind");
    case ComponentColumn:
        return tr("Component");
    case MessageColumn:
        return tr("Message");
    default:
        return {};
    }
}

void EventFilter::setKind(const QString& kind)
{
    m_kind = kind;
    invalidateFilter();
}

void EventFilter::setPath(const QString& path)
{
    m_path = path;
    invalidateFilter();
}

void EventFilter::setText(const QString& text)
{
    m_text = text;
    invalidateFilter();
}

void EventFilter::setMinSeverity(v1::Severity severity)
{
    m_minSeverity = severity;
    invalidateFilter();
}

bool EventFilter::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QModelIndex i = sourceModel()->index(sourceRow, 0, sourceParent);
    if (m_minSeverity != v1::SEVERITY_UNSPECIFIED && i.data(EventLogModel::SeverityRole).toInt() < m_minSeverity)
        return false;
    if (!m_kind.isEmpty()) {
        const QString kind = i.data(EventLogModel::KindRole).toString();
        if (m_kind.endsWith(QStringLiteral(".*"))) {
            if (!kind.startsWith(m_kind.left(m_kind.size() - 1)))
                return false;
        } else if (kind != m_kind) {
            return false;
        }
    }
    if (!m_path.isEmpty()) {
        const QString c = i.data(EventLogModel::ComponentRole).toString();
        const bool prefix = c == m_path || c.startsWith(m_path + QLatin1Char('/'));
        if (!prefix && !c.contains(m_path, Qt::CaseInsensitive))
            return false;
    }
    if (!m_text.isEmpty()) {
        const QModelIndex msg = sourceModel()->index(sourceRow, EventLogModel::MessageColumn, sourceParent);
        if (!msg.data().toString().contains(m_text, Qt::CaseInsensitive) &&
            !i.data(EventLogModel::KindRole).toString().contains(m_text, Qt::CaseInsensitive) &&
            !i.data(EventLogModel::ComponentRole).toString().contains(m_text, Qt::CaseInsensitive))
            return false;
    }
    return true;
}

} // namespace livedeck::ui
