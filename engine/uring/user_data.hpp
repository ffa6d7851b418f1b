// user_data.hpp -- what the 64 bits of sqe->user_data / cqe->user_data mean.
//
// The kernel copies user_data from the SQE to every CQE the request produces
// and never looks at it. We put there a pointer to the op-state object that
// owns everything the kernel can see for that request (buffers, iovecs,
// sockaddr: DESIGN.md decision 4), and use the pointer's three low bits,
// which are zero for 8-byte aligned objects, for the op kind:
//
//    63                                                     3 2   0
//   +--------------------------------------------------------+-----+
//   |          address of the op state (8-byte aligned)       |kind |
//   +--------------------------------------------------------+-----+
//
// Why the kind travels in the word and not only in the object: the reaper
// must know what it is looking at before it touches the object. A final
// multishot CQE, a wake message (msg_ring, no state object at all), the CQE
// of a cancel request and a completion whose waiter went away all need
// different handling, and some of them carry address 0.
//
// Trade-off: three bits give eight kinds; we use six. liburing's examples
// (proxy.h) pack fd, buffer id and op into the word instead; we prefer one
// pointer, since every op already has a state object, and the fd and buffer
// id live there or in the CQE flags.
//
// Reserved value: all ones (liburing's LIBURING_UDATA_TIMEOUT). liburing
// 2.3's submit_and_wait_timeout queues an internal TIMEOUT SQE with that
// user_data on kernels without IORING_FEAT_EXT_ARG (IO_URING.md 1.4); the
// reaper must drop such CQEs. encode() can never produce it: the kind of an
// encoded word is at most 5, all ones needs 7.
//
// Lifetime rule (IO_URING.md pitfall 12): the object must outlive the last
// CQE of its request, including after the awaiting coroutine was cancelled.
#pragma once

#include <liburing.h>

#include <cassert>
#include <cstdint>

namespace ringlane::engine {

enum class op_kind : std::uint8_t {
  generic = 0,           // single-shot op; the state object is resumed with the CQE
  multishot_accept = 1,  // armed accept; more CQEs follow while IORING_CQE_F_MORE is set
  multishot_recv = 2,    // armed recv with provided buffers; same rule
  wake = 3,              // cross-ring wake-up (msg_ring or eventfd read); address may be 0
  cancel = 4,            // the ASYNC_CANCEL request itself; the target reports separately
  ignored = 5,           // internal or abandoned: reap and drop (the state is owned elsewhere)
};

namespace user_data {

inline constexpr unsigned kind_bits = 3;
inline constexpr std::uint64_t kind_mask = (std::uint64_t{1} << kind_bits) - 1;
inline constexpr std::uint64_t address_mask = ~kind_mask;
// The one value we never produce and must filter when reaping.
inline constexpr std::uint64_t reserved = ~std::uint64_t{0};
inline constexpr std::uint8_t max_kind = static_cast<std::uint8_t>(op_kind::ignored);

static_assert(reserved == LIBURING_UDATA_TIMEOUT, "liburing's internal timeout marker is all ones");
static_assert(max_kind < kind_mask, "kind 7 stays unused so that no encoded word is all ones");
static_assert(sizeof(std::uintptr_t) <= sizeof(std::uint64_t), "a pointer fits in user_data");

// --- encode and decode, side by side --------------------------------------

// The arithmetic, usable in constant expressions (and in the static_asserts
// below). `address` must have its low three bits clear.
constexpr std::uint64_t pack(std::uintptr_t address, op_kind kind) noexcept {
  return static_cast<std::uint64_t>(address) | static_cast<std::uint64_t>(kind);
}
constexpr std::uintptr_t address_of(std::uint64_t word) noexcept {
  return static_cast<std::uintptr_t>(word & address_mask);
}
constexpr op_kind kind_of(std::uint64_t word) noexcept { return static_cast<op_kind>(word & kind_mask); }

// True for words that no encode() call produced: the all-ones marker and the
// unused kinds 6 and 7. The reaper drops these.
constexpr bool is_foreign(std::uint64_t word) noexcept {
  return (word & kind_mask) > max_kind;
}

// Typed entry points. T must be at least 8-byte aligned; that is checked at
// compile time, and the pointer itself in debug builds.
template <class T>
inline std::uint64_t encode(T* state, op_kind kind) noexcept {
  static_assert(alignof(T) >= 8, "op state objects must be alignas(8) to free the low 3 bits");
  const auto address = reinterpret_cast<std::uintptr_t>(state);
  assert((address & kind_mask) == 0);
  return pack(address, kind);
}

// A word with no state object (wake-ups, internal requests).
constexpr std::uint64_t encode_kind_only(op_kind kind) noexcept { return pack(0, kind); }

template <class T>
inline T* decode(std::uint64_t word) noexcept {
  assert(!is_foreign(word));
  return reinterpret_cast<T*>(address_of(word));
}

// --- what the static_asserts pin down ---------------------------------------
static_assert(kind_of(pack(0x1000, op_kind::multishot_recv)) == op_kind::multishot_recv);
static_assert(address_of(pack(0x1000, op_kind::multishot_recv)) == 0x1000);
static_assert(address_of(pack(0xffff'ffff'ffff'fff8, op_kind::ignored)) == 0xffff'ffff'ffff'fff8);
static_assert(pack(0xffff'ffff'ffff'fff8, op_kind::ignored) != reserved,
              "the highest address with the highest kind is still not the timeout marker");
static_assert(is_foreign(reserved));
static_assert(!is_foreign(encode_kind_only(op_kind::wake)));

}  // namespace user_data
}  // namespace ringlane::engine
