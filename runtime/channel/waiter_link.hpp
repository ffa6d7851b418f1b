// waiter_link.hpp -- the intrusive list node the channels park waiters on.
//
// A circular doubly linked list: a list is a sentinel link (empty when it
// points at itself); a node is unlinked when it points at itself, so an
// awaiter's destructor can always ask "am I still queued?" and unlink in
// O(1) without knowing which list holds it. Nodes live inside awaiters (in
// coroutine frames): no allocation per wait, and they must never move while
// linked. Not thread-safe: every channel guards its lists with its mutex.
#pragma once

namespace ringlane::detail {

struct waiter_link {
  waiter_link* prev = this;
  waiter_link* next = this;
  waiter_link() noexcept = default;
  waiter_link(const waiter_link&) = delete;  // linked nodes must not move
  waiter_link& operator=(const waiter_link&) = delete;
  bool linked() const noexcept { return next != this; }
  void push_back(waiter_link* n) noexcept {
    n->prev = prev;
    n->next = this;
    prev->next = n;
    prev = n;
  }
  void unlink() noexcept {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
};

}  // namespace ringlane::detail
