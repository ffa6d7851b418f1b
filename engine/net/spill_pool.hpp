// spill_pool.hpp -- heap buffers behind the buffer_pool interface, for the
// received bytes a stream moves out of the worker's receive pool while that
// pool runs low (stream.hpp, "Spilling").
//
//   receive pool (shared, fixed)          spill pool (this worker's, on demand)
//   ┌──┬──┬──┬──┬──┐  copy, then put(bid)  blocks_[id] ─> new std::byte[len]
//   │  │▓▓│  │▓▓│  │ ───────────────────>  free_: ids to reuse
//   └──┴──┴──┴──┴──┘
//
// A pool_buffer over a spilled block looks like any other (pool pointer,
// id, length), so readers and the receive path pay nothing for it; put()
// frees the block. At most 65,536 blocks live at once per worker (ids are
// 16-bit); add() says when there is no room and the chunk stays where it is.
//
// Owner worker only, like the receive pool (the runtime's teardown, which
// destroys tasks from another thread, runs while no worker does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/io/io_context.hpp"

namespace ringlane::engine {

class spill_pool final : public buffer_pool {
 public:
  static constexpr std::size_t max_blocks = 65536;

  // A heap copy of `bytes`; nullopt when every id is in use.
  std::optional<std::uint16_t> add(std::span<const std::byte> bytes) {
    std::uint16_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else if (blocks_.size() < max_blocks) {
      id = static_cast<std::uint16_t>(blocks_.size());
      blocks_.emplace_back();
      free_.reserve(blocks_.size());  // so that put() never allocates
    } else {
      return std::nullopt;
    }
    block& b = blocks_[id];
    b.bytes = std::make_unique_for_overwrite<std::byte[]>(bytes.size());
    b.size = static_cast<std::uint32_t>(bytes.size());
    std::memcpy(b.bytes.get(), bytes.data(), bytes.size());
    ++live_;
    return id;
  }

  std::span<std::byte> get(std::uint16_t bid) noexcept override { return {blocks_[bid].bytes.get(), blocks_[bid].size}; }
  void put(std::uint16_t bid) noexcept override {
    blocks_[bid].bytes.reset();
    blocks_[bid].size = 0;
    free_.push_back(bid);  // capacity is there: free_ never outgrows blocks_
    --live_;
  }
  std::uint32_t buffer_size() const noexcept override { return 0; }  // blocks are as large as their bytes
  std::uint32_t available() const noexcept override { return static_cast<std::uint32_t>(max_blocks - live_); }
  std::uint32_t capacity() const noexcept override { return static_cast<std::uint32_t>(max_blocks); }

  // The calling worker's spill pool (made on first use, freed with the thread).
  static spill_pool& mine() {
    thread_local spill_pool pool;
    return pool;
  }

 private:
  struct block {
    std::unique_ptr<std::byte[]> bytes;
    std::uint32_t size = 0;
  };
  std::vector<block> blocks_;
  std::vector<std::uint16_t> free_;
  std::size_t live_ = 0;
};

}  // namespace ringlane::engine
