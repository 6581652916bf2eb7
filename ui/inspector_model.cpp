#include "ui/inspector_model.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <algorithm>

namespace livedeck::ui {

InspectorModel::InspectorModel(QObject* parent) : QAbstractItemModel(parent) {}

InspectorModel::~InspectorModel() = default;

void InspectorModel::clear()
{
    if (m_root.children.empty())
        return;
    beginResetModel();
    m_root.children.clear();
    m_root.keyCount = 0;
    m_byPath.clear();
    m_headlineKeys.clear();
    endResetModel();
}

InspectorModel::Node* InspectorModel::nodeOf(const QModelIndex& index) const
{
    if (!index.isValid())
        return const_cast<Node*>(&m_root);
    return static_cast<Node*>(index.internalPointer());
}

QModelIndex InspectorModel::indexOf(const Node* node, int column) const
{
    if (!node || node == &m_root)
        return {};
    return createIndex(node->row, column, const_cast<Node*>(node));
}

void InspectorModel::renumber(Node* parent, int from)
{
    for (std::size_t i = static_cast<std::size_t>(std::max(from, 0)); i < parent->children.size(); ++i)
        parent->children[i]->row = static_cast<int>(i);
}

InspectorModel::Node* InspectorModel::ensureChild(Node* parent, NodeKind kind, const std::string& segment, const QString& path)
{
    // Sub-nodes follow the key rows, sorted by segment.
    auto first = parent->children.begin() + parent->keyCount;
    auto it = std::lower_bound(first, parent->children.end(), segment,
                               [](const std::unique_ptr<Node>& n, const std::string& s) { return n->key < s; });
    if (it != parent->children.end() && (*it)->key == segment)
        return it->get();
    const int row = static_cast<int>(it - parent->children.begin());
    beginInsertRows(indexOf(parent), row, row);
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->parent = parent;
    node->key = segment;
    node->name = QString::fromStdString(segment);
    node->path = path;
    Node* raw = node.get();
    parent->children.insert(parent->children.begin() + row, std::move(node));
    renumber(parent, row);
    endInsertRows();
    return raw;
}

InspectorModel::Node* InspectorModel::ensureNode(const std::string& path, const std::string& kind)
{
    if (const auto it = m_byPath.find(path); it != m_byPath.end()) {
        if (!kind.empty())
            it->second->componentKind = kind;
        return it->second;
    }
    // Split into group / engine / rest.
    const std::size_t s1 = path.find('/');
    const std::string group = path.substr(0, s1);
    Node* node = ensureChild(&m_root, NodeKind::Group, group, QString::fromStdString(group));
    if (s1 != std::string::npos) {
        const std::size_t s2 = path.find('/', s1 + 1);
        const std::string engine = path.substr(s1 + 1, s2 == std::string::npos ? std::string::npos : s2 - s1 - 1);
        node = ensureChild(node, NodeKind::Engine, engine, QString::fromStdString(path.substr(0, s2)));
        if (s2 != std::string::npos)
            node = ensureChild(node, NodeKind::Component, path.substr(s2 + 1), QString::fromStdString(path));
    }
    m_byPath.emplace(path, node);
    if (!kind.empty())
        node->componentKind = kind;
    if (!kind.empty()) {
        const QString k = QString::fromStdString(kind);
        if (node->value != k) {
            node->value = k;
            const QModelIndex i = indexOf(node, ValueColumn);
            emit dataChanged(i, i, {Qt::DisplayRole});
        }
    }
    return node;
}

void InspectorModel::applyTopology(const v1::Topology& topology)
{
    for (const v1::Region& r : topology.regions()) {
        Node* n = ensureNode(r.name(), "region");
        const QString city = QString::fromStdString(r.city());
        if (!city.isEmpty() && n->value != city) {
            n->value = QStringLiteral("region · ") + city;
            const QModelIndex i = indexOf(n, ValueColumn);
            emit dataChanged(i, i, {Qt::DisplayRole});
        }
    }
    for (const v1::Component& c : topology.components())
        ensureNode(c.path(), c.kind());
    // Each kind's headline keys (its engine's ComponentKindDescriptor) lead its rows.
    m_headlineKeys.clear();
    for (const v1::EngineDescriptor& e : topology.engines()) {
        for (const v1::ComponentKindDescriptor& k : e.component_kinds())
            m_headlineKeys[k.kind()].assign(k.headline_keys().begin(), k.headline_keys().end());
    }
}

std::vector<const v1::KeyValue*> InspectorModel::orderedKeys(const Node* node, const v1::ComponentState& state) const
{
    std::vector<const v1::KeyValue*> out;
    out.reserve(static_cast<std::size_t>(state.state_size()));
    const auto it = node->componentKind.empty() ? m_headlineKeys.end() : m_headlineKeys.find(node->componentKind);
    if (it == m_headlineKeys.end()) {
        for (const v1::KeyValue& kv : state.state())
            out.push_back(&kv);
        return out;
    }
    for (const std::string& k : it->second) {
        for (const v1::KeyValue& kv : state.state()) {
            if (kv.key() == k) {
                out.push_back(&kv);
                break;
            }
        }
    }
    const std::size_t headlines = out.size();
    for (const v1::KeyValue& kv : state.state()) {
        if (std::find_if(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(headlines),
                         [&](const v1::KeyValue* h) { return h == &kv; }) == out.begin() + static_cast<std::ptrdiff_t>(headlines))
            out.push_back(&kv);
    }
    return out;
}

std::size_t InspectorModel::headlineCount(const Node* node, const std::vector<const v1::KeyValue*>& keys) const
{
    const auto it = node->componentKind.empty() ? m_headlineKeys.end() : m_headlineKeys.find(node->componentKind);
    if (it == m_headlineKeys.end())
        return 0;
    std::size_t n = 0;
    while (n < keys.size() && std::find(it->second.begin(), it->second.end(), keys[n]->key()) != it->second.end())
        ++n;
    return n;
}

void InspectorModel::setKeys(Node* node, const v1::ComponentState& state)
{
    const std::vector<const v1::KeyValue*> ordered = orderedKeys(node, state);
    const int n = static_cast<int>(ordered.size());
    bool sameKeys = node->keyCount == n;
    for (int i = 0; sameKeys && i < n; ++i)
        sameKeys = node->children[static_cast<std::size_t>(i)]->key == ordered[static_cast<std::size_t>(i)]->key();
    if (sameKeys) {
        int firstChanged = -1;
        int lastChanged = -1;
        for (int i = 0; i < n; ++i) {
            Node& k = *node->children[static_cast<std::size_t>(i)];
            const std::string& v = ordered[static_cast<std::size_t>(i)]->value();
            if (k.raw == v)
                continue;
            k.raw = v;
            k.value = QString::fromStdString(v);
            if (firstChanged < 0)
                firstChanged = i;
            lastChanged = i;
            ++m_valueChanges;
        }
        if (firstChanged >= 0) {
            emit dataChanged(createIndex(firstChanged, ValueColumn, node->children[static_cast<std::size_t>(firstChanged)].get()),
                             createIndex(lastChanged, ValueColumn, node->children[static_cast<std::size_t>(lastChanged)].get()),
                             {Qt::DisplayRole});
        }
        return;
    }
    const QModelIndex parentIndex = indexOf(node);
    if (node->keyCount > 0) {
        beginRemoveRows(parentIndex, 0, node->keyCount - 1);
        node->children.erase(node->children.begin(), node->children.begin() + node->keyCount);
        node->keyCount = 0;
        renumber(node, 0);
        endRemoveRows();
    }
    if (n > 0) {
        beginInsertRows(parentIndex, 0, n - 1);
        std::vector<std::unique_ptr<Node>> keys;
        keys.reserve(static_cast<std::size_t>(n));
        const std::size_t headlines = headlineCount(node, ordered);
        for (int i = 0; i < n; ++i) {
            const v1::KeyValue& kv = *ordered[static_cast<std::size_t>(i)];
            auto k = std::make_unique<Node>();
            k->kind = NodeKind::Key;
            k->parent = node;
            k->key = kv.key();
            k->headline = static_cast<std::size_t>(i) < headlines;
            k->name = QString::fromStdString(k->key);
            k->raw = kv.value();
            k->value = QString::fromStdString(k->raw);
            keys.push_back(std::move(k));
        }
        node->children.insert(node->children.begin(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
        node->keyCount = n;
        renumber(node, 0);
        endInsertRows();
    }
}

void InspectorModel::applySnapshot(const v1::Snapshot& snapshot)
{
    for (const v1::ComponentState& c : snapshot.components()) {
        if (c.path().empty())
            continue;
        setKeys(ensureNode(c.path(), {}), c);
    }
}

QModelIndex InspectorModel::indexForPath(const QString& path) const
{
    const auto it = m_byPath.find(path.toStdString());
    return it == m_byPath.end() ? QModelIndex() : indexOf(it->second);
}

QString InspectorModel::valueOf(const QString& path, const QString& key) const
{
    const auto it = m_byPath.find(path.toStdString());
    if (it == m_byPath.end())
        return {};
    const std::string k = key.toStdString();
    const Node* n = it->second;
    for (int i = 0; i < n->keyCount; ++i) {
        if (n->children[static_cast<std::size_t>(i)]->key == k)
            return n->children[static_cast<std::size_t>(i)]->value;
    }
    return {};
}

QModelIndex InspectorModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (parent.isValid() && parent.column() != 0)
        return {};
    const Node* p = nodeOf(parent);
    if (row >= static_cast<int>(p->children.size()))
        return {};
    return createIndex(row, column, p->children[static_cast<std::size_t>(row)].get());
}

QModelIndex InspectorModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    const Node* n = nodeOf(child);
    return indexOf(n->parent);
}

int InspectorModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return static_cast<int>(nodeOf(parent)->children.size());
}

int InspectorModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

QVariant InspectorModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const Node* n = nodeOf(index);
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == NameColumn ? n->name : n->value;
    case Qt::ToolTipRole:
        if (n->kind == NodeKind::Key)
            return QStringLiteral("%1 = %2").arg(n->name, n->value);
        return n->path;
    case PathRole:
        return n->kind == NodeKind::Key ? n->parent->path : n->path;
    case NodeKindRole:
        return static_cast<int>(n->kind);
    case Qt::FontRole:
        if ((n->kind == NodeKind::Group || n->headline) && index.column() == NameColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ForegroundRole:
        if (n->kind != NodeKind::Key && index.column() == ValueColumn)
            return QBrush(QColor(0x50, 0x54, 0x5c));
        return {};
    default:
        return {};
    }
}

QVariant InspectorModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == NameColumn ? tr("Component / key") : tr("Value");
}

Qt::ItemFlags InspectorModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

} // namespace livedeck::ui
