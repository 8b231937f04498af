// SPDX-License-Identifier: MIT
// RocksDB: library defaults except compression off; sync=true for the durable runs.
#include "common.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <stdexcept>

namespace fugu::bench {
namespace {

class rocksdb_engine final : public sync_engine {
public:
    std::string name() const override { return "rocksdb"; }

    json::object options(bool durable) const override {
        const rocksdb::Options o = make_options();
        return {{"version", std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) +
                                "." + std::to_string(ROCKSDB_PATCH)},
                {"compression", "none"},
                {"write_options.sync", durable},
                {"write_buffer_size", o.write_buffer_size},
                {"max_background_jobs", o.max_background_jobs},
                {"block_cache", "default (8 MiB LRU)"},
                {"wal", "on"},
                {"threads", "one per worker"}};
    }

    void open(const fs::path& dir, bool durable) override {
        wo_.sync = durable;
        rocksdb::DB* db = nullptr;
        auto st = rocksdb::DB::Open(make_options(), dir.string(), &db);
        if (!st.ok()) throw std::runtime_error("rocksdb open: " + st.ToString());
        db_.reset(db);
    }

    void close() override {
        if (db_) {
            auto st = db_->Close();
            (void)st;
        }
        db_.reset();
    }

protected:
    void put(std::string_view k, std::string_view v) override {
        check(db_->Put(wo_, rocksdb::Slice(k.data(), k.size()), rocksdb::Slice(v.data(), v.size())));
    }
    void write_batch(const std::vector<kv>& kvs) override {
        rocksdb::WriteBatch b;
        for (const auto& e : kvs)
            b.Put(rocksdb::Slice(e.key.data(), e.key.size()),
                  rocksdb::Slice(e.value.data(), e.value.size()));
        check(db_->Write(wo_, &b));
    }
    bool get(std::string_view k, std::string& out, bool) override {
        auto st = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(k.data(), k.size()), &out);
        if (st.IsNotFound()) return false;
        check(st);
        return true;
    }

private:
    static rocksdb::Options make_options() {
        rocksdb::Options o;
        o.create_if_missing = true;
        o.compression = rocksdb::kNoCompression;
        o.bottommost_compression = rocksdb::kNoCompression;
        return o;
    }
    static void check(const rocksdb::Status& st) {
        if (!st.ok()) throw std::runtime_error("rocksdb: " + st.ToString());
    }
    rocksdb::WriteOptions wo_;
    std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::unique_ptr<engine> make_rocksdb() { return std::make_unique<rocksdb_engine>(); }

}  // namespace fugu::bench
