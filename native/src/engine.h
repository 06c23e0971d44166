// One oneDNN engine for the process, a stream per calling thread, and a bounded cache of
// primitives keyed by shape and thread count (oneDNN fixes the thread count when it creates a
// primitive; creating one costs far more than running it on these sizes).
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

namespace deepagrel {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();   // this thread's (streams are not thread-safe; Node workers may share the addon)

// The cache's size limit, over all kinds of entry (a net has a few dozen shapes; a user who feeds
// ever new shapes, e.g. a growing batch, would otherwise grow it without end).
std::size_t cache_limit();
void set_cache_limit(std::size_t n);
std::size_t cache_entries();

namespace detail {
// Least-recently-used entries go first; entries are shared_ptrs, so one evicted while a kernel
// still runs it stays alive until that kernel is done.
struct Cache {
  std::mutex mu;
  std::list<std::pair<std::string, std::shared_ptr<void>>> order;   // most recent first
  std::unordered_map<std::string, decltype(order)::iterator> index;
  std::size_t limit = 256;
};
Cache& cache();
void trim(Cache& c);   // drops the oldest entries past the limit (mu held)
}  // namespace detail

// The cached object for `key` (keys are unique across kinds: each starts with its kind), made by
// `make` on first use. Thread-safe; `make` runs outside the lock.
// Entries are per calling thread: a oneDNN primitive keeps its scratchpad with it (unless oneDNN
// is built for concurrent execution), so one primitive run by two threads at once races on it —
// seen with oneDNN 3.7 as 3 wrong results in 60 convolutions from two Node workers.
template <typename T>
std::shared_ptr<T> cached(const std::string& shape_key, const std::function<std::unique_ptr<T>()>& make) {
  const std::string key = shape_key + "/thread" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  auto& c = detail::cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.index.find(key);
    if (it != c.index.end()) {
      c.order.splice(c.order.begin(), c.order, it->second);
      return std::static_pointer_cast<T>(it->second->second);
    }
  }
  std::shared_ptr<T> made(make());
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.index.find(key);
  if (it != c.index.end()) return std::static_pointer_cast<T>(it->second->second);   // another thread made it first
  c.order.emplace_front(key, made);
  c.index[key] = c.order.begin();
  detail::trim(c);
  return made;
}

}  // namespace deepagrel
