// demo_test -- apps/demo end to end: the binary runs as a child process
// (--port 0 --workers 2 --backend <param>), each test talks HTTP/1.1 to it
// over raw sockets, and every test ends with SIGTERM and a bounded wait for
// exit status 0 (the graceful drain). Runs once per backend. The endpoints
// that bound and control work (semaphore, rate limit, circuit breaker,
// runtime metrics, the task actor) are in demo_control_test.cpp.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "tests/apps/demo_fixture.hpp"

namespace demo_test {
namespace {

TEST_P(DemoTest, IndexListsEveryEndpoint) {
  const http_response r = get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  json_doc j(r.body);
  std::set<std::string> paths;
  for (dom::element e : j.root["endpoints"].get_array()) {
    paths.insert(str(e["method"]) + " " + str(e["path"]));
    EXPECT_FALSE(str(e["description"]).empty());
  }
  EXPECT_EQ(static_cast<std::size_t>(j.root["count"].get_uint64().value()), paths.size());
  for (const char* p : {"GET /", "GET /async/fundamentals", "GET /async/comparison", "GET /async-data",
                        "GET /concurrent-ops", "POST /async/pipeline", "GET /errors/timeout", "GET /errors/fail",
                        "GET /errors/panic", "GET /control/semaphore", "GET /control/rate-limit",
                        "GET /control/circuit-breaker", "GET /runtime/metrics", "GET /users/:user_id", "POST /tasks",
                        "GET /tasks", "GET /tasks/:id", "GET /async/stream", "GET /stream/chunks", "GET /ws/echo",
                        "GET /events"}) {
    EXPECT_TRUE(paths.count(p)) << p;
  }
}

// The demo answers browser apps on other origins (http::cors()).
TEST_P(DemoTest, BrowsersOnOtherOriginsMayCall) {
  http_client c(port());
  c.send_all(
      "OPTIONS /users/42 HTTP/1.1\r\nHost: a\r\nOrigin: http://localhost:5173\r\n"
      "Access-Control-Request-Method: GET\r\n\r\n"
      "GET /users/42 HTTP/1.1\r\nHost: a\r\nOrigin: http://localhost:5173\r\n\r\n");
  const http_response pre = c.read_response();
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("access-control-allow-origin"), "*");
  EXPECT_EQ(pre.header("access-control-allow-methods"), "GET, HEAD, OPTIONS");
  const http_response r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
}

// One masked client frame (payload under 126 bytes).
std::string ws_frame(std::uint8_t op, std::string_view payload) {
  std::string f{static_cast<char>(0x80 | op), static_cast<char>(0x80 | payload.size())};
  const char key[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return f;
}

TEST_P(DemoTest, WebSocketEchoesAndClosesCleanly) {
  http_client c(port());
  c.send_all(
      "GET /ws/echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  const http_response r = c.read_head();
  ASSERT_EQ(r.status, 101);
  EXPECT_EQ(r.header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  c.send_all(ws_frame(0x1, "hello, demo") + ws_frame(0x9, "are you there"));
  EXPECT_EQ(c.read_exactly(13), std::string("\x81\x0b") + "hello, demo");
  EXPECT_EQ(c.read_exactly(15), std::string("\x8a\x0d") + "are you there");
  c.send_all(ws_frame(0x8, std::string("\x03\xe8", 2)));  // close, 1000
  EXPECT_EQ(c.read_exactly(4), std::string("\x88\x02\x03\xe8", 4));
  EXPECT_TRUE(c.closed_by_peer(10s));
}

TEST_P(DemoTest, PlainGetOnTheWebSocketEndpointIs426) {
  const http_response r = get("/ws/echo");
  EXPECT_EQ(r.status, 426);
  EXPECT_EQ(r.header("upgrade"), "websocket");
}

TEST_P(DemoTest, EventsAreServerSentEvents) {
  const http_response r = get("/events?n=3&ms=1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  EXPECT_EQ(r.body,
            "event: tick\nid: 0\ndata: {\"tick\":0,\"of\":3}\n\n"
            "event: tick\nid: 1\ndata: {\"tick\":1,\"of\":3}\n\n"
            "event: tick\nid: 2\ndata: {\"tick\":2,\"of\":3}\n\n");
}

TEST_P(DemoTest, AsyncFundamentalsAwaitsTogether) {
  const http_response r = fastest("/async/fundamentals", "total_time_ms", 325.0);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-async-operations"), "3");
  json_doc j(r.body);
  EXPECT_EQ(str(j.root["database_result"]), "Database query completed");
  EXPECT_EQ(str(j.root["api_result"]), "External API call completed");
  EXPECT_EQ(str(j.root["file_result"]), "File operation completed");
  EXPECT_TRUE(j.root["concurrent_execution"].get_bool().value());
  EXPECT_EQ(j.root["operations"].get_array().size(), 3u);
  const double total = num(j.root["total_time_ms"]);
  EXPECT_GE(total, 150.0);  // the slowest operation
  EXPECT_LT(total, 325.0);  // the sum
}

TEST_P(DemoTest, AsyncComparisonShowsSpeedUp) {
  const http_response r = fastest("/async/comparison", "concurrent_time_ms", 225.0 / 1.3);
  ASSERT_EQ(r.status, 200);
  json_doc j(r.body);
  const double seq = num(j.root["sequential_time_ms"]);
  const double conc = num(j.root["concurrent_time_ms"]);
  EXPECT_GE(seq, 225.0);
  EXPECT_GE(conc, 100.0);
  EXPECT_LT(conc, seq);
  EXPECT_NEAR(num(j.root["speedup_factor"]), seq / conc, 1e-6);
  EXPECT_GT(num(j.root["speedup_factor"]), 1.3);
}

TEST_P(DemoTest, AsyncDataTakesTheLongestNotTheSum) {
  const http_response r = fastest("/async-data", "total_time_ms", 600.0);
  ASSERT_EQ(r.status, 200);
  json_doc j(r.body);
  EXPECT_EQ(str(j.root["database_data"]), "Database result");
  EXPECT_EQ(str(j.root["api_data"]), "API result");
  EXPECT_EQ(str(j.root["file_data"]), "File content");
  EXPECT_EQ(str(j.root["execution_mode"]), "concurrent");
  const auto total = j.root["total_time_ms"].get_int64().value();
  EXPECT_GE(total, 300);
  EXPECT_LT(total, 600);
  EXPECT_EQ(r.header("x-execution-time"), std::to_string(total) + "ms");
}

TEST_P(DemoTest, ConcurrentOpsJoinsHundredTasks) {
  const http_response r = get("/concurrent-ops");
  ASSERT_EQ(r.status, 200);
  json_doc j(r.body);
  EXPECT_EQ(j.root["tasks_created"].get_uint64().value(), 100u);
  EXPECT_EQ(j.root["successful_tasks"].get_uint64().value(), 100u);
  EXPECT_EQ(num(j.root["concurrency_efficiency"]), 100.0);
}

TEST_P(DemoTest, PipelineTransformsAndEnriches) {
  http_client c(port());
  const http_response r = c.request("POST", "/async/pipeline", "hello world");
  ASSERT_EQ(r.status, 200) << r.body;
  json_doc j(r.body);
  EXPECT_EQ(str(j.root["data"]), "ENRICHED: HELLO WORLD");
  EXPECT_EQ(str(j.root["metadata"]), "META: length=11");
  EXPECT_GT(j.root["timestamp"].get_int64().value(), 1'600'000'000);
}

TEST_P(DemoTest, PipelineEmptyBodyIs500) {
  http_client c(port());
  const http_response r = c.request("POST", "/async/pipeline", "");
  ASSERT_EQ(r.status, 500);
  EXPECT_EQ(r.header("content-type"), "application/json");
  json_doc j(r.body);
  EXPECT_EQ(str(j.root["error"]), "Pipeline error: Empty input");
}

TEST_P(DemoTest, TimeoutBoundsASlowOperation) {
  http_client c(port());
  const http_response slow = c.get("/errors/timeout?ms=1000&limit=100");
  ASSERT_EQ(slow.status, 504);
  {
    json_doc j(slow.body);
    EXPECT_EQ(str(j.root["error"]), "Operation timed out");
    EXPECT_GE(num(j.root["elapsed_ms"]), 100.0);
    EXPECT_LT(num(j.root["elapsed_ms"]), 1000.0);
  }
  const http_response fast = c.get("/errors/timeout?ms=10&limit=1000");
  ASSERT_EQ(fast.status, 200);
  json_doc j(fast.body);
  EXPECT_EQ(str(j.root["result"]), "Operation completed after 10ms");
}

TEST_P(DemoTest, FailingOperationIs500WithItsMessage) {
  http_client c(port());
  const http_response net = c.get("/errors/fail");
  ASSERT_EQ(net.status, 500);
  EXPECT_EQ(str(json_doc(net.body).root["error"]), "Network connection failed");
  const http_response val = c.get("/errors/fail?kind=validation");
  ASSERT_EQ(val.status, 500);
  EXPECT_EQ(str(json_doc(val.body).root["error"]), "Input validation failed");
}

TEST_P(DemoTest, ThrowingHandlerIs500AndTheConnectionSurvives) {
  http_client c(port());
  const http_response boom = c.get("/errors/panic");
  EXPECT_EQ(boom.status, 500);
  EXPECT_TRUE(boom.header("x-never-sent").empty());  // the server's own response
  EXPECT_NE(lower(boom.header("connection")), "close");
  const http_response next = c.get("/users/7");  // same connection
  ASSERT_EQ(next.status, 200);
  EXPECT_EQ(str(json_doc(next.body).root["user_id"]), "7");
}

TEST_P(DemoTest, ErrorScenariosAreEachReported) {
  const http_response r = get("/errors/scenarios");
  ASSERT_EQ(r.status, 200);
  json_doc j(r.body);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"success", "Success: Operation completed successfully"},
      {"timeout", "Error: Operation timed out"},
      {"network_error", "Error: Network connection failed"},
      {"validation_error", "Error: Input validation failed"}};
  std::size_t i = 0;
  for (dom::element e : j.root.get_array()) {
    ASSERT_LT(i, want.size());
    EXPECT_EQ(str(e["scenario"]), want[i].first);
    EXPECT_EQ(str(e["result"]), want[i].second);
    ++i;
  }
  EXPECT_EQ(i, want.size());
}

TEST_P(DemoTest, ErrorReportCountsOutcomes) {
  const http_response r = get("/errors/report");
  ASSERT_EQ(r.status, 200);
  json_doc j(r.body);
  EXPECT_EQ(j.root["total_operations"].get_uint64().value(), 10u);
  EXPECT_EQ(j.root["successful_operations"].get_uint64().value(), 6u);
  EXPECT_EQ(j.root["failed_operations"].get_uint64().value(), 4u);
  dom::array types = j.root["error_types"].get_array();
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(str(types.at(0).value()), "Simulated error");
}

TEST_P(DemoTest, BadInputIs400Json) {
  http_client c(port());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"GET", "/errors/timeout?ms=abc"},       {"GET", "/errors/timeout?ms=-1"},
      {"GET", "/errors/timeout?limit=0"},      {"GET", "/errors/timeout?ms=99999999"},
      {"GET", "/errors/fail?kind=bogus"},      {"GET", "/control/semaphore?permits=0"},
      {"GET", "/control/semaphore?tasks=x"},   {"GET", "/control/circuit-breaker?fail=2"},
      {"GET", "/async/stream?n=1e3"},          {"GET", "/stream/chunks?n="},
      {"GET", "/runtime/metrics?spawns=0"},    {"GET", "/runtime/metrics?spawns=100001"},
      {"GET", "/users/abc"},
      {"GET", "/users/12x"},                   {"GET", "/tasks/abc"},
      {"POST", "/tasks?ms=5"},                 {"POST", "/tasks?name=bad%20name"},
  };
  for (const auto& [method, target] : bad) {
    const http_response r = c.request(method, target);
    EXPECT_EQ(r.status, 400) << method << " " << target;
    EXPECT_EQ(r.header("content-type"), "application/json") << target;
    json_doc j(r.body);
    EXPECT_EQ(j.root["status"].get_int64().value(), 400) << target;
    EXPECT_FALSE(str(j.root["error"]).empty()) << target;
  }
}

TEST_P(DemoTest, UserLookupsRunConcurrently) {
  const http_response r = fastest("/users/42", "lookups_time_ms", 110.0);
  ASSERT_EQ(r.status, 200);
  json_doc j(r.body);
  EXPECT_EQ(str(j.root["user_id"]), "42");
  EXPECT_EQ(str(j.root["user_data"]), "UserData for 42");
  EXPECT_EQ(str(j.root["processed_data"]),
            "Processed: UserData for 42 | Permissions for 42 | Preferences for 42");
  EXPECT_TRUE(j.root["audit_logged"].get_bool().value());
  EXPECT_EQ(j.root["async_operations"].get_int64().value(), 4);
  EXPECT_GE(num(j.root["lookups_time_ms"]), 50.0);
  EXPECT_LT(num(j.root["lookups_time_ms"]), 110.0);  // 50+30+20+10 in sequence
  EXPECT_GE(num(j.root["processing_time_ms"]), 65.0);
}

TEST_P(DemoTest, AsyncStreamDeliversEveryItemInOrder) {
  const http_response r = get("/async/stream");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.chunked);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.chunks.size(), 102u);  // "[", 100 items, "]"
  json_doc j(r.body);
  std::uint64_t i = 0;
  for (dom::element e : j.root.get_array()) {
    EXPECT_EQ(e["id"].get_uint64().value(), i);
    EXPECT_EQ(str(e["data"]), "Processed item " + std::to_string(i));
    ++i;
  }
  EXPECT_EQ(i, 100u);
}

TEST_P(DemoTest, StreamChunksDeliversLinesInOrder) {
  http_client c(port());
  const http_response r = c.get("/stream/chunks?n=50");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.chunked);
  ASSERT_EQ(r.chunks.size(), 50u);
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(r.chunks[i], "Chunk " + std::to_string(i) + ": processed_data_" + std::to_string(i) + "\n");
  }
  EXPECT_EQ(c.get("/").status, 200);  // the connection goes on after a stream
}

TEST_P(DemoTest, StreamStopsWhenTheClientLeaves) {
  {
    http_client c(port());
    c.send_request("GET", "/stream/chunks?n=100000");  // minutes if nobody stopped it
    const http_response head = c.read_head();
    ASSERT_EQ(head.status, 200);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.read_chunk().has_value());
  }  // closed
  EXPECT_EQ(get("/").status, 200);
  // A producer still running would hold the drain until its 10 s deadline.
  std::this_thread::sleep_for(100ms);
  const demo_process::exit_info e = stop();
  EXPECT_LT(e.took, 5s);
}

TEST_P(DemoTest, GracefulDrainFinishesAnInFlightStream) {
  http_client c(port());
  c.send_request("GET", "/stream/chunks?n=300");
  const http_response head = c.read_head();
  ASSERT_EQ(head.status, 200);
  ASSERT_TRUE(c.read_chunk().has_value());
  server_->signal(SIGTERM);
  std::size_t chunks = 1;
  while (std::optional<std::string> chunk = c.read_chunk()) {
    EXPECT_EQ(*chunk, "Chunk " + std::to_string(chunks) + ": processed_data_" + std::to_string(chunks) + "\n");
    ++chunks;
  }
  EXPECT_EQ(chunks, 300u);
  EXPECT_TRUE(c.closed_by_peer(5000ms));  // draining: no keep-alive after it
  const demo_process::exit_info e = server_->terminate(15s, /*send_sigterm=*/false);
  server_.reset();
  EXPECT_TRUE(e.exited);
  EXPECT_EQ(e.code, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, DemoTest, ::testing::Values("uring", "epoll"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace demo_test
