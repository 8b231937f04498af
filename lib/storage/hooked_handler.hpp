// SPDX-License-Identifier: MIT
// hooked_handler: a completion handler that runs a hook with the results, then the
// wrapped handler. The hook keeps whatever must outlive the operation (a slab and its fd)
// and sees the outcome first (to update the slab's size). Every association of the
// wrapped handler (executor, allocator, cancellation slot) passes through unchanged, so
// an I/O engine still completes it where the caller asked, or on its own fallback.
#pragma once

#include <boost/asio/associator.hpp>

#include <utility>

namespace fugu::detail {

template <class Handler, class Hook>
struct hooked_handler {
    Handler handler;
    Hook hook;

    template <class... Args>
    void operator()(Args... args) {
        hook(args...);
        std::move(handler)(std::move(args)...);
    }
};

template <class Handler, class Hook>
hooked_handler<Handler, Hook> hook_handler(Handler handler, Hook hook) {
    return {std::move(handler), std::move(hook)};
}

}  // namespace fugu::detail

namespace boost::asio {

template <template <class, class> class Associator,
          class Handler,
          class Hook,
          class DefaultCandidate>
struct associator<Associator, fugu::detail::hooked_handler<Handler, Hook>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(
        const fugu::detail::hooked_handler<Handler, Hook>& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }

    static auto get(const fugu::detail::hooked_handler<Handler, Hook>& h,
                    const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

}  // namespace boost::asio
