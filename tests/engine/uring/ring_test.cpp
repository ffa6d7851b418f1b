// Tests for engine/uring/ring.hpp (the setup ladder, with a fake kernel that
// rejects chosen flags), compat.hpp (the 2.3 accept_direct regression) and
// user_data.hpp (the encoding).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>
#include <vector>

#include "engine/uring/compat.hpp"
#include "engine/uring/ring.hpp"
#include "engine/uring/user_data.hpp"

namespace ringlane::engine {
namespace {

// A kernel that returns EINVAL when asked for any flag in `rejected`, or
// `hard_error` for everything; otherwise it is the real setup call.
struct fake_kernel {
  static inline unsigned rejected = 0;
  static inline int hard_error = 0;
  static inline std::vector<unsigned> asked;

  static void reset() {
    rejected = 0;
    hard_error = 0;
    asked.clear();
  }
  static int setup(unsigned entries, io_uring* r, io_uring_params* p) {
    asked.push_back(p->flags);
    if (hard_error != 0) return hard_error;
    if ((p->flags & rejected) != 0) return -EINVAL;
    return io_uring_queue_init_params(entries, r, p);
  }
};

// Failures only: the fake kernel answers every call itself.
class Ladder : public ::testing::Test {
 protected:
  void SetUp() override { fake_kernel::reset(); }
  static ring_options opts() { return {.sq_entries = 64, .setup = &fake_kernel::setup}; }
};

// The step that succeeds calls the real kernel: skipped where there is none.
class LadderOnKernel : public Ladder {
 protected:
  void SetUp() override {
    Ladder::SetUp();
    ring_result real = ring::create({.sq_entries = 8});
    if (!real) GTEST_SKIP() << real.error().reason;
  }
};

std::vector<unsigned> flags_of(std::initializer_list<ladder_step> steps, bool safe = false) {
  std::vector<unsigned> out;
  for (ladder_step s : steps) out.push_back(ladder_flags(s, safe));
  return out;
}

TEST(LadderFlags, StepsDropFlagsInTheDocumentedOrder) {
  constexpr unsigned a = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN |
                         IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE |
                         IORING_SETUP_CLAMP;
  EXPECT_EQ(ladder_flags(ladder_step::a, false), a);
  EXPECT_EQ(ladder_flags(ladder_step::b, false), a & ~(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN));
  EXPECT_EQ(ladder_flags(ladder_step::c, false), IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP);
  EXPECT_EQ(ladder_flags(ladder_step::d, false), IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP);
  EXPECT_EQ(ladder_flags(ladder_step::e, false), 0u);
  EXPECT_EQ(ladder_flags(ladder_step::a, true), a & ~IORING_SETUP_DEFER_TASKRUN);
  EXPECT_EQ(setup_flag_names(a), "SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL|CQSIZE|CLAMP");
  EXPECT_EQ(setup_flag_names(0), "none");
  EXPECT_EQ(setup_flag_names(IORING_SETUP_CLAMP | (1U << 30)), "CLAMP|0x40000000");
}

TEST_F(LadderOnKernel, AKernelThatAcceptsEverythingGetsTheFullSetOnTheFirstTry) {
  ring_result r = ring::create(opts());
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(fake_kernel::asked, flags_of({ladder_step::a}));
  EXPECT_EQ(r.value().step(), ladder_step::a);
  EXPECT_EQ(r.value().flags(), ladder_flags(ladder_step::a, false));
  EXPECT_EQ(r.value().cq_entries(), 4 * r.value().sq_entries()) << "CQ defaults to 4 x SQ";
  EXPECT_NE(r.value().features() & IORING_FEAT_NODROP, 0u);
  EXPECT_TRUE(r.value().ring_fd_registered()) << r.value().post_setup().register_ring_fd;
  EXPECT_EQ(r.value().post_setup().dontfork, 0);
  EXPECT_EQ(r.value().post_setup().iowq_max_workers, 0);
}

TEST_F(LadderOnKernel, EinvalForDeferTaskrunFallsToStepB) {
  fake_kernel::rejected = IORING_SETUP_DEFER_TASKRUN;  // a 5.19/6.0 kernel
  ring_result r = ring::create(opts());
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(fake_kernel::asked, flags_of({ladder_step::a, ladder_step::b}));
  EXPECT_EQ(r.value().step(), ladder_step::b);
  EXPECT_EQ(r.value().flags(), ladder_flags(ladder_step::b, false));
  ASSERT_EQ(r.trace().count, 2u);
  EXPECT_EQ(r.trace().attempts[0].result, -EINVAL);
  EXPECT_EQ(r.trace().attempts[1].result, 0);
}

TEST_F(LadderOnKernel, EinvalForCoopTaskrunFallsToStepC) {
  fake_kernel::rejected = IORING_SETUP_COOP_TASKRUN;  // a 5.18 kernel
  ring_result r = ring::create(opts());
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(fake_kernel::asked, flags_of({ladder_step::a, ladder_step::b, ladder_step::c}));
  EXPECT_EQ(r.value().flags(), IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP);
}

TEST_F(LadderOnKernel, EinvalForSubmitAllFallsToStepD) {
  fake_kernel::rejected = IORING_SETUP_SUBMIT_ALL;  // a 5.11-5.17 kernel
  ring_result r = ring::create(opts());
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r.value().step(), ladder_step::d);
  EXPECT_EQ(r.value().flags(), IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP);
  EXPECT_EQ(r.value().cq_entries(), 4 * r.value().sq_entries());
}

TEST_F(LadderOnKernel, EinvalForCqSizeFallsToPlainSetupWithTheDefaultCq) {
  fake_kernel::rejected = IORING_SETUP_CLAMP;
  ring_result r = ring::create(opts());
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r.value().step(), ladder_step::e);
  EXPECT_EQ(r.value().flags(), 0u);
  EXPECT_EQ(fake_kernel::asked.size(), ladder_length);
  EXPECT_EQ(r.value().cq_entries(), 2 * r.value().sq_entries()) << "the kernel's own default";
}

TEST_F(Ladder, EinvalOnEveryStepMeansUnavailable) {
  fake_kernel::hard_error = -EINVAL;
  ring_result r = ring::create(opts());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, -EINVAL);
  EXPECT_EQ(r.error().step, ladder_step::e);
  EXPECT_EQ(r.trace().count, ladder_length);
  EXPECT_NE(r.error().reason.find("io_uring unavailable"), std::string::npos) << r.error().reason;
}

TEST_F(Ladder, EpermStopsAtOnceAndNamesTheLikelyCause) {
  fake_kernel::hard_error = -EPERM;
  ring_result r = ring::create(opts());
  ASSERT_FALSE(r);
  EXPECT_EQ(fake_kernel::asked.size(), 1u) << "EPERM is not a flag problem: no ladder";
  EXPECT_EQ(r.error().error, -EPERM);
  EXPECT_EQ(r.error().step, ladder_step::a);
  EXPECT_NE(r.error().reason.find("EPERM"), std::string::npos) << r.error().reason;
  EXPECT_NE(r.error().reason.find("seccomp"), std::string::npos) << r.error().reason;
}

TEST_F(Ladder, AFailedSetupClosesNoFileDescriptor) {
  // A zeroed io_uring has ring_fd 0: tearing one down would close stdin.
  int saved = -1;
  if (::fcntl(0, F_GETFD) == -1) saved = ::open("/dev/null", O_RDONLY);  // becomes fd 0
  ASSERT_NE(::fcntl(0, F_GETFD), -1);
  fake_kernel::hard_error = -EPERM;
  EXPECT_FALSE(ring::create(opts()));
  EXPECT_NE(::fcntl(0, F_GETFD), -1) << "fd 0 was closed by a failed setup";
  if (saved == 0) ::close(0);
}

TEST_F(Ladder, EnosysStopsAtOnce) {
  fake_kernel::hard_error = -ENOSYS;
  ring_result r = ring::create(opts());
  ASSERT_FALSE(r);
  EXPECT_EQ(fake_kernel::asked.size(), 1u);
  EXPECT_NE(r.error().reason.find("CONFIG_IO_URING"), std::string::npos) << r.error().reason;
}

TEST_F(Ladder, EnomemPointsAtTheMemlockLimit) {
  fake_kernel::hard_error = -ENOMEM;
  ring_result r = ring::create(opts());
  ASSERT_FALSE(r);
  EXPECT_EQ(fake_kernel::asked.size(), 1u);
  EXPECT_NE(r.error().reason.find("RLIMIT_MEMLOCK"), std::string::npos) << r.error().reason;
}

TEST_F(LadderOnKernel, SafeModeNeverAsksForDeferTaskrun) {
  fake_kernel::rejected = IORING_SETUP_SINGLE_ISSUER;
  ring_options o = opts();
  o.safe_mode = true;
  ring_result r = ring::create(o);
  ASSERT_TRUE(r) << r.error().reason;
  for (unsigned f : fake_kernel::asked) EXPECT_EQ(f & IORING_SETUP_DEFER_TASKRUN, 0u) << setup_flag_names(f);
  EXPECT_EQ(r.value().flags(), ladder_flags(ladder_step::b, true));
}

TEST_F(Ladder, CreateOrThrowTurnsTheFailureIntoSystemError) {
  fake_kernel::hard_error = -EPERM;
  try {
    ring::create_or_throw(opts());
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EPERM);
    EXPECT_NE(std::string(e.what()).find("io_uring unavailable"), std::string::npos) << e.what();
  }
}

TEST_F(Ladder, BadOptionsAreReportedWithoutCallingTheKernel) {
  ring_options o = opts();
  o.sq_entries = 0;
  ring_result r = ring::create(o);
  EXPECT_FALSE(r);
  EXPECT_TRUE(fake_kernel::asked.empty());
  EXPECT_NE(r.error().reason.find("sq_entries"), std::string::npos);
  o.sq_entries = 64;
  o.cq_entries = 32;  // smaller than the SQ: the kernel would say EINVAL and we would walk the ladder
  EXPECT_FALSE(ring::create(o));
  EXPECT_TRUE(fake_kernel::asked.empty());
}

TEST_F(LadderOnKernel, ARingAcceptsSubmissionsOnlyFromItsCreatorThread) {
  ring_result r = ring::create({.sq_entries = 8, .register_ring_fd = false});  // a registered index is per thread
  ASSERT_TRUE(r);
  if ((r.value().flags() & IORING_SETUP_SINGLE_ISSUER) == 0) GTEST_SKIP() << "no SINGLE_ISSUER on this kernel";
  int from_other_thread = 0;
  std::thread([&] {
    io_uring_prep_nop(io_uring_get_sqe(r.value().get()));
    from_other_thread = io_uring_submit(r.value().get());
  }).join();
  EXPECT_EQ(from_other_thread, -EEXIST);
}

// --- compat.hpp: the liburing 2.3 accept_direct regression (IO_URING.md 1.4) --

TEST(AcceptDirectAlloc, StockHelperIn23EncodesNoDirectDescriptorOursEncodesAlloc) {
  io_uring_sqe stock{};
  io_uring_prep_accept_direct(&stock, 3, nullptr, nullptr, 0, IORING_FILE_INDEX_ALLOC);
  if (compat::liburing_2_4_or_newer) {
    EXPECT_EQ(stock.file_index, IORING_FILE_INDEX_ALLOC) << "fixed in 2.4";
  } else {
    EXPECT_EQ(stock.file_index, 0u) << "2.3 stores ALLOC + 1, which wraps to 0 = 'not direct'";
  }

  io_uring_sqe ours{};
  compat::prep_accept_direct_alloc(&ours, 3, nullptr, nullptr, SOCK_CLOEXEC);
  EXPECT_EQ(ours.opcode, IORING_OP_ACCEPT);
  EXPECT_EQ(ours.fd, 3);
  EXPECT_EQ(ours.accept_flags, static_cast<unsigned>(SOCK_CLOEXEC));
  EXPECT_EQ(ours.file_index, IORING_FILE_INDEX_ALLOC);

  io_uring_sqe multishot{};  // 2.3 gets this one right: same encoding
  io_uring_prep_multishot_accept_direct(&multishot, 3, nullptr, nullptr, 0);
  EXPECT_EQ(multishot.file_index, ours.file_index);
}

// Submits one prepared SQE and returns its CQE's result.
template <class Prep>
int run_one(io_uring* r, Prep prep) {
  prep(io_uring_get_sqe(r));
  io_uring_cqe* cqe = nullptr;
  __kernel_timespec ts{.tv_sec = 2, .tv_nsec = 0};
  if (int rc = io_uring_submit_and_wait_timeout(r, &cqe, 1, &ts, nullptr); rc < 0) return rc;
  const int res = cqe->res;
  io_uring_cqe_seen(r, cqe);
  return res;
}

TEST(AcceptDirectAlloc, OnTheKernelOursInstallsAFixedFileAndTheStockOneAPlainFd) {
  ring_result r = ring::create({.sq_entries = 8});
  if (!r) GTEST_SKIP() << r.error().reason;
  io_uring* ring = r.value().get();
  if (int rc = io_uring_register_files_sparse(ring, 4); rc < 0) GTEST_SKIP() << "no sparse file table: " << rc;

  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto connect_one = [&] {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return c;
  };

  int c1 = connect_one();
  const int slot = run_one(ring, [&](io_uring_sqe* s) { compat::prep_accept_direct_alloc(s, listener, nullptr, nullptr, 0); });
  if (slot == -EINVAL) GTEST_SKIP() << "kernel without IORING_FILE_INDEX_ALLOC (5.19)";
  ASSERT_GE(slot, 0);
  ASSERT_LT(slot, 4) << "a slot of the fixed table, not an fd";
  EXPECT_EQ(run_one(ring, [&](io_uring_sqe* s) { io_uring_prep_close_direct(s, static_cast<unsigned>(slot)); }), 0)
      << "the slot held the accepted socket";

  int c2 = connect_one();
  const int fd = run_one(ring, [&](io_uring_sqe* s) {
    io_uring_prep_accept_direct(s, listener, nullptr, nullptr, SOCK_CLOEXEC, IORING_FILE_INDEX_ALLOC);
  });
  ASSERT_GE(fd, 0);
  if (!compat::liburing_2_4_or_newer) {
    int type = 0;
    socklen_t tl = sizeof type;
    EXPECT_EQ(::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl), 0) << "2.3's helper silently returns a plain fd";
    EXPECT_EQ(type, SOCK_STREAM);
    ::close(fd);
  }
  ::close(c1);
  ::close(c2);
  ::close(listener);
}

// --- user_data.hpp ----------------------------------------------------------

struct alignas(8) fake_op {
  int value = 0;
};

TEST(UserData, EncodeAndDecodeRoundTripEveryKind) {
  fake_op op{42};
  for (op_kind k : {op_kind::generic, op_kind::multishot_accept, op_kind::multishot_recv, op_kind::wake,
                    op_kind::cancel, op_kind::ignored}) {
    const std::uint64_t word = user_data::encode(&op, k);
    EXPECT_EQ(user_data::kind_of(word), k);
    EXPECT_EQ(user_data::decode<fake_op>(word), &op);
    EXPECT_FALSE(user_data::is_foreign(word));
    EXPECT_NE(word, LIBURING_UDATA_TIMEOUT);
  }
}

TEST(UserData, LiburingsTimeoutMarkerIsForeign) {
  EXPECT_TRUE(user_data::is_foreign(LIBURING_UDATA_TIMEOUT));
  EXPECT_EQ(user_data::decode<fake_op>(user_data::encode_kind_only(op_kind::wake)), nullptr);
}

}  // namespace
}  // namespace ringlane::engine
