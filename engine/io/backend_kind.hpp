// backend_kind.hpp -- which I/O backend a worker runs.
#pragma once

#include <cstdint>

namespace ringlane::engine {

enum class backend_kind : std::uint8_t { uring, epoll };

}  // namespace ringlane::engine
