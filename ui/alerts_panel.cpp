#include "ui/alerts_panel.h"

#include "ui/engine_descriptors.h"

#include "ui/dashboard_hub.h"
#include "ui/format.h"
#include "ui/palette.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace livedeck::ui {
namespace {

constexpr int kAckedRole = Qt::UserRole + 1;

bool isOpen(v1::BreakerStateKind s)
{
    return s == v1::BREAKER_OPEN || s == v1::BREAKER_FORCED_OPEN;
}

class AckFilter final : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setShowAcked(bool show)
    {
        m_show = show;
        invalidateRowsFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override
    {
        return m_show || !sourceModel()->index(row, 0, parent).data(kAckedRole).toBool();
    }

private:
    bool m_show = false;
};

} // namespace

// ------------------------------------------------------------------ AlertModel

bool AlertModel::isAlert(const v1::Event& event)
{
    return event.severity() >= v1::SEVERITY_ALERT;
}

void AlertModel::add(std::int64_t timeNs, const QString& kind, const QString& component, const QString& message, v1::Severity severity)
{
    // Fold a repeat into the newest unacknowledged row of the same kind and component.
    for (int i = static_cast<int>(m_alerts.size()) - 1; i >= 0 && i >= static_cast<int>(m_alerts.size()) - 200; --i) {
        Alert& a = m_alerts[static_cast<std::size_t>(i)];
        if (!a.acknowledged && a.kind == kind && a.component == component) {
            ++a.count;
            a.lastNs = timeNs;
            a.message = message;
            emit dataChanged(index(i, 0), index(i, ColumnCount - 1));
            return;
        }
    }
    if (static_cast<int>(m_alerts.size()) >= kCapacity) {
        beginRemoveRows({}, 0, 0);
        if (!m_alerts.front().acknowledged)
            --m_unacked;
        m_alerts.erase(m_alerts.begin());
        endRemoveRows();
    }
    const int row = static_cast<int>(m_alerts.size());
    beginInsertRows({}, row, row);
    m_alerts.push_back(Alert{timeNs, timeNs, kind, component, message, severity, 1, false});
    ++m_unacked;
    endInsertRows();
}

int AlertModel::addEvents(const std::vector<v1::Event>& events)
{
    int n = 0;
    for (const v1::Event& e : events) {
        if (!isAlert(e))
            continue;
        add(e.sim_time_ns(), QString::fromStdString(e.kind()), QString::fromStdString(e.component()),
            QString::fromStdString(e.message()), e.severity());
        ++n;
    }
    return n;
}

void AlertModel::acknowledge(int row)
{
    if (row < 0 || row >= rowCount())
        return;
    Alert& a = m_alerts[static_cast<std::size_t>(row)];
    if (a.acknowledged)
        return;
    a.acknowledged = true;
    --m_unacked;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void AlertModel::acknowledgeAll()
{
    if (m_alerts.empty())
        return;
    for (Alert& a : m_alerts)
        a.acknowledged = true;
    m_unacked = 0;
    emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void AlertModel::clear()
{
    beginResetModel();
    m_alerts.clear();
    m_unacked = 0;
    endResetModel();
}

int AlertModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_alerts.size());
}

int AlertModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AlertModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const Alert& a = m_alerts[static_cast<std::size_t>(index.row())];
    if (role == kAckedRole)
        return a.acknowledged;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case TimeColumn:
            return formatSimTime(a.lastNs);
        case KindColumn:
            return a.kind;
        case ComponentColumn:
            return a.component.isEmpty() ? tr("(world)") : a.component;
        case CountColumn:
            return a.count;
        case MessageColumn:
            return a.message;
        case StateColumn:
            return a.acknowledged ? tr("acknowledged") : tr("NEW");
        default:
            return {};
        }
    }
    if (role == Qt::ForegroundRole) {
        if (a.acknowledged)
            return QColor(0x70, 0x74, 0x7c);
        if (index.column() == StateColumn || index.column() == KindColumn)
            return palette::severityColor(a.severity);
    }
    if (role == Qt::FontRole && !a.acknowledged && index.column() == StateColumn) {
        QFont f;
        f.setBold(true);
        return f;
    }
    if (role == Qt::ToolTipRole)
        return tr("First %1, last %2, %3 time(s)\n%4").arg(formatSimTime(a.firstNs), formatSimTime(a.lastNs)).arg(a.count).arg(a.message);
    return {};
}

QVariant AlertModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const kNames[] = {"Time", "Alert", "Component", "Count", "Message", "State"};
    return section >= 0 && section < ColumnCount ? tr(kNames[section]) : QVariant();
}

// ------------------------------------------------------------------ AlertsPanel

AlertsPanel::AlertsPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub), m_model(new AlertModel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* bar = new QHBoxLayout;
    m_summary = new QLabel(this);
    m_ack = new QPushButton(tr("Acknowledge"), this);
    m_ack->setToolTip(tr("Acknowledge the selected alerts"));
    m_ackAll = new QPushButton(tr("Acknowledge all"), this);
    m_showAcked = new QCheckBox(tr("Show acknowledged"), this);
    bar->addWidget(m_summary, 1);
    bar->addWidget(m_showAcked);
    bar->addWidget(m_ack);
    bar->addWidget(m_ackAll);
    layout->addLayout(bar);

    auto* split = new QSplitter(Qt::Vertical, this);
    auto* filter = new AckFilter(this);
    filter->setSourceModel(m_model);
    m_filter = filter;
    m_view = new QTableView(split);
    m_view->setModel(m_filter);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 4);
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->horizontalHeader()->setSectionResizeMode(AlertModel::MessageColumn, QHeaderView::Stretch);
    m_view->setColumnWidth(AlertModel::TimeColumn, m_view->fontMetrics().horizontalAdvance(QStringLiteral("T+00:00:00.000")) + 16);
    m_view->setColumnWidth(AlertModel::KindColumn, 170);
    m_view->setColumnWidth(AlertModel::ComponentColumn, 220);
    m_view->setColumnWidth(AlertModel::CountColumn, 50);
    m_view->setColumnWidth(AlertModel::StateColumn, 100);

    auto* audit = new QWidget(split);
    auto* al = new QVBoxLayout(audit);
    al->setContentsMargins(0, 0, 0, 0);
    m_refundSummary = new QLabel(audit);
    m_refundSummary->setWordWrap(true);
    m_refunds = new QTreeWidget(audit);
    m_refunds->setColumnCount(2);
    m_refunds->setHeaderLabels({tr("Entry"), tr("Details")});
    m_refunds->setRootIsDecorated(false);
    m_refunds->setAlternatingRowColors(true);
    m_refunds->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    al->addWidget(m_refundSummary);
    al->addWidget(m_refunds, 1);
    split->addWidget(m_view);
    split->addWidget(audit);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    connect(m_ack, &QPushButton::clicked, this, [this] {
        const QModelIndexList rows = m_view->selectionModel()->selectedRows();
        std::vector<int> source;
        for (const QModelIndex& r : rows)
            source.push_back(m_filter->mapToSource(r).row());
        for (int r : source)
            m_model->acknowledge(r);
        refreshView();
    });
    connect(m_ackAll, &QPushButton::clicked, this, [this] {
        m_model->acknowledgeAll();
        refreshView();
    });
    connect(m_showAcked, &QCheckBox::toggled, this, [filter](bool on) { filter->setShowAcked(on); });
    connect(m_view, &QTableView::clicked, this, [this](const QModelIndex& index) {
        const Alert& a = m_model->alert(m_filter->mapToSource(index).row());
        if (!a.component.isEmpty())
            m_hub->selectComponent(a.component);
        m_hub->showTime(a.lastNs);
    });
    refreshView();
}

void AlertsPanel::resetRun()
{
    m_model->clear();
    m_breakerStates.clear();
    m_refundState.Clear();
    m_refundDirty = true;
    refreshView();
}

void AlertsPanel::applyEvents(const std::vector<v1::Event>& events)
{
    m_model->addEvents(events);
}

void AlertsPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& /*catalog*/)
{
    for (const v1::BreakerState& b : snapshot.breakers()) {
        auto [it, inserted] = m_breakerStates.try_emplace(b.path(), b.state());
        const bool wasOpen = !inserted && isOpen(it->second);
        if (isOpen(b.state()) && !wasOpen)
            m_model->add(b.state_since_ns() > 0 ? b.state_since_ns() : snapshot.sim_time_ns(), QStringLiteral("breaker.open"),
                         QString::fromStdString(b.path()),
                         b.state() == v1::BREAKER_FORCED_OPEN
                             ? tr("breaker forced open")
                             : tr("breaker opened (failure rate %1, slow calls %2)")
                                   .arg(b.failure_rate() >= 0 ? formatPercent(b.failure_rate(), 1) : tr("n/a"),
                                        b.slow_call_rate() >= 0 ? formatPercent(b.slow_call_rate(), 1) : tr("n/a")),
                         v1::SEVERITY_ALERT);
        it->second = b.state();
    }
    // The review queue: a component whose kind's descriptor carries the view hint
    // "alerts.review-queue" (ComponentKindDescriptor.view).
    for (const v1::ComponentState& c : snapshot.components()) {
        if (m_reviewPaths.count(c.path()) == 0)
            continue;
        if (c.SerializeAsString() != m_refundState.SerializeAsString()) {
            m_refundState = c;
            m_refundDirty = true;
        }
        break;
    }
}

void AlertsPanel::applyTopology(const v1::Topology& topology)
{
    m_reviewPaths.clear();
    m_reviewKind = {};
    const std::vector<std::string> kinds = kindsWithView(topology, kReviewQueueView);
    for (const v1::Component& c : topology.components()) {
        if (std::find(kinds.begin(), kinds.end(), c.kind()) != kinds.end()) {
            m_reviewPaths.insert(c.path());
            if (const v1::ComponentKindDescriptor* k = componentKind(topology, c.kind()))
                m_reviewKind = *k;
        }
    }
    m_refundDirty = true;
}

int AlertsPanel::refundRows() const
{
    return m_refunds->topLevelItemCount();
}

QString AlertsPanel::refundSummary() const
{
    return m_refundSummary->text();
}

int AlertsPanel::visibleAlerts() const
{
    return m_filter->rowCount();
}

void AlertsPanel::refreshView()
{
    const int unacked = m_model->unacknowledged();
    m_summary->setText(unacked > 0 ? tr("<b style='color:#c0141c'>%1 new alert(s)</b> · %2 in total").arg(unacked).arg(m_model->rowCount())
                                   : tr("No new alerts · %1 in total").arg(m_model->rowCount()));
    m_ackAll->setEnabled(unacked > 0);
    if (unacked != m_lastUnacked) {
        m_lastUnacked = unacked;
        emit unacknowledgedChanged(unacked);
    }
    if (!m_refundDirty)
        return;
    m_refundDirty = false;
    m_refunds->clear();
    if (m_refundState.path().empty()) {
        m_refundSummary->setText(m_reviewPaths.empty() ? tr("<b>Review queue</b>: no engine in this run has one.")
                                                       : tr("<b>Review queue</b>: nothing reported yet."));
        return;
    }
    // The queue's headline keys (its kind's descriptor) make the summary; keys of the
    // form "<what>/<id>" are its entries (the first ones the engine lists).
    QStringList headline;
    for (const std::string& k : m_reviewKind.headline_keys()) {
        for (const v1::KeyValue& kv : m_refundState.state()) {
            if (kv.key() == k)
                headline.push_back(QStringLiteral("%1 %2").arg(QString::fromStdString(kv.key()), QString::fromStdString(kv.value())));
        }
    }
    for (const v1::KeyValue& kv : m_refundState.state()) {
        const QString key = QString::fromStdString(kv.key());
        const int slash = key.indexOf(QLatin1Char('/'));
        if (slash > 0) {
            auto* item = new QTreeWidgetItem(m_refunds);
            item->setText(0, key.mid(slash + 1));
            item->setText(1, QString::fromStdString(kv.value()));
        }
    }
    m_refundSummary->setText(tr("<b>Review queue</b> (%1)%2: %3; %4 entries listed.")
                                 .arg(QString::fromStdString(m_refundState.path()),
                                      m_reviewKind.description().empty()
                                          ? QString()
                                          : QStringLiteral(" — ") + QString::fromStdString(m_reviewKind.description()),
                                      headline.isEmpty() ? tr("no figures") : headline.join(QStringLiteral(" · ")))
                                 .arg(m_refunds->topLevelItemCount()));
}

} // namespace livedeck::ui
