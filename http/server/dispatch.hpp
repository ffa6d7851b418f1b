// dispatch.hpp -- one request from route lookup to a response in the
// stream's out buffer (internal; see handler.hpp for the order).
#pragma once

#include "http/server/core.hpp"
#include "runtime/task/task.hpp"

namespace ringlane::http {
class context;
}

namespace ringlane::http::detail {

// Routes, runs middleware and the handler, turns exceptions into 500s and
// a missed handler deadline into 503, then writes the response (or the
// last chunk of a stream) unless the handler already sent it.
task<void> dispatch(context& ctx, core& c);

}  // namespace ringlane::http::detail
