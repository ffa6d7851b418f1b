// cors.hpp -- Cross-Origin Resource Sharing as middleware (the Fetch
// standard's "CORS protocol"): lets scripts on other origins call the server.
//
//   server.use(http::cors());                  // any origin may call
//
//   http::cors_options o;                      // or only these, with cookies:
//   o.origins = {"https://app.example"};
//   o.credentials = true;
//   server.use(http::cors(o));
//
// Install it globally (server.use): a preflight is an OPTIONS request, and
// per-route middleware only runs for the methods its route was made for.
//
//   request                          what cors() does
//   ───────────────────────────────  ───────────────────────────────────────────
//   no Origin field                  nothing (not a cross-origin request)
//   Origin not in `origins`          nothing: the browser withholds the answer
//   preflight (OPTIONS with Origin   the request goes on as usual -- the
//     and Access-Control-Request-      automatic OPTIONS answer (204 + Allow),
//     Method)                          an OPTIONS route, or a 404 -- and a 2xx
//                                      answer gains Allow-Origin, Allow-Methods
//                                      (`methods`, else the path's Allow),
//                                      Allow-Headers (`headers`, else what was
//                                      asked for) and Max-Age
//   any other request                Allow-Origin (and Expose-Headers,
//                                      Allow-Credentials) is set before the
//                                      handler runs, so streamed answers carry
//                                      it too, and again after it (a 500
//                                      replaces the handler's response)
//
// Allow-Origin is "*" when any origin may call and no credentials are
// allowed; otherwise it names the caller's origin and the response says
// `Vary: Origin`, so caches keep one answer per origin.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "http/server/handler.hpp"

namespace ringlane::http {

struct cors_options {
  // Origins allowed to call, compared exactly ("https://app.example:8443").
  // Empty: any origin.
  std::vector<std::string> origins;
  // A preflight's Access-Control-Allow-Methods. Empty: the methods routed
  // for the path (the Allow field of the automatic OPTIONS answer).
  std::string methods;
  // A preflight's Access-Control-Allow-Headers. Empty: the request fields
  // the preflight asked for (Access-Control-Request-Headers).
  std::string headers;
  // Access-Control-Expose-Headers: response fields scripts may read beyond
  // the safelisted ones. Empty: none.
  std::string expose;
  // Access-Control-Allow-Credentials: true (cookies, Authorization). Needs
  // an `origins` list: answering any origin with credentials would let
  // every site act as the user, so cors() refuses that combination.
  bool credentials = false;
  // How long a browser may cache a preflight's answer; 0 omits the field.
  std::chrono::seconds max_age{600};
};

// Throws std::invalid_argument for `credentials` without `origins`, and for
// an origin or field value that cannot be sent (CR, LF, NUL).
middleware cors(cors_options o = {});

}  // namespace ringlane::http
