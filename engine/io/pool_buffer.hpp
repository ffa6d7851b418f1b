// pool_buffer.hpp -- a receive buffer borrowed from the worker's pool.
//
// recv_pooled and the multishot recv hand out buffers that belong to the
// worker's buffer_pool (the provided-buffer ring under io_uring). Holding a
// pool_buffer keeps the buffer out of the kernel's hands; destroying it
// gives the buffer back. Return buffers promptly: while every buffer is
// held, receives fail with -ENOBUFS (IO_URING.md 3.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "engine/io/io_context.hpp"

namespace ringlane::engine {

class pool_buffer {
 public:
  pool_buffer() noexcept = default;
  pool_buffer(buffer_pool* pool, std::uint16_t bid, std::uint32_t len) noexcept : pool_(pool), bid_(bid), len_(len) {}
  pool_buffer(pool_buffer&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), bid_(o.bid_), len_(std::exchange(o.len_, 0)) {}
  pool_buffer& operator=(pool_buffer&& o) noexcept {
    if (this != &o) {
      reset();
      pool_ = std::exchange(o.pool_, nullptr);
      bid_ = o.bid_;
      len_ = std::exchange(o.len_, 0);
    }
    return *this;
  }
  pool_buffer(const pool_buffer&) = delete;
  pool_buffer& operator=(const pool_buffer&) = delete;
  ~pool_buffer() { reset(); }

  explicit operator bool() const noexcept { return pool_ != nullptr; }
  // The received bytes.
  std::span<const std::byte> bytes() const noexcept { return pool_->get(bid_).first(len_); }
  std::string_view view() const noexcept {
    auto b = bytes();
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  std::uint16_t id() const noexcept { return bid_; }

  void reset() noexcept {
    if (auto* p = std::exchange(pool_, nullptr)) p->put(bid_);
  }

 private:
  buffer_pool* pool_ = nullptr;
  std::uint16_t bid_ = 0;
  std::uint32_t len_ = 0;
};

}  // namespace ringlane::engine
