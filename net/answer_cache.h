// AnswerCache: whole HTTP answers of view queries (status, content type, body, ETag), keyed by everything the
// answer depends on (see AnswerKey), bounded by bytes. A dashboard that polls the same query gets the stored
// bytes back instead of a RocksDB snapshot, two iterator seeks and a JSON build per request.
//
// Invalidation is by key, never by notification: the key carries the serving generation and committed offset
// of the view the route reads, so a fold commit or a rebuild swap makes every older entry unreachable; those
// entries age out of the LRU. Nothing here knows about authorization: the caller checks the token BEFORE the
// lookup, and the store is part of the key.
//
// Threading: thread-safe. The entries are spread over shards by key hash, each with its own mutex and LRU
// list and an equal share of the byte bound, so concurrent lookups of different keys rarely contend.
// Answers are shared immutable objects: a hit hands out a reference, not a copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time.h"
#include "net/http_params.h"

namespace tally::net {

struct CachedAnswer {
  unsigned status = 200;
  std::string content_type;
  std::string etag;        // quoted, as sent in the ETag header
  std::string wire;        // the whole HTTP/1.1 keep-alive response (net::WireBytes), written as is on a hit
  size_t body_offset = 0;  // where the body starts in wire

  std::string_view body() const { return std::string_view(wire).substr(body_offset); }
};

// What a view answer depends on besides the view's contents: the route and its decoded parameters (min_seq in
// `query` is skipped: it only waits, the answer at a given version is the same; `store` in `path` is skipped:
// it is `store`), the server clock's day the query was given (routes default dates to today), and the
// serving generation and committed offset of the one view the route reads.
struct AnswerKeyParts {
  std::string_view route;  // the route pattern
  std::string_view store;
  const ParamMap* query = nullptr;
  const ParamMap* path = nullptr;
  DayNum today = 0;
  std::string_view view;
  uint32_t generation = 0;
  uint64_t offset = 0;
};

// An unambiguous byte string of the parts (each length-prefixed), usable as a cache key.
std::string AnswerKey(const AnswerKeyParts& parts);
// A strong ETag for a key: a quoted 64-bit hash of the key and a per-process nonce, so an answer cached by
// a client before a restart (possibly of another build) is not taken for current.
std::string AnswerEtag(std::string_view key);
// Whether an If-None-Match header value names etag (a list of tags, W/ prefixes ignored, or "*").
bool EtagMatches(std::string_view if_none_match, std::string_view etag);

class AnswerCache {
 public:
  // max_bytes 0 disables the cache (Find always misses, Insert drops).
  explicit AnswerCache(size_t max_bytes, size_t shards = 16);
  AnswerCache(const AnswerCache&) = delete;
  AnswerCache& operator=(const AnswerCache&) = delete;

  bool enabled() const { return max_bytes_ > 0; }
  // The answer stored under key (and marks it recently used), or nullptr.
  std::shared_ptr<const CachedAnswer> Find(std::string_view key);
  // Stores answer under key, replacing an older one, evicting least recently used entries of its shard until
  // the shard is within its share of the bound. An answer larger than a shard's share is not stored.
  void Insert(std::string key, std::shared_ptr<const CachedAnswer> answer);

  size_t max_bytes() const { return max_bytes_; }
  // What the entries are charged: key, wire bytes, content type, ETag and a fixed per-entry overhead.
  size_t bytes() const;
  size_t entries() const;
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

  static size_t Charge(std::string_view key, const CachedAnswer& answer);

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const CachedAnswer> answer;
    size_t charge = 0;
  };
  struct Shard {
    std::mutex mu;
    std::list<Entry> lru;  // most recently used first
    // Views into the keys held by the list's nodes (list nodes never move).
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
    size_t bytes = 0;
  };

  Shard& ShardFor(std::string_view key);

  size_t max_bytes_;
  size_t shard_bytes_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace tally::net
