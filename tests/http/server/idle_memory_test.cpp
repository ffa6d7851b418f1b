// http/server/connection.cpp's idle release, end to end on both backends: a
// connection that took a large body or sent a large response frees those
// buffers as it goes idle (server::stats().idle_releases counts it), and
// ordinary requests never trigger it.
#include <memory>
#include <string>

#include "tests/http/support/http_client.hpp"
#include "tests/http/support/test_server.hpp"

namespace ringlane {
namespace {

using engine::backend_choice;
using testing::http_conn;

constexpr std::string_view kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

class IdleMemoryTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override {
    testing::require_backend(GetParam());
    srv_ = testing::start_test_server(testing::test_options(GetParam(), 1));
  }
  // Sends `request`, expects 200; returns the body.
  std::string exchange(http_conn& c, std::string_view request) {
    EXPECT_TRUE(c.send(request));
    auto r = c.read_reply();
    EXPECT_TRUE(r && r->status == 200);
    return r ? r->body : std::string();
  }
  std::unique_ptr<http::server> srv_;
};

std::string post_echo(std::size_t n) {
  return "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + std::string(n, 'b');
}

// Each request below is answered only after the connection went idle behind
// the one before it, so the count is exact when its reply is read.
TEST_P(IdleMemoryTest, OrdinaryRequestsKeepTheirBuffers) {
  http_conn c(srv_->port());
  for (int i = 0; i < 50; ++i) exchange(c, kGet);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(exchange(c, post_echo(1000)).size(), 1000u);
  exchange(c, kGet);
  EXPECT_EQ(srv_->stats().idle_releases, 0u);
}

TEST_P(IdleMemoryTest, ALargeExchangeIsFreedWhenTheConnectionIdles) {
  http_conn c(srv_->port());
  EXPECT_EQ(exchange(c, post_echo(200'000)).size(), 200'000u);
  EXPECT_EQ(exchange(c, kGet), "Hello, World!");  // behind the idle that released
  EXPECT_EQ(srv_->stats().idle_releases, 1u);
  for (int i = 0; i < 20; ++i) exchange(c, kGet);  // and small again: no more releases
  EXPECT_EQ(srv_->stats().idle_releases, 1u);
  EXPECT_EQ(exchange(c, post_echo(200'000)).size(), 200'000u);  // the buffers grow back
  exchange(c, kGet);
  EXPECT_EQ(srv_->stats().idle_releases, 2u);
}

INSTANTIATE_TEST_SUITE_P(Backends, IdleMemoryTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
