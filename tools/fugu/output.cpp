// SPDX-License-Identifier: MIT
#include "output.hpp"

#include <cmath>
#include <unistd.h>

namespace fugu::cli {

bool stdout_is_tty() {
    static const bool tty = ::isatty(STDOUT_FILENO) == 1;
    return tty;
}

// ---- json_writer ----

json_writer::~json_writer() {
    out_ += '\n';
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    std::fflush(stdout);
}

void json_writer::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_ += ',';
        first_.back() = false;
    }
}

json_writer& json_writer::begin_object() {
    separate();
    out_ += '{';
    first_.push_back(true);
    return *this;
}

json_writer& json_writer::end_object() {
    out_ += '}';
    first_.pop_back();
    return *this;
}

json_writer& json_writer::begin_array() {
    separate();
    out_ += '[';
    first_.push_back(true);
    return *this;
}

json_writer& json_writer::end_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
}

json_writer& json_writer::key(std::string_view k) {
    value(k);
    out_ += ':';
    after_key_ = true;
    return *this;
}

json_writer& json_writer::value(std::string_view s) {
    separate();
    out_ += '"';
    for (unsigned char c : s) {
        switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\t': out_ += "\\t"; break;
        case '\r': out_ += "\\r"; break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out_ += buf;
            } else {
                out_ += static_cast<char>(c);
            }
        }
    }
    out_ += '"';
    return *this;
}

json_writer& json_writer::value(std::uint64_t n) {
    separate();
    out_ += std::to_string(n);
    return *this;
}

json_writer& json_writer::value(std::int64_t n) {
    separate();
    out_ += std::to_string(n);
    return *this;
}

json_writer& json_writer::value(double d) {
    separate();
    if (!std::isfinite(d)) {
        out_ += "null";
        return *this;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", d);
    out_ += buf;
    return *this;
}

json_writer& json_writer::value(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
}

json_writer& json_writer::null() {
    separate();
    out_ += "null";
    return *this;
}

// ---- progress ----

progress::progress(std::string label, std::uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && total > 0),
      tty_(stdout_is_tty()) {
    // Plain lines are for long work only; a few thousand items finish before they help.
    if (!tty_ && total_ < 10000) enabled_ = false;
    next_line_ = total_ / 10;
}

progress::~progress() { finish(); }

void progress::update(std::uint64_t done) {
    if (!enabled_ || finished_) return;
    if (tty_) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        draw(done, false);
    } else if (done >= next_line_ && done < total_) {
        draw(done, false);
        while (next_line_ <= done) next_line_ += std::max<std::uint64_t>(total_ / 10, 1);
    }
}

void progress::finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    if (tty_) draw(total_, true);
}

void progress::draw(std::uint64_t done, bool last) {
    const double share = total_ ? static_cast<double>(std::min(done, total_)) / total_ : 1.0;
    if (tty_) {
        constexpr int width = 30;
        const int filled = static_cast<int>(share * width);
        std::string bar(filled, '#');
        bar.append(width - filled, '.');
        std::printf("\r%s [%s] %3d%% %s/%s%s", label_.c_str(), bar.c_str(),
                    static_cast<int>(share * 100), grouped(done).c_str(), grouped(total_).c_str(),
                    last ? "\n" : "");
    } else {
        std::printf("%s: %s/%s (%d%%)\n", label_.c_str(), grouped(done).c_str(),
                    grouped(total_).c_str(), static_cast<int>(share * 100));
    }
    std::fflush(stdout);
}

// ---- numbers ----

std::string human_bytes(std::uint64_t n) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
    else
        std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    const int len = static_cast<int>(digits.size());
    for (int i = 0; i < len; ++i) {
        if (i > 0 && (len - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace fugu::cli
