// SPDX-License-Identifier: MIT
// The writer actor: turns every change set waiting in its inbox into one write and, under
// durability::fsync, one fdatasync (group commit), then hands the written change sets and
// the places their values landed to the index actor. It alone appends to the output slab,
// and rotates it (seal, sync, create the next) when the allocation actor moved on. After a
// failed write or sync it fails every later save (fail-stop). All members are used only
// on strand_; others talk to it through inbox().
#pragma once

#include "actors/messages.hpp"
#include "actors/record_codec.hpp"
#include "store_shared.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fugu::detail {

// The output slab as recovery left it.
struct output_slab_state {
    std::shared_ptr<fugu::slab> slab;
    std::uint64_t id = 0;
    std::uint64_t end = 0;           // where the next record goes
    std::uint64_t synced_upto = 0;   // every byte below is durable
    std::uint64_t vouched_upto = 0;  // below this, a record's synced_upto or a sync mark
                                     // shows every record to be durable
    std::uint64_t first_sequence = 0;  // from the slab header
    std::uint64_t records = 0;       // commit records in the slab
    std::uint64_t min_sequence = 0;  // of those records (0 when none)
    std::uint64_t max_sequence = 0;
};

class writer_actor {
public:
    writer_actor(boost::asio::any_io_executor ex,
                 std::shared_ptr<store_shared> shared,
                 output_slab_state output,
                 inbox_channel<index_message>& index);

    inbox_channel<writer_message>& inbox() noexcept { return inbox_; }

    boost::asio::awaitable<void> run();

private:
    boost::asio::awaitable<void> write_group(std::vector<save_ptr> group);
    // Encodes the change sets gathered in batch_ as one record at the end of buffer_.
    void end_record(apply_request& out);
    boost::asio::awaitable<void> flush(apply_request& out);
    boost::asio::awaitable<error_code> rotate(std::uint64_t next_id,
                                              std::uint64_t first_sequence,
                                              apply_request& out);
    // On close: makes the output slab durable and appends a sync mark vouching for all of
    // it, so damage to acknowledged records there is never taken for a torn tail.
    boost::asio::awaitable<void> mark_synced();
    void fail_save(save_ptr save, error_code ec);
    void record_failure(error_code ec, const char* what, std::uint64_t offset, std::size_t len);

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    std::shared_ptr<store_shared> shared_;
    output_slab_state out_;
    std::vector<std::byte> buffer_;       // the group's encoded records; reused
    commit_batch batch_;                  // change sets of the record being gathered
    std::vector<std::uint32_t> offsets_, lengths_;  // of its values; reused
    inbox_channel<writer_message> inbox_;
    inbox_channel<index_message>& index_;
};

}  // namespace fugu::detail
