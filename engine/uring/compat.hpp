// compat.hpp -- the one place that papers over liburing 2.3's gaps.
//
// We build against liburing 2.3 (Debian 12) and must keep working when a
// newer liburing is installed. Three kinds of gap, three tools (IO_URING.md
// 1.2-1.4):
//
//   1. Constants newer than 2.3's UAPI header (io_uring.h): defined here under
//      #ifndef, with the kernel that introduced them. Defining a constant says
//      nothing about the running kernel; use one only after a runtime probe
//      (capabilities.hpp) says the kernel accepts it.
//   2. Helpers newer than 2.3: engine/meson.build asks the compiler whether
//      liburing.h declares them (cxx.has_header_symbol: most helpers are
//      static inline, so a link test would be wrong) and passes
//      -DRINGLANE_HAVE_<SYMBOL_IN_CAPS>. Code that wants a newer helper goes
//      through a wrapper below that has a 2.3 path, never through #ifdef
//      scattered over the engine. The buffer ring (2.4's setup_buf_ring) is
//      written out in buffer_ring.cpp for every version, because we want the
//      buffers in the same mapping as the ring.
//   3. Helpers that 2.3 gets wrong: prep_accept_direct with
//      IORING_FILE_INDEX_ALLOC (see prep_accept_direct_alloc).
//
// Everything here is header-only and free of state.
#pragma once

#include <liburing.h>

#include <cstdint>

// ---------------------------------------------------------------------------
// 1. UAPI constants newer than liburing 2.3's io_uring.h.
//    FEAT bits: the 2.3 header stops at IORING_FEAT_LINKED_FILE (bit 12);
//    the dev/CI kernel (6.18) reports 0x3ffff, i.e. bits 0-17.

#ifndef IORING_FEAT_REG_REG_RING
#define IORING_FEAT_REG_REG_RING (1U << 13)  // 6.3: register() via the registered ring fd
#endif
#ifndef IORING_FEAT_RECVSEND_BUNDLE
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)  // 6.10: recv/send bundles
#endif
#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)  // 6.12: min-timeout waits
#endif
#ifndef IORING_FEAT_RW_ATTR
#define IORING_FEAT_RW_ATTR (1U << 16)  // read/write attribute vectors (PI metadata)
#endif
#ifndef IORING_FEAT_NO_IOWAIT
#define IORING_FEAT_NO_IOWAIT (1U << 17)  // 6.15: waits not counted as iowait
#endif

namespace ringlane::engine::compat {

// ---------------------------------------------------------------------------
// 2. Which newer helpers the installed liburing.h declares (for the startup
//    log and for tests; the engine's behaviour does not depend on them).
struct liburing_helpers {
  bool setup_buf_ring;                // 2.4
  bool prep_msg_ring_fd;              // 2.4
  bool buf_ring_available;            // 2.6
  bool submit_and_wait_min_timeout;   // 2.8
  bool sqe_set_buf_group;             // 2.9
};

inline constexpr liburing_helpers installed_helpers{
#ifdef RINGLANE_HAVE_IO_URING_SETUP_BUF_RING
    .setup_buf_ring = true,
#else
    .setup_buf_ring = false,
#endif
#ifdef RINGLANE_HAVE_IO_URING_PREP_MSG_RING_FD
    .prep_msg_ring_fd = true,
#else
    .prep_msg_ring_fd = false,
#endif
#ifdef RINGLANE_HAVE_IO_URING_BUF_RING_AVAILABLE
    .buf_ring_available = true,
#else
    .buf_ring_available = false,
#endif
#ifdef RINGLANE_HAVE_IO_URING_SUBMIT_AND_WAIT_MIN_TIMEOUT
    .submit_and_wait_min_timeout = true,
#else
    .submit_and_wait_min_timeout = false,
#endif
#ifdef RINGLANE_HAVE_IO_URING_SQE_SET_BUF_GROUP
    .sqe_set_buf_group = true,
#else
    .sqe_set_buf_group = false,
#endif
};

// True when liburing.h is 2.4 or newer (setup_buf_ring appeared in 2.4, and
// the same release fixed prep_accept_direct's ALLOC handling).
inline constexpr bool liburing_2_4_or_newer = installed_helpers.setup_buf_ring;

// Selects provided-buffer group `group` for the SQE. 2.9 added a setter;
// before that the field is assigned directly (IO_URING.md 1.3). The caller
// also sets IOSQE_BUFFER_SELECT in sqe->flags.
inline void set_buf_group(io_uring_sqe* sqe, std::uint16_t group) noexcept {
#ifdef RINGLANE_HAVE_IO_URING_SQE_SET_BUF_GROUP
  io_uring_sqe_set_buf_group(sqe, group);
#else
  sqe->buf_group = group;
#endif
}

// ---------------------------------------------------------------------------
// 3. Helpers that 2.3 gets wrong.

// Accept into a kernel-chosen slot of the fixed-file table (5.19).
//
// The kernel encodes the target slot as "index + 1" in sqe->file_index, 0
// meaning "not a direct descriptor", and IORING_FILE_INDEX_ALLOC (~0U) as the
// stored value meaning "allocate". liburing 2.3's prep_accept_direct always
// adds one, so ALLOC wraps to 0 and the accept silently returns a normal fd.
// 2.4 special-cases ALLOC. Passing ALLOC - 1 stores ALLOC in both versions:
// 2.3 adds one; 2.4 sees a value that is not ALLOC and also adds one. (2.3's
// prep_multishot_accept_direct already does exactly this.)
inline void prep_accept_direct_alloc(io_uring_sqe* sqe, int listen_fd, sockaddr* addr, socklen_t* addrlen,
                                     int flags) noexcept {
  io_uring_prep_accept_direct(sqe, listen_fd, addr, addrlen, flags, IORING_FILE_INDEX_ALLOC - 1);
}

}  // namespace ringlane::engine::compat
