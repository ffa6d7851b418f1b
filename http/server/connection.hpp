// connection.hpp -- the task that serves one HTTP/1.1 connection.
#pragma once

#include <netinet/in.h>

#include "http/server/context.hpp"
#include "http/server/core.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::http::detail {

// Serves `fd` until the client leaves, an error or timeout ends it, or a
// drain closes it. Must run pinned to the worker whose slot it joins.
task<void> serve_connection(int fd, peer_address peer, core& c, worker_slot& slot);

}  // namespace ringlane::http::detail
