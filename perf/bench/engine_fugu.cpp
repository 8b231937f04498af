// SPDX-License-Identifier: MIT
// Fugu through its public API. The store runs on an io_context served by one thread from
// open to close; a run spawns one coroutine per worker on it, so "64 in flight" is 64
// coroutines on that one thread. Runs that ask for more threads (the read workloads) add
// threads to the same io_context for their duration. Point reads try the non-blocking
// call first (try_read / try_get) and co_await the async one only on would_block.
#include "common.hpp"

#include <fugu/fugu.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <latch>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace asio = boost::asio;

namespace fugu::bench {
namespace {

class fugu_engine final : public engine {
public:
    std::string name() const override { return "fugu"; }

    json::object options(bool durable) const override {
        const fugu::options o;
        return {{"durability", durable ? "fsync" : "os_buffered"},
                {"io_engine", "automatic"},
                {"base_slab_size", o.base_slab_size},
                {"slab_growth", o.slab_growth},
                {"compaction_threshold", o.compaction_threshold},
                {"background_compaction", o.background_compaction},
                {"max_pending_saves", o.max_pending_saves},
                {"max_group_commit_bytes", o.max_group_commit_bytes},
                {"compaction_executor", "an io_context with a thread of its own"},
                {"threads", "one io_context thread (two for the read workloads)"}};
    }

    void open(const fs::path& dir, bool durable) override {
        work_.emplace(ctx_.get_executor());
        thread_ = std::thread([this] { ctx_.run(); });
        compaction_work_.emplace(compaction_ctx_.get_executor());
        compaction_thread_ = std::thread([this] { compaction_ctx_.run(); });
        fugu::options o;
        o.durability = durable ? fugu::durability::fsync : fugu::durability::os_buffered;
        if (!std::getenv("FUGU_BENCH_COMPACTION_SHARED"))
            o.compaction_executor = compaction_ctx_.get_executor();
        fugu::diagnostics diag;
        auto f = fugu::store::async_open(ctx_.get_executor(), dir.string(), o, diag,
                                         asio::use_future);
        store_ = f.get();
    }

    void close() override {
        if (store_.is_open()) store_.async_close(asio::use_future).get();
        store_ = fugu::store();
        work_.reset();
        thread_.join();
        ctx_.restart();
        compaction_work_.reset();
        compaction_thread_.join();
        compaction_ctx_.restart();
    }

    void run(stream& s) override {
        std::latch done(s.workers());
        std::mutex m;
        std::exception_ptr first;
        for (unsigned w = 0; w < s.workers(); ++w) {
            asio::co_spawn(ctx_, worker(s, w), [&](std::exception_ptr e) {
                if (e) {
                    std::lock_guard lock(m);
                    if (!first) first = e;
                }
                done.count_down();
            });
        }
        // Extra threads serve the same io_context until the run ends.
        std::atomic<bool> over{false};
        std::vector<std::thread> extra;
        for (unsigned t = 1; t < s.fugu_threads(); ++t)
            extra.emplace_back([&] {
                while (!over.load()) ctx_.run_for(std::chrono::milliseconds(5));
            });
        done.wait();
        over = true;
        for (auto& t : extra) t.join();
        // Which path served this run's reads (both zero for a run without reads).
        const auto sync = sync_reads_.exchange(0), fallback = fallback_reads_.exchange(0);
        last_reads_ = {sync, fallback};
        if (sync + fallback > 0)
            std::fprintf(stderr, "    fugu reads: %llu answered by try_read/try_get, %llu fell back to async\n",
                         static_cast<unsigned long long>(sync), static_cast<unsigned long long>(fallback));
        if (first) std::rethrow_exception(first);
    }

    json::object stats() override {
        const auto st = store_.stats();
        return {{"keys", st.keys},
                {"index_bytes", st.index_bytes},
                {"index_bytes_per_key_beyond_key",
                 st.keys ? static_cast<double>(st.index_bytes) / static_cast<double>(st.keys) -
                               static_cast<double>(key_size)
                         : 0.0},
                {"write_amplification", st.write_amplification},
                {"space_amplification", st.space_amplification},
                {"disk_bytes", st.disk_bytes},
                {"live_bytes", st.live_bytes},
                {"segments", st.segments.size()},
                {"compactions", st.compactions},
                {"bytes_saved", st.bytes_saved},
                {"bytes_written", st.bytes_written},
                {"bytes_rewritten", st.bytes_rewritten},
                {"group_commits", st.group_commits},
                {"syncs", st.syncs},
                {"io_engine", st.io_engine},
                {"last_run_sync_reads", last_reads_.first},
                {"last_run_fallback_reads", last_reads_.second}};
    }

private:
    // A point read the way an application would write it: the non-blocking call first,
    // the async one only when it says would_block (counted, so the results say which path
    // served the reads). Outside read-only runs, a run of reads answered at once yields to
    // the io_context every yield_every reads, so the writer and the other coroutines
    // sharing its threads still get their turn.
    asio::awaitable<std::optional<std::string>> read(const fugu::snapshot* view,
                                                     std::string_view key) {
        fugu::error_code ec = fugu::errc::would_block;
        std::optional<std::string> v;
        if (!async_reads_only_) v = view ? view->try_read(key, ec) : store_.try_get(key, ec);
        if (ec == fugu::errc::would_block) {
            fallback_reads_.fetch_add(1, std::memory_order_relaxed);
            if (view) co_return co_await view->async_read(key, asio::use_awaitable);
            co_return co_await store_.async_get(key, asio::use_awaitable);
        }
        if (ec) throw boost::system::system_error(ec);
        const auto n = sync_reads_.fetch_add(1, std::memory_order_relaxed) + 1;
        // A read-only run (reads through a view) has nothing else on the io_context but
        // its readers, one per thread: no one to yield to.
        if (!view && n % yield_every == 0)
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        co_return v;
    }

    asio::awaitable<void> worker(stream& s, unsigned w) {
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer timer(ex);
        std::optional<fugu::snapshot> view;
        if (s.read_only()) view = co_await store_.async_snapshot(asio::use_awaitable);
        op o;
        while (s.next(w, o)) {
            if (o.start_at != clock_type::time_point{}) {
                timer.expires_at(o.start_at);
                co_await timer.async_wait(asio::use_awaitable);
            }
            const auto t0 = clock_type::now();
            const auto k = key_of(o.key);
            const std::string_view key(k.data(), k.size());
            switch (o.kind) {
            case op_kind::put: {
                fugu::change_set c;
                c.put(key, value_of(o.key, o.version, o.value_size));
                co_await store_.async_save(std::move(c), asio::use_awaitable);
                break;
            }
            case op_kind::batch: {
                fugu::change_set c;
                for (std::uint32_t j = 0; j < o.count; ++j) {
                    const auto kj = key_of(o.key + j);
                    c.put(std::string_view(kj.data(), kj.size()),
                          value_of(o.key + j, o.version, o.value_size));
                }
                co_await store_.async_save(std::move(c), asio::use_awaitable);
                break;
            }
            case op_kind::get: {
                std::optional<std::string> v = co_await read(view ? &*view : nullptr, key);
                if (!v || v->size() != o.value_size) s.miss();
                break;
            }
            case op_kind::rmw: {
                std::optional<std::string> v = co_await read(nullptr, key);
                if (!v) s.miss();
                fugu::change_set c;
                c.put(key, value_of(o.key, o.version, o.value_size));
                co_await store_.async_save(std::move(c), asio::use_awaitable);
                break;
            }
            }
            s.record(w, o.kind, clock_type::now() - t0, o.kind == op_kind::get ? 0 : o.count);
        }
    }

    static constexpr std::uint64_t yield_every = 32;
    // FUGU_BENCH_ASYNC_READS=1: every read through the async call, as before try_read
    // existed, for A/B runs.
    const bool async_reads_only_ = [] {
        const char* e = std::getenv("FUGU_BENCH_ASYNC_READS");
        return e && *e && *e != '0';
    }();
    std::atomic<std::uint64_t> sync_reads_{0};      // answered by try_read / try_get
    std::atomic<std::uint64_t> fallback_reads_{0};  // would_block, then the async call
    std::pair<std::uint64_t, std::uint64_t> last_reads_{0, 0};

    asio::io_context ctx_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::thread thread_;
    // Compaction runs on a thread of its own (options::compaction_executor), as the other
    // engines' background compactions do.
    asio::io_context compaction_ctx_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> compaction_work_;
    std::thread compaction_thread_;
    fugu::store store_;
};

}  // namespace

std::unique_ptr<engine> make_fugu() { return std::make_unique<fugu_engine>(); }

}  // namespace fugu::bench
