// Tests for http/router/router.hpp: pattern rules, match priority and
// backtracking, 404 against 405 and the Allow list, HEAD falling back to
// GET, conflicts, and a table of many routes.
#include "http/router/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ringlane::http {
namespace {

using outcome = router::outcome;
using param_list = std::vector<std::pair<std::string, std::string>>;

param_list list(const route_params& p) {
  param_list out;
  for (const route_param& x : p) out.emplace_back(x.name, x.value);
  return out;
}

// The id matched for GET `path`, or -1 for any miss.
long get_id(const router& r, std::string_view path, route_params& p) {
  auto m = r.match("GET", path, p);
  return m.result == outcome::found ? static_cast<long>(m.id) : -1;
}

TEST(Router, StaticRoutes) {
  router r;
  r.add("GET", "/", 0);
  r.add("GET", "/users", 1);
  r.add("GET", "/users/", 2);
  r.add("GET", "/user", 3);
  r.add("GET", "/usersx", 4);
  route_params p;
  EXPECT_EQ(get_id(r, "/", p), 0);
  EXPECT_EQ(get_id(r, "/users", p), 1);
  EXPECT_EQ(get_id(r, "/users/", p), 2);  // the trailing slash is significant
  EXPECT_EQ(get_id(r, "/user", p), 3);
  EXPECT_EQ(get_id(r, "/usersx", p), 4);
  EXPECT_EQ(get_id(r, "/use", p), -1);
  EXPECT_EQ(get_id(r, "/users/x", p), -1);
  EXPECT_EQ(get_id(r, "", p), -1);
  EXPECT_EQ(p.size(), 0u);
}

TEST(Router, ParametersCaptureOneSegment) {
  router r;
  r.add("GET", "/users/:id", 1);
  r.add("GET", "/users/:id/posts/:post", 2);
  route_params p;
  EXPECT_EQ(get_id(r, "/users/42", p), 1);
  EXPECT_EQ(list(p), (param_list{{"id", "42"}}));
  EXPECT_EQ(p.get("id"), "42");
  EXPECT_EQ(p.get("nope"), "");
  EXPECT_EQ(get_id(r, "/users/42/posts/7", p), 2);
  EXPECT_EQ(list(p), (param_list{{"id", "42"}, {"post", "7"}}));
  EXPECT_EQ(get_id(r, "/users/", p), -1);     // a parameter is never empty
  EXPECT_EQ(get_id(r, "/users/4/2", p), -1);  // nor more than one segment
  EXPECT_EQ(get_id(r, "/users/42/posts/", p), -1);
  EXPECT_EQ(p.size(), 0u);  // a miss leaves nothing behind
}

TEST(Router, ParameterValuesViewThePath) {
  router r;
  r.add("GET", "/a/:x", 1);
  std::string path = "/a/value";
  route_params p;
  ASSERT_EQ(get_id(r, path, p), 1);
  EXPECT_EQ(p.get("x").data(), path.data() + 3);
}

TEST(Router, WildcardTakesTheRestIncludingSlashes) {
  router r;
  r.add("GET", "/files/*path", 1);
  route_params p;
  EXPECT_EQ(get_id(r, "/files/a/b/c.txt", p), 1);
  EXPECT_EQ(p.get("path"), "a/b/c.txt");
  EXPECT_EQ(get_id(r, "/files/", p), 1);
  EXPECT_EQ(list(p), (param_list{{"path", ""}}));
  EXPECT_EQ(get_id(r, "/files", p), -1);
}

TEST(Router, StaticBeatsParameterBeatsWildcard) {
  router r;
  r.add("GET", "/u/me", 1);
  r.add("GET", "/u/:id", 2);
  r.add("GET", "/u/*rest", 3);
  route_params p;
  EXPECT_EQ(get_id(r, "/u/me", p), 1);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(get_id(r, "/u/mex", p), 2);  // "me" matches a prefix only
  EXPECT_EQ(p.get("id"), "mex");
  EXPECT_EQ(get_id(r, "/u/m", p), 2);
  EXPECT_EQ(get_id(r, "/u/me/x", p), 3);
  EXPECT_EQ(list(p), (param_list{{"rest", "me/x"}}));
  EXPECT_EQ(get_id(r, "/u/", p), 3);  // empty: only the wildcard takes it
}

// Routes without parameters also sit in a hash table that match() probes
// first; it must give exactly what the tree gives.
TEST(Router, ExactTableAgreesWithTheTree) {
  router r;
  r.add("GET", "/", 0);
  r.add("GET", "/a/b", 1);
  r.add("GET", "/a/:x", 2);
  r.add("HEAD", "/:any", 3);
  r.add("POST", "/a/b", 4);
  r.add("GET", "/:lead/b", 5);
  r.add("GET", "/a/b/c/d/e/f/g/h/long-enough-for-both-words", 6);
  r.add("GET", "/a/b/c/d/e/f/g/h/long-enough-for-both-wordz", 7);
  r.add("GET", "/solo", 8);
  route_params p;
  p.push("stale", "x");
  EXPECT_EQ(get_id(r, "/", p), 0);
  EXPECT_EQ(p.size(), 0u);  // a fast-path hit still clears the params
  EXPECT_EQ(get_id(r, "/a/b", p), 1);
  EXPECT_EQ(get_id(r, "/a/c", p), 2);
  EXPECT_EQ(get_id(r, "/z/b", p), 5);
  EXPECT_EQ(get_id(r, "/a/b/c/d/e/f/g/h/long-enough-for-both-words", p), 6);
  EXPECT_EQ(get_id(r, "/a/b/c/d/e/f/g/h/long-enough-for-both-wordz", p), 7);
  EXPECT_EQ(get_id(r, "/a/b/c/d/e/f/g/h/long-enough-for-both-word", p), -1);
  EXPECT_EQ(r.match("POST", "/a/b", p).id, 4u);
  // HEAD's own parameter route beats GET's static "/solo" (the table is
  // keyed by method, so its miss for HEAD leaves the choice to the tree).
  EXPECT_EQ(r.match("HEAD", "/solo", p).id, 3u);
  EXPECT_EQ(p.get("any"), "solo");
  EXPECT_EQ(r.match("HEAD", "/a/b", p).id, 1u);  // no HEAD route has two segments
  EXPECT_EQ(r.match("HEAD", "/", p).id, 0u);  // "/:any" needs a segment: GET's "/"
  EXPECT_EQ(r.match("PUT", "/a/b", p).result, outcome::method_not_allowed);
  EXPECT_EQ(r.match("get", "/a/b", p).result, outcome::method_not_allowed);  // case-sensitive
  EXPECT_EQ(r.match("", "/x/y/z", p).result, outcome::not_found);
}

TEST(Router, BacktracksOutOfDeadEnds) {
  router r;
  r.add("GET", "/a/b", 1);
  r.add("GET", "/a/:x/c", 2);
  r.add("GET", "/a/:x/:y/d", 3);
  r.add("GET", "/a/*all", 4);
  route_params p;
  EXPECT_EQ(get_id(r, "/a/b", p), 1);
  EXPECT_EQ(get_id(r, "/a/b/c", p), 2);  // "b" is tried as static first, then as :x
  EXPECT_EQ(list(p), (param_list{{"x", "b"}}));
  EXPECT_EQ(get_id(r, "/a/b/c/d", p), 3);  // :x then :y = "c", not the static /c
  EXPECT_EQ(list(p), (param_list{{"x", "b"}, {"y", "c"}}));
  EXPECT_EQ(get_id(r, "/a/b/c/e", p), 4);  // every deeper branch fails: the wildcard
  EXPECT_EQ(list(p), (param_list{{"all", "b/c/e"}}));  // no leftovers from failed branches
}

TEST(Router, SplittingANodeKeepsItsRoutes) {
  router r;
  r.add("GET", "/search", 1);
  r.add("GET", "/support/:topic", 2);
  r.add("GET", "/se", 3);
  r.add("GET", "/s", 4);
  route_params p;
  EXPECT_EQ(get_id(r, "/search", p), 1);
  EXPECT_EQ(get_id(r, "/support/x", p), 2);
  EXPECT_EQ(p.get("topic"), "x");
  EXPECT_EQ(get_id(r, "/se", p), 3);
  EXPECT_EQ(get_id(r, "/s", p), 4);
  EXPECT_EQ(get_id(r, "/sea", p), -1);
}

TEST(Router, ColonAndStarInsideASegmentAreLiteral) {
  router r;
  r.add("GET", "/a:b/c*d", 1);
  route_params p;
  EXPECT_EQ(get_id(r, "/a:b/c*d", p), 1);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(get_id(r, "/axb/cxd", p), -1);
}

TEST(Router, MethodNotAllowedAndAllowList) {
  router r;
  r.add("GET", "/items", 1);
  r.add("POST", "/items", 2);
  r.add("DELETE", "/items/:id", 3);
  r.add("PUT", "/items/:id", 4);
  route_params p;
  auto m = r.match("PATCH", "/items", p);
  EXPECT_EQ(m.result, outcome::method_not_allowed);
  EXPECT_EQ(m.id, router::no_route);
  EXPECT_EQ(r.match("GET", "/items/7", p).result, outcome::method_not_allowed);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(r.match("GET", "/nothing", p).result, outcome::not_found);
  EXPECT_EQ(r.match("BREW", "/nothing", p).result, outcome::not_found);
  EXPECT_EQ(r.allowed("/items"), "GET, HEAD, POST");
  EXPECT_EQ(r.allowed("/items/7"), "DELETE, PUT");
  EXPECT_EQ(r.allowed("/nothing"), "");
}

TEST(Router, HeadFallsBackToGet) {
  router r;
  r.add("GET", "/page/:n", 1);
  r.add("GET", "/special", 2);
  r.add("HEAD", "/special", 3);
  route_params p;
  auto m = r.match("HEAD", "/page/5", p);
  EXPECT_EQ(m.result, outcome::found);
  EXPECT_EQ(m.id, 1u);
  EXPECT_EQ(p.get("n"), "5");
  EXPECT_EQ(r.match("HEAD", "/special", p).id, 3u);  // its own route wins
  EXPECT_EQ(r.match("HEAD", "/none", p).result, outcome::not_found);
  EXPECT_EQ(r.allowed("/special"), "GET, HEAD");
  EXPECT_EQ(r.match("GET", "/special", p).id, 2u);
}

TEST(Router, MethodsAreCaseSensitive) {
  router r;
  r.add("GET", "/", 1);
  route_params p;
  EXPECT_EQ(r.match("get", "/", p).result, outcome::method_not_allowed);
}

TEST(Router, BadPatternsThrow) {
  router r;
  const char* bad[] = {"", "users", "/:", "/a/*", "/*rest/more", "/:a/:a", "/:a:b", "/x/*a*b"};
  for (const char* pattern : bad) {
    EXPECT_THROW(r.add("GET", pattern, 1), std::invalid_argument) << pattern;
  }
  std::string many;
  for (std::size_t i = 0; i <= route_params::capacity; ++i) many += "/:p" + std::to_string(i);
  EXPECT_THROW(r.add("GET", many, 1), std::invalid_argument);
  EXPECT_THROW(r.add("", "/", 1), std::invalid_argument);
}

TEST(Router, ConflictsThrowAndChangeNothing) {
  router r;
  r.add("GET", "/users/:id", 1);
  r.add("GET", "/files/*path", 2);
  EXPECT_THROW(r.add("GET", "/users/:name/x", 3), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/users/:id", 4), std::invalid_argument);  // duplicate
  EXPECT_THROW(r.add("GET", "/files/*rest", 5), std::invalid_argument);
  r.add("POST", "/users/:name", 6);  // another method: its own tree
  route_params p;
  EXPECT_EQ(get_id(r, "/users/1", p), 1);
  EXPECT_EQ(list(p), (param_list{{"id", "1"}}));
  EXPECT_EQ(get_id(r, "/users/1/x", p), -1);
  EXPECT_EQ(r.match("POST", "/users/9", p).id, 6u);
  EXPECT_EQ(p.get("name"), "9");
  r.add("GET", "/users/:id/x", 7);  // the same name is fine
  EXPECT_EQ(get_id(r, "/users/1/x", p), 7);
}

TEST(Router, ParamNamesStayValidAsTheTreeGrows) {
  router r;
  r.add("GET", "/abcdef/:a_rather_long_parameter_name", 1);
  route_params p;
  ASSERT_EQ(get_id(r, "/abcdef/v", p), 1);
  std::string_view name = p.begin()->name;
  for (int i = 0; i < 200; ++i) r.add("GET", "/ab" + std::to_string(i), 100 + static_cast<std::size_t>(i));
  r.add("GET", "/abc", 2);
  EXPECT_EQ(name, "a_rather_long_parameter_name");  // still readable after splits
  ASSERT_EQ(get_id(r, "/abcdef/w", p), 1);
  EXPECT_EQ(p.begin()->name.data(), name.data());
}

TEST(Router, MovedRouterStillMatches) {
  router a;
  a.add("GET", "/x/:y", 1);
  router b = std::move(a);
  route_params p;
  EXPECT_EQ(get_id(b, "/x/1", p), 1);
}

TEST(Router, ManyRoutes) {
  router r;
  std::size_t id = 0;
  std::vector<std::pair<std::string, std::size_t>> paths;
  for (int i = 0; i < 300; ++i) {
    std::string base = "/api/v" + std::to_string(i % 3) + "/res" + std::to_string(i);
    r.add("GET", base, id);
    paths.emplace_back(base, id++);
    r.add("GET", base + "/:id", id);
    paths.emplace_back(base + "/" + std::to_string(i * 7), id++);
    r.add("POST", base + "/:id/items/*rest", id);
    r.add("GET", base + "/:id/items/*rest", id + 1);
    paths.emplace_back(base + "/x/items/a/b", id + 1);
    id += 2;
  }
  route_params p;
  for (const auto& [path, want] : paths) {
    auto m = r.match("GET", path, p);
    ASSERT_EQ(m.result, outcome::found) << path;
    EXPECT_EQ(m.id, want) << path;
  }
  EXPECT_EQ(r.match("GET", "/api/v0/res3/9/items/q", p).id, 15u);  // i = 3: ids 12..15
  EXPECT_EQ(p.get("id"), "9");
  EXPECT_EQ(p.get("rest"), "q");
  EXPECT_EQ(r.match("GET", "/api/v0/res3000", p).result, outcome::not_found);
  EXPECT_EQ(r.match("PUT", "/api/v1/res1", p).result, outcome::method_not_allowed);
  EXPECT_EQ(r.allowed("/api/v1/res1/5/items/"), "GET, HEAD, POST");
}

TEST(RouteParams, PushGetClear) {
  route_params p;
  p.push("a", "1");
  p.push("b", "2");
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.get("b"), "2");
  p.clear();
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.get("a"), "");
  for (std::size_t i = 0; i < route_params::capacity + 3; ++i) p.push("k", "v");
  EXPECT_EQ(p.size(), route_params::capacity);
}

}  // namespace
}  // namespace ringlane::http
