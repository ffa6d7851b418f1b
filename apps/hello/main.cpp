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

// None of these waits for anything, so they are plain functions: the
// server calls them directly instead of through a coroutine frame
// (http/server/handler.hpp). A handler that awaits is a task<void>.
void plaintext(http::context& ctx) { ctx.response().content_type("text/plain").body("Hello, World!"); }

void json(http::context& ctx) {
  http::response& r = ctx.response();
  r.content_type("application/json");
  http::json_writer w(r.body());
  w.begin_object().key("message").value("Hello, World!").end_object();
}

void echo(http::context& ctx) {
  const std::string_view type = ctx.header("content-type");
  ctx.response().content_type(type.empty() ? "application/octet-stream" : type).body(ctx.body());
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
