// http_bench -- the HTTP layer's user-space cost per request, without
// sockets: parse (llhttp + our adapter), route, serialize (and, in ws_bench.cpp,
// one WebSocket message). The figures behind "how lean is our user-space
// path" in bench/README.md.
//
//   build/release/bench/http_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <string>

#include "http/proto/parser.hpp"
#include "http/response/response.hpp"
#include "http/response/serialize.hpp"
#include "http/router/router.hpp"

namespace {

using namespace ringlane::http;

// What wrk sends, and what a browser-like client sends.
constexpr std::string_view kWrk = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
constexpr std::string_view kBrowser =
    "GET /users/42?tab=orders HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nCookie: session=abc123; theme=dark\r\n\r\n";

void parse(benchmark::State& state, std::string_view req) {
  request_parser p;
  for (auto _ : state) {
    std::size_t used = 0;
    const parse_event ev = p.feed(req, used);
    benchmark::DoNotOptimize(ev);
    benchmark::DoNotOptimize(p.head().path.data());
    p.next();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * req.size()));
}
void BM_parse_wrk(benchmark::State& state) { parse(state, kWrk); }
void BM_parse_browser(benchmark::State& state) { parse(state, kBrowser); }
BENCHMARK(BM_parse_wrk);
BENCHMARK(BM_parse_browser);

void BM_route(benchmark::State& state) {
  router r;
  r.add("GET", "/", 0);
  r.add("GET", "/json", 1);
  r.add("POST", "/echo", 2);
  r.add("GET", "/users/:id", 3);
  r.add("GET", "/files/*path", 4);
  route_params params;
  for (auto _ : state) {
    params.clear();
    benchmark::DoNotOptimize(r.match("GET", "/users/42", params));
  }
}
BENCHMARK(BM_route);

void BM_serialize_hello(benchmark::State& state) {
  response r;
  std::string out;
  out.reserve(4096);
  for (auto _ : state) {
    r.clear();
    r.content_type("text/plain").body("Hello, World!");
    out.clear();
    write_response(out, r, {});
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_serialize_hello);

// The three together, as one request on a kept-alive connection costs.
void BM_request_wrk(benchmark::State& state) {
  request_parser p;
  router rt;
  rt.add("GET", "/", 0);
  route_params params;
  response r;
  std::string out;
  out.reserve(4096);
  for (auto _ : state) {
    std::size_t used = 0;
    p.feed(kWrk, used);
    params.clear();
    benchmark::DoNotOptimize(rt.match(p.head().method, p.head().path, params));
    r.clear();
    r.content_type("text/plain").body("Hello, World!");
    out.clear();
    write_response(out, r, {.keep_alive = p.head().keep_alive});
    p.next();
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_request_wrk);

}  // namespace

BENCHMARK_MAIN();
