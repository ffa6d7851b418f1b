// ws_bench (linked into http_bench) -- the WebSocket layer's user-space
// cost per message, without sockets: read a masked client frame's header,
// unmask the payload, check it is UTF-8 (text), frame the echo. The bytes
// per second are the payload's.
//
//   build/release/bench/http_bench --benchmark_filter=ws
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "http/ws/frame.hpp"
#include "http/ws/utf8.hpp"

namespace {

using namespace ringlane::http;

// A masked client text frame carrying `payload`.
std::string client_frame(const std::string& payload) {
  const std::uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  std::string f;
  ws::write_frame(f, ws::opcode::text, payload);
  f[1] = static_cast<char>(f[1] | 0x80);  // the mask bit; the key goes after the length
  const std::size_t at = f.size() - payload.size();
  f.insert(at, reinterpret_cast<const char*>(mask), 4);
  ws::unmask(f.data() + at + 4, payload.size(), mask);
  return f;
}

std::string text(std::size_t n, bool multilingual) {
  // "κόσμε" and "日本語" between ASCII words: 2- and 3-byte sequences.
  const std::string piece = multilingual ? "hello \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e " : "hello world, ";
  std::string s;
  while (s.size() + piece.size() <= n) s += piece;
  s.append(n - s.size(), 'x');
  return s;
}

void echo(benchmark::State& state, bool multilingual) {
  const std::string payload = text(static_cast<std::size_t>(state.range(0)), multilingual);
  const std::string wire = client_frame(payload);
  std::string in, out;
  for (auto _ : state) {
    in = wire;  // a fresh copy: unmasking works in place, as in the receive buffer
    ws::frame_header h;
    std::uint16_t code = 0;
    if (ws::parse_client_header(in, h, code) != ws::header_status::ok) state.SkipWithError("bad frame");
    char* p = in.data() + h.size;
    ws::unmask(p, static_cast<std::size_t>(h.length), h.mask);
    const std::string_view msg(p, static_cast<std::size_t>(h.length));
    if (!ws::valid_utf8(msg)) state.SkipWithError("not UTF-8");
    out.clear();
    ws::write_frame(out, h.op, msg);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_ws_echo_ascii(benchmark::State& state) { echo(state, false); }
void BM_ws_echo_multilingual(benchmark::State& state) { echo(state, true); }
BENCHMARK(BM_ws_echo_ascii)->Arg(16)->Arg(1024)->Arg(64 * 1024);
BENCHMARK(BM_ws_echo_multilingual)->Arg(1024)->Arg(64 * 1024);

void BM_utf8_multilingual(benchmark::State& state) {
  const std::string s = text(static_cast<std::size_t>(state.range(0)), true);
  for (auto _ : state) benchmark::DoNotOptimize(ws::valid_utf8(s));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_utf8_multilingual)->Arg(64 * 1024);

}  // namespace
