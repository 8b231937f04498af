// SPDX-License-Identifier: MIT
// LMDB: one write transaction per change set. Durable runs use LMDB's default (a sync at
// each commit); the others MDB_NOSYNC (the commit reaches the OS, like os_buffered).
// Read-only runs keep one read transaction per thread; the others take one per read.
#include "common.hpp"

#include <lmdb.h>

#include <stdexcept>

namespace fugu::bench {
namespace {

constexpr std::size_t map_size = std::size_t{16} << 30;

void check(int rc, const char* what) {
    if (rc != 0) throw std::runtime_error(std::string("lmdb ") + what + ": " + mdb_strerror(rc));
}

class lmdb_engine final : public sync_engine {
public:
    std::string name() const override { return "lmdb"; }

    json::object options(bool durable) const override {
        return {{"version", MDB_VERSION_STRING},
                {"flags", durable ? "0 (sync at commit)" : "MDB_NOSYNC"},
                {"map_size", map_size},
                {"transactions", "one write transaction per change set"},
                {"threads", "one per worker"}};
    }

    void open(const fs::path& dir, bool durable) override {
        fs::create_directories(dir);
        check(mdb_env_create(&env_), "env_create");
        check(mdb_env_set_mapsize(env_, map_size), "set_mapsize");
        check(mdb_env_set_maxreaders(env_, 256), "set_maxreaders");
        check(mdb_env_open(env_, dir.c_str(), durable ? 0u : MDB_NOSYNC, 0600), "env_open");
        MDB_txn* txn = nullptr;
        check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
        check(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi_open");
        check(mdb_txn_commit(txn), "commit");
    }

    void close() override {
        if (env_) {
            mdb_env_sync(env_, 1);
            mdb_env_close(env_);
        }
        env_ = nullptr;
    }

protected:
    void put(std::string_view k, std::string_view v) override {
        MDB_txn* txn = nullptr;
        check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
        put_in(txn, k, v);
        check(mdb_txn_commit(txn), "commit");
    }
    void write_batch(const std::vector<kv>& kvs) override {
        MDB_txn* txn = nullptr;
        check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
        for (const auto& e : kvs) put_in(txn, {e.key.data(), e.key.size()}, e.value);
        check(mdb_txn_commit(txn), "commit");
    }
    bool get(std::string_view k, std::string& out, bool read_only) override {
        MDB_txn* txn = nullptr;
        if (read_only && view_) {
            txn = view_;
        } else {
            check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "txn_begin");
        }
        MDB_val key{k.size(), const_cast<char*>(k.data())}, val{};
        const int rc = mdb_get(txn, dbi_, &key, &val);
        if (rc == 0) out.assign(static_cast<const char*>(val.mv_data), val.mv_size);
        if (txn != view_) mdb_txn_abort(txn);
        if (rc == MDB_NOTFOUND) return false;
        check(rc, "get");
        return true;
    }
    void thread_begin(bool read_only) override {
        if (read_only) check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &view_), "txn_begin");
    }
    void thread_end() override {
        if (view_) mdb_txn_abort(view_);
        view_ = nullptr;
    }

private:
    void put_in(MDB_txn* txn, std::string_view k, std::string_view v) {
        MDB_val key{k.size(), const_cast<char*>(k.data())};
        MDB_val val{v.size(), const_cast<char*>(v.data())};
        check(mdb_put(txn, dbi_, &key, &val, 0), "put");
    }
    MDB_env* env_ = nullptr;
    MDB_dbi dbi_ = 0;
    static thread_local MDB_txn* view_;
};

thread_local MDB_txn* lmdb_engine::view_ = nullptr;

}  // namespace

std::unique_ptr<engine> make_lmdb() { return std::make_unique<lmdb_engine>(); }

}  // namespace fugu::bench
