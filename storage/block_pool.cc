#include "storage/block_pool.h"

#include <sys/mman.h>

namespace tally {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}

BlockPool::BlockPool(size_t block_bytes, size_t reserve_bytes) : block_bytes_(block_bytes) {
  const size_t blocks = block_bytes == 0 ? 0 : reserve_bytes / block_bytes;
  if (blocks == 0) return;
  mapping_bytes_ = blocks * block_bytes + kHugePage;  // slack to align the first block to a huge page
  void* mapping =
      mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) {
    mapping_bytes_ = 0;
    return;
  }
  mapping_ = mapping;
  const uintptr_t aligned = (reinterpret_cast<uintptr_t>(mapping) + kHugePage - 1) & ~(kHugePage - 1);
  base_ = reinterpret_cast<char*>(aligned);
  limit_ = base_ + blocks * block_bytes;
  next_ = base_;
  free_.reserve(blocks);
  // Advice only: where transparent huge pages are off, the blocks are ordinary pages.
  madvise(base_, static_cast<size_t>(limit_ - base_), MADV_HUGEPAGE);
}

BlockPool::~BlockPool() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
}

void* BlockPool::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!free_.empty()) {
    void* block = free_.back();
    free_.pop_back();
    return block;
  }
  if (next_ == limit_) return nullptr;
  void* block = next_;
  next_ += block_bytes_;
  return block;
}

void BlockPool::Give(void* block) {
  madvise(block, block_bytes_, MADV_DONTNEED);  // the pages go back now; the next Take of it faults in zeros
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(block);
}

size_t BlockPool::blocks_in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(next_ - base_) / block_bytes_ - free_.size();
}

}  // namespace tally
