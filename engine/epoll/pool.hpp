// pool.hpp -- plain_buffer_pool: the epoll backend's receive buffers.
//
// The io_uring backend registers its receive buffers with the kernel as a
// provided-buffer ring; the epoll backend has no kernel to hand them to, so
// it lends them out itself: a recv that becomes ready takes one (take()),
// the completion carries its id (completion_flags::buffer, buffer_id), and
// the consumer gives it back with put(). Same ids, same contract, so code
// above engine/ cannot tell the two pools apart.
//
// Memory: one allocation, `count` buffers laid out at a fixed stride.
//
//   mem ┌──────────── size ────────────┬─ 64 B slack ─┬ pad ┐┌── buffer 1 ...
//       │ buffer 0 (get(0) spans this) │ never written│ to  ││
//       └──────────────────────────────┴──────────────┴ 64  ┘└──
//
// The slack after each buffer is IO_URING.md 3.2's rule: a parser that reads
// up to 64 bytes past the data (simdjson's padding) stays inside the pool.
// Every buffer starts on a 64-byte boundary (its own cache lines).
//
// The free list is a LIFO stack of ids: the buffer returned last is lent
// next, while its lines are still in cache. Owner thread only; no atomics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/io/io_context.hpp"

namespace ringlane::engine {

class plain_buffer_pool final : public buffer_pool {
 public:
  // Bytes reserved after every buffer (see the drawing above).
  static constexpr std::size_t slack = 64;
  // Buffer ids are 16-bit (as in io_uring's provided buffers).
  static constexpr std::uint32_t max_count = 65536;

  // Throws std::invalid_argument when count > max_count or size == 0, and
  // std::bad_alloc when the memory cannot be had.
  plain_buffer_pool(std::uint32_t count, std::uint32_t size);
  ~plain_buffer_pool() override;
  plain_buffer_pool(const plain_buffer_pool&) = delete;
  plain_buffer_pool& operator=(const plain_buffer_pool&) = delete;

  // Lends a free buffer; nullopt when every buffer is out.
  std::optional<std::uint16_t> take() noexcept;

  std::span<std::byte> get(std::uint16_t bid) noexcept override;
  // Returning an id that is not lent out is a caller bug: it aborts in
  // debug builds and is ignored in release builds (the free list stays
  // consistent either way).
  void put(std::uint16_t bid) noexcept override;
  std::uint32_t buffer_size() const noexcept override { return size_; }
  std::uint32_t available() const noexcept override { return static_cast<std::uint32_t>(free_.size()); }
  std::uint32_t capacity() const noexcept override { return count_; }

 private:
  std::uint32_t count_;
  std::uint32_t size_;
  std::size_t stride_;
  std::byte* mem_ = nullptr;
  std::vector<std::uint16_t> free_;  // ids ready to lend, last returned on top
  std::vector<bool> lent_;           // lent_[bid]: out with a completion or its consumer
};

}  // namespace ringlane::engine
