// buffer_ring.hpp -- a provided-buffer ring ("ring-mapped provided buffers",
// kernel 5.19) for one buffer group, written on liburing 2.3.
//
// Why: with IOSQE_BUFFER_SELECT a recv does not name a buffer; the kernel
// picks one from the group when data arrives. Receive memory is then per
// worker and bounded (DESIGN.md decision 7) instead of per connection, and a
// multishot recv can stay armed without owning memory.
//
// Memory: one anonymous mapping, page aligned, marked MADV_DONTFORK:
//
//   +-----------------------------+--------------------+--------------------+--
//   | ring: entries x 16 B        | buffer 0 | slack   | buffer 1 | slack   | ...
//   | (struct io_uring_buf),      | S bytes  | 64 B    | S bytes  | 64 B    |
//   | padded to a page            |<------ stride ---->|                    |
//   +-----------------------------+--------------------+--------------------+--
//
// The kernel is told each buffer is S bytes long; the 64 bytes after it are
// ours, so simdjson can parse a body in place (SIMDJSON_PADDING = 64;
// IO_URING.md pitfall 2). stride = S + 64 rounded up to 64.
//
// Protocol (kernel mode, owner thread only -- the ring's thread):
//   1. The kernel takes buffers at the ring head when a request needs one.
//   2. A CQE with IORING_CQE_F_BUFFER carries the buffer id in its upper 16
//      flag bits (buffer_id()). Call claim(bid): the buffer is now ours.
//   3. When done, recycle(bid) writes the entry at tail + pending (a plain
//      store: the kernel does not look past the tail).
//   4. commit() publishes every pending entry with one store-release of the
//      tail (io_uring_buf_ring_advance). The kernel loads the tail with
//      load-acquire before reading entries, so it sees complete entries.
//      Batch: one commit per loop turn, not one per buffer.
//   The CQ head is advanced separately by whoever reaps (one CQE may return
//   zero or several buffers; IO_URING.md 1.3).
//   We never read the kernel's head (2.3 cannot). Safety comes from
//   counting: a buffer can only be recycled after it was claimed, so the
//   ring never holds more than `entries` buffers and recycle never overwrites
//   an entry the kernel has not consumed. claim/recycle keep one bit per
//   buffer and refuse a double claim or double recycle (-EALREADY), which
//   would otherwise hand one buffer to two connections.
//
// Empty group: a recv fails with -ENOBUFS (a multishot recv terminates). The
// caller counts it with note_enobufs(), recycles, commits and re-arms.
//
// Fallback ("user mode"): when registration fails with EINVAL (kernel before
// 5.19) create() returns a buffer_ring that is not registered; the same
// memory is then handed out by acquire()/recycle() from a free list, so the
// caller passes plain buffers per op. create_unregistered() builds that mode
// on purpose (the epoll backend takes recv memory from the same kind of
// pool). registered() tells which mode is active.
//
// Lifetime: the io_uring must outlive the buffer_ring (the destructor
// unregisters the group), and no request that selects from the group may be
// in flight when it is destroyed (decision 4).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ringlane::engine {

class buffer_ring {
 public:
  static constexpr std::uint32_t slack = 64;
  static constexpr std::uint32_t max_entries = 32768;

  struct counters {
    std::uint64_t handed_out = 0;  // buffers that reached us: claim() or acquire()
    std::uint64_t recycled = 0;    // buffers given back: recycle()
    std::uint64_t enobufs = 0;     // -ENOBUFS completions and failed acquire()s
  };

  // Registers `entries` buffers (a power of two, <= 32768) of `buffer_size`
  // bytes as group `group` on `ring`. Throws std::system_error for bad
  // arguments, mmap failure and registration errors other than EINVAL; on
  // EINVAL returns an unregistered buffer_ring (registration_error() ==
  // -EINVAL).
  static buffer_ring create(io_uring& ring, std::uint16_t group, std::uint32_t entries, std::uint32_t buffer_size);
  // User mode from the start (no kernel involved).
  static buffer_ring create_unregistered(std::uint16_t group, std::uint32_t entries, std::uint32_t buffer_size);

  buffer_ring(buffer_ring&& other) noexcept;
  buffer_ring& operator=(buffer_ring&& other) noexcept;
  buffer_ring(const buffer_ring&) = delete;
  buffer_ring& operator=(const buffer_ring&) = delete;
  ~buffer_ring();

  bool registered() const noexcept { return br_ != nullptr; }
  int registration_error() const noexcept { return registration_error_; }  // 0 or negative errno
  std::uint16_t group() const noexcept { return group_; }
  std::uint32_t entries() const noexcept { return entries_; }
  std::uint32_t buffer_size() const noexcept { return size_; }
  std::size_t stride() const noexcept { return stride_; }

  // The S bytes of buffer `bid` (precondition: bid < entries()).
  std::span<std::byte> buffer(std::uint16_t bid) const noexcept { return {data(bid), size_}; }
  // The same plus the 64 slack bytes (for parsers that read past the end).
  std::span<std::byte> padded_buffer(std::uint16_t bid) const noexcept { return {data(bid), size_ + slack}; }

  // The buffer id a CQE carries, if it carries one.
  static std::optional<std::uint16_t> buffer_id(std::uint32_t cqe_flags) noexcept {
    if ((cqe_flags & IORING_CQE_F_BUFFER) == 0) return std::nullopt;
    return static_cast<std::uint16_t>(cqe_flags >> IORING_CQE_BUFFER_SHIFT);
  }

  // Kernel mode: the kernel handed us `bid` (from a CQE). 0, -EINVAL (no such
  // bid), -EALREADY (already ours), -EOPNOTSUPP (user mode: use acquire()).
  int claim(std::uint16_t bid) noexcept;
  // User mode: take a free buffer. Its bid, -ENOBUFS (none free; counted),
  // or -EOPNOTSUPP (kernel mode: the kernel picks).
  int acquire() noexcept;
  // Give `bid` back. Kernel mode: written now, visible to the kernel after
  // commit(). User mode: free again at once. 0, -EINVAL, -EALREADY (not ours).
  int recycle(std::uint16_t bid) noexcept;
  // Publish recycled buffers to the kernel (no-op in user mode or when
  // nothing is pending).
  void commit() noexcept;

  // Buffers the kernel (or acquire()) may still hand out: entries minus
  // those handed out and not yet recycled, minus those recycled but not yet
  // committed. In kernel mode some of them may already be taken by requests
  // whose CQEs we have not reaped.
  std::uint32_t available() const noexcept { return entries_ - out_ - pending_; }
  std::uint32_t pending() const noexcept { return pending_; }
  std::uint32_t outstanding() const noexcept { return out_; }

  void note_enobufs() noexcept { ++stats_.enobufs; }
  const counters& stats() const noexcept { return stats_; }

 private:
  buffer_ring() = default;
  void allocate(std::uint16_t group, std::uint32_t entries, std::uint32_t buffer_size, bool with_ring);
  void become_user_mode();
  void release() noexcept;
  void swap(buffer_ring& other) noexcept;
  std::byte* data(std::uint16_t bid) const noexcept { return buffers_ + std::size_t{bid} * stride_; }
  bool is_out(std::uint16_t bid) const noexcept { return (out_bits_[bid / 64] >> (bid % 64)) & 1U; }
  void set_out(std::uint16_t bid, bool out) noexcept;

  io_uring* ring_ = nullptr;       // set while registered
  io_uring_buf_ring* br_ = nullptr;  // the shared ring (kernel mode only)
  std::byte* map_ = nullptr;
  std::size_t map_bytes_ = 0;
  std::byte* buffers_ = nullptr;
  std::size_t stride_ = 0;
  std::uint32_t entries_ = 0;
  std::uint32_t size_ = 0;
  std::uint16_t group_ = 0;
  int registration_error_ = 0;
  std::uint32_t out_ = 0;      // handed out, not recycled
  std::uint32_t pending_ = 0;  // recycled, not committed (kernel mode)
  std::vector<std::uint64_t> out_bits_;  // one bit per buffer: 1 = ours
  std::vector<std::uint16_t> free_;      // user mode: free bids (a stack)
  counters stats_;
};

}  // namespace ringlane::engine
