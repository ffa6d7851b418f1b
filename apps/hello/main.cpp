// hello -- the benchmark target.
//
//   GET  /      -> "Hello, World!" (text/plain)
//   GET  /json  -> {"message":"Hello, World!"}
//   POST /echo  -> the request body, with the request's content-type
//
//   hello [--port 8080] [--workers N] [--backend auto|uring|epoll] ... (--help)
#include <cstdio>
#include <exception>

#include "http/json/writer.hpp"
#include "http/server/server.hpp"

namespace {

using namespace ringlane;

task<void> plaintext(http::context& ctx) {
  ctx.response().content_type("text/plain").body("Hello, World!");
  co_return;
}

task<void> json(http::context& ctx) {
  http::response& r = ctx.response();
  r.content_type("application/json");
  http::json_writer w(r.body());
  w.begin_object().key("message").value("Hello, World!").end_object();
  co_return;
}

task<void> echo(http::context& ctx) {
  const std::string_view type = ctx.header("content-type");
  ctx.response().content_type(type.empty() ? "application/octet-stream" : type).body(ctx.body());
  co_return;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    http::server server(http::options::from_args(argc, argv));
    server.get("/", plaintext);
    server.get("/json", json);
    server.post("/echo", echo);
    return server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hello: %s\n", e.what());
    return 2;
  }
}
