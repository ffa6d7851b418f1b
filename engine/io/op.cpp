#include "engine/io/op.hpp"

#include <unistd.h>

#include "engine/io/io_context.hpp"

namespace ringlane::engine {
namespace {
thread_local io_context* tls_io = nullptr;
}  // namespace

io_context* current_io() noexcept { return tls_io; }
void set_current_io(io_context* io) noexcept { tls_io = io; }

void op_base::on_complete(std::int32_t result, std::uint32_t cflags, std::uint16_t bid) noexcept {
  res = result;
  flags = cflags;
  buffer_id = bid;
  state = op_state::done;
  if (waiter) std::move(waiter).wake();
}

const char* to_string(op_code c) noexcept {
  switch (c) {
    case op_code::nop: return "nop";
    case op_code::accept: return "accept";
    case op_code::accept_multishot: return "accept_multishot";
    case op_code::recv: return "recv";
    case op_code::recv_pooled: return "recv_pooled";
    case op_code::recv_multishot: return "recv_multishot";
    case op_code::send: return "send";
    case op_code::writev: return "writev";
    case op_code::connect: return "connect";
    case op_code::close: return "close";
    case op_code::shutdown: return "shutdown";
    case op_code::openat: return "openat";
    case op_code::read: return "read";
    case op_code::statx: return "statx";
    case op_code::splice: return "splice";
  }
  return "?";
}

void deliver(io_context& io, op_base& op, std::int32_t result, std::uint32_t cflags, std::uint16_t bid) noexcept {
  if (op.state == op_state::orphaned) {
    // Nobody waits: give back what the completion carried, and free the op
    // once no further completion can come.
    if (cflags & completion_flags::buffer) io.buffers().put(bid);
    // A descriptor the kernel made for nobody: an accepted connection no
    // task will serve, or a file whose opener was cancelled meanwhile.
    if (result >= 0 &&
        (op.code == op_code::accept || op.code == op_code::accept_multishot || op.code == op_code::openat)) {
      ::close(result);
    }
    if (!(cflags & completion_flags::more)) delete &op;
    return;
  }
  op.on_complete(result, cflags, bid);
}

}  // namespace ringlane::engine
