// SharedResources: what the engines of one run share by name — a Raft KV cluster, a
// data centre's Redis pair, an MQ broker, an audience (load) source. The first engine
// that asks for a name creates the object; every later engine that asks for the same
// name and type gets the same object, so a fault on it (a Taishan leader lost, a
// region's broker down) hits every engine that uses it. Asking for a name with another
// type is an error. Objects are destroyed in reverse order of creation, after the
// engines and before the world (the run owns all three in that order).
//
// Engines also publish to and consume each other's MQ topics through a shared broker:
// the broker is one object, its topics are the meeting point.
//
// Thread: the world's thread (engines build there). Deterministic: creation order is
// the engines' build order; nothing iterates by address.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

namespace livedeck::engine {

class SharedResources {
public:
    SharedResources() = default;
    SharedResources(const SharedResources&) = delete;
    SharedResources& operator=(const SharedResources&) = delete;
    ~SharedResources()
    {
        while (!m_items.empty())
            m_items.pop_back();
    }

    // The object named `name` of type T, created by `make()` (returning
    // std::unique_ptr<T> or absl::StatusOr<std::unique_ptr<T>>) when nobody created it
    // yet. `user` (an engine name) is remembered for the inspector and error messages.
    template <class T, class Make>
    absl::StatusOr<T*> obtain(std::string_view name, std::string_view user, Make&& make)
    {
        for (Item& item : m_items) {
            if (item.name != name)
                continue;
            if (item.type != std::type_index(typeid(T)))
                return absl::FailedPreconditionError("shared resource '" + std::string(name) + "' (first made by "
                                                     + item.users.front() + ") is of another kind");
            addUser(item, user);
            return static_cast<T*>(item.object.get());
        }
        auto made = make();
        std::unique_ptr<T> object;
        if constexpr (requires { made.ok(); }) {
            if (!made.ok())
                return made.status();
            object = std::move(*made);
        } else {
            object = std::move(made);
        }
        if (!object)
            return absl::InternalError("shared resource '" + std::string(name) + "' was not made");
        T* raw = object.get();
        m_items.push_back(Item{std::string(name), std::type_index(typeid(T)),
                               std::shared_ptr<void>(object.release(), [](void* p) { delete static_cast<T*>(p); }),
                               {std::string(user)}});
        return raw;
    }

    // The object named `name` when it exists with type T; nullptr otherwise.
    template <class T>
    T* find(std::string_view name) const
    {
        for (const Item& item : m_items) {
            if (item.name == name && item.type == std::type_index(typeid(T)))
                return static_cast<T*>(item.object.get());
        }
        return nullptr;
    }

    struct Entry {
        std::string name;
        std::vector<std::string> users; // engines that obtained it, first (its maker) first
    };
    std::vector<Entry> entries() const
    {
        std::vector<Entry> out;
        for (const Item& item : m_items)
            out.push_back(Entry{item.name, item.users});
        return out;
    }

private:
    struct Item {
        std::string name;
        std::type_index type;
        std::shared_ptr<void> object;
        std::vector<std::string> users;
    };
    static void addUser(Item& item, std::string_view user)
    {
        for (const std::string& u : item.users) {
            if (u == user)
                return;
        }
        item.users.emplace_back(user);
    }

    std::vector<Item> m_items;
};

} // namespace livedeck::engine
