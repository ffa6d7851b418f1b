// bare_loop -- the floor under limit_server: one io_uring loop written
// straight against liburing, with nothing of ringlane in between (no
// runtime, no tasks, no op records, no timers).
//
//   bare_loop [--port 8080] [--buffers 1024] [--buffer-size 16384]
//             [--skip-send-cqe] [--fixed-files] [--wait-nr N [--wait-usec U]]
//
// It answers like limit_server: every "\r\n\r\n" in a connection's byte
// stream gets the same fixed 200 response, and everything one read produced
// goes out in one send. One thread, one listener, one ring with
// SINGLE_ISSUER | DEFER_TASKRUN, multishot accept, multishot recv into a
// provided-buffer ring, one io_uring_enter per loop turn.
//
// It exists to answer one question with a measurement instead of a guess:
// how much of limit_server's CPU per request is the kernel's (loopback TCP
// plus io_uring itself), and how much is the engine's. Run it in the same
// wrk run as limit_server and nginx (bench/README.md, "The floor").
//
// The two switches try the kernel-side savings the engine could adopt:
//   --skip-send-cqe  sends carry IOSQE_CQE_SKIP_SUCCESS and MSG_WAITALL, so a
//                    fully sent response posts no completion. Safe here only
//                    because every send reads from one static, immutable
//                    buffer; the engine's sends read from per-connection
//                    buffers that need the completion to be reused.
//   --fixed-files    accepted sockets are direct descriptors (no fget/fput
//                    per operation).
//   --wait-nr N      each io_uring_enter sleeps until N completions are
//                    ready or U microseconds passed (--wait-usec, default
//                    100): fewer, larger loop turns, at up to U of latency.
// Not a server to deploy: errors close the connection and nothing else.
#include <liburing.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr char kResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
constexpr std::size_t kResponseLen = sizeof kResponse - 1;
constexpr unsigned kBatch = 64;  // responses one send can carry
constexpr std::uint16_t kGroup = 0;
constexpr unsigned kMaxFixed = 16384;  // direct-descriptor slots (bounded by RLIMIT_NOFILE)

// user_data: the operation in the top byte, the socket (or direct slot) below.
enum : std::uint64_t { kAccept = 1, kRecv = 2, kSend = 3, kClose = 4 };
std::uint64_t tag(std::uint64_t what, std::uint32_t fd) { return what << 56 | fd; }

struct options {
  std::uint16_t port = 8080;
  unsigned buffers = 1024;
  unsigned buffer_size = 16384;
  bool skip_send_cqe = false;
  bool fixed_files = false;
  unsigned wait_nr = 1;
  unsigned wait_usec = 100;
};

// How much of "\r\n\r\n" each connection's last bytes matched.
std::vector<std::uint8_t> matched;

unsigned count_ends(std::uint32_t conn, const char* p, std::size_t n) {
  unsigned ends = 0;
  std::uint8_t m = matched[conn];
  for (std::size_t i = 0; i < n; ++i) {
    const char want = (m == 0 || m == 2) ? '\r' : '\n';
    if (p[i] == want) {
      if (++m == 4) {
        ++ends;
        m = 0;
      }
    } else {
      m = p[i] == '\r' ? 1 : 0;
    }
  }
  matched[conn] = m;
  return ends;
}

int open_listener(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(fd, 4096) < 0) {
    std::perror("bare_loop: bind/listen");
    std::exit(1);
  }
  return fd;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--port" && has_value) o.port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
    else if (a == "--buffers" && has_value) o.buffers = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (a == "--buffer-size" && has_value) o.buffer_size = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (a == "--skip-send-cqe") o.skip_send_cqe = true;
    else if (a == "--fixed-files") o.fixed_files = true;
    else if (a == "--wait-nr" && has_value) o.wait_nr = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (a == "--wait-usec" && has_value) o.wait_usec = static_cast<unsigned>(std::atoi(argv[++i]));
    else {
      std::fprintf(stderr,
                   "usage: %s [--port N] [--buffers N] [--buffer-size N] [--skip-send-cqe] [--fixed-files]"
                   " [--wait-nr N [--wait-usec U]]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  if (o.wait_nr == 0 || o.wait_usec == 0 || o.wait_usec >= 1000000) {
    std::fprintf(stderr, "bare_loop: --wait-nr must be positive, --wait-usec in 1..999999\n");
    std::exit(2);
  }
  if (o.buffers == 0 || (o.buffers & (o.buffers - 1)) != 0 || o.buffers > 32768) {
    std::fprintf(stderr, "bare_loop: --buffers must be a power of two up to 32768\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  signal(SIGPIPE, SIG_IGN);

  io_uring ring;
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL |
            IORING_SETUP_CQSIZE;
  p.cq_entries = 16384;
  if (const int rc = io_uring_queue_init_params(1024, &ring, &p); rc < 0) {
    std::fprintf(stderr, "bare_loop: io_uring setup: %s\n", std::strerror(-rc));
    return 1;
  }
  if (o.fixed_files) {
    if (const int rc = io_uring_register_files_sparse(&ring, kMaxFixed); rc < 0) {
      std::fprintf(stderr, "bare_loop: register_files_sparse: %s\n", std::strerror(-rc));
      return 1;
    }
  }

  // The provided-buffer ring and its buffers, one mapping.
  const std::size_t ring_bytes = (o.buffers * sizeof(io_uring_buf) + 4095) / 4096 * 4096;
  auto* map = static_cast<char*>(mmap(nullptr, ring_bytes + std::size_t{o.buffers} * o.buffer_size,
                                      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (map == MAP_FAILED) {
    std::perror("bare_loop: mmap");
    return 1;
  }
  auto* br = reinterpret_cast<io_uring_buf_ring*>(map);
  char* buffers = map + ring_bytes;
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(br);
  reg.ring_entries = o.buffers;
  reg.bgid = kGroup;
  if (const int rc = io_uring_register_buf_ring(&ring, &reg, 0); rc < 0) {
    std::fprintf(stderr, "bare_loop: register_buf_ring: %s\n", std::strerror(-rc));
    return 1;
  }
  io_uring_buf_ring_init(br);
  const int mask = io_uring_buf_ring_mask(o.buffers);
  for (unsigned i = 0; i < o.buffers; ++i)
    io_uring_buf_ring_add(br, buffers + std::size_t{i} * o.buffer_size, o.buffer_size,
                          static_cast<unsigned short>(i), mask, static_cast<int>(i));
  io_uring_buf_ring_advance(br, static_cast<int>(o.buffers));

  // kBatch responses back to back: a send of n responses reads a prefix.
  std::string batch;
  for (unsigned i = 0; i < kBatch; ++i) batch.append(kResponse, kResponseLen);
  matched.assign(o.fixed_files ? kMaxFixed : 1 << 20, 0);

  const int listen_fd = open_listener(o.port);
  auto sqe = [&ring]() {
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (!s) {
      io_uring_submit(&ring);
      s = io_uring_get_sqe(&ring);
    }
    return s;
  };
  auto arm_accept = [&]() {
    io_uring_sqe* s = sqe();
    // liburing 2.3's accept_direct helper stores ALLOC - 1; set the field
    // ourselves. Direct descriptors take no SOCK_CLOEXEC (EINVAL).
    io_uring_prep_multishot_accept(s, listen_fd, nullptr, nullptr, o.fixed_files ? 0 : SOCK_CLOEXEC);
    if (o.fixed_files) s->file_index = IORING_FILE_INDEX_ALLOC;
    io_uring_sqe_set_data64(s, tag(kAccept, 0));
  };
  auto arm_recv = [&](std::uint32_t fd) {
    io_uring_sqe* s = sqe();
    io_uring_prep_recv_multishot(s, static_cast<int>(fd), nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT | (o.fixed_files ? IOSQE_FIXED_FILE : 0);
    s->buf_group = kGroup;
    io_uring_sqe_set_data64(s, tag(kRecv, fd));
  };
  auto close_conn = [&](std::uint32_t fd) {
    io_uring_sqe* s = sqe();
    if (o.fixed_files) io_uring_prep_close_direct(s, fd);
    else io_uring_prep_close(s, static_cast<int>(fd));
    io_uring_sqe_set_data64(s, tag(kClose, fd));
  };
  auto send = [&](std::uint32_t fd, std::size_t bytes) {
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, static_cast<int>(fd), batch.data(), bytes, MSG_WAITALL);
    if (o.fixed_files) s->flags |= IOSQE_FIXED_FILE;
    if (o.skip_send_cqe) s->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(s, tag(kSend, fd));
  };

  arm_accept();
  std::fprintf(stderr, "bare_loop: 127.0.0.1:%u, %u x %u B buffers%s%s, waits for %u completion(s)\n", o.port,
               o.buffers, o.buffer_size, o.skip_send_cqe ? ", sends skip their CQE" : "",
               o.fixed_files ? ", fixed files" : "", o.wait_nr);
  for (;;) {
    io_uring_cqe* cqe;
    if (o.wait_nr > 1) {
      __kernel_timespec ts{0, static_cast<long long>(o.wait_usec) * 1000};
      io_uring_submit_and_wait_timeout(&ring, &cqe, o.wait_nr, &ts, nullptr);
    } else {
      io_uring_submit_and_wait(&ring, 1);
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      const std::uint64_t what = cqe->user_data >> 56;
      const auto fd = static_cast<std::uint32_t>(cqe->user_data);
      const int res = cqe->res;
      const bool more = cqe->flags & IORING_CQE_F_MORE;
      if (what == kAccept) {
        if (res >= 0) {
          matched[static_cast<std::uint32_t>(res)] = 0;
          arm_recv(static_cast<std::uint32_t>(res));
        }
        if (!more) arm_accept();
      } else if (what == kRecv) {
        if (res > 0) {
          const auto bid = static_cast<unsigned short>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
          char* buf = buffers + std::size_t{bid} * o.buffer_size;
          unsigned ends = count_ends(fd, buf, static_cast<std::size_t>(res));
          io_uring_buf_ring_add(br, buf, o.buffer_size, bid, mask, 0);
          io_uring_buf_ring_advance(br, 1);
          for (; ends > kBatch; ends -= kBatch) send(fd, kBatch * kResponseLen);
          if (ends) send(fd, ends * kResponseLen);
          if (!more) arm_recv(fd);
        } else if (res == -ENOBUFS) {
          if (!more) arm_recv(fd);
        } else if (!more) {
          close_conn(fd);
        }
      }
      // kSend and kClose completions need nothing: a failed send shows up
      // as an error or EOF on the connection's recv.
    }
    io_uring_cq_advance(&ring, seen);
  }
}
