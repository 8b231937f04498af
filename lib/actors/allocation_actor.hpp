// SPDX-License-Identifier: MIT
// The allocation actor: gives each change set its sequence number and its output slab,
// rolling over to a new slab when the current one reaches its target size, and passes
// change sets to the writer in order. All members are used only on strand_; the facade
// and other actors talk to it through inbox().
#pragma once

#include "actors/messages.hpp"
#include "store_shared.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <memory>

namespace fugu::detail {

// Where allocation starts after recovery.
struct allocation_state {
    std::uint64_t next_sequence = 1;
    std::uint64_t output_slab_id = 0;   // the writer's current output slab
    std::uint64_t output_bytes = 0;     // its size so far
};

// Pure sizing rule, kept apart so it can be tested without Asio: the target size of an
// output slab. Slabs grow geometrically with the data so their number stays logarithmic
// in it (see docs/design.md).
// The ideal slab i holds a * r^i bytes; with S bytes in the slabs before it, the next
// term of the series is a + S * (r - 1) (upstream Fugu's balancing).
std::uint64_t output_slab_target(std::uint64_t a, double r, std::uint64_t sealed_bytes) noexcept;

// Bytes the commit record of `changes` takes on disk.
std::uint64_t commit_record_size(const change_set& changes) noexcept;

class allocation_actor {
public:
    allocation_actor(boost::asio::any_io_executor ex,
                     std::shared_ptr<store_shared> shared,
                     allocation_state start,
                     inbox_channel<writer_message>& writer);

    inbox_channel<allocation_message>& inbox() noexcept { return inbox_; }
    const boost::asio::strand<boost::asio::any_io_executor>& strand() const noexcept {
        return strand_;
    }

    // The actor's loop; returns after forwarding a stop_request.
    boost::asio::awaitable<void> run();

private:
    void assign(pending_save& save);

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    std::shared_ptr<store_shared> shared_;
    allocation_state state_;
    inbox_channel<allocation_message> inbox_;
    inbox_channel<writer_message>& writer_;
};

}  // namespace fugu::detail
