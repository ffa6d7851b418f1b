#include "runtime/task/frame_pool.hpp"

#include <array>
#include <bit>
#include <new>

namespace ringlane::detail::frame_pool {
namespace {

// Six classes, 64 B .. 2048 B. A trivial task frame is well under 256 B
// (bench/micro reports the exact figure as BM_task_frame_size).
constexpr std::size_t kMinShift = 6;
constexpr std::size_t kClasses = 6;
constexpr std::size_t kMaxBlock = std::size_t{1} << (kMinShift + kClasses - 1);
// Per class and thread. 512 x 2 KiB = 1 MiB worst case for the largest class;
// enough to absorb the churn of a busy worker (bench: BM_spawn_join).
constexpr std::size_t kMaxCached = 512;

struct free_block {
  free_block* next;
};

struct cache {
  std::array<free_block*, kClasses> head{};
  std::array<std::size_t, kClasses> count{};
  std::size_t requested = 0;

  ~cache() {
    for (std::size_t c = 0; c < kClasses; ++c) {
      while (free_block* b = head[c]) {
        head[c] = b->next;
        ::operator delete(b);
      }
    }
  }
};

thread_local cache tls_cache;

constexpr std::size_t class_of(std::size_t size) noexcept {
  if (size <= (std::size_t{1} << kMinShift)) return 0;
  return static_cast<std::size_t>(std::bit_width(size - 1)) - kMinShift;
}

constexpr std::size_t class_size(std::size_t c) noexcept {
  return std::size_t{1} << (kMinShift + c);
}

}  // namespace

void* allocate(std::size_t size) {
  cache& k = tls_cache;
  k.requested += size;
  if (size > kMaxBlock) return ::operator new(size);
  const std::size_t c = class_of(size);
  if (free_block* b = k.head[c]) {
    k.head[c] = b->next;
    --k.count[c];
    return b;
  }
  return ::operator new(class_size(c));
}

void deallocate(void* block, std::size_t size) noexcept {
  if (size > kMaxBlock) {
    ::operator delete(block);
    return;
  }
  const std::size_t c = class_of(size);
  cache& k = tls_cache;
  if (k.count[c] >= kMaxCached) {
    ::operator delete(block);
    return;
  }
  auto* b = static_cast<free_block*>(block);
  b->next = k.head[c];
  k.head[c] = b;
  ++k.count[c];
}

std::size_t requested_bytes() noexcept { return tls_cache.requested; }

std::size_t cached_blocks() noexcept {
  std::size_t n = 0;
  for (std::size_t c : tls_cache.count) n += c;
  return n;
}

}  // namespace ringlane::detail::frame_pool
