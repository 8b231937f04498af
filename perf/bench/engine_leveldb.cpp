// SPDX-License-Identifier: MIT
// LevelDB: library defaults except compression off; sync=true for the durable runs.
#include "common.hpp"

#include <leveldb/db.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <stdexcept>

namespace fugu::bench {
namespace {

class leveldb_engine final : public sync_engine {
public:
    std::string name() const override { return "leveldb"; }

    json::object options(bool durable) const override {
        const leveldb::Options o = make_options();
        return {{"version", std::to_string(leveldb::kMajorVersion) + "." +
                                std::to_string(leveldb::kMinorVersion)},
                {"compression", "none"},
                {"write_options.sync", durable},
                {"write_buffer_size", o.write_buffer_size},
                {"max_file_size", o.max_file_size},
                {"block_cache", "default (8 MiB)"},
                {"threads", "one per worker"}};
    }

    void open(const fs::path& dir, bool durable) override {
        wo_.sync = durable;
        leveldb::DB* db = nullptr;
        auto st = leveldb::DB::Open(make_options(), dir.string(), &db);
        if (!st.ok()) throw std::runtime_error("leveldb open: " + st.ToString());
        db_.reset(db);
    }

    void close() override { db_.reset(); }

protected:
    void put(std::string_view k, std::string_view v) override {
        check(db_->Put(wo_, leveldb::Slice(k.data(), k.size()), leveldb::Slice(v.data(), v.size())));
    }
    void write_batch(const std::vector<kv>& kvs) override {
        leveldb::WriteBatch b;
        for (const auto& e : kvs)
            b.Put(leveldb::Slice(e.key.data(), e.key.size()),
                  leveldb::Slice(e.value.data(), e.value.size()));
        check(db_->Write(wo_, &b));
    }
    bool get(std::string_view k, std::string& out, bool) override {
        auto st = db_->Get(leveldb::ReadOptions(), leveldb::Slice(k.data(), k.size()), &out);
        if (st.IsNotFound()) return false;
        check(st);
        return true;
    }

private:
    static leveldb::Options make_options() {
        leveldb::Options o;
        o.create_if_missing = true;
        o.compression = leveldb::kNoCompression;
        return o;
    }
    static void check(const leveldb::Status& st) {
        if (!st.ok()) throw std::runtime_error("leveldb: " + st.ToString());
    }
    leveldb::WriteOptions wo_;
    std::unique_ptr<leveldb::DB> db_;
};

}  // namespace

std::unique_ptr<engine> make_leveldb() { return std::make_unique<leveldb_engine>(); }

}  // namespace fugu::bench
