// SPDX-License-Identifier: MIT
// Per-key locks that a command (or a pipelined batch, or a MULTI/EXEC) holds from before
// it reads until its change set is saved, so read-modify-write commands (INCR, GETDEL,
// DEL's count) and plain writes on the same key run one after another: INCR stays atomic
// under concurrency. Keys are locked in ascending byte order, so two holders never wait
// on each other. An uncontended lock costs one hash-table insert under a mutex and never
// suspends; a waiter is resumed on its own executor when the key is handed to it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fugu::server {

class key_locks {
public:
    // Locks every key of `keys` (sorted ascending, without duplicates).
    boost::asio::awaitable<void> lock(const std::vector<std::string_view>& keys);
    // Unlocks them; waiters get each key in the order they asked for it.
    void unlock(const std::vector<std::string_view>& keys);

    // Keys locked right now (for tests and INFO).
    std::size_t held() const;

private:
    // A waiter's wake-up: buffered, so a hand-over that comes before the wait is not lost.
    using waiter = std::shared_ptr<
        boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>>;
    struct entry {
        std::deque<waiter> waiters;
    };
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    bool try_lock(std::string_view key);
    boost::asio::awaitable<void> wait_for(std::string_view key);

    mutable std::mutex mu_;
    std::unordered_map<std::string, entry, hash, std::equal_to<>> held_;
};

// Sorts and deduplicates a list of keys for key_locks::lock.
void sort_unique(std::vector<std::string_view>& keys);

}  // namespace fugu::server
