// small_fifo.hpp -- a first-in-first-out ring whose first N slots live
// inline, for queues that are almost always short: the stream's received
// chunks nobody has read yet (N = 16, the default read-ahead backlog).
//
// Why not std::deque: libstdc++'s deque allocates a map and a 512-byte node
// when it is constructed, even if it never holds anything -- ~600 bytes on
// the heap per connection, and two more cache lines touched by every
// request's push and pop. Here the slots sit in the owning object.
//
//   inline_[N]: [ c ][ d ][ - ][ a ][ b ]      head_ = 3, count_ = 4
//                 ^ tail wraps       ^ front
//
// Past N entries (a backlog raised with set_read_backlog, or completions
// still in flight after a pause) the ring moves to a heap block twice the
// size, in order; it never shrinks back. T must be trivially copyable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace ringlane::engine {

template <class T, std::size_t N>
class small_fifo {
  static_assert(std::is_trivially_copyable_v<T>, "small_fifo moves its entries with plain copies");
  static_assert(N > 0 && (N & (N - 1)) == 0, "the inline capacity is a power of two");

 public:
  small_fifo() = default;
  small_fifo(const small_fifo&) = delete;
  small_fifo& operator=(const small_fifo&) = delete;

  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  std::size_t capacity() const noexcept { return mask_ + 1; }

  T& front() noexcept { return slots()[head_]; }
  void push_back(const T& v) {
    if (count_ == capacity()) grow();
    slots()[(head_ + count_) & mask_] = v;
    ++count_;
  }
  void pop_front() noexcept {
    head_ = (head_ + 1) & mask_;
    --count_;
  }
  void clear() noexcept { head_ = count_ = 0; }

  // f(const T&) for every entry, front first.
  template <class F>
  void for_each(F&& f) const {
    const T* s = heap_ ? heap_.get() : inline_;
    for (std::size_t i = 0; i < count_; ++i) f(s[(head_ + i) & mask_]);
  }
  // f(T&) for every entry, front first: entries may change in place.
  template <class F>
  void for_each_mut(F&& f) {
    T* s = slots();
    for (std::size_t i = 0; i < count_; ++i) f(s[(head_ + i) & mask_]);
  }

 private:
  T* slots() noexcept { return heap_ ? heap_.get() : inline_; }

  void grow() {
    const std::size_t cap = 2 * capacity();
    std::unique_ptr<T[]> bigger(new T[cap]);
    std::size_t i = 0;
    for_each([&](const T& v) { bigger[i++] = v; });
    heap_ = std::move(bigger);
    head_ = 0;
    mask_ = cap - 1;
  }

  T inline_[N];
  std::unique_ptr<T[]> heap_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t mask_ = N - 1;
};

}  // namespace ringlane::engine
