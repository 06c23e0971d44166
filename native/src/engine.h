// One oneDNN engine and stream for the process, and a cache of primitives keyed by shape and
// thread count (oneDNN fixes the thread count when it creates a primitive; creating one costs
// far more than running it on these sizes).
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace deepagrel {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

// The cached object for `key`, made by `make` on first use.
template <typename T>
T& cached(const std::string& key, const std::function<std::unique_ptr<T>()>& make) {
  static std::unordered_map<std::string, std::unique_ptr<T>> cache;
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, make()).first;
  return *it->second;
}

}  // namespace deepagrel
