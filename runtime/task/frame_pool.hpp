// frame_pool.hpp -- per-thread size-class free lists for coroutine frames.
//
// Every coroutine type in ringlane allocates its frame through frame_pool via
// a promise-level operator new / sized operator delete. A frame is a plain
// block of one of six size classes (64 .. 2048 bytes); larger frames go to
// ::operator new directly.
//
//   thread A cache            thread B cache
//   class 0 (64 B):  ->[]->[]  class 0: ->[]
//   class 1 (128 B): ->[]      class 1: (empty)
//   ...
//
// Ownership rule: a block belongs to nobody while it sits in a cache. A frame
// allocated on thread A and freed on thread B (a stolen task) simply joins
// B's cache: every block of a class has the same size and came from the same
// global allocator, so any thread may reuse it. Each cache is capped (see
// kMaxCached) so memory cannot pile up on a thread that only frees; the
// excess goes back to ::operator delete. A thread's cache is released when the
// thread exits.
//
// Thread-safety: all functions touch only the calling thread's cache.
#pragma once

#include <cstddef>

namespace ringlane::detail::frame_pool {

// Allocates at least `size` bytes aligned for any coroutine frame
// (__STDCPP_DEFAULT_NEW_ALIGNMENT__). Throws std::bad_alloc on exhaustion.
void* allocate(std::size_t size);

// Returns a block obtained from allocate(size) with the same size.
void deallocate(void* block, std::size_t size) noexcept;

// Blocks currently cached on this thread, for tests and metrics.
std::size_t cached_blocks() noexcept;

// Bytes requested by allocate() on this thread since it started (frame
// sizes as the compiler asked for them, before rounding to a class). The
// difference across creating one coroutine is its frame size: the runtime
// reports "bytes per task" from it (bench: BM_task_frame_size).
std::size_t requested_bytes() noexcept;

}  // namespace ringlane::detail::frame_pool
