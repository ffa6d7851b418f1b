// Tests for engine/uring/buffer_ring.hpp: layout, single-shot recv with
// IOSQE_BUFFER_SELECT on a socketpair, exhaustion (-ENOBUFS) and recovery,
// the claim/recycle bookkeeping, and the unregistered (fallback) mode.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>

#include "engine/uring/buffer_ring.hpp"
#include "engine/uring/compat.hpp"
#include "engine/uring/ring.hpp"

namespace ringlane::engine {
namespace {

constexpr std::uint16_t group = 7;

// Kernel-mode tests need ring-mapped provided buffers (5.19); elsewhere
// create() falls back to user mode, which has its own tests below.
#define SKIP_UNLESS_REGISTERED(b)                                                            \
  if (!(b).registered()) {                                                                    \
    GTEST_SKIP() << "kernel without buffer rings: " << (b).registration_error();              \
  }                                                                                           \
  static_assert(true)

struct completion {
  int res = 0;
  std::uint32_t flags = 0;
};

class BufferRing : public ::testing::Test {
 protected:
  void SetUp() override {
    ring_result r = ring::create({.sq_entries = 16});
    if (!r) GTEST_SKIP() << r.error().reason;
    ring_ = r.take();
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp_), 0);
  }
  void TearDown() override {
    for (int fd : sp_)
      if (fd >= 0) ::close(fd);
  }

  buffer_ring make(std::uint32_t entries, std::uint32_t size) {
    return buffer_ring::create(*ring_->get(), group, entries, size);
  }

  // One single-shot recv that lets the kernel pick a buffer, after the
  // peer wrote `data`. Returns the CQE.
  completion recv_after_write(std::string_view data) {
    if (!data.empty()) {
      EXPECT_EQ(::write(sp_[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
    }
    io_uring_sqe* sqe = io_uring_get_sqe(ring_->get());
    io_uring_prep_recv(sqe, sp_[0], nullptr, 0, 0);  // len 0: up to the buffer's size
    sqe->flags |= IOSQE_BUFFER_SELECT;
    compat::set_buf_group(sqe, group);
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{.tv_sec = 2, .tv_nsec = 0};
    const int rc = io_uring_submit_and_wait_timeout(ring_->get(), &cqe, 1, &ts, nullptr);
    if (rc < 0) {
      ADD_FAILURE() << "no completion: " << rc;
      return {rc, 0};
    }
    completion c{cqe->res, cqe->flags};
    io_uring_cqe_seen(ring_->get(), cqe);
    return c;
  }

  static std::string_view text(std::span<std::byte> b, int n) {
    return {reinterpret_cast<const char*>(b.data()), static_cast<std::size_t>(n)};
  }

  std::unique_ptr<ring> ring_;
  int sp_[2] = {-1, -1};
};

TEST_F(BufferRing, StartsFullWithPaddedBuffersInOneRegion) {
  buffer_ring b = make(8, 100);
  SKIP_UNLESS_REGISTERED(b);
  EXPECT_EQ(b.group(), group);
  EXPECT_EQ(b.available(), 8u);
  EXPECT_EQ(b.stride(), 192u) << "100 + 64 slack, rounded up to 64";
  EXPECT_EQ(b.buffer(3).size(), 100u);
  EXPECT_EQ(b.padded_buffer(3).size(), 164u);
  EXPECT_EQ(b.buffer(1).data() - b.buffer(0).data(), 192);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.buffer(0).data()) % 64, 0u);
}

TEST_F(BufferRing, ASingleRecvLandsInAProvidedBufferThatCanBeRecycled) {
  buffer_ring b = make(4, 64);
  SKIP_UNLESS_REGISTERED(b);
  const completion c = recv_after_write("hello");
  ASSERT_EQ(c.res, 5);
  const auto bid = buffer_ring::buffer_id(c.flags);
  ASSERT_TRUE(bid.has_value()) << "IORING_CQE_F_BUFFER expected";
  ASSERT_EQ(b.claim(*bid), 0);
  EXPECT_EQ(text(b.buffer(*bid), c.res), "hello");
  EXPECT_EQ(b.available(), 3u);

  EXPECT_EQ(b.recycle(*bid), 0);
  EXPECT_EQ(b.pending(), 1u);
  EXPECT_EQ(b.available(), 3u) << "not visible to the kernel before commit()";
  b.commit();
  EXPECT_EQ(b.pending(), 0u);
  EXPECT_EQ(b.available(), 4u);
  EXPECT_EQ(b.stats().handed_out, 1u);
  EXPECT_EQ(b.stats().recycled, 1u);
}

TEST_F(BufferRing, AnEmptyGroupGivesEnobufsAndRecyclingRecovers) {
  buffer_ring b = make(2, 64);
  SKIP_UNLESS_REGISTERED(b);
  const completion first = recv_after_write("one");
  const completion second = recv_after_write("two");
  ASSERT_EQ(first.res, 3);
  ASSERT_EQ(second.res, 3);
  const std::uint16_t a = *buffer_ring::buffer_id(first.flags);
  const std::uint16_t c = *buffer_ring::buffer_id(second.flags);
  EXPECT_NE(a, c);
  ASSERT_EQ(b.claim(a), 0);
  ASSERT_EQ(b.claim(c), 0);
  EXPECT_EQ(b.available(), 0u);

  const completion third = recv_after_write("three");
  ASSERT_EQ(third.res, -ENOBUFS);
  EXPECT_FALSE(buffer_ring::buffer_id(third.flags).has_value());
  b.note_enobufs();

  // The data stayed in the socket: give one buffer back and receive it.
  ASSERT_EQ(b.recycle(a), 0);
  b.commit();
  const completion again = recv_after_write("");
  ASSERT_EQ(again.res, 5);
  const std::uint16_t d = *buffer_ring::buffer_id(again.flags);
  EXPECT_EQ(d, a) << "the only buffer in the ring";
  ASSERT_EQ(b.claim(d), 0);
  EXPECT_EQ(text(b.buffer(d), again.res), "three");
  EXPECT_EQ(text(b.buffer(c), 3), "two");
  EXPECT_EQ(b.stats().handed_out, 3u);
  EXPECT_EQ(b.stats().recycled, 1u);
  EXPECT_EQ(b.stats().enobufs, 1u);
}

TEST_F(BufferRing, AGroupIdInUseIsASetupErrorNotAFallback) {
  buffer_ring b = make(2, 64);
  SKIP_UNLESS_REGISTERED(b);
  try {
    buffer_ring twin = buffer_ring::create(*ring_->get(), group, 2, 64);
    FAIL() << "registered the same group twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EEXIST) << e.what();
  }
}

TEST_F(BufferRing, MovingKeepsTheRegistration) {
  buffer_ring b = make(2, 64);
  SKIP_UNLESS_REGISTERED(b);
  buffer_ring moved(std::move(b));
  EXPECT_EQ(b.entries(), 0u);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_FALSE(b.registered());
  buffer_ring target = buffer_ring::create_unregistered(1, 2, 64);
  target = std::move(moved);
  EXPECT_TRUE(target.registered());
  const completion c = recv_after_write("hi");
  ASSERT_EQ(c.res, 2);
  const std::uint16_t bid = *buffer_ring::buffer_id(c.flags);
  ASSERT_EQ(target.claim(bid), 0);
  EXPECT_EQ(text(target.buffer(bid), 2), "hi");
}

TEST(BufferRingArguments, AreCheckedBeforeAnythingIsMapped) {
  for (std::uint32_t entries : {0u, 3u, 65536u}) {
    EXPECT_THROW((void)buffer_ring::create_unregistered(0, entries, 64), std::system_error) << entries;
  }
  EXPECT_THROW((void)buffer_ring::create_unregistered(0, 4, 0), std::system_error);
}

TEST(BufferRingIds, ComeFromTheUpperSixteenFlagBits) {
  EXPECT_EQ(buffer_ring::buffer_id(IORING_CQE_F_BUFFER | (5U << IORING_CQE_BUFFER_SHIFT)), 5);
  EXPECT_EQ(buffer_ring::buffer_id(IORING_CQE_F_BUFFER | (0xffffU << IORING_CQE_BUFFER_SHIFT)), 0xffff);
  EXPECT_FALSE(buffer_ring::buffer_id(IORING_CQE_F_MORE | (5U << IORING_CQE_BUFFER_SHIFT)).has_value());
}

// The fallback: the same memory, handed out from a free list.
TEST(BufferRingUserMode, HandsOutEveryBufferOnceThenReportsEnobufs) {
  buffer_ring b = buffer_ring::create_unregistered(3, 4, 32);
  EXPECT_FALSE(b.registered());
  EXPECT_EQ(b.registration_error(), 0) << "unregistered on purpose";
  for (int want = 0; want < 4; ++want) EXPECT_EQ(b.acquire(), want);
  EXPECT_EQ(b.available(), 0u);
  EXPECT_EQ(b.acquire(), -ENOBUFS);
  EXPECT_EQ(b.stats().enobufs, 1u);

  EXPECT_EQ(b.recycle(2), 0);
  EXPECT_EQ(b.available(), 1u) << "no commit needed without a kernel ring";
  EXPECT_EQ(b.acquire(), 2);
  EXPECT_EQ(b.claim(1), -EOPNOTSUPP) << "nobody but acquire() hands out buffers here";
  EXPECT_EQ(b.stats().handed_out, 5u);
}

TEST(BufferRingUserMode, RefusesToRecycleWhatIsNotOut) {
  buffer_ring b = buffer_ring::create_unregistered(3, 4, 32);
  EXPECT_EQ(b.recycle(0), -EALREADY) << "never handed out";
  const int bid = b.acquire();
  ASSERT_GE(bid, 0);
  EXPECT_EQ(b.recycle(static_cast<std::uint16_t>(bid)), 0);
  EXPECT_EQ(b.recycle(static_cast<std::uint16_t>(bid)), -EALREADY) << "double recycle";
  EXPECT_EQ(b.recycle(4), -EINVAL) << "no such buffer";
  EXPECT_EQ(b.stats().recycled, 1u);
}

TEST_F(BufferRing, KernelModeRefusesDoubleClaimsAndAcquire) {
  buffer_ring b = make(2, 64);
  SKIP_UNLESS_REGISTERED(b);
  EXPECT_EQ(b.acquire(), -EOPNOTSUPP) << "the kernel picks buffers";
  const completion c = recv_after_write("x");
  const std::uint16_t bid = *buffer_ring::buffer_id(c.flags);
  EXPECT_EQ(b.claim(bid), 0);
  EXPECT_EQ(b.claim(bid), -EALREADY);
  EXPECT_EQ(b.claim(2), -EINVAL);
  EXPECT_EQ(b.recycle(bid), 0);
  EXPECT_EQ(b.recycle(bid), -EALREADY);
  b.commit();
  EXPECT_EQ(b.available(), 2u);
}

}  // namespace
}  // namespace ringlane::engine
