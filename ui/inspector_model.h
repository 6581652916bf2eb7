// InspectorModel: the world's components as a tree — region → engine → component —
// with each component's live key/value state (Snapshot.components) as its leaf rows.
// Paths follow the convention region/engine/name[/index]: the first segment is the
// region group, the second the engine, the rest the component; a component whose path
// is shorter (a region, "sh-a") is that group node itself and carries its own keys.
// Components come from the topology and from snapshots; they stay (with their last
// state) when a snapshot omits them. A component's key rows start with its kind's
// headline keys (ComponentKindDescriptor.headline_keys in Topology.engines, bold),
// then the rest in the order the engine reports them.
//
// Updates: a snapshot whose keys match a node's existing keys only changes values
// (one dataChanged per node, for the rows that changed); different keys replace the
// node's key rows (remove + insert). New nodes are inserted in sorted position with
// beginInsertRows, so views keep their expansion and selection. Passes
// QAbstractItemModelTester (tests/ui/tst_inspector_model.cpp). GUI thread.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QAbstractItemModel>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::ui {

class InspectorModel final : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn = 0, ValueColumn = 1, ColumnCount = 2 };
    enum Role { PathRole = Qt::UserRole + 1, NodeKindRole };
    enum class NodeKind { Root, Group, Engine, Component, Key };

    explicit InspectorModel(QObject* parent = nullptr);
    ~InspectorModel() override;

    void clear();
    void applyTopology(const v1::Topology& topology);
    void applySnapshot(const v1::Snapshot& snapshot);

    // The index (column 0) of a component or group node by path; invalid when absent.
    QModelIndex indexForPath(const QString& path) const;
    // Value of one key of one component ("" when absent).
    QString valueOf(const QString& path, const QString& key) const;
    int componentCount() const { return static_cast<int>(m_byPath.size()); }
    std::uint64_t valueChanges() const { return m_valueChanges; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    struct Node {
        NodeKind kind = NodeKind::Root;
        Node* parent = nullptr;
        int row = 0;
        QString name;      // display name
        std::string key;   // key nodes: the key; others: the sort key (segment)
        std::string raw;   // key nodes: the raw value
        QString value;     // display value (kind for components)
        QString path;      // component/group path ("" for keys)
        int keyCount = 0;  // leading children that are keys
        bool headline = false;     // key nodes: one of its kind's headline keys (shown first, bold)
        std::string componentKind; // component nodes: the kind the topology gives

        std::vector<std::unique_ptr<Node>> children;
    };
    Node* nodeOf(const QModelIndex& index) const;
    QModelIndex indexOf(const Node* node, int column = 0) const;
    Node* ensureNode(const std::string& path, const std::string& kind);
    Node* ensureChild(Node* parent, NodeKind kind, const std::string& segment, const QString& path);
    void setKeys(Node* node, const v1::ComponentState& state);
    // The state's keys with the node kind's headline keys first (descriptor order).
    std::vector<const v1::KeyValue*> orderedKeys(const Node* node, const v1::ComponentState& state) const;
    std::size_t headlineCount(const Node* node, const std::vector<const v1::KeyValue*>& keys) const;
    static void renumber(Node* parent, int from);

    Node m_root;
    std::map<std::string, Node*, std::less<>> m_byPath;
    std::map<std::string, std::vector<std::string>, std::less<>> m_headlineKeys; // kind → headline keys
    std::uint64_t m_valueChanges = 0;
};

} // namespace livedeck::ui
