// router.hpp -- from (method, path) to a route id, with path parameters.
//
//   router r;
//   r.add("GET", "/users/:id", 2);
//   route_params p;
//   auto m = r.match("GET", "/users/42", p);   // {found, 2}; p.get("id") == "42"
//
// Patterns. A pattern is '/' followed by segments. A segment that starts
// with ':' is a parameter and matches one non-empty segment ("/users/:id"
// matches "/users/42", not "/users/" or "/users/4/2"). A last segment that
// starts with '*' is a wildcard and matches the rest of the path, slashes
// included, possibly empty ("/files/*path" matches "/files/" and
// "/files/a/b.txt", but not "/files": the trailing slash is significant
// everywhere, "/a" and "/a/" are different routes). ':' and '*' anywhere
// else are ordinary bytes.
//
// The tree. One per method. Static text is stored radix-style: a node holds
// the bytes it matches and its static children start with different bytes,
// so shared prefixes are stored (and compared) once. A node may also have
// one parameter child and one wildcard child. For these routes
//
//   GET /               0        GET /users/me          4
//   GET /users          1        GET /users/:id/posts   3
//   GET /users/:id      2        GET /files/*path       5
//
// the GET tree is
//
//   (root)
//    └─ "/"  [0]
//        ├─ "users"  [1]
//        │   └─ "/"
//        │       ├─ "me"  [4]
//        │       └─ :id  [2]
//        │           └─ "/posts"  [3]
//        └─ "files/"
//            └─ *path  [5]
//
// Routes without parameters or wildcards are also kept in a hash table
// (exact_routes.hpp) that match() probes first: "/", "/json", "/api/health"
// cost one hash and one compare. Everything else walks the tree.
//
// Matching walks down trying, at each node, the static child, then the
// parameter, then the wildcard, and backs up when a branch dead-ends: with
// "/a/b" and "/a/:x/c" added, "/a/b/c" tries "b" first, finds nothing
// under it, and then matches :x = "b". Only the parameters pushed on the
// successful branch remain. The cost is proportional to the path length
// and, in the worst case, the number of branches that share a prefix.
//
// Threading: build the router at start-up, then share it read-only. match()
// and allowed() are const and touch nothing but their arguments.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/router/exact_routes.hpp"

namespace ringlane::http {

struct route_param {
  std::string_view name;   // a view into the router's storage: stable for its life
  std::string_view value;  // a view into the matched path
};

// The parameters of one match. Fixed storage (no allocation), reused per
// request; the router refuses patterns with more than `capacity` parameters.
class route_params {
 public:
  static constexpr std::size_t capacity = 16;

  // The value of parameter `name`, or "" if the route has none.
  std::string_view get(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < size_; ++i) {
      if (items_[i].name == name) return items_[i].value;
    }
    return {};
  }
  std::size_t size() const noexcept { return size_; }
  const route_param* begin() const { return items_; }
  const route_param* end() const { return items_ + size_; }
  void clear() noexcept { size_ = 0; }
  // Beyond `capacity` the parameter is dropped (the router never does that).
  void push(std::string_view name, std::string_view value) noexcept {
    if (size_ < capacity) items_[size_++] = {name, value};
  }

 private:
  friend class router;
  void truncate(std::size_t n) noexcept { size_ = n; }  // undo pushes when backtracking

  route_param items_[capacity];
  std::size_t size_ = 0;
};

class router {
 public:
  router();
  ~router();
  router(router&&) noexcept;
  router& operator=(router&&) noexcept;

  // Adds a route. Throws std::invalid_argument for a pattern that does not
  // start with '/', an empty or repeated parameter name, a wildcard that is
  // not last, more than route_params::capacity parameters, two different
  // parameter (or wildcard) names at one position, or a duplicate route.
  // After a throw, the router still matches exactly what it matched before.
  void add(std::string_view method, std::string_view pattern, std::size_t id);

  enum class outcome { found, not_found, method_not_allowed };
  struct match_result {
    outcome result;
    std::size_t id;  // the route's id when found, else no_route
  };
  static constexpr std::size_t no_route = static_cast<std::size_t>(-1);

  // Matches a percent-decoded path without its query. Static text beats a
  // parameter beats a wildcard, with backtracking. HEAD falls back to the
  // GET route when no HEAD route matches. On a miss, `params` is empty and
  // the result says whether another method would have matched (405).
  match_result match(std::string_view method, std::string_view path, route_params& params) const;

  // For a 405's Allow field: "GET, HEAD, POST" -- every method with a route
  // matching `path`, HEAD included when GET is, sorted. "" if none.
  std::string allowed(std::string_view path) const;

 private:
  struct node;
  struct tree {
    std::string method;
    std::unique_ptr<node> root;
  };

  const node* root_for(std::string_view method) const noexcept;
  // Below node `n` (its own text consumed), matches `rest` (router.cpp).
  static bool match_below(const node* n, std::string_view rest, route_params& params,
                          std::size_t& id) noexcept;

  std::vector<tree> trees_;
  exact_routes exact_;  // the routes without parameters: one probe (exact_routes.hpp)
};

}  // namespace ringlane::http
