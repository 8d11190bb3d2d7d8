#include "net/answer_cache.h"

#include <chrono>
#include <random>

namespace tally::net {
namespace {

// Per entry beyond its strings: the list node, the index slot, the answer object and the allocator headers.
constexpr size_t kEntryOverhead = 192;

void AppendPiece(std::string* out, std::string_view piece) {
  uint32_t n = static_cast<uint32_t>(piece.size());
  char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                 static_cast<char>(n)};
  out->append(len, 4);
  out->append(piece);
}

void AppendNumber(std::string* out, uint64_t value) { AppendPiece(out, std::to_string(value)); }

// Fixed for the life of the process; differs between processes (see AnswerEtag).
uint64_t ProcessNonce() {
  static const uint64_t nonce = [] {
    std::random_device device;
    uint64_t high = device();
    uint64_t time = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return (high << 32) ^ device() ^ time;
  }();
  return nonce;
}

// FNV-1a, 64 bits, seeded: not cryptographic, only a stable short name for a key.
uint64_t Fnv1a(std::string_view bytes, uint64_t seed) {
  uint64_t h = 14695981039346656037ull ^ seed;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string AnswerKey(const AnswerKeyParts& parts) {
  std::string key;
  key.reserve(128);
  AppendPiece(&key, parts.route);
  AppendPiece(&key, parts.store);
  AppendNumber(&key, static_cast<uint64_t>(static_cast<int64_t>(parts.today)));
  AppendPiece(&key, parts.view);
  AppendNumber(&key, parts.generation);
  AppendNumber(&key, parts.offset);
  // Each list is prefixed with its length, so the two lists cannot run into each other.
  for (const ParamMap* params : {parts.query, parts.path}) {
    std::string_view skipped = params == parts.query ? "min_seq" : "store";
    size_t count = 0;
    if (params) {
      for (const auto& entry : *params) count += entry.first != skipped;
    }
    AppendNumber(&key, count);
    if (!params) continue;
    for (const auto& [name, value] : *params) {
      if (name == skipped) continue;
      AppendPiece(&key, name);
      AppendPiece(&key, value);
    }
  }
  return key;
}

std::string AnswerEtag(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t h = Fnv1a(key, ProcessNonce());
  std::string etag(18, '"');
  for (int i = 0; i < 16; ++i) etag[1 + i] = kHex[(h >> (60 - 4 * i)) & 0xf];
  return etag;
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view tag = Trim(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // If-None-Match compares weakly (RFC 9110 13.1.2)
    if (tag == etag) return true;
  }
  return false;
}

AnswerCache::AnswerCache(size_t max_bytes, size_t shards)
    : max_bytes_(max_bytes), shard_bytes_(max_bytes / (shards == 0 ? 1 : shards)) {
  if (shards == 0) shards = 1;
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

size_t AnswerCache::Charge(std::string_view key, const CachedAnswer& answer) {
  return key.size() + answer.wire.size() + answer.content_type.size() + answer.etag.size() + kEntryOverhead;
}

AnswerCache::Shard& AnswerCache::ShardFor(std::string_view key) {
  // Different bits from the ones the shard's own hash table uses for its buckets.
  size_t h = std::hash<std::string_view>()(key);
  return *shards_[(h >> 32 ^ h >> 7) % shards_.size()];
}

std::shared_ptr<const CachedAnswer> AnswerCache::Find(std::string_view key) {
  if (!enabled()) return nullptr;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);  // iterators stay valid
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->second->answer;
}

void AnswerCache::Insert(std::string key, std::shared_ptr<const CachedAnswer> answer) {
  if (!enabled() || !answer) return;
  size_t charge = Charge(key, *answer);
  if (charge > shard_bytes_) return;
  Shard& shard = ShardFor(key);
  std::list<Entry> evicted;  // freed after the lock is released (declared before it)
  std::lock_guard lock(shard.mu);
  if (auto it = shard.index.find(key); it != shard.index.end()) {
    shard.bytes -= it->second->charge;
    evicted.splice(evicted.end(), shard.lru, it->second);
    shard.index.erase(it);
  }
  shard.lru.push_front(Entry{std::move(key), std::move(answer), charge});
  shard.index.emplace(shard.lru.front().key, shard.lru.begin());
  shard.bytes += charge;
  while (shard.bytes > shard_bytes_) {
    auto last = std::prev(shard.lru.end());
    shard.index.erase(last->key);
    shard.bytes -= last->charge;
    evicted.splice(evicted.end(), shard.lru, last);
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

size_t AnswerCache::bytes() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->bytes;
  }
  return total;
}

size_t AnswerCache::entries() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->lru.size();
  }
  return total;
}

}  // namespace tally::net
