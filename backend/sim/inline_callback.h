// InlineFunction<R(Args...), Capacity>: a move-only callable stored in a fixed inline
// buffer, so scheduling an event or queueing a request never allocates (no
// heap allocation per event). A capture larger than the buffer is a compile error:
// capture pointers and ids. InlineCallback<N> is the void() form the scheduler uses.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace livedeck::sim {

template <class Signature, std::size_t Capacity>
class InlineFunction;

template <class R, class... Args, std::size_t Capacity>
class InlineFunction<R(Args...), Capacity> {
public:
    InlineFunction() = default;

    template <class F>
        requires(!std::is_same_v<std::decay_t<F>, InlineFunction> && std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
    InlineFunction(F&& f) // NOLINT(google-explicit-constructor): used like std::function
    {
        emplace(std::forward<F>(f));
    }

    InlineFunction(InlineFunction&& other) noexcept { moveFrom(other); }
    InlineFunction& operator=(InlineFunction&& other) noexcept
    {
        if (this != &other) {
            reset();
            moveFrom(other);
        }
        return *this;
    }
    InlineFunction(const InlineFunction&) = delete;
    InlineFunction& operator=(const InlineFunction&) = delete;
    ~InlineFunction() { reset(); }

    template <class F>
    void emplace(F&& f)
    {
        using T = std::decay_t<F>;
        static_assert(sizeof(T) <= Capacity, "callback capture too large: capture pointers and ids only");
        static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned callback");
        static_assert(std::is_nothrow_move_constructible_v<T>, "callback must be nothrow-movable");
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
    R operator()(Args... args) { return m_ops->invoke(m_storage, std::forward<Args>(args)...); }

private:
    struct Ops {
        R (*invoke)(void*, Args&&...);
        void (*destroy)(void*) noexcept; // null when trivially destructible
        void (*move)(void* dst, void* src) noexcept; // null when trivially copyable: memcpy
    };

    template <class T>
    static constexpr Ops kOps{
        [](void* p, Args&&... args) -> R { return (*static_cast<T*>(p))(std::forward<Args>(args)...); },
        std::is_trivially_destructible_v<T> ? nullptr : +[](void* p) noexcept { static_cast<T*>(p)->~T(); },
        std::is_trivially_copyable_v<T> ? nullptr : +[](void* dst, void* src) noexcept {
            ::new (dst) T(std::move(*static_cast<T*>(src)));
            static_cast<T*>(src)->~T();
        },
    };

    void moveFrom(InlineFunction& other) noexcept
    {
        if (other.m_ops) {
            if (other.m_ops->move)
                other.m_ops->move(m_storage, other.m_storage);
            else
                std::memcpy(m_storage, other.m_storage, Capacity);
            m_ops = other.m_ops;
            other.m_ops = nullptr;
        }
    }

    alignas(std::max_align_t) unsigned char m_storage[Capacity];
    const Ops* m_ops = nullptr;
};

template <std::size_t Capacity>
using InlineCallback = InlineFunction<void(), Capacity>;

} // namespace livedeck::sim
