// SPDX-License-Identifier: MIT
// The error a throwing call reports, so limit tests can compare codes with ==, and the
// std::error_code of a fugu::errc to compare them with.
#pragma once

#include <fugu/error.hpp>

#include <system_error>
#include <utility>

namespace fugu::test {

inline std::error_code code_of(fugu::errc e) { return std::error_code(fugu::make_error_code(e)); }

// The code of the std::system_error `f` throws; an empty code when it returns normally.
template <class F>
std::error_code error_of(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const std::system_error& e) {
        return e.code();
    }
    return {};
}

}  // namespace fugu::test
