#include "ui/faults_panel.h"

#include "ui/dashboard_hub.h"
#include "ui/format.h"
#include "ui/logging.h"
#include "ui/palette.h"

#include <QBrush>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace livedeck::ui {

bool FaultListModel::apply(const v1::Snapshot& snapshot)
{
    bool same = static_cast<int>(m_faults.size()) == snapshot.faults_size();
    for (int i = 0; same && i < snapshot.faults_size(); ++i) {
        const v1::FaultSpec& a = m_faults[static_cast<std::size_t>(i)];
        const v1::FaultSpec& b = snapshot.faults(i);
        same = a.id() == b.id() && a.active() == b.active() && a.end_ns() == b.end_ns();
    }
    if (same)
        return false;
    beginResetModel();
    m_faults.assign(snapshot.faults().begin(), snapshot.faults().end());
    endResetModel();
    return true;
}

void FaultListModel::clear()
{
    beginResetModel();
    m_faults.clear();
    endResetModel();
}

int FaultListModel::activeCount() const
{
    int n = 0;
    for (const v1::FaultSpec& f : m_faults)
        n += f.active() ? 1 : 0;
    return n;
}

int FaultListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_faults.size());
}

int FaultListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FaultListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= static_cast<int>(m_faults.size()))
        return {};
    const v1::FaultSpec& f = m_faults[static_cast<std::size_t>(index.row())];
    if (role == FaultIdRole)
        return QVariant::fromValue<qulonglong>(f.id());
    if (role == ActiveRole)
        return f.active();
    if (role == Qt::ForegroundRole && index.column() == StateColumn)
        return QBrush(f.active() ? palette::faultOnColor() : QColor(0x60, 0x64, 0x6c));
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case IdColumn:
        return QString::number(f.id());
    case KindColumn:
        return faultKindName(f.kind());
    case TargetColumn:
        return QString::fromStdString(f.target());
    case ParamsColumn:
        return faultParamsText(f);
    case StartColumn:
        return formatSimTime(f.start_ns(), false);
    case EndColumn:
        return f.end_ns() > 0 ? formatSimTime(f.end_ns(), false) : tr("until cleared");
    case OriginColumn:
        return QString::fromStdString(f.origin());
    case StateColumn:
        return f.active() ? tr("active") : tr("scheduled");
    default:
        return {};
    }
}

QVariant FaultListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const kNames[] = {"Id", "Kind", "Target", "Parameters", "Start", "End", "Origin", "State"};
    return section >= 0 && section < ColumnCount ? tr(kNames[section]) : QVariant();
}

FaultsPanel::FaultsPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* bar = new QHBoxLayout();
    m_inject = new QPushButton(tr("Inject…"), this);
    m_inject->setToolTip(tr("Inject a fault (Ctrl+I); right-click a component anywhere to target it"));
    m_clear = new QPushButton(tr("Clear"), this);
    m_clear->setToolTip(tr("Clear the selected fault"));
    m_clear->setEnabled(false);
    m_clearAll = new QPushButton(tr("Clear all"), this);
    m_clearAll->setToolTip(tr("Clear every fault shown"));
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    bar->addWidget(m_inject);
    bar->addWidget(m_clear);
    bar->addWidget(m_clearAll);
    bar->addWidget(m_status, 1);
    layout->addLayout(bar);
    m_model = new FaultListModel(this);
    m_view = new QTableView(this);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 4);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setColumnWidth(FaultListModel::IdColumn, 40);
    m_view->setColumnWidth(FaultListModel::TargetColumn, 170);
    m_view->setColumnWidth(FaultListModel::ParamsColumn, 150);
    layout->addWidget(m_view, 1);

    connect(m_inject, &QPushButton::clicked, this, &FaultsPanel::injectRequested);
    connect(m_clear, &QPushButton::clicked, this, [this] {
        const QModelIndex i = m_view->currentIndex();
        if (i.isValid())
            clearRow(i.row());
    });
    connect(m_clearAll, &QPushButton::clicked, this, &FaultsPanel::clearAll);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { m_clear->setEnabled(current.isValid()); });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] { m_clear->setEnabled(m_view->currentIndex().isValid()); });
}

std::uint64_t FaultsPanel::clearRow(int row)
{
    if (!m_hub || !m_hub->source() || row < 0 || row >= m_model->rowCount())
        return 0;
    const std::uint64_t id = m_model->fault(row).id();
    qCInfo(lcFaults) << "clearing fault" << id;
    return m_hub->source()->clearFault(id);
}

std::uint64_t FaultsPanel::clearAll()
{
    std::uint64_t last = 0;
    for (int r = 0; r < m_model->rowCount(); ++r)
        last = clearRow(r);
    return last;
}

void FaultsPanel::showStatus(const QString& text, bool ok)
{
    m_status->setStyleSheet(ok ? QStringLiteral("color: #1e7a34;") : QStringLiteral("color: #c0141c;"));
    m_status->setText(text);
}

void FaultsPanel::setActionsEnabled(bool enabled)
{
    m_inject->setEnabled(enabled);
    m_clearAll->setEnabled(enabled);
    m_clear->setEnabled(enabled && m_view->currentIndex().isValid());
    const QString why = enabled ? QString() : tr("This source cannot change faults (a recording).");
    m_inject->setToolTip(enabled ? tr("Inject a fault (Ctrl+I); right-click a component anywhere to target it") : why);
}

void FaultsPanel::resetRun()
{
    m_model->clear();
}

void FaultsPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog&)
{
    m_model->apply(snapshot);
}

} // namespace livedeck::ui
