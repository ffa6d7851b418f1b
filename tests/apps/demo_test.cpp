// demo_test -- apps/demo end to end: the binary runs as a child process
// (--port 0 --workers 2 --backend <param>), each test talks HTTP/1.1 to it
// over raw sockets, and every test ends with SIGTERM and a bounded wait for
// exit status 0 (the graceful drain). Runs once per backend.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "tests/apps/demo_harness.hpp"

namespace demo_test {
namespace {

namespace dom = simdjson::dom;

// Parses a response body; the parser owns the document, so keep it around.
struct json_doc {
  dom::parser parser;
  dom::element root;
  explicit json_doc(const std::string& body) : root(parser.parse(body)) {}
};

double num(dom::element e) { return e.get_double().value(); }
std::string str(dom::element e) { return std::string(e.get_string().value()); }

class DemoTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { server_ = std::make_unique<demo_process>(GetParam()); }
  void TearDown() override {
    if (!server_) return;
    const demo_process::exit_info e = server_->terminate(15s);
    EXPECT_TRUE(e.exited) << "demo did not exit within 15 s of SIGTERM";
    EXPECT_EQ(e.signal, 0);
    EXPECT_EQ(e.code, 0);
    last_exit_ = e;
  }
  // Stops the server now (inside the test body), for tests that time it.
  demo_process::exit_info stop() {
    const demo_process::exit_info e = server_->terminate(15s);
    server_.reset();
    EXPECT_TRUE(e.exited);
    EXPECT_EQ(e.code, 0);
    return e;
  }
  std::uint16_t port() const { return server_->port(); }
  http_response get(const std::string& target) {
    http_client c(port());
    return c.get(target);
  }

  std::unique_ptr<demo_process> server_;
  demo_process::exit_info last_exit_;
};

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
  const http_response r = get("/async/fundamentals");
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
  const http_response r = get("/async/comparison");
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
  const http_response r = get("/async-data");
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

TEST_P(DemoTest, SemaphoreCapsConcurrencyAtThree) {
  const http_response r = get("/control/semaphore");
  ASSERT_EQ(r.status, 200);
  json_doc j(r.body);
  EXPECT_EQ(j.root["completed"].get_uint64().value(), 10u);
  EXPECT_EQ(j.root["max_concurrency"].get_uint64().value(), 3u);
  EXPECT_GE(num(j.root["total_time_ms"]), 400.0);  // four waves of 100 ms
  EXPECT_EQ(j.root["results"].get_array().size(), 10u);
}

// The semaphore endpoint's tasks come out of a process-wide budget (here 25
// tasks): a request that would go over gets 503 with Retry-After, and the
// budget comes back when the tasks finish, also when their client left.
TEST_P(DemoTest, SemaphoreTasksComeOutOfABudget) {
  server_.reset();
  server_ = std::make_unique<demo_process>(app_binary("DEMO_BIN"), GetParam(), std::vector<std::string>{}, false,
                                           std::vector<std::string>{"/usr/bin/env", "RINGLANE_DEMO_TASK_BUDGET=25"});
  const std::string big = "/control/semaphore?tasks=20&permits=20&work_ms=1000";
  const std::string small = "/control/semaphore?tasks=10&work_ms=0";
  // Asks for `small` until the answer is `want` (each answer is 200 or 503).
  auto until = [&](int want) {
    const auto deadline = steady::now() + 10s;
    http_client c(port());
    for (;;) {
      const http_response r = c.get(small);
      if (r.status == want) return r;
      EXPECT_TRUE(r.status == 200 || r.status == 503) << r.status;
      if (steady::now() > deadline) {
        ADD_FAILURE() << "no " << want << " within 10 s";
        return r;
      }
    }
  };

  http_client holder(port());
  holder.send_request("GET", big);
  const http_response refused = until(503);  // 20 of 25 taken: 10 more do not fit
  EXPECT_EQ(refused.header("retry-after"), "1");
  json_doc j(refused.body);
  EXPECT_EQ(j.root["status"].get_int64().value(), 503);
  EXPECT_EQ(holder.read_response().status, 200);
  EXPECT_EQ(until(200).status, 200);  // given back when the tasks finished

  {  // a client that leaves: its tasks run on and still hold the budget
    http_client leaver(port());
    leaver.send_request("GET", big);
  }
  until(503);
  EXPECT_EQ(until(200).status, 200);
}

TEST_P(DemoTest, RateLimitRefusesWith429AndRetryAfter) {
  http_client c(port());
  for (int i = 0; i < 5; ++i) {  // the bucket starts full: 5 tokens
    const http_response r = c.get("/control/rate-limit");
    ASSERT_EQ(r.status, 200) << "request " << i;
  }
  http_response limited;
  for (int i = 0; i < 50 && limited.status != 429; ++i) limited = c.get("/control/rate-limit");
  ASSERT_EQ(limited.status, 429);
  EXPECT_GE(std::stoi(limited.header("retry-after")), 1);
  json_doc j(limited.body);
  EXPECT_EQ(str(j.root["error"]), "rate limit exceeded");
  EXPECT_GT(num(j.root["retry_after_ms"]), 0.0);
  EXPECT_LE(num(j.root["retry_after_ms"]), 200.0);
}

TEST_P(DemoTest, CircuitBreakerOpensThenRecovers) {
  http_client c(port());
  const char* after[] = {"closed", "closed", "open"};
  for (const char* state : after) {
    const http_response r = c.get("/control/circuit-breaker?fail=1");
    ASSERT_EQ(r.status, 502);
    EXPECT_EQ(str(json_doc(r.body).root["state"]), state);
  }
  const http_response rejected = c.get("/control/circuit-breaker");
  ASSERT_EQ(rejected.status, 503);
  EXPECT_FALSE(rejected.header("retry-after").empty());
  {
    json_doc j(rejected.body);
    EXPECT_EQ(str(j.root["result"]), "rejected");
    EXPECT_EQ(str(j.root["state"]), "open");
  }
  std::this_thread::sleep_for(600ms);  // the 500 ms cooldown
  const http_response trial = c.get("/control/circuit-breaker");
  ASSERT_EQ(trial.status, 200);
  {
    json_doc j(trial.body);
    EXPECT_TRUE(j.root["trial"].get_bool().value());
    EXPECT_EQ(str(j.root["state"]), "closed");
  }
  const http_response normal = c.get("/control/circuit-breaker");
  ASSERT_EQ(normal.status, 200);
  json_doc j(normal.body);
  EXPECT_FALSE(j.root["trial"].get_bool().value());
  EXPECT_EQ(j.root["consecutive_failures"].get_uint64().value(), 0u);
}

TEST_P(DemoTest, RuntimeMetricsAreMeasured) {
  const http_response r = get("/runtime/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  json_doc j(r.body);
  EXPECT_GT(num(j.root["task_spawn_overhead_ns"]), 0.0);
  EXPECT_GT(num(j.root["async_fn_overhead_ns"]), 0.0);
  EXPECT_GT(num(j.root["context_switch_overhead_ns"]), 0.0);
  const auto frame = j.root["frame_bytes"].get_uint64().value();
  const auto header = j.root["spawn_header_bytes"].get_uint64().value();
  EXPECT_GT(frame, 0u);
  EXPECT_GT(header, 0u);
  EXPECT_EQ(j.root["memory_usage_per_task_bytes"].get_uint64().value(), frame + header);
  EXPECT_GE(j.root["memory_usage_per_task_with_1k_state_bytes"].get_uint64().value(), 1024u + header);
  dom::array workers = j.root["workers"].get_array();
  ASSERT_EQ(workers.size(), 2u);
  std::uint64_t spawned = 0;
  for (dom::element w : workers) spawned += w["spawned"].get_uint64().value();
  EXPECT_GE(spawned, 10'000u + 1'000u + 1u);
  dom::element conns = j.root["connections"];
  EXPECT_GE(conns["open"].get_uint64().value(), 1u);  // this request's
  EXPECT_GE(conns["accepted"].get_uint64().value(), conns["open"].get_uint64().value());
  EXPECT_GE(conns["requests"].get_uint64().value(), 1u);
  EXPECT_EQ(conns["rejected"].get_uint64().value(), 0u);
}

// Measurements run one at a time: a crowd of identical requests shares
// results instead of each keeping its own 10,000 tasks alive at once. Every
// response is either a fresh measurement or a copy of one that another
// response in the crowd reported as fresh.
TEST_P(DemoTest, ConcurrentMetricsRequestsShareAMeasurement) {
  constexpr int kClients = 6;
  std::vector<std::unique_ptr<http_client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<http_client>(port()));
    clients.back()->send_request("GET", "/runtime/metrics");
  }
  std::vector<std::pair<bool, std::string>> seen;  // fresh?, the measured figures
  for (auto& c : clients) {
    const http_response r = c->read_response();
    ASSERT_EQ(r.status, 200) << r.body;
    json_doc j(r.body);
    std::string figures = std::to_string(num(j.root["task_spawn_overhead_ns"])) + " " +
                          std::to_string(num(j.root["async_fn_overhead_ns"])) + " " +
                          std::to_string(num(j.root["context_switch_overhead_ns"]));
    seen.emplace_back(j.root["measured_for_this_request"].get_bool().value(), std::move(figures));
  }
  std::set<std::string> fresh;
  for (const auto& [is_fresh, figures] : seen)
    if (is_fresh) fresh.insert(figures);
  EXPECT_FALSE(fresh.empty()) << "nobody measured";
  for (const auto& [is_fresh, figures] : seen) EXPECT_TRUE(fresh.count(figures)) << figures;
}

TEST_P(DemoTest, UserLookupsRunConcurrently) {
  const http_response r = get("/users/42");
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

TEST_P(DemoTest, TaskActorStartStatusList) {
  http_client c(port());
  const http_response a = c.request("POST", "/tasks?ms=200&name=alpha");
  ASSERT_EQ(a.status, 202) << a.body;
  const std::uint64_t alpha = json_doc(a.body).root["id"].get_uint64().value();
  EXPECT_EQ(a.header("location"), "/tasks/" + std::to_string(alpha));
  EXPECT_EQ(str(json_doc(a.body).root["status"]), "running");
  const http_response b = c.request("POST", "/tasks?ms=100&name=will-fail");
  ASSERT_EQ(b.status, 202);
  const std::uint64_t failing = json_doc(b.body).root["id"].get_uint64().value();
  EXPECT_NE(alpha, failing);

  // Poll alpha until done: progress never goes back.
  std::uint64_t last_progress = 0;
  std::string status = "running";
  const auto deadline = steady::now() + 10s;
  while (status == "running" && steady::now() < deadline) {
    const http_response s = c.get("/tasks/" + std::to_string(alpha));
    ASSERT_EQ(s.status, 200);
    json_doc j(s.body);
    status = str(j.root["status"]);
    const std::uint64_t p = j.root["progress"].get_uint64().value();
    EXPECT_GE(p, last_progress);
    last_progress = p;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, "completed");
  EXPECT_EQ(last_progress, 100u);

  const http_response f = c.get("/tasks/" + std::to_string(failing));
  ASSERT_EQ(f.status, 200);
  EXPECT_EQ(str(json_doc(f.body).root["status"]), "failed");

  const http_response list = c.get("/tasks");
  ASSERT_EQ(list.status, 200);
  json_doc j(list.body);
  EXPECT_EQ(j.root["count"].get_uint64().value(), 2u);
  std::vector<std::uint64_t> ids;
  for (dom::element t : j.root["tasks"].get_array()) ids.push_back(t["id"].get_uint64().value());
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{alpha, failing}));

  EXPECT_EQ(c.get("/tasks/999").status, 404);
}

// The job table is bounded: kMaxRunningJobs run at once (one more is a
// 503 with Retry-After), and only the latest kMaxFinishedJobs finished ones
// are kept -- no stream of POSTs grows the actor's memory without end.
TEST_P(DemoTest, TaskActorRefusesJobsPastItsRunningCap) {
  http_client c(port());
  for (int i = 0; i < 1000; ++i) {
    c.send_request("POST", "/tasks?ms=600000");  // pipelined: one write each, replies read below
  }
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(c.read_response().status, 202) << "job " << i;
  const http_response full = c.request("POST", "/tasks?ms=600000");
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_EQ(full.header("retry-after"), "1");
  const http_response list = c.get("/tasks");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json_doc(list.body).root["count"].get_uint64().value(), 1000u);
}

TEST_P(DemoTest, TaskActorForgetsTheOldestFinishedJobs) {
  http_client c(port());
  for (int i = 0; i < 1000; ++i) c.send_request("POST", "/tasks?ms=10");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(c.read_response().status, 202) << "job " << i;
  // The listed ids, and how many of those jobs still run.
  auto listed = [&c](std::size_t& running) {
    json_doc j(c.get("/tasks").body);
    std::vector<std::uint64_t> ids;
    running = 0;
    for (dom::element t : j.root["tasks"].get_array()) {
      ids.push_back(t["id"].get_uint64().value());
      running += str(t["status"]) == "running";
    }
    return ids;
  };
  std::size_t running = 1;
  std::vector<std::uint64_t> before;
  const auto deadline = steady::now() + 20s;
  while (running > 0 && steady::now() < deadline) {
    before = listed(running);
    if (running > 0) std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(running, 0u);
  ASSERT_EQ(before.size(), 1000u);  // all finished, all kept
  // One more finishes: the job that finished first is forgotten, the table
  // stays at 1000.
  const http_response more = c.request("POST", "/tasks?ms=10");
  ASSERT_EQ(more.status, 202);
  const std::uint64_t extra = json_doc(more.body).root["id"].get_uint64().value();
  std::vector<std::uint64_t> after;
  running = 1;
  while (running > 0 && steady::now() < deadline) {
    after = listed(running);
    if (running > 0) std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(running, 0u);
  EXPECT_EQ(after.size(), 1000u);
  EXPECT_NE(std::find(after.begin(), after.end(), extra), after.end());
  std::size_t gone = 0;
  for (std::uint64_t id : before) gone += std::find(after.begin(), after.end(), id) == after.end();
  EXPECT_EQ(gone, 1u);
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
