#include "ui/inspector_panel.h"

#include "ui/dashboard_hub.h"
#include "ui/inspector_model.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTreeView>
#include <QVBoxLayout>

namespace livedeck::ui {

InspectorPanel::InspectorPanel(DashboardHub* hub, QWidget* parent) : QWidget(parent), m_hub(hub)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter components and keys…"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(tr("Shows rows whose name contains the text, with their parents"));
    layout->addWidget(m_filter);
    m_model = new InspectorModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setRecursiveFilteringEnabled(true);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(InspectorModel::NameColumn);
    m_view = new QTreeView(this);
    m_view->setModel(m_proxy);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->header()->setSectionResizeMode(InspectorModel::NameColumn, QHeaderView::Interactive);
    m_view->header()->setStretchLastSection(true);
    m_view->setColumnWidth(InspectorModel::NameColumn, 240);
    m_view->setToolTip(tr("Live state of every component: region → engine → component → key = value"));
    layout->addWidget(m_view, 1);

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_proxy->setFilterFixedString(text);
        if (!text.isEmpty())
            m_view->expandAll();
    });
    connect(m_view, &QTreeView::customContextMenuRequested, this, [this](const QPoint& pos) {
        const QModelIndex i = m_view->indexAt(pos);
        if (!i.isValid())
            return;
        const QString path = i.data(InspectorModel::PathRole).toString();
        if (path.isEmpty())
            return;
        QMenu menu(this);
        menu.addAction(tr("Inject fault on %1…").arg(path), this, [this, path] { m_hub->requestFault(path); });
        menu.exec(m_view->viewport()->mapToGlobal(pos));
    });
    if (m_hub)
        connect(m_hub, &DashboardHub::componentSelected, this, [this](const QString& path) { selectPath(path); });
}

void InspectorPanel::resetRun()
{
    m_model->clear();
    m_expandedOnce = false;
}

void InspectorPanel::applyTopology(const v1::Topology& topology)
{
    m_model->applyTopology(topology);
    if (!m_expandedOnce && m_model->rowCount() > 0) {
        m_view->expandToDepth(0);
        m_expandedOnce = true;
    }
}

void InspectorPanel::applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog&)
{
    m_model->applySnapshot(snapshot);
    if (!m_expandedOnce && m_model->rowCount() > 0) {
        m_view->expandToDepth(0);
        m_expandedOnce = true;
    }
}

bool InspectorPanel::selectPath(const QString& path)
{
    // The nearest known ancestor if the exact path is not a component.
    QString p = path;
    QModelIndex source = m_model->indexForPath(p);
    while (!source.isValid() && p.contains(QLatin1Char('/'))) {
        p = p.section(QLatin1Char('/'), 0, -2);
        source = m_model->indexForPath(p);
    }
    if (!source.isValid())
        return false;
    QModelIndex proxy = m_proxy->mapFromSource(source);
    if (!proxy.isValid()) {
        m_filter->clear();
        proxy = m_proxy->mapFromSource(source);
    }
    for (QModelIndex a = proxy.parent(); a.isValid(); a = a.parent())
        m_view->expand(a);
    m_view->expand(proxy);
    m_view->setCurrentIndex(proxy);
    m_view->scrollTo(proxy, QAbstractItemView::PositionAtCenter);
    return true;
}

QString InspectorPanel::selectedPath() const
{
    const QModelIndex i = m_view->currentIndex();
    return i.isValid() ? i.data(InspectorModel::PathRole).toString() : QString();
}

} // namespace livedeck::ui
