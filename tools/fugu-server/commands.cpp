// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include "glob.hpp"
#include "resp.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <system_error>

namespace fugu::server {

namespace asio = boost::asio;

namespace {

enum class kind {
    local,    // needs no store: PING, ECHO, ...
    read,     // reads keys from a snapshot
    write,    // writes keys (and may read them first): locks them for the whole unit
    global,   // reads the whole keyspace (DBSIZE, KEYS, SCAN, INFO)
    control,  // MULTI, EXEC, DISCARD, QUIT: handled by the session itself
};

enum class cmd {
    ping, echo, quit, select, config, command, client,
    get, set, del, exists, mget, mset, getdel, incr, decr, incrby, decrby,
    dbsize, keys, scan, info, multi, exec, discard,
};

struct spec {
    std::string_view name;
    cmd id;
    int arity;  // > 0: exactly; < 0: at least -arity (the name included)
    kind k;
    int first_key = 0, last_key = 0, key_step = 1;  // last_key -1: to the end
};

constexpr spec specs[] = {
    {"ping", cmd::ping, -1, kind::local},
    {"echo", cmd::echo, 2, kind::local},
    {"quit", cmd::quit, -1, kind::control},
    {"select", cmd::select, 2, kind::local},
    {"config", cmd::config, -2, kind::local},
    {"command", cmd::command, -1, kind::local},
    {"client", cmd::client, -2, kind::local},
    {"get", cmd::get, 2, kind::read, 1, 1},
    {"set", cmd::set, -3, kind::write, 1, 1},
    {"del", cmd::del, -2, kind::write, 1, -1},
    {"unlink", cmd::del, -2, kind::write, 1, -1},
    {"exists", cmd::exists, -2, kind::read, 1, -1},
    {"mget", cmd::mget, -2, kind::read, 1, -1},
    {"mset", cmd::mset, -3, kind::write, 1, -1, 2},
    {"getdel", cmd::getdel, 2, kind::write, 1, 1},
    {"incr", cmd::incr, 2, kind::write, 1, 1},
    {"decr", cmd::decr, 2, kind::write, 1, 1},
    {"incrby", cmd::incrby, 3, kind::write, 1, 1},
    {"decrby", cmd::decrby, 3, kind::write, 1, 1},
    {"dbsize", cmd::dbsize, 1, kind::global},
    {"keys", cmd::keys, 2, kind::global},
    {"scan", cmd::scan, -2, kind::global},
    {"info", cmd::info, -1, kind::global},
    {"multi", cmd::multi, 1, kind::control},
    {"exec", cmd::exec, 1, kind::control},
    {"discard", cmd::discard, 1, kind::control},
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != b[i]) return false;
    return true;
}

const spec* find_spec(std::string_view name) {
    if (name.empty() || name.size() > 8) return nullptr;
    char buf[8];
    for (std::size_t i = 0; i < name.size(); ++i) buf[i] = lower(name[i]);
    std::string_view n(buf, name.size());
    for (const spec& s : specs)
        if (s.name == n) return &s;
    return nullptr;
}

bool arity_ok(const spec& s, std::size_t n) {
    if (s.arity > 0 ? n != static_cast<std::size_t>(s.arity) : n < static_cast<std::size_t>(-s.arity))
        return false;
    if (s.id == cmd::mset && n % 2 != 1) return false;
    if (s.id == cmd::ping && n > 2) return false;
    if (s.id == cmd::quit && n > 1) return false;
    return true;
}

// Text safe to quote in an error: printable bytes only, at most 64 of them.
std::string printable(std::string_view s) {
    std::string r;
    for (char c : s.substr(0, 64)) r += (c >= 0x20 && c < 0x7f && c != '\'') ? c : '?';
    return r;
}

void unknown_command(std::string& out, request r) {
    std::string msg = "ERR unknown command '" + printable(r[0]) + "', with args beginning with: ";
    for (std::size_t i = 1; i < r.size() && i < 4; ++i) msg += "'" + printable(r[i]) + "' ";
    write_error(out, msg);
}

void wrong_arity(std::string& out, std::string_view name) {
    write_error(out, "ERR wrong number of arguments for '" + printable(name) + "' command");
}

// The keys a write request locks, appended to `keys`.
void write_keys(const spec& s, request r, std::vector<std::string_view>& keys) {
    if (s.k != kind::write) return;
    const std::size_t last = s.last_key < 0 ? r.size() - 1 : static_cast<std::size_t>(s.last_key);
    for (std::size_t i = static_cast<std::size_t>(s.first_key); i <= last && i < r.size();
         i += static_cast<std::size_t>(s.key_step))
        keys.push_back(r[i]);
}

std::size_t request_bytes(request r) {
    std::size_t n = 0;
    for (auto a : r) n += a.size() + 16;
    return n;
}

bool parse_i64(std::string_view s, std::int64_t& v) {
    if (s.empty() || s.size() > 20) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return false;
    // Redis refuses "+1", "01" and "-0" as integers; from_chars already refuses '+'.
    if (s.size() > 1 && (s[0] == '0' || (s[0] == '-' && s[1] == '0'))) return false;
    return true;
}

bool parse_u64(std::string_view s, std::uint64_t& v) {
    if (s.empty() || s.size() > 20) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && p == s.data() + s.size();
}

std::string to_string_i64(std::int64_t v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, p);
}

const std::string& key_too_large_message() {
    static const std::string m =
        "ERR key is too large (fugu::max_key_size is " + std::to_string(fugu::max_key_size) + " bytes)";
    return m;
}

const std::string& value_too_large_message() {
    static const std::string m = "ERR value is too large (fugu::max_value_size is " +
                                 std::to_string(fugu::max_value_size) + " bytes)";
    return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// shared_state

shared_state::shared_state(fugu::store& s, std::string durability, command_limits l)
    : store(s), durability_name(std::move(durability)), limits(l) {}

asio::awaitable<std::shared_ptr<const fugu::snapshot>> shared_state::snapshot(error_code& ec) {
    ec = {};
    const std::uint64_t at = saves_.load();
    {
        std::lock_guard l(mu_);
        // Valid when no save completed since it was asked for: it then sees every save
        // that completed before now (the store's read-your-writes rule).
        if (cached_ && cached_at_ == at) co_return cached_;
    }
    auto [e, snap] = co_await store.async_snapshot(asio::as_tuple(asio::use_awaitable));
    if (e) {
        ec = e;
        co_return nullptr;
    }
    auto p = std::make_shared<const fugu::snapshot>(std::move(snap));
    std::shared_ptr<const fugu::snapshot> old;
    {
        std::lock_guard l(mu_);
        if (saves_.load() == at && (!cached_ || cached_at_ <= at)) {
            old = std::move(cached_);
            cached_ = p;
            cached_at_ = at;
        }
    }
    co_return p;
}

void shared_state::saved() {
    saves_.fetch_add(1);
    counters.units_saved.fetch_add(1, std::memory_order_relaxed);
    // Let go of a snapshot nobody may use any more, so it does not pin old slabs.
    std::shared_ptr<const fugu::snapshot> old;
    std::lock_guard l(mu_);
    if (cached_ && cached_at_ != saves_.load()) old = std::move(cached_);
}

std::uint64_t shared_state::remember_cursor(std::string after) {
    std::lock_guard l(mu_);
    const std::uint64_t id = ++next_cursor_;
    cursors_.emplace(id, std::move(after));
    // Bounded: the oldest cursors go first (SCAN then answers "invalid cursor").
    while (cursors_.size() > 65536) cursors_.erase(cursors_.begin());
    return id;
}

bool shared_state::recall_cursor(std::uint64_t cursor, std::string& after) {
    std::lock_guard l(mu_);
    auto it = cursors_.find(cursor);
    if (it == cursors_.end()) return false;
    after = it->second;
    return true;
}

// ---------------------------------------------------------------------------------------
// unit: requests that share one snapshot, one overlay and one change set

struct session::unit {
    shared_state& st;
    std::shared_ptr<const fugu::snapshot> snap;
    error_code snap_ec;
    bool snap_tried = false;
    // Writes of this unit not yet saved: nullopt is a removal.
    std::map<std::string_view, std::optional<std::string_view>> overlay;
    // Values computed here (INCR), referenced by the overlay: boxed so they never move.
    std::vector<std::unique_ptr<std::string>> owned;
    std::size_t overlay_bytes = 0;  // counted as change_set::byte_size counts (upper bound)

    explicit unit(shared_state& s) : st(s) {}

    asio::awaitable<bool> need_snapshot(std::string& out) {
        if (!snap_tried) {
            snap_tried = true;
            snap = co_await st.snapshot(snap_ec);
        }
        if (!snap) write_error(out, "ERR store unavailable: " + snap_ec.message());
        co_return snap != nullptr;
    }

    bool exists(std::string_view k) const {
        if (auto it = overlay.find(k); it != overlay.end()) return it->second.has_value();
        return snap->contains(k);
    }

    // Reads `k`: from the overlay, else the snapshot. On a failed read sets `ec`.
    asio::awaitable<std::optional<std::string>> read(std::string_view k, error_code& ec) {
        ec = {};
        if (auto it = overlay.find(k); it != overlay.end()) {
            if (!it->second) co_return std::nullopt;
            co_return std::string(*it->second);
        }
        if (!snap->contains(k)) co_return std::nullopt;
        auto [e, v] = co_await snap->async_read(k, asio::as_tuple(asio::use_awaitable));
        ec = e;
        co_return std::move(v);
    }

    bool fits(std::size_t bytes, std::size_t entries) const {
        return overlay_bytes + bytes <= fugu::max_change_set_size &&
               overlay.size() + entries <= fugu::max_change_set_entries;
    }
    void put(std::string_view k, std::string_view v) {
        overlay[k] = v;
        overlay_bytes += k.size() + v.size() + 16;
    }
    void remove(std::string_view k) {
        overlay[k] = std::nullopt;
        overlay_bytes += k.size() + 16;
    }

    // Every live key >= start, ascending, with this unit's writes merged in; stops when
    // `fn` returns false.
    template <class Fn>
    void for_each_key(std::string_view start, Fn&& fn) const {
        auto range = snap->keys_from(start);
        auto it = range.begin();
        auto ot = overlay.lower_bound(start);
        for (;;) {
            const bool have_s = !(it == std::default_sentinel);
            const bool have_o = ot != overlay.end();
            if (!have_s && !have_o) return;
            if (have_o && (!have_s || ot->first <= *it)) {
                const bool same = have_s && ot->first == *it;
                if (ot->second && !fn(ot->first)) return;
                if (same) ++it;
                ++ot;
            } else {
                if (!fn(*it)) return;
                ++it;
            }
        }
    }

    std::uint64_t size() const {
        std::uint64_t n = snap->size();
        for (auto& [k, v] : overlay) {
            const bool before = snap->contains(k);
            if (v && !before) ++n;
            if (!v && before) --n;
        }
        return n;
    }

    asio::awaitable<void> run(const spec& s, request r, std::string& out);
    asio::awaitable<void> incr_by(std::string_view key, std::int64_t by, std::string& out);
    void scan(request r, std::string& out);
    void keys(std::string_view pattern, std::string& out);
    void info(request r, std::string& out);
};

asio::awaitable<void> session::unit::incr_by(std::string_view key, std::int64_t by,
                                             std::string& out) {
    if (key.size() > fugu::max_key_size) {
        write_error(out, key_too_large_message());
        co_return;
    }
    if (!co_await need_snapshot(out)) co_return;
    error_code ec;
    auto v = co_await read(key, ec);
    if (ec) {
        write_error(out, "ERR store read failed: " + ec.message());
        co_return;
    }
    std::int64_t n = 0;
    if (v && !parse_i64(*v, n)) {
        write_error(out, "ERR value is not an integer or out of range");
        co_return;
    }
    std::int64_t result = 0;
    if (__builtin_add_overflow(n, by, &result)) {
        write_error(out, "ERR increment or decrement would overflow");
        co_return;
    }
    if (!fits(key.size() + 36, 1)) {
        write_error(out, "ERR change set too large");
        co_return;
    }
    owned.push_back(std::make_unique<std::string>(to_string_i64(result)));
    put(key, *owned.back());
    write_integer(out, result);
}

void session::unit::keys(std::string_view pattern, std::string& out) {
    const std::string_view prefix = glob_literal_prefix(pattern);
    std::vector<std::string_view> found;
    for_each_key(prefix, [&](std::string_view k) {
        if (k.substr(0, prefix.size()) != prefix) return false;
        if (glob_match(pattern, k)) found.push_back(k);
        return true;
    });
    write_array_header(out, found.size());
    for (auto k : found) write_bulk(out, k);
}

void session::unit::scan(request r, std::string& out) {
    std::uint64_t cursor = 0;
    if (!parse_u64(r[1], cursor)) {
        write_error(out, "ERR invalid cursor");
        return;
    }
    std::string_view pattern;
    bool have_pattern = false;
    std::uint64_t count = 10;
    bool strings_only_ok = true;
    for (std::size_t i = 2; i < r.size(); i += 2) {
        if (i + 1 >= r.size()) {
            write_error(out, "ERR syntax error");
            return;
        }
        if (iequals(r[i], "match")) {
            pattern = r[i + 1];
            have_pattern = true;
        } else if (iequals(r[i], "count")) {
            std::int64_t c = 0;
            if (!parse_i64(r[i + 1], c)) {
                write_error(out, "ERR value is not an integer or out of range");
                return;
            }
            if (c < 1) {
                write_error(out, "ERR syntax error");
                return;
            }
            count = std::min<std::uint64_t>(static_cast<std::uint64_t>(c), st.limits.max_scan_count);
        } else if (iequals(r[i], "type")) {
            // Every Fugu value is a string.
            strings_only_ok = iequals(r[i + 1], "string");
        } else {
            write_error(out, "ERR syntax error");
            return;
        }
    }
    std::string after;
    bool resume = false;
    if (cursor != 0) {
        if (!st.recall_cursor(cursor, after)) {
            write_error(out, "ERR invalid cursor");
            return;
        }
        resume = true;
    }
    const std::string_view prefix = have_pattern ? glob_literal_prefix(pattern) : std::string_view{};
    std::string_view start = after;
    if (std::string_view(prefix) > start) start = prefix;

    std::vector<std::string_view> found;
    std::uint64_t examined = 0;
    std::string_view last;
    bool more = false;
    for_each_key(start, [&](std::string_view k) {
        if (resume && k == after) return true;
        if (k.substr(0, prefix.size()) != prefix) return false;
        if (examined == count) {
            more = true;
            return false;
        }
        ++examined;
        last = k;
        if ((!have_pattern || glob_match(pattern, k)) && strings_only_ok) found.push_back(k);
        return true;
    });
    write_array_header(out, 2);
    write_bulk(out, more ? std::to_string(st.remember_cursor(std::string(last))) : "0");
    write_array_header(out, found.size());
    for (auto k : found) write_bulk(out, k);
}

void session::unit::info(request r, std::string& out) {
    auto wanted = [&](std::string_view section) {
        if (r.size() < 2) return true;
        for (std::size_t i = 1; i < r.size(); ++i)
            if (iequals(r[i], section) || iequals(r[i], "all") || iequals(r[i], "everything") ||
                iequals(r[i], "default"))
                return true;
        return false;
    };
    const fugu::store_stats s = st.store.stats();
    const auto& c = st.counters;
    std::string t;
    auto line = [&](std::string_view name, const auto& value) {
        t += name;
        t += ':';
        if constexpr (std::is_convertible_v<decltype(value), std::string_view>)
            t += std::string_view(value);
        else if constexpr (std::is_floating_point_v<std::decay_t<decltype(value)>>) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.3f", value);
            t += buf;
        } else
            t += std::to_string(value);
        t += "\r\n";
    };
    if (wanted("server")) {
        t += "# Server\r\n";
        line("redis_version", "7.0.0");
        line("redis_mode", "standalone");
        line("server_name", "fugu-server");
        line("tcp_port", static_cast<unsigned>(st.port));
        t += "\r\n";
    }
    if (wanted("clients")) {
        t += "# Clients\r\n";
        line("connected_clients", c.connected.load());
        line("maxclients", st.max_clients);
        line("locked_keys", st.locks.held());
        t += "\r\n";
    }
    if (wanted("stats")) {
        t += "# Stats\r\n";
        line("total_connections_received", c.connections_accepted.load());
        line("rejected_connections", c.connections_rejected.load());
        line("total_commands_processed", c.commands.load());
        line("total_change_sets_saved", c.units_saved.load());
        line("protocol_errors", c.protocol_errors.load());
        t += "\r\n";
    }
    if (wanted("fugu") || wanted("persistence")) {
        t += "# Fugu\r\n";
        line("durability", st.durability_name);
        line("io_engine", s.io_engine);
        if (!s.io_engine_note.empty()) line("io_engine_note", s.io_engine_note);
        line("keys", s.keys);
        line("last_sequence", s.last_sequence);
        line("live_bytes", s.live_bytes);
        line("disk_bytes", s.disk_bytes);
        line("stale_bytes", s.stale_bytes);
        line("segments", s.segments.size());
        line("saves", s.saves);
        line("bytes_saved", s.bytes_saved);
        line("bytes_written", s.bytes_written);
        line("group_commits", s.group_commits);
        line("syncs", s.syncs);
        line("compactions", s.compactions);
        line("bytes_rewritten", s.bytes_rewritten);
        line("space_amplification", s.space_amplification);
        line("write_amplification", s.write_amplification);
        line("index_bytes", s.index_bytes);
        t += "\r\n";
    }
    if (wanted("keyspace")) {
        t += "# Keyspace\r\n";
        if (size() > 0) t += "db0:keys=" + std::to_string(size()) + ",expires=0,avg_ttl=0\r\n";
    }
    write_bulk(out, t);
}

asio::awaitable<void> session::unit::run(const spec& s, request r, std::string& out) {
    if (s.k == kind::read || s.k == kind::global) {
        if (!co_await need_snapshot(out)) co_return;
    }
    switch (s.id) {
    case cmd::ping:
        if (r.size() == 2)
            write_bulk(out, r[1]);
        else
            write_simple(out, "PONG");
        break;
    case cmd::echo: write_bulk(out, r[1]); break;
    case cmd::select:
        if (r[1] == "0")
            write_simple(out, "OK");
        else
            write_error(out, "ERR DB index is out of range (fugu-server has one database, 0)");
        break;
    case cmd::config:
        if (iequals(r[1], "get") && r.size() == 3) {
            std::vector<std::pair<std::string_view, std::string>> found;
            const std::pair<std::string_view, std::string> known[] = {
                {"save", ""},
                {"appendonly", "no"},
                {"databases", "1"},
                {"maxclients", std::to_string(st.max_clients)},
            };
            for (auto& [name, value] : known)
                if (glob_match(r[2], name)) found.emplace_back(name, value);
            write_array_header(out, found.size() * 2);
            for (auto& [name, value] : found) {
                write_bulk(out, name);
                write_bulk(out, value);
            }
        } else {
            write_error(out, "ERR fugu-server supports only CONFIG GET <parameter>");
        }
        break;
    case cmd::command: write_array_header(out, 0); break;
    case cmd::client:
        if (iequals(r[1], "getname"))
            write_null(out);
        else
            write_simple(out, "OK");
        break;
    case cmd::get: {
        error_code ec;
        auto v = co_await read(r[1], ec);
        if (ec)
            write_error(out, "ERR store read failed: " + ec.message());
        else if (v)
            write_bulk(out, *v);
        else
            write_null(out);
        break;
    }
    case cmd::mget: {
        // Reply into a side buffer: a failed read turns the whole reply into an error.
        std::string reply;
        write_array_header(reply, r.size() - 1);
        for (std::size_t i = 1; i < r.size(); ++i) {
            error_code ec;
            auto v = co_await read(r[i], ec);
            if (ec) {
                write_error(out, "ERR store read failed: " + ec.message());
                co_return;
            }
            if (v)
                write_bulk(reply, *v);
            else
                write_null(reply);
        }
        out += reply;
        break;
    }
    case cmd::exists: {
        std::int64_t n = 0;
        for (std::size_t i = 1; i < r.size(); ++i) n += exists(r[i]) ? 1 : 0;
        write_integer(out, n);
        break;
    }
    case cmd::set: {
        bool nx = false, xx = false, get = false;
        for (std::size_t i = 3; i < r.size(); ++i) {
            if (iequals(r[i], "nx"))
                nx = true;
            else if (iequals(r[i], "xx"))
                xx = true;
            else if (iequals(r[i], "get"))
                get = true;
            else if (iequals(r[i], "ex") || iequals(r[i], "px") || iequals(r[i], "exat") ||
                     iequals(r[i], "pxat") || iequals(r[i], "keepttl")) {
                write_error(out, "ERR fugu-server does not support expiry");
                co_return;
            } else {
                write_error(out, "ERR syntax error");
                co_return;
            }
        }
        if (nx && xx) {
            write_error(out, "ERR syntax error");
            co_return;
        }
        if (r[1].size() > fugu::max_key_size) {
            write_error(out, key_too_large_message());
            co_return;
        }
        if (r[2].size() > fugu::max_value_size) {
            write_error(out, value_too_large_message());
            co_return;
        }
        if (!fits(r[1].size() + r[2].size() + 16, 1)) {
            write_error(out, "ERR change set too large");
            co_return;
        }
        std::optional<std::string> old;
        bool present = false;
        if (nx || xx || get) {
            if (!co_await need_snapshot(out)) co_return;
            if (get) {
                error_code ec;
                old = co_await read(r[1], ec);
                if (ec) {
                    write_error(out, "ERR store read failed: " + ec.message());
                    co_return;
                }
                present = old.has_value();
            } else {
                present = exists(r[1]);
            }
        }
        const bool apply = !(nx && present) && !(xx && !present);
        if (apply) put(r[1], r[2]);
        if (get) {
            if (old)
                write_bulk(out, *old);
            else
                write_null(out);
        } else if (apply) {
            write_simple(out, "OK");
        } else {
            write_null(out);
        }
        break;
    }
    case cmd::mset: {
        std::size_t bytes = 0;
        for (std::size_t i = 1; i + 1 < r.size(); i += 2) {
            if (r[i].size() > fugu::max_key_size) {
                write_error(out, key_too_large_message());
                co_return;
            }
            if (r[i + 1].size() > fugu::max_value_size) {
                write_error(out, value_too_large_message());
                co_return;
            }
            bytes += r[i].size() + r[i + 1].size() + 16;
        }
        if (!fits(bytes, r.size() / 2)) {
            write_error(out, "ERR change set too large");
            co_return;
        }
        for (std::size_t i = 1; i + 1 < r.size(); i += 2) put(r[i], r[i + 1]);
        write_simple(out, "OK");
        break;
    }
    case cmd::del: {
        if (!co_await need_snapshot(out)) co_return;
        std::int64_t n = 0;
        for (std::size_t i = 1; i < r.size(); ++i) {
            if (!exists(r[i])) continue;
            if (!fits(r[i].size() + 16, 1)) {
                write_error(out, "ERR change set too large");
                co_return;
            }
            remove(r[i]);
            ++n;
        }
        write_integer(out, n);
        break;
    }
    case cmd::getdel: {
        if (!co_await need_snapshot(out)) co_return;
        error_code ec;
        auto v = co_await read(r[1], ec);
        if (ec) {
            write_error(out, "ERR store read failed: " + ec.message());
            co_return;
        }
        if (!v) {
            write_null(out);
            co_return;
        }
        remove(r[1]);
        write_bulk(out, *v);
        break;
    }
    case cmd::incr: co_await incr_by(r[1], 1, out); break;
    case cmd::decr: co_await incr_by(r[1], -1, out); break;
    case cmd::incrby:
    case cmd::decrby: {
        std::int64_t by = 0;
        if (!parse_i64(r[2], by)) {
            write_error(out, "ERR value is not an integer or out of range");
            co_return;
        }
        if (s.id == cmd::decrby) {
            if (by == INT64_MIN) {
                write_error(out, "ERR decrement would overflow");
                co_return;
            }
            by = -by;
        }
        co_await incr_by(r[1], by, out);
        break;
    }
    case cmd::dbsize: write_integer(out, static_cast<std::int64_t>(size())); break;
    case cmd::keys: keys(r[1], out); break;
    case cmd::scan: scan(r, out); break;
    case cmd::info: info(r, out); break;
    case cmd::quit:
    case cmd::multi:
    case cmd::exec:
    case cmd::discard: write_error(out, "ERR unexpected control command"); break;
    }
}

// ---------------------------------------------------------------------------------------
// session

session::session(shared_state& shared) : shared_(shared) {}

namespace {

// Releases a unit's key locks however the unit ends.
struct lock_guard {
    key_locks& locks;
    const std::vector<std::string_view>& keys;
    ~lock_guard() { locks.unlock(keys); }
};

}  // namespace

asio::awaitable<void> session::run_unit(std::span<const request> requests, std::string& out) {
    std::vector<std::string_view> lock_keys;
    for (request r : requests)
        if (const spec* s = find_spec(r[0]); s && arity_ok(*s, r.size())) write_keys(*s, r, lock_keys);
    sort_unique(lock_keys);
    if (!lock_keys.empty()) co_await shared_.locks.lock(lock_keys);
    lock_guard release{shared_.locks, lock_keys};

    unit u(shared_);
    const std::size_t mark = out.size();
    for (request r : requests) {
        shared_.counters.commands.fetch_add(1, std::memory_order_relaxed);
        const spec* s = find_spec(r[0]);
        if (!s || s->k == kind::control) {
            unknown_command(out, r);
        } else if (!arity_ok(*s, r.size())) {
            wrong_arity(out, r[0]);
        } else {
            co_await u.run(*s, r, out);
        }
    }
    if (u.overlay.empty()) co_return;

    std::string why;
    fugu::change_set changes;
    try {
        for (auto& [k, v] : u.overlay) {
            if (v)
                changes.put(k, *v);
            else
                changes.remove(k);
        }
    } catch (const std::system_error& e) {
        why = e.what();
    }
    if (why.empty()) {
        auto [e, seq] = co_await shared_.store.async_save(std::move(changes),
                                                          asio::as_tuple(asio::use_awaitable));
        if (e) why = "save failed: " + e.message();
    }
    if (!why.empty()) {
        // Nothing of the unit was saved: no reply may claim otherwise.
        out.resize(mark);
        for (std::size_t i = 0; i < requests.size(); ++i) write_error(out, "ERR store: " + why);
        co_return;
    }
    shared_.saved();  // before the locks go and before any reply is sent
}

asio::awaitable<void> session::exec(std::string& out) {
    in_multi_ = false;
    auto queued = std::move(queued_);
    queued_.clear();
    if (multi_failed_) {
        multi_failed_ = false;
        write_error(out, "EXECABORT Transaction discarded because of previous errors.");
        co_return;
    }
    std::vector<std::string_view> args;
    std::size_t total = 0;
    for (auto& q : queued) total += q.size();
    args.reserve(total);
    std::vector<request> requests;
    requests.reserve(queued.size());
    for (auto& q : queued) {
        const std::size_t at = args.size();
        for (auto& a : q) args.emplace_back(a);
        requests.emplace_back(args.data() + at, q.size());
    }
    write_array_header(out, requests.size());
    if (!requests.empty()) co_await run_unit(requests, out);
}

asio::awaitable<bool> session::execute(std::span<const request> requests, std::string& out) {
    std::size_t i = 0;
    while (i < requests.size()) {
        request r = requests[i];
        const spec* s = find_spec(r[0]);
        const cmd id = s ? s->id : cmd::ping;
        const bool control = s && s->k == kind::control;
        if (control && id == cmd::quit) {
            shared_.counters.commands.fetch_add(1, std::memory_order_relaxed);
            write_simple(out, "OK");
            co_return false;
        }
        if (in_multi_) {
            shared_.counters.commands.fetch_add(1, std::memory_order_relaxed);
            ++i;
            if (control && id == cmd::exec) {
                co_await exec(out);
            } else if (control && id == cmd::discard) {
                in_multi_ = multi_failed_ = false;
                queued_.clear();
                write_simple(out, "OK");
            } else if (control && id == cmd::multi) {
                write_error(out, "ERR MULTI calls can not be nested");
            } else if (!s) {
                multi_failed_ = true;
                unknown_command(out, r);
            } else if (!arity_ok(*s, r.size())) {
                multi_failed_ = true;
                wrong_arity(out, r[0]);
            } else if (queued_.size() >= shared_.limits.max_queued) {
                multi_failed_ = true;
                write_error(out, "ERR too many commands queued in MULTI");
            } else {
                queued_.emplace_back(r.begin(), r.end());
                write_simple(out, "QUEUED");
            }
            continue;
        }
        if (control) {
            shared_.counters.commands.fetch_add(1, std::memory_order_relaxed);
            ++i;
            if (id == cmd::multi) {
                in_multi_ = true;
                write_simple(out, "OK");
            } else if (id == cmd::exec) {
                write_error(out, "ERR EXEC without MULTI");
            } else {
                write_error(out, "ERR DISCARD without MULTI");
            }
            continue;
        }
        // A run of ordinary requests: one unit, bounded in requests and bytes.
        std::size_t j = i, bytes = 0;
        while (j < requests.size() && j - i < shared_.limits.unit_requests) {
            const spec* sj = find_spec(requests[j][0]);
            if (sj && sj->k == kind::control) break;
            const std::size_t b = (sj && sj->k == kind::write) ? request_bytes(requests[j]) : 0;
            if (j > i && bytes + b > shared_.limits.unit_bytes) break;
            bytes += b;
            ++j;
        }
        co_await run_unit(requests.subspan(i, j - i), out);
        i = j;
    }
    co_return true;
}

}  // namespace fugu::server
