// WrittenKeys: a fixed-size Bloom filter of the state keys the runner has written into the view generations it
// watched grow from empty. For such a generation, "the filter has never seen this key" proves the key is absent,
// so ChunkState answers the read without a RocksDB Get. On a replay, a rebuild or a fresh data directory almost
// every state read is of a key not written yet (a new conversation, hour, customer month, histogram cell:
// ~89 % of reads over the benchmark log), and each such miss cost a full RocksDB Get (~3.4 K instructions).
//
// Exactness: a generation is tracked only from a point where it holds no keys (a rebuild's fresh generation, a
// view at offset 0) and every key written into it afterwards is added before the write is committed. A key added
// for a chunk that was then dropped or failed only makes the filter answer "maybe" — a real Get — never a wrong
// "absent". Deleted keys stay in the filter for the same reason. Generations of an earlier process, and every
// generation once the filter is saturated, are simply not tracked: their reads go to RocksDB as before.
//
// Memory: `bytes` (default 16 MiB), mapped zeroed while a generation is tracked, in 2 MiB pages where the kernel
// allows (random keys touch every page at once anyway); one 512-bit block per key, 6 bits set. After
// bytes * 8 / 10 keys (false positives would pass ~1 %) it stops vouching for every generation; once nothing is
// tracked, the next tracked generation starts from an empty filter.
//
// Threading: none; the runner uses it under its fold mutex only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace tally {

class WrittenKeys {
 public:
  static constexpr size_t kDefaultBytes = 16 << 20;
  explicit WrittenKeys(size_t bytes = kDefaultBytes);

  // Starts vouching for the generation with key prefix `prefix`. The caller guarantees it holds no keys now.
  void Track(std::string_view prefix);
  // Stops vouching for it (its range is being deleted, or its emptiness can no longer be shown).
  void Untrack(std::string_view prefix);
  bool Tracks(std::string_view prefix) const;

  // Records a key (absolute: generation prefix + relative key) about to be committed.
  void Add(std::string_view key);
  // False only when the key was never added since its generation was tracked.
  bool MayContain(std::string_view key) const;
  // The same, for a caller that already has the key's HashKey (key_hash.h).
  void AddHash(uint64_t hash);
  bool MayContainHash(uint64_t hash) const;

  size_t keys() const { return keys_; }

 private:
  // The bit array is an anonymous mapping: the kernel hands out zero pages lazily, so only blocks actually
  // written cost memory. (calloc would do the same only above glibc's mmap threshold, which grows after frees.)
  struct Unmap {
    size_t bytes;
    void operator()(uint64_t* p) const;
  };
  static constexpr size_t kBlockWords = 8;  // 512 bits: one cache line per key
  static constexpr int kProbes = 6;

  const uint64_t* Block(uint64_t hash) const;

  size_t blocks_;
  size_t capacity_;  // keys before the filter stops vouching
  size_t keys_ = 0;
  std::unique_ptr<uint64_t[], Unmap> bits_{nullptr, Unmap{0}};
  std::set<std::string, std::less<>> tracked_;
};

}  // namespace tally
