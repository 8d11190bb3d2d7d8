// BlockPool: fixed-size blocks backed by transparent huge pages, carved from one reserved range of address space.
// It exists for RocksDB's memtable arena blocks (kMemtableBlockBytes each, allocated with `new char[]`;
// tools/memtable_blocks.cc routes them here). From the general allocator each block's 512 small pages were
// faulted in one by one (a memtable's blocks are freed at each flush, jemalloc returns them to the kernel, the
// next memtable faults as many again — on a paravirtualised VM each fault costs several µs), and the skip lists'
// random inserts and look-ups missed the TLB across tens of MiB. Here a block is one 2 MiB page (MADV_HUGEPAGE
// on an aligned range): one fault brings it in. A block given back is released to the kernel at once
// (MADV_DONTNEED), so the pool's resident memory is the blocks in use, as before.
//
// Threading: Take and Give are thread-safe (one mutex; each block is 2 MiB of memtable, so they are rare); Owns
// reads only what the constructor set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace tally {

// RocksDB's arena block for every column family (ColumnFamilyOptions::arena_block_size, set in rocks_open.cc):
// the size the tally binary's allocator serves from the pool — one huge page.
inline constexpr size_t kMemtableBlockBytes = size_t{2} << 20;

class BlockPool {
 public:
  // Reserves address space for reserve_bytes / block_bytes blocks (no memory yet), the first aligned to 2 MiB.
  // block_bytes should be a multiple of 2 MiB, so that each block is whole huge pages. If the reservation
  // fails the pool is empty: Take returns nullptr and Owns false.
  BlockPool(size_t block_bytes, size_t reserve_bytes);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // A block of block_bytes, zero-filled when first touched; nullptr when every block of the range is in use.
  void* Take();
  // Returns a block that Take handed out; its memory goes back to the kernel, its address to the pool.
  void Give(void* block);
  // Whether p lies in the pool's range (whether it must go back through Give).
  bool Owns(const void* p) const {
    const auto at = reinterpret_cast<uintptr_t>(p);
    return at >= reinterpret_cast<uintptr_t>(base_) && at < reinterpret_cast<uintptr_t>(limit_);
  }

  size_t block_bytes() const { return block_bytes_; }
  size_t blocks_in_use() const;

 private:
  const size_t block_bytes_;
  void* mapping_ = nullptr;  // what mmap returned (alignment slack included)
  size_t mapping_bytes_ = 0;
  char* base_ = nullptr;   // first block
  char* limit_ = nullptr;  // end of the last block

  mutable std::mutex mu_;
  char* next_ = nullptr;     // first block never handed out
  std::vector<void*> free_;  // given-back blocks (released), reserved for every block: Give never allocates
};

}  // namespace tally
