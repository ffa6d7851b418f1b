// buffer_ring.cpp -- setup, teardown and the claim/recycle/commit protocol.
//
// Setup is what liburing 2.4's io_uring_setup_buf_ring does, in our own
// words (IO_URING.md 1.3): a page-aligned ring of `entries` io_uring_buf
// slots, io_uring_register_buf_ring with a zeroed io_uring_buf_reg,
// io_uring_buf_ring_init. We map the buffers in the same region and add all
// of them before the first commit.
#include "engine/uring/buffer_ring.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace ringlane::engine {
namespace {

constexpr std::size_t align_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

[[noreturn]] void fail(int err, const char* what) { throw std::system_error(err, std::generic_category(), what); }

}  // namespace

void buffer_ring::allocate(std::uint16_t group, std::uint32_t entries, std::uint32_t buffer_size, bool with_ring) {
  if (entries == 0 || entries > max_entries || (entries & (entries - 1)) != 0)
    fail(EINVAL, "buffer_ring: entries must be a power of two in 1..32768");
  if (buffer_size == 0 || buffer_size > UINT32_MAX - 2 * slack)
    fail(EINVAL, "buffer_ring: buffer_size must be in 1..4 GiB minus slack");

  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t ring_bytes = with_ring ? align_up(entries * sizeof(io_uring_buf), page) : 0;
  stride_ = align_up(std::size_t{buffer_size} + slack, 64);
  map_bytes_ = ring_bytes + std::size_t{entries} * stride_;

  void* p = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    map_bytes_ = 0;
    fail(errno, "buffer_ring: mmap");
  }
  map_ = static_cast<std::byte*>(p);
  // A forked child must not share pages the kernel writes into (pitfall 10).
  // Failure only loses that protection, so it is not fatal.
  (void)madvise(map_, map_bytes_, MADV_DONTFORK);

  buffers_ = map_ + ring_bytes;
  entries_ = entries;
  size_ = buffer_size;
  group_ = group;
  out_bits_.assign((entries + 63) / 64, 0);
}

void buffer_ring::become_user_mode() {
  free_.reserve(entries_);  // recycle() then never allocates
  // A stack: acquire() pops from the back, so bid 0 comes out first.
  for (std::uint32_t i = entries_; i-- > 0;) free_.push_back(static_cast<std::uint16_t>(i));
}

buffer_ring buffer_ring::create(io_uring& ring, std::uint16_t group, std::uint32_t entries,
                                std::uint32_t buffer_size) {
  buffer_ring b;
  b.allocate(group, entries, buffer_size, /*with_ring=*/true);
  auto* br = reinterpret_cast<io_uring_buf_ring*>(b.map_);

  io_uring_buf_reg reg{};  // 2.3 calls the flags field "pad": must be zero
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(br);
  reg.ring_entries = entries;
  reg.bgid = group;
  const int rc = io_uring_register_buf_ring(&ring, &reg, 0);
  if (rc == -EINVAL) {
    // No ring-mapped provided buffers (kernel < 5.19): plain buffers from
    // the same memory.
    b.registration_error_ = rc;
    b.become_user_mode();
    return b;
  }
  if (rc < 0) fail(-rc, "buffer_ring: io_uring_register_buf_ring");  // e.g. EEXIST: group in use
  b.ring_ = &ring;
  b.br_ = br;

  // The kernel cannot have taken anything yet: fill every slot, then
  // publish them all with one store-release of the tail.
  io_uring_buf_ring_init(br);
  const int mask = io_uring_buf_ring_mask(entries);
  for (std::uint32_t i = 0; i < entries; ++i) {
    const auto bid = static_cast<std::uint16_t>(i);
    io_uring_buf_ring_add(br, b.data(bid), buffer_size, bid, mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(br, static_cast<int>(entries));
  return b;
}

buffer_ring buffer_ring::create_unregistered(std::uint16_t group, std::uint32_t entries, std::uint32_t buffer_size) {
  buffer_ring b;
  b.allocate(group, entries, buffer_size, /*with_ring=*/false);
  b.become_user_mode();
  return b;
}

void buffer_ring::swap(buffer_ring& o) noexcept {
  using std::swap;
  swap(ring_, o.ring_);
  swap(br_, o.br_);
  swap(map_, o.map_);
  swap(map_bytes_, o.map_bytes_);
  swap(buffers_, o.buffers_);
  swap(stride_, o.stride_);
  swap(entries_, o.entries_);
  swap(size_, o.size_);
  swap(group_, o.group_);
  swap(registration_error_, o.registration_error_);
  swap(out_, o.out_);
  swap(pending_, o.pending_);
  swap(out_bits_, o.out_bits_);
  swap(free_, o.free_);
  swap(stats_, o.stats_);
}

// A moved-from buffer_ring owns nothing and has zero entries.
buffer_ring::buffer_ring(buffer_ring&& other) noexcept { swap(other); }

buffer_ring& buffer_ring::operator=(buffer_ring&& other) noexcept {
  buffer_ring old(std::move(other));
  swap(old);  // our previous contents die with `old`
  return *this;
}

buffer_ring::~buffer_ring() { release(); }

void buffer_ring::release() noexcept {
  // Unregister first: after this the kernel no longer reads the ring, so
  // the pages may go.
  if (br_ != nullptr) (void)io_uring_unregister_buf_ring(ring_, group_);
  if (map_ != nullptr) munmap(map_, map_bytes_);
  ring_ = nullptr;
  br_ = nullptr;
  map_ = nullptr;
  buffers_ = nullptr;
}

void buffer_ring::set_out(std::uint16_t bid, bool out) noexcept {
  const std::uint64_t bit = std::uint64_t{1} << (bid % 64);
  if (out)
    out_bits_[bid / 64] |= bit;
  else
    out_bits_[bid / 64] &= ~bit;
}

int buffer_ring::claim(std::uint16_t bid) noexcept {
  if (br_ == nullptr) return -EOPNOTSUPP;
  if (bid >= entries_) return -EINVAL;
  if (is_out(bid)) return -EALREADY;
  set_out(bid, true);
  ++out_;
  ++stats_.handed_out;
  return 0;
}

int buffer_ring::acquire() noexcept {
  if (br_ != nullptr || map_ == nullptr) return -EOPNOTSUPP;
  if (free_.empty()) {
    ++stats_.enobufs;
    return -ENOBUFS;
  }
  const std::uint16_t bid = free_.back();
  free_.pop_back();
  set_out(bid, true);
  ++out_;
  ++stats_.handed_out;
  return bid;
}

int buffer_ring::recycle(std::uint16_t bid) noexcept {
  if (bid >= entries_) return -EINVAL;
  if (!is_out(bid)) return -EALREADY;
  set_out(bid, false);
  --out_;
  ++stats_.recycled;
  if (br_ != nullptr) {
    // Slot tail + pending: beyond the published tail, so the kernel does not
    // read it until commit(). Counting guarantees the kernel has consumed it.
    io_uring_buf_ring_add(br_, data(bid), size_, bid, io_uring_buf_ring_mask(entries_), static_cast<int>(pending_));
    ++pending_;
  } else {
    free_.push_back(bid);  // capacity reserved: no allocation
  }
  return 0;
}

void buffer_ring::commit() noexcept {
  if (br_ == nullptr || pending_ == 0) return;
  // Store-release of the tail; pairs with the kernel's load-acquire in
  // buffer selection, so the entries written by recycle() are visible first.
  io_uring_buf_ring_advance(br_, static_cast<int>(pending_));
  pending_ = 0;
}

}  // namespace ringlane::engine
