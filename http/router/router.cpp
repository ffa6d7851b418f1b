// router.cpp -- see router.hpp for the patterns and the tree.
//
// add() runs in three steps: split the pattern into pieces (static text,
// :param, *wildcard), walk the existing tree to find conflicts without
// changing anything, then insert. Keeping the check apart from the insert
// is what lets a rejected add() leave the router as it was.
#include "http/router/router.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace ringlane::http {

struct router::node {
  enum class kind : unsigned char { fixed, param, wildcard };

  kind type = kind::fixed;
  std::string text;         // fixed: the bytes it matches; param, wildcard: the name
  std::string first_bytes;  // first byte of each static child, in `fixed` order
  std::vector<std::unique_ptr<node>> fixed;
  std::unique_ptr<node> param;
  std::unique_ptr<node> wildcard;
  bool has_route = false;
  std::size_t id = no_route;

  // The static child starting with `c`, or null. Children's first bytes
  // differ, so there is at most one.
  node* child_for(char c) const noexcept {
    const void* at = std::memchr(first_bytes.data(), c, first_bytes.size());
    if (!at) return nullptr;
    return fixed[static_cast<std::size_t>(static_cast<const char*>(at) - first_bytes.data())].get();
  }
};

namespace {

using node_kind = unsigned char;  // mirrors router::node::kind, which is private
constexpr node_kind piece_fixed = 0, piece_param = 1, piece_wildcard = 2;

struct piece {
  node_kind type;
  std::string_view text;  // static bytes or the parameter name
};

[[noreturn]] void reject(std::string_view pattern, const char* why) {
  throw std::invalid_argument("route \"" + std::string(pattern) + "\": " + why);
}

// "/users/:id/posts" -> fixed "/users/", param "id", fixed "/posts".
std::vector<piece> split_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern[0] != '/') reject(pattern, "must start with '/'");
  std::vector<piece> pieces;
  std::size_t fixed_from = 0, params = 0;
  std::size_t i = 0;
  while (i < pattern.size()) {
    bool segment_start = i > 0 && pattern[i - 1] == '/';
    char c = pattern[i];
    if (!segment_start || (c != ':' && c != '*')) {
      ++i;
      continue;
    }
    if (i > fixed_from) pieces.push_back({piece_fixed, pattern.substr(fixed_from, i - fixed_from)});
    std::size_t end = pattern.find('/', i);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view name = pattern.substr(i + 1, end - i - 1);
    if (name.empty()) reject(pattern, "a parameter needs a name");
    if (name.find_first_of(":*") != std::string_view::npos) {
      reject(pattern, "':' or '*' inside a parameter name");
    }
    if (c == '*' && end != pattern.size()) reject(pattern, "a wildcard must be the last segment");
    for (const piece& p : pieces) {
      if (p.type != piece_fixed && p.text == name) reject(pattern, "a parameter name is used twice");
    }
    if (++params > route_params::capacity) reject(pattern, "too many parameters");
    pieces.push_back({c == ':' ? piece_param : piece_wildcard, name});
    i = fixed_from = end;
  }
  if (fixed_from < pattern.size()) pieces.push_back({piece_fixed, pattern.substr(fixed_from)});
  return pieces;
}

std::size_t common_prefix(std::string_view a, std::string_view b) noexcept {
  std::size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

router::router() = default;
router::~router() = default;
router::router(router&&) noexcept = default;
router& router::operator=(router&&) noexcept = default;

const router::node* router::root_for(std::string_view method) const noexcept {
  for (const tree& t : trees_) {
    if (t.method == method) return t.root.get();
  }
  return nullptr;
}

void router::add(std::string_view method, std::string_view pattern, std::size_t id) {
  if (method.empty()) throw std::invalid_argument("route with an empty method");
  std::vector<piece> pieces = split_pattern(pattern);

  // 1. Check against the existing tree, changing nothing. Once the walk
  // leaves the existing nodes, the rest of the pattern is new: no conflict.
  const node* at = root_for(method);
  for (const piece& p : pieces) {
    if (!at) break;
    if (p.type == piece_fixed) {
      std::string_view s = p.text;
      while (at && !s.empty()) {
        const node* c = at->child_for(s[0]);
        if (!c || common_prefix(c->text, s) < c->text.size()) {
          at = nullptr;  // a new branch (or a split) from here on
          break;
        }
        s.remove_prefix(c->text.size());
        at = c;
      }
    } else {
      const node* c = p.type == piece_param ? at->param.get() : at->wildcard.get();
      if (c && c->text != p.text) reject(pattern, "another route names this parameter differently");
      at = c;
    }
  }
  if (at && at->has_route) reject(pattern, "duplicate route");

  // 2. Insert.
  node* root = nullptr;
  for (tree& t : trees_) {
    if (t.method == method) root = t.root.get();
  }
  if (!root) {
    trees_.push_back({std::string(method), std::make_unique<node>()});
    root = trees_.back().root.get();
  }
  node* n = root;
  for (const piece& p : pieces) {
    if (p.type == piece_fixed) {
      std::string_view s = p.text;
      while (!s.empty()) {
        node* c = n->child_for(s[0]);
        if (!c) {
          auto fresh = std::make_unique<node>();
          fresh->text = std::string(s);
          n->first_bytes.push_back(s[0]);
          n->fixed.push_back(std::move(fresh));
          n = n->fixed.back().get();
          break;
        }
        std::size_t l = common_prefix(c->text, s);
        if (l < c->text.size()) {
          // Split c at l: c keeps the shared prefix, a new node below it
          // takes the rest of its text and everything c had. Nodes stay
          // where they are in memory, so parameter names never move.
          auto tail = std::make_unique<node>();
          tail->text = c->text.substr(l);
          tail->first_bytes = std::move(c->first_bytes);
          tail->fixed = std::move(c->fixed);
          tail->param = std::move(c->param);
          tail->wildcard = std::move(c->wildcard);
          tail->has_route = c->has_route;
          tail->id = c->id;
          c->text.resize(l);
          c->first_bytes.assign(1, tail->text[0]);
          c->fixed.clear();
          c->fixed.push_back(std::move(tail));
          c->param.reset();
          c->wildcard.reset();
          c->has_route = false;
          c->id = no_route;
        }
        s.remove_prefix(l);
        n = c;
      }
    } else {
      std::unique_ptr<node>& slot = p.type == piece_param ? n->param : n->wildcard;
      if (!slot) {
        slot = std::make_unique<node>();
        slot->type = p.type == piece_param ? node::kind::param : node::kind::wildcard;
        slot->text = std::string(p.text);
      }
      n = slot.get();
    }
  }
  n->has_route = true;
  n->id = id;
  if (pieces.size() == 1 && pieces[0].type == piece_fixed) exact_.add(method, pieces[0].text, id);
}

bool router::match_below(const node* n, std::string_view rest, route_params& params,
                         std::size_t& id) noexcept {
  if (rest.empty() && n->has_route) {
    id = n->id;
    return true;
  }
  // 1. Static text.
  if (!rest.empty()) {
    if (const node* c = n->child_for(rest[0]); c && rest.starts_with(c->text)) {
      if (match_below(c, rest.substr(c->text.size()), params, id)) return true;
    }
  }
  // 2. A parameter: one non-empty segment.
  if (const node* c = n->param.get()) {
    std::string_view segment = rest.substr(0, rest.find('/'));
    if (!segment.empty()) {
      std::size_t mark = params.size();
      params.push(c->text, segment);
      if (match_below(c, rest.substr(segment.size()), params, id)) return true;
      params.truncate(mark);  // this branch failed: forget what it pushed
    }
  }
  // 3. A wildcard: whatever is left, even nothing. It is always a leaf.
  if (const node* c = n->wildcard.get()) {
    params.push(c->text, rest);
    id = c->id;
    return true;
  }
  return false;
}

router::match_result router::match(std::string_view method, std::string_view path,
                                   route_params& params) const {
  params.clear();
  if (const std::size_t* exact = exact_.find(method, path)) return {outcome::found, *exact};
  std::size_t id = no_route;
  if (const node* root = root_for(method); root && match_below(root, path, params, id)) {
    return {outcome::found, id};
  }
  params.clear();
  if (method == "HEAD") {
    if (const node* root = root_for("GET"); root && match_below(root, path, params, id)) {
      return {outcome::found, id};
    }
    params.clear();
  }
  // A miss: 405 if any other method has this path, else 404.
  for (const tree& t : trees_) {
    if (t.method == method) continue;
    bool hit = match_below(t.root.get(), path, params, id);
    params.clear();
    if (hit) return {outcome::method_not_allowed, no_route};
  }
  return {outcome::not_found, no_route};
}

std::string router::allowed(std::string_view path) const {
  std::vector<std::string_view> methods;
  route_params scratch;
  std::size_t id = no_route;
  for (const tree& t : trees_) {
    if (match_below(t.root.get(), path, scratch, id)) {
      methods.push_back(t.method);
      if (t.method == "GET") methods.push_back("HEAD");
    }
    scratch.clear();
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  std::string out;
  for (std::string_view m : methods) {
    if (!out.empty()) out += ", ";
    out += m;
  }
  return out;
}

}  // namespace ringlane::http
