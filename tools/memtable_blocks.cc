// The tally binary's array new/delete: RocksDB's memtable arena blocks come from a BlockPool
// (storage/block_pool.h), everything else from jemalloc as before. Only with jemalloc — sanitizer and fuzz builds
// keep their own allocators — and only in this binary, so tests and benchmarks that link the libraries see the
// plain allocator.
//
// RocksDB allocates each arena block with `new char[kMemtableBlockBytes]`, asks malloc_usable_size how big it
// came out (its memtable accounting), and frees it with `delete[]`. So the three are replaced together: a
// request of exactly the block size is served by the pool when it has room, a pointer in the pool's range goes
// back to it, and malloc_usable_size answers for pool blocks and asks jemalloc (sallocx) for the rest. Any other
// `new[]` of exactly that size also lands in the pool; that is harmless (it is returned the same way).
#ifdef TALLY_WITH_JEMALLOC
#include <cstddef>
#include <new>

#include "storage/block_pool.h"

extern "C" size_t sallocx(const void* ptr, int flags);  // jemalloc's, exported unprefixed by Debian's build

namespace {

// Address space only (MAP_NORESERVE): 512 blocks, several times what the WriteBufferManager lets the memtables
// hold (storage/rocks_open.cc); were they ever all in use, further blocks would come from jemalloc.
constexpr size_t kReserveBytes = size_t{1} << 30;

// Never destroyed: delete[] may run after static destructors.
tally::BlockPool& MemtablePool() {
  static tally::BlockPool* pool = new tally::BlockPool(tally::kMemtableBlockBytes, kReserveBytes);
  return *pool;
}

}  // namespace

void* operator new[](size_t bytes) {
  if (bytes == tally::kMemtableBlockBytes)
    if (void* block = MemtablePool().Take()) return block;
  return ::operator new(bytes);
}

void operator delete[](void* p) noexcept {
  if (MemtablePool().Owns(p)) return MemtablePool().Give(p);
  ::operator delete(p);
}

void operator delete[](void* p, size_t) noexcept {
  if (MemtablePool().Owns(p)) return MemtablePool().Give(p);
  ::operator delete(p);
}

extern "C" size_t malloc_usable_size(void* p) noexcept {
  if (p == nullptr) return 0;
  if (MemtablePool().Owns(p)) return tally::kMemtableBlockBytes;
  return sallocx(p, 0);
}
#endif
