// SPDX-License-Identifier: MIT
// The in-RAM index in one include: value_ref, published index_view versions and the
// index_builder that produces them.
#pragma once

#include "index/index_builder.hpp"
#include "index/index_view.hpp"
#include "index/value_ref.hpp"
