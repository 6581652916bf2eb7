// InlineCallback: a move-only void() callable stored in a fixed inline buffer, so
// scheduling an event never allocates (issue: no heap allocation per event).
// A capture larger than the buffer is a compile error: capture pointers and ids.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace livedeck::sim {

template <std::size_t Capacity>
class InlineCallback {
public:
    InlineCallback() = default;

    template <class F>
        requires(!std::is_same_v<std::decay_t<F>, InlineCallback> && std::is_invocable_r_v<void, std::decay_t<F>&>)
    InlineCallback(F&& f) // NOLINT(google-explicit-constructor): used like std::function
    {
        emplace(std::forward<F>(f));
    }

    InlineCallback(InlineCallback&& other) noexcept { moveFrom(other); }
    InlineCallback& operator=(InlineCallback&& other) noexcept
    {
        if (this != &other) {
            reset();
            moveFrom(other);
        }
        return *this;
    }
    InlineCallback(const InlineCallback&) = delete;
    InlineCallback& operator=(const InlineCallback&) = delete;
    ~InlineCallback() { reset(); }

    template <class F>
    void emplace(F&& f)
    {
        using T = std::decay_t<F>;
        static_assert(sizeof(T) <= Capacity, "event callback capture too large: capture pointers and ids only");
        static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned event callback");
        static_assert(std::is_nothrow_move_constructible_v<T>, "event callback must be nothrow-movable");
        reset();
        ::new (static_cast<void*>(m_storage)) T(std::forward<F>(f));
        m_ops = &kOps<T>;
    }

    void reset() noexcept
    {
        if (m_ops) {
            if (m_ops->destroy)
                m_ops->destroy(m_storage);
            m_ops = nullptr;
        }
    }

    explicit operator bool() const noexcept { return m_ops != nullptr; }
    void operator()() { m_ops->invoke(m_storage); }

private:
    struct Ops {
        void (*invoke)(void*);
        void (*destroy)(void*) noexcept; // null when trivially destructible
        void (*move)(void* dst, void* src) noexcept;
    };

    template <class T>
    static constexpr Ops kOps{
        [](void* p) { (*static_cast<T*>(p))(); },
        std::is_trivially_destructible_v<T> ? nullptr : +[](void* p) noexcept { static_cast<T*>(p)->~T(); },
        [](void* dst, void* src) noexcept {
            ::new (dst) T(std::move(*static_cast<T*>(src)));
            static_cast<T*>(src)->~T();
        },
    };

    void moveFrom(InlineCallback& other) noexcept
    {
        if (other.m_ops) {
            other.m_ops->move(m_storage, other.m_storage);
            m_ops = other.m_ops;
            other.m_ops = nullptr;
        }
    }

    alignas(std::max_align_t) unsigned char m_storage[Capacity];
    const Ops* m_ops = nullptr;
};

} // namespace livedeck::sim
