// SPDX-License-Identifier: MIT
#include "key_locks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace fugu::server {

namespace asio = boost::asio;

void sort_unique(std::vector<std::string_view>& keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
}

bool key_locks::try_lock(std::string_view key) {
    std::lock_guard l(mu_);
    if (held_.find(key) != held_.end()) return false;
    held_.emplace(std::string(key), entry{});
    return true;
}

asio::awaitable<void> key_locks::wait_for(std::string_view key) {
    auto ex = co_await asio::this_coro::executor;
    auto wake = std::make_shared<waiter::element_type>(ex, 1);
    {
        std::lock_guard l(mu_);
        auto it = held_.find(key);
        if (it == held_.end()) {
            // Released between try_lock and here: take it now.
            held_.emplace(std::string(key), entry{});
            co_return;
        }
        it->second.waiters.push_back(wake);
    }
    co_await wake->async_receive(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> key_locks::lock(const std::vector<std::string_view>& keys) {
    for (std::string_view k : keys)
        if (!try_lock(k)) co_await wait_for(k);
}

void key_locks::unlock(const std::vector<std::string_view>& keys) {
    std::vector<waiter> wake;
    {
        std::lock_guard l(mu_);
        for (std::string_view k : keys) {
            auto it = held_.find(k);
            if (it == held_.end()) continue;
            if (it->second.waiters.empty()) {
                held_.erase(it);
            } else {
                // The key passes straight to the first waiter: it stays locked.
                wake.push_back(std::move(it->second.waiters.front()));
                it->second.waiters.pop_front();
            }
        }
    }
    for (auto& w : wake) w->try_send(boost::system::error_code{});
}

std::size_t key_locks::held() const {
    std::lock_guard l(mu_);
    return held_.size();
}

}  // namespace fugu::server
