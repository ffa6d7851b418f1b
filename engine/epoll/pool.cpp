#include "engine/epoll/pool.hpp"

#include <cassert>
#include <new>
#include <stdexcept>

namespace ringlane::engine {
namespace {
constexpr std::size_t kAlign = 64;
}  // namespace

plain_buffer_pool::plain_buffer_pool(std::uint32_t count, std::uint32_t size)
    : count_(count), size_(size), stride_((std::size_t{size} + slack + kAlign - 1) / kAlign * kAlign) {
  if (count > max_count) throw std::invalid_argument("plain_buffer_pool: more than 65536 buffers");
  if (size == 0) throw std::invalid_argument("plain_buffer_pool: buffer size 0");
  if (count > 0) mem_ = static_cast<std::byte*>(::operator new(stride_ * count, std::align_val_t{kAlign}));
  free_.reserve(count);
  // Lowest ids on top: a fresh pool lends 0, 1, 2, ... (easier to read in traces).
  for (std::uint32_t i = count; i > 0; --i) free_.push_back(static_cast<std::uint16_t>(i - 1));
  lent_.assign(count, false);
}

plain_buffer_pool::~plain_buffer_pool() {
  if (mem_) ::operator delete(mem_, std::align_val_t{kAlign});
}

std::optional<std::uint16_t> plain_buffer_pool::take() noexcept {
  if (free_.empty()) return std::nullopt;
  const std::uint16_t bid = free_.back();
  free_.pop_back();
  lent_[bid] = true;
  return bid;
}

std::span<std::byte> plain_buffer_pool::get(std::uint16_t bid) noexcept {
  if (bid >= count_) return {};
  return {mem_ + stride_ * bid, size_};
}

void plain_buffer_pool::put(std::uint16_t bid) noexcept {
  const bool valid = bid < count_ && lent_[bid];
  assert(valid && "plain_buffer_pool::put: buffer id not lent out (double put?)");
  if (!valid) return;
  lent_[bid] = false;
  free_.push_back(bid);
}

}  // namespace ringlane::engine
