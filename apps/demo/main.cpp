// demo -- the hyperlane async-programming articles, ported to ringlane.
//
//   demo [--port 8080] [--workers N] [--backend auto|uring|epoll] ... (--help)
//   curl localhost:8080/             lists every endpoint
//
// Each endpoint lives in the file named after its concept (handlers.hpp has
// the map); routes.cpp is the table of paths.
#include <cstdio>
#include <exception>

#include "apps/demo/handlers.hpp"
#include "http/server/cors.hpp"
#include "http/server/server.hpp"

int main(int argc, char** argv) {
  using namespace ringlane;
  try {
    http::server server(http::options::from_args(argc, argv));
    server.use(http::cors());  // browser apps on any origin may call the demo
    demo::register_routes(server);
    demo::set_metrics_server(&server);
    const int rc = server.run();
    demo::set_metrics_server(nullptr);
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "demo: %s\n", e.what());
    return 2;
  }
}
