// cors() end to end (both backends): preflights answered from the path's
// routes, actual requests marked, streamed answers too, origins outside the
// list left unmarked, and the configurations cors() refuses.
#include <stdexcept>
#include <string>

#include "http/server/cors.hpp"
#include "tests/http/support/http_client.hpp"
#include "tests/http/support/test_server.hpp"

namespace ringlane {
namespace {

using engine::backend_choice;
using testing::http_conn;
using testing::http_reply;

class CorsTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  // Any origin, no credentials: one server; the listed-origins policy: another.
  void start(http::cors_options o) {
    testing::require_backend(GetParam());
    srv_ = std::make_unique<http::server>(testing::test_options(GetParam()));
    srv_->use(http::cors(std::move(o)));
    srv_->get("/hello", testing::handlers::hello);
    srv_->post("/hello", testing::handlers::echo);
    srv_->get("/stream", testing::handlers::stream);
    srv_->get("/boom", testing::handlers::boom);
    srv_->start();
  }
  void TearDown() override {
    if (srv_) srv_->stop();
  }
  std::optional<http_reply> ask(const std::string& method, const std::string& target, const std::string& fields,
                                 const std::string& body = "") {
    http_conn c(srv_->port());
    if (!c.send(method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n" + body)) return std::nullopt;
    return c.read_reply();
  }
  std::unique_ptr<http::server> srv_;
};

const std::string kPreflight =
    "Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n"
    "Access-Control-Request-Headers: content-type, x-token\r\n";

TEST_P(CorsTest, APreflightIsAnsweredFromThePathsRoutes) {
  start({});
  auto r = ask("OPTIONS", "/hello", kPreflight);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->header("access-control-allow-origin"), "*");
  EXPECT_EQ(r->header("access-control-allow-methods"), "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(r->header("access-control-allow-headers"), "content-type, x-token");
  EXPECT_EQ(r->header("access-control-max-age"), "600");
  EXPECT_EQ(r->header("vary"), "Access-Control-Request-Headers");
  EXPECT_FALSE(r->has("access-control-allow-credentials"));

  // A path nobody routed: the 404 stays a plain 404, which the browser reads as "no".
  auto missing = ask("OPTIONS", "/nowhere", kPreflight);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_FALSE(missing->has("access-control-allow-methods"));
}

TEST_P(CorsTest, ActualRequestsAreMarkedAndPlainOnesAreNot) {
  http::cors_options o;
  o.expose = "X-Request-Id";
  start(o);
  auto r = ask("GET", "/hello", "Origin: https://app.example\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Hello, World!");
  EXPECT_EQ(r->header("access-control-allow-origin"), "*");
  EXPECT_EQ(r->header("access-control-expose-headers"), "X-Request-Id");
  EXPECT_FALSE(r->has("vary"));  // "*" is the same for every origin

  auto same_origin = ask("GET", "/hello", "");
  ASSERT_TRUE(same_origin);
  EXPECT_FALSE(same_origin->has("access-control-allow-origin"));

  // An OPTIONS without Access-Control-Request-Method is no preflight.
  auto options = ask("OPTIONS", "/hello", "Origin: https://app.example\r\n");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 204);
  EXPECT_EQ(options->header("allow"), "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(options->header("access-control-allow-origin"), "*");
  EXPECT_FALSE(options->has("access-control-allow-methods"));
}

TEST_P(CorsTest, StreamedAndFailedAnswersCarryTheOrigin) {
  start({});
  auto streamed = ask("GET", "/stream", "Origin: https://app.example\r\n");
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->header("transfer-encoding"), "chunked");
  EXPECT_EQ(streamed->header("access-control-allow-origin"), "*");

  // The 500 replaces the handler's response; after() marks it again.
  auto failed = ask("GET", "/boom", "Origin: https://app.example\r\n");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(failed->header("access-control-allow-origin"), "*");
}

TEST_P(CorsTest, ListedOriginsAreEchoedWithCredentialsOthersGetNothing) {
  http::cors_options o;
  o.origins = {"https://app.example", "http://localhost:3000"};
  o.methods = "GET, POST";
  o.headers = "Content-Type";
  o.credentials = true;
  o.max_age = std::chrono::seconds(0);
  start(o);
  auto pre = ask("OPTIONS", "/hello", kPreflight);
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(pre->header("access-control-allow-credentials"), "true");
  EXPECT_EQ(pre->header("access-control-allow-methods"), "GET, POST");
  EXPECT_EQ(pre->header("access-control-allow-headers"), "Content-Type");
  EXPECT_EQ(pre->header("vary"), "Origin");
  EXPECT_FALSE(pre->has("access-control-max-age"));

  auto local = ask("POST", "/hello", "Origin: http://localhost:3000\r\nContent-Length: 2\r\n", "hi");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->body, "hi");
  EXPECT_EQ(local->header("access-control-allow-origin"), "http://localhost:3000");
  EXPECT_EQ(local->header("vary"), "Origin");

  // Not on the list (a prefix of one, another port): no CORS fields at all.
  for (const char* origin : {"https://evil.example", "https://app.example.evil", "http://localhost:3001"}) {
    auto other = ask("OPTIONS", "/hello", std::string("Origin: ") + origin + "\r\nAccess-Control-Request-Method: POST\r\n");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 204);
    EXPECT_FALSE(other->has("access-control-allow-origin")) << origin;
    EXPECT_FALSE(other->has("access-control-allow-methods")) << origin;
    auto get = ask("GET", "/hello", std::string("Origin: ") + origin + "\r\n");
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 200);
    EXPECT_FALSE(get->has("access-control-allow-origin")) << origin;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CorsTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

TEST(CorsOptions, RefusesCredentialsForAnyOriginAndUnsendableValues) {
  auto with = [](auto set) {
    http::cors_options o;
    set(o);
    return o;
  };
  EXPECT_THROW(http::cors(with([](auto& o) { o.credentials = true; })), std::invalid_argument);
  EXPECT_THROW(http::cors(with([](auto& o) { o.origins = {""}; })), std::invalid_argument);
  EXPECT_THROW(http::cors(with([](auto& o) { o.origins = {"https://a.example\r\nX: y"}; })), std::invalid_argument);
  EXPECT_THROW(http::cors(with([](auto& o) { o.expose = "X-A\nX-B"; })), std::invalid_argument);
  EXPECT_NO_THROW(http::cors(with([](auto& o) {
    o.origins = {"https://a.example"};
    o.credentials = true;
  })));
}

}  // namespace
}  // namespace ringlane
