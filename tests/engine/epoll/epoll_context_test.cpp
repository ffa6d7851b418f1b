// Tests for engine/epoll/epoll_context.hpp and pool.hpp, driven by hand:
// an epoll_context on the test thread, ops started, cancelled and parked
// one call at a time, so each test can say exactly *when* a completion
// arrives. The same backend inside real runtimes: epoll_runtime_test.cpp.
#include "engine/epoll/epoll_context.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "engine/epoll/pool.hpp"
#include "tests/engine/epoll/epoll_test_support.hpp"

namespace ringlane::engine {
namespace {

using namespace epoll_test;

// ===========================================================================
// The pool

TEST(PlainBufferPool, LendsEveryBufferOnceWithSlackAndAlignment) {
  plain_buffer_pool pool(4, 1000);
  EXPECT_EQ(pool.capacity(), 4u);
  EXPECT_EQ(pool.buffer_size(), 1000u);
  std::vector<std::uint16_t> ids;
  while (auto b = pool.take()) ids.push_back(*b);
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(pool.available(), 0u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto mem = pool.get(ids[i]);
    EXPECT_EQ(mem.size(), 1000u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(mem.data()) % 64, 0u);
    // 64 bytes of slack before the next buffer.
    for (std::size_t j = 0; j < ids.size(); ++j) {
      if (i == j) continue;
      const std::byte* other = pool.get(ids[j]).data();
      EXPECT_TRUE(other >= mem.data() + mem.size() + plain_buffer_pool::slack || other + 1000 <= mem.data());
    }
  }
  for (auto id : ids) pool.put(id);
  EXPECT_EQ(pool.available(), 4u);
  EXPECT_THROW(plain_buffer_pool(70000, 16), std::invalid_argument);
}

// ===========================================================================
// The driver, by hand

TEST(EpollDriver, UnparkBeforeParkIsSticky) {
  epoll_context ctx;
  EXPECT_EQ(current_io(), &ctx);
  ctx.unpark();
  const auto t0 = steady::now();
  ctx.park(10s);  // returns at once: the unpark came first
  EXPECT_LT(steady::now() - t0, 5s);
}

TEST(EpollDriver, ParkTimesOutRoundedUpToAMillisecond) {
  epoll_context ctx;
  const auto t0 = steady::now();
  ctx.park(1500us);  // epoll_wait(2 ms), never 1 ms
  EXPECT_GE(steady::now() - t0, 1500us);
  const auto t1 = steady::now();
  ctx.park(0ns);  // poll
  EXPECT_LT(steady::now() - t1, 1s);
}

TEST(EpollDriver, UnparkFromAnotherThreadWakesASleepingPark) {
  epoll_context ctx;
  std::thread waker_thread([&] {
    // Wait (bounded) until the owner is really inside epoll_wait.
    for (int i = 0; i < 10'000 && !ctx.is_sleeping(); ++i) std::this_thread::sleep_for(1ms);
    ctx.unpark();
  });
  const auto t0 = steady::now();
  ctx.park(20s);
  const auto waited = steady::now() - t0;
  waker_thread.join();
  EXPECT_LT(waited, 10s);
  EXPECT_FALSE(ctx.is_sleeping());
}

TEST(EpollDriver, DescribesItself) {
  epoll_options o;
  o.reason = "io_uring_setup: EPERM";
  epoll_context ctx(o);
  EXPECT_EQ(ctx.kind(), backend_kind::epoll);
  EXPECT_EQ(ctx.describe(), "backend epoll: io_uring_setup: EPERM");
  EXPECT_EQ(ctx.buffers().capacity(), 1024u);
  EXPECT_EQ(ctx.buffers().buffer_size(), 16u * 1024);
  EXPECT_EQ(epoll_context().describe(), "backend epoll");
}

// ===========================================================================
// Ops, by hand: when completions arrive

struct EpollDirect : ::testing::Test {
  epoll_context ctx;
  std::array<int, 2> sv = unix_pair();
  ~EpollDirect() override {
    op_base close_op;
    close_op.code = op_code::close;
    close_op.fd = sv[0];
    EXPECT_TRUE(ctx.start(close_op));
    ::close(sv[1]);
    ctx.park(0ns);  // deliver what close cancelled
  }
  static constexpr std::int32_t untouched = 12345;
};

TEST_F(EpollDirect, ReadyDataCompletesInsideStart) {
  ASSERT_EQ(::send(sv[1], "abc", 3, 0), 3);
  char buf[8];
  op_base op;
  op.code = op_code::recv;
  op.fd = sv[0];
  op.buf = buf;
  op.len = sizeof buf;
  EXPECT_TRUE(ctx.start(op));
  EXPECT_EQ(op.res, 3);
  EXPECT_EQ(std::string(buf, 3), "abc");
}

TEST_F(EpollDirect, ParkedRecvCompletesFromParkOnceDataArrives) {
  char buf[8];
  op_base op;
  op.code = op_code::recv;
  op.fd = sv[0];
  op.buf = buf;
  op.len = sizeof buf;
  op.res = untouched;
  ASSERT_FALSE(ctx.start(op));
  op.state = op_state::in_flight;
  ctx.park(0ns);
  EXPECT_EQ(op.res, untouched);  // nothing to read yet
  ASSERT_EQ(::send(sv[1], "hello", 5, 0), 5);
  for (int i = 0; i < 100 && op.state != op_state::done; ++i) ctx.park(100ms);
  EXPECT_EQ(op.state, op_state::done);
  EXPECT_EQ(op.res, 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
}

TEST_F(EpollDirect, CancelCompletesAtTheNextParkNotInsideCancel) {
  char buf[8];
  op_base op;
  op.code = op_code::recv;
  op.fd = sv[0];
  op.buf = buf;
  op.len = sizeof buf;
  op.res = untouched;
  ASSERT_FALSE(ctx.start(op));
  op.state = op_state::in_flight;
  ctx.cancel(op);
  EXPECT_EQ(op.res, untouched);
  EXPECT_EQ(op.state, op_state::in_flight);
  const auto t0 = steady::now();
  ctx.park(std::nullopt);  // a queued completion: does not sleep
  EXPECT_LT(steady::now() - t0, 5s);
  EXPECT_EQ(op.res, -ECANCELED);
  EXPECT_EQ(op.state, op_state::done);
  ctx.cancel(op);  // already complete: a no-op
  ctx.park(0ns);
  EXPECT_EQ(op.res, -ECANCELED);
}

TEST_F(EpollDirect, OneOpPerSideAndCloseCancelsTheParkedOnes) {
  char buf[8];
  op_base first, second;
  for (op_base* op : {&first, &second}) {
    op->code = op_code::recv;
    op->fd = sv[0];
    op->buf = buf;
    op->len = sizeof buf;
  }
  ASSERT_FALSE(ctx.start(first));
  first.state = op_state::in_flight;
  EXPECT_TRUE(ctx.start(second));
  EXPECT_EQ(second.res, -EBUSY);
  EXPECT_FALSE(ctx.start(first));  // the same op again: still parked, not -EBUSY

  op_base close_op;
  close_op.code = op_code::close;
  close_op.fd = sv[0];
  EXPECT_TRUE(ctx.start(close_op));
  EXPECT_EQ(close_op.res, 0);
  EXPECT_EQ(first.state, op_state::in_flight);  // not from inside start
  ctx.park(0ns);
  EXPECT_EQ(first.res, -ECANCELED);
  sv[0] = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);  // for the fixture's close
}

TEST_F(EpollDirect, OrphanedOpIsFreedByItsCancellation) {
  auto* op = new owned_recv_op;
  op->code = op_code::recv;
  op->fd = sv[0];
  op->buf = op->storage;
  op->len = sizeof op->storage;
  ASSERT_FALSE(ctx.start(*op));
  op->state = op_state::orphaned;  // what op_awaiter does when its task dies
  ctx.cancel(*op);
  ctx.park(0ns);  // deliver() deletes it; ASan/LSan check the rest
}

// An open whose task was cancelled before the completion arrived: the new
// descriptor must not leak (the static file handler opens files this way).
TEST_F(EpollDirect, AnOrphanedOpenClosesTheFileItOpened) {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto* op = new op_base;
  op->code = op_code::openat;
  op->state = op_state::orphaned;
  deliver(ctx, *op, fd, 0, 0);  // frees the op (ASan checks)
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(EpollDirect, FileOpsCompleteInline) {
  char path[] = "/tmp/ringlane_epoll_XXXXXX";
  const int tmp = ::mkstemp(path);
  ASSERT_GE(tmp, 0);
  ASSERT_EQ(::write(tmp, "hello world", 11), 11);
  ::close(tmp);

  op_base open_op;
  open_op.code = op_code::openat;
  open_op.fd = AT_FDCWD;
  open_op.buf = path;
  open_op.msg_flags = O_RDONLY | O_CLOEXEC;
  ASSERT_TRUE(ctx.start(open_op));
  ASSERT_GE(open_op.res, 0);
  const int fd = open_op.res;

  char buf[16] = {};
  op_base read_op;
  read_op.code = op_code::read;
  read_op.fd = fd;
  read_op.buf = buf;
  read_op.len = sizeof buf;
  read_op.offset = 6;
  ASSERT_TRUE(ctx.start(read_op));
  EXPECT_EQ(read_op.res, 5);
  EXPECT_EQ(std::string(buf, 5), "world");

  struct statx stx {};
  op_base stat_op;
  stat_op.code = op_code::statx;
  stat_op.fd = AT_FDCWD;
  stat_op.buf = path;
  stat_op.len = STATX_SIZE;
  stat_op.out = &stx;
  ASSERT_TRUE(ctx.start(stat_op));
  EXPECT_EQ(stat_op.res, 0);
  EXPECT_EQ(stx.stx_size, 11u);

  op_base nop;
  EXPECT_TRUE(ctx.start(nop));
  EXPECT_EQ(nop.res, 0);

  op_base close_op;
  close_op.code = op_code::close;
  close_op.fd = fd;
  EXPECT_TRUE(ctx.start(close_op));
  EXPECT_EQ(close_op.res, 0);
  ::unlink(path);
}

TEST_F(EpollDirect, WritevSendsEveryIovec) {
  char a[] = "ring", b[] = "lane";
  iovec iov[2] = {{a, 4}, {b, 4}};
  op_base op;
  op.code = op_code::writev;
  op.fd = sv[0];
  op.iov = iov;
  op.iovcnt = 2;
  ASSERT_TRUE(ctx.start(op));
  EXPECT_EQ(op.res, 8);
  char got[8];
  ASSERT_EQ(::recv(sv[1], got, sizeof got, MSG_WAITALL), 8);
  EXPECT_EQ(std::string(got, 8), "ringlane");
}

TEST_F(EpollDirect, AnFdNumberReusedByAcceptStartsAfresh) {
  // A recv parks on sv[0]; then sv[0] is closed behind the context's back
  // and accept hands out the same number for a new connection.
  const bound_socket l = bind_loopback(4);
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(l.port);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // the backlog takes it
  char buf[8];
  op_base stale;
  stale.code = op_code::recv;
  stale.fd = sv[0];
  stale.buf = buf;
  stale.len = sizeof buf;
  ASSERT_FALSE(ctx.start(stale));
  stale.state = op_state::in_flight;
  const int reused = sv[0];
  ::close(sv[0]);

  op_base acc;
  acc.code = op_code::accept;
  acc.fd = l.fd;
  ASSERT_TRUE(ctx.start(acc));
  ASSERT_EQ(acc.res, reused) << "the kernel hands out the lowest free number";
  sv[0] = acc.res;

  // The new connection works: a recv parks (no -EBUSY from the stale op,
  // which ends with -EBADF) and completes when data arrives.
  op_base fresh;
  fresh.code = op_code::recv;
  fresh.fd = sv[0];
  fresh.buf = buf;
  fresh.len = sizeof buf;
  ASSERT_FALSE(ctx.start(fresh));
  fresh.state = op_state::in_flight;
  ASSERT_EQ(::send(client, "new", 3, 0), 3);
  for (int i = 0; i < 100 && fresh.state != op_state::done; ++i) ctx.park(100ms);
  EXPECT_EQ(stale.res, -EBADF);
  EXPECT_EQ(fresh.res, 3);
  ::close(client);
  ::close(l.fd);
}

TEST_F(EpollDirect, SpliceMovesBytesThroughAPipe) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  ASSERT_EQ(::send(sv[1], "spliced", 7, 0), 7);
  op_base in;  // socket -> pipe
  in.code = op_code::splice;
  in.fd = sv[0];
  in.offset = ~std::uint64_t{0};
  in.fd_out = p[1];
  in.len = 64;
  ASSERT_TRUE(ctx.start(in));
  EXPECT_EQ(in.res, 7);
  op_base out;  // pipe -> socket
  out.code = op_code::splice;
  out.fd = p[0];
  out.offset = ~std::uint64_t{0};
  out.fd_out = sv[0];
  out.len = 64;
  ASSERT_TRUE(ctx.start(out));
  EXPECT_EQ(out.res, 7);
  char got[7];
  ASSERT_EQ(::recv(sv[1], got, sizeof got, MSG_WAITALL), 7);
  EXPECT_EQ(std::string(got, 7), "spliced");
  for (int fd : p) {
    op_base c;
    c.code = op_code::close;
    c.fd = fd;
    EXPECT_TRUE(ctx.start(c));
    EXPECT_EQ(c.res, 0);
  }
}

TEST_F(EpollDirect, PeerHangUpGivesParkedOpsTheirRealResult) {
  // Fill sv[0]'s send buffer so that a send parks, and park a recv too.
  static char junk[65536];
  while (::send(sv[0], junk, sizeof junk, MSG_DONTWAIT) > 0) {
  }
  char buf[8];
  op_base rx, tx;
  rx.code = op_code::recv;
  rx.fd = sv[0];
  rx.buf = buf;
  rx.len = sizeof buf;
  tx.code = op_code::send;
  tx.fd = sv[0];
  tx.buf = junk;
  tx.len = sizeof junk;
  ASSERT_FALSE(ctx.start(rx));
  ASSERT_FALSE(ctx.start(tx));
  rx.state = tx.state = op_state::in_flight;
  ::close(sv[1]);  // HUP: both retry and see what the kernel says
  for (int i = 0; i < 100 && (rx.state != op_state::done || tx.state != op_state::done); ++i) ctx.park(100ms);
  // The peer went away with unread data (our junk): AF_UNIX reports a reset.
  EXPECT_EQ(rx.res, -ECONNRESET);
  EXPECT_EQ(tx.res, -EPIPE);
  sv[1] = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);  // for the fixture's close
}

TEST(EpollMultishot, AcceptBatchesAreCutForFairnessAndResumeWithoutAnEdge) {
  epoll_options o;
  o.multishot_batch = 2;
  epoll_context ctx(o);
  const bound_socket l = bind_loopback(8);
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) {  // all five wait in the backlog
    clients.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(l.port);
    ASSERT_EQ(::connect(clients.back(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  auto op = make_multishot(op_code::accept_multishot, l.fd);
  op->state = op_state::in_flight;
  ASSERT_FALSE(ctx.start(*op));
  EXPECT_TRUE(op->got.empty());  // first attempt at the next park, not inside start
  const auto t0 = steady::now();
  for (std::size_t want : {2u, 4u, 5u}) {
    ctx.park(std::nullopt);  // owed retries: never sleeps
    EXPECT_EQ(op->got.size(), want);
  }
  EXPECT_LT(steady::now() - t0, 5s);
  for (const completion& c : op->got) {
    EXPECT_GE(c.res, 0);
    EXPECT_TRUE(c.flags & completion_flags::more);
    ::close(c.res);
  }
  op->got.clear();
  ctx.cancel(*op);
  ctx.park(0ns);
  ASSERT_EQ(op->got.size(), 1u);
  EXPECT_EQ(op->got.front().res, -ECANCELED);
  EXPECT_FALSE(op->got.front().flags & completion_flags::more);
  for (int fd : clients) ::close(fd);
  ::close(l.fd);
}

TEST(EpollMultishot, CancelledRecvKeepsItsChunksAndPoolBalance) {
  epoll_options o;
  o.buffer_count = 4;
  o.buffer_size = 16;
  epoll_context ctx(o);
  const auto sv = unix_pair();
  auto op = make_multishot(op_code::recv_multishot, sv[0]);
  op->state = op_state::in_flight;
  ASSERT_FALSE(ctx.start(*op));
  ASSERT_EQ(::send(sv[1], "0123456789abcdefXYZ", 19, 0), 19);
  for (int i = 0; i < 100 && op->got.size() < 2; ++i) ctx.park(100ms);
  ASSERT_EQ(op->got.size(), 2u);  // 16 + 3 bytes, both with `more`
  EXPECT_EQ(op->got[0].res, 16);
  EXPECT_EQ(op->got[1].res, 3);
  EXPECT_EQ(ctx.buffers().available(), 2u);
  ctx.cancel(*op);
  ctx.park(0ns);
  ASSERT_EQ(op->got.size(), 3u);
  EXPECT_EQ(op->got[2].res, -ECANCELED);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(op->got[i].flags, completion_flags::more | completion_flags::buffer);
    ctx.buffers().put(op->got[i].buffer_id);
  }
  EXPECT_EQ(ctx.buffers().available(), 4u);
  op_base c;
  c.code = op_code::close;
  c.fd = sv[0];
  EXPECT_TRUE(ctx.start(c));
  ::close(sv[1]);
}

}  // namespace
}  // namespace ringlane::engine
