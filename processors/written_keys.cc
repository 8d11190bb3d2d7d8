#include "processors/written_keys.h"

#include <sys/mman.h>

#include <algorithm>

#include "processors/key_hash.h"

namespace tally {
namespace {

// splitmix64's finalizer: the probe positions come from a second mix of the key's hash, independent of the bits
// that chose the block.
uint64_t Mix(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

// Six 9-bit probe positions inside the block, from a second mix so they are independent of the block index.
uint64_t Probes(uint64_t hash) { return Mix(hash ^ 0x9e3779b97f4a7c15ULL); }

}  // namespace

void WrittenKeys::Unmap::operator()(uint64_t* p) const { munmap(p, bytes); }

WrittenKeys::WrittenKeys(size_t bytes)
    : blocks_(std::max<size_t>(1, bytes / (kBlockWords * sizeof(uint64_t)))), capacity_(blocks_ * 512 / 10) {}

void WrittenKeys::Track(std::string_view prefix) {
  if (tracked_.empty()) {
    // Nothing is vouched for: start from an empty filter.
    const size_t bytes = blocks_ * kBlockWords * sizeof(uint64_t);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;  // no memory: vouch for nothing
    // Keys land in random blocks, so every page is touched within the first few thousand keys: ask for 2 MiB
    // pages. On a virtual machine each 4 KiB page fault (a read maps the zero page, the first write copies it)
    // cost ~30 µs; 4 KiB pages made 5 % of a replay's CPU. Advice only: without THP it changes nothing.
    madvise(p, bytes, MADV_HUGEPAGE);
    bits_ = std::unique_ptr<uint64_t[], Unmap>(static_cast<uint64_t*>(p), Unmap{bytes});
    keys_ = 0;
  }
  tracked_.emplace(prefix);
}

void WrittenKeys::Untrack(std::string_view prefix) {
  auto it = tracked_.find(prefix);
  if (it != tracked_.end()) tracked_.erase(it);
  if (tracked_.empty()) bits_.reset();
}

bool WrittenKeys::Tracks(std::string_view prefix) const { return tracked_.find(prefix) != tracked_.end(); }

// The block from the hash's low 32 bits, mapped onto [0, blocks_) by a multiply instead of a division.
const uint64_t* WrittenKeys::Block(uint64_t hash) const {
  return bits_.get() + (((hash & 0xffffffffULL) * blocks_) >> 32) * kBlockWords;
}

void WrittenKeys::Add(std::string_view key) { AddHash(HashKey(key)); }

bool WrittenKeys::MayContain(std::string_view key) const { return MayContainHash(HashKey(key)); }

void WrittenKeys::AddHash(uint64_t hash) {
  if (!bits_) return;
  if (keys_ >= capacity_) {
    // Saturated: false positives would climb past ~1 %, so stop vouching altogether (reads go to RocksDB).
    tracked_.clear();
    bits_.reset();
    return;
  }
  ++keys_;
  uint64_t* block = const_cast<uint64_t*>(Block(hash));
  uint64_t probes = Probes(hash);
  for (int i = 0; i < kProbes; ++i, probes >>= 9) block[(probes & 511) >> 6] |= uint64_t{1} << (probes & 63);
}

bool WrittenKeys::MayContainHash(uint64_t hash) const {
  if (!bits_) return true;
  const uint64_t* block = Block(hash);
  uint64_t probes = Probes(hash);
  for (int i = 0; i < kProbes; ++i, probes >>= 9) {
    if (!(block[(probes & 511) >> 6] & (uint64_t{1} << (probes & 63)))) return false;
  }
  return true;
}

}  // namespace tally
