// Middleware end to end (both backends): the order of global and per-route
// before/after steps, a before that short-circuits (auth), an after that
// observes the final response (even a 404 or a 500), and data passed from
// middleware to the handler.
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/http/support/http_client.hpp"
#include "tests/http/support/test_server.hpp"

namespace ringlane {
namespace {

using engine::backend_choice;
using testing::http_conn;

// What the middleware saw, in order (workers are threads: lock).
struct journal {
  std::mutex m;
  std::vector<std::string> lines;
  void add(std::string s) {
    std::lock_guard<std::mutex> g(m);
    lines.push_back(std::move(s));
  }
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> g(m);
    return std::exchange(lines, {});
  }
};

http::middleware tracer(journal& j, std::string name) {
  http::middleware m;
  m.before = [&j, name](http::context& ctx) -> task<bool> {
    j.add(name + ".before " + std::string(ctx.path()));
    co_return true;
  };
  m.after = [&j, name](http::context& ctx) -> task<void> {
    j.add(name + ".after " + std::to_string(ctx.response().status()));
    co_return;
  };
  return m;
}

// Refuses requests without a token; hands the user to the handler.
http::middleware auth() {
  http::middleware m;
  m.before = [](http::context& ctx) -> task<bool> {
    const std::string_view token = ctx.header("authorization");
    if (token != "Bearer secret") {
      ctx.response().status(401).header("WWW-Authenticate", "Bearer").body("no entry");
      co_return false;
    }
    ctx.set_data("user", std::string("alice"));
    co_return true;
  };
  return m;
}

task<void> whoami(http::context& ctx) {
  const std::string* user = ctx.data_as<std::string>("user");
  ctx.response().body(user ? *user : "nobody");
  co_return;
}

// Plain (non-coroutine) handlers: called directly when nothing wraps them,
// through a coroutine when middleware does.
void plain_hello(http::context& ctx) { ctx.response().content_type("text/plain").body("plain"); }
void plain_boom(http::context&) { throw std::runtime_error("plain handler failed"); }

class MiddlewareTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override {
    testing::require_backend(GetParam());
    srv_ = std::make_unique<http::server>(testing::test_options(GetParam()));
    srv_->use(tracer(j_, "g1"));
    srv_->use(tracer(j_, "g2"));
    srv_->get("/open", testing::handlers::hello, {tracer(j_, "r")});
    srv_->get("/me", whoami, {auth(), tracer(j_, "r")});
    srv_->get("/boom", testing::handlers::boom);
    srv_->get("/plain", plain_hello, {tracer(j_, "r")});
    srv_->get("/plain-boom", plain_boom);
    srv_->start();
  }
  std::optional<testing::http_reply> get(const std::string& target, const std::string& extra = "") {
    http_conn c(srv_->port());
    if (!c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n")) return std::nullopt;
    return c.read_reply();
  }
  journal j_;
  std::unique_ptr<http::server> srv_;
};

TEST_P(MiddlewareTest, GlobalWrapsRouteWrapsHandler) {
  auto r = get("/open");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "Hello, World!");
  EXPECT_EQ(j_.take(), (std::vector<std::string>{"g1.before /open", "g2.before /open", "r.before /open", "r.after 200",
                                                 "g2.after 200", "g1.after 200"}));
}

TEST_P(MiddlewareTest, ABeforeThatSaysNoSkipsTheRestButAftersStillObserve) {
  auto denied = get("/me");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(denied->header("www-authenticate"), "Bearer");
  EXPECT_EQ(denied->body, "no entry");
  // auth stopped the chain: the route tracer never ran; the globals saw the 401.
  EXPECT_EQ(j_.take(), (std::vector<std::string>{"g1.before /me", "g2.before /me", "g2.after 401", "g1.after 401"}));

  auto allowed = get("/me", "Authorization: Bearer secret\r\n");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->body, "alice");
}

TEST_P(MiddlewareTest, AftersSeeNotFoundAndHandlerFailures) {
  auto missing = get("/missing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(j_.take(), (std::vector<std::string>{"g1.before /missing", "g2.before /missing", "g2.after 404",
                                                 "g1.after 404"}));
  auto boom = get("/boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(j_.take(), (std::vector<std::string>{"g1.before /boom", "g2.before /boom", "g2.after 500",
                                                 "g1.after 500"}));
}

TEST_P(MiddlewareTest, PlainHandlersRunUnderMiddlewareAndFailAs500) {
  auto r = get("/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "plain");
  EXPECT_EQ(j_.take(), (std::vector<std::string>{"g1.before /plain", "g2.before /plain", "r.before /plain",
                                                 "r.after 200", "g2.after 200", "g1.after 200"}));
  auto boom = get("/plain-boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(j_.take(), (std::vector<std::string>{"g1.before /plain-boom", "g2.before /plain-boom", "g2.after 500",
                                                 "g1.after 500"}));
}

// Without middleware a plain handler is called directly by the connection.
TEST_P(MiddlewareTest, APlainHandlerWithoutMiddlewareIsCalledDirectly) {
  http::server bare(testing::test_options(GetParam()));
  bare.get("/", plain_hello);
  bare.get("/boom", plain_boom);
  bare.start();
  http_conn c(bare.port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /boom HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int want : {200, 500, 200}) {
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, want);
    if (want == 200) {
      EXPECT_EQ(r->body, "plain");
    }
  }
  bare.stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, MiddlewareTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
