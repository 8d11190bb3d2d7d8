// BlockPool: distinct blocks inside its range, given-back blocks reused (and their memory released: they read
// back as zeros) before new ones are carved, a clear "no room" once every block is in use, and safe use from
// several threads.
#include "storage/block_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace tally {
namespace {

constexpr size_t kBlock = 64 << 10;

TEST(BlockPoolTest, BlocksAreDistinctWritableAndInsideTheRange) {
  BlockPool pool(kBlock, 8 * kBlock);
  std::vector<char*> blocks;
  for (int i = 0; i < 8; ++i) {
    auto* block = static_cast<char*>(pool.Take());
    ASSERT_NE(block, nullptr) << i;
    EXPECT_TRUE(pool.Owns(block));
    EXPECT_TRUE(pool.Owns(block + kBlock - 1));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 16, 0u);
    std::memset(block, i + 1, kBlock);
    blocks.push_back(block);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    for (size_t j = i + 1; j < blocks.size(); ++j) {
      const size_t gap = blocks[i] < blocks[j] ? blocks[j] - blocks[i] : blocks[i] - blocks[j];
      EXPECT_GE(gap, kBlock) << i << " and " << j << " overlap";
    }
    EXPECT_EQ(blocks[i][0], static_cast<char>(i + 1));
    EXPECT_EQ(blocks[i][kBlock - 1], static_cast<char>(i + 1));
  }
  EXPECT_EQ(pool.blocks_in_use(), 8u);
  EXPECT_EQ(pool.Take(), nullptr) << "the range holds 8 blocks";

  int outside = 0;
  EXPECT_FALSE(pool.Owns(&outside));
  EXPECT_FALSE(pool.Owns(nullptr));
  char* highest = *std::max_element(blocks.begin(), blocks.end());
  EXPECT_FALSE(pool.Owns(highest + kBlock)) << "the range ends after the last block";
}

TEST(BlockPoolTest, GivenBackBlocksAreReleasedAndReusedBeforeNewOnes) {
  BlockPool pool(kBlock, 16 * kBlock);
  auto* a = static_cast<char*>(pool.Take());
  auto* b = static_cast<char*>(pool.Take());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::memset(a, 0x5a, kBlock);
  pool.Give(a);
  EXPECT_EQ(pool.blocks_in_use(), 1u);
  ASSERT_EQ(pool.Take(), a);
  EXPECT_EQ(a[0], 0) << "a given-back block's memory went back to the kernel";
  EXPECT_EQ(a[kBlock - 1], 0);
  pool.Give(b);
  pool.Give(a);
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  std::set<void*> again = {pool.Take(), pool.Take()};
  EXPECT_EQ(again, (std::set<void*>{a, b}));
  EXPECT_EQ(pool.blocks_in_use(), 2u);
  // Reuse did not carve new blocks: 14 of the 16 are still to be had, then none.
  for (int i = 0; i < 14; ++i) EXPECT_NE(pool.Take(), nullptr) << i;
  EXPECT_EQ(pool.Take(), nullptr);
}

TEST(BlockPoolTest, AnUnusablePoolOwnsNothingAndGivesNothing) {
  BlockPool tiny(kBlock, kBlock / 2);  // not even one block
  EXPECT_EQ(tiny.Take(), nullptr);
  int x = 0;
  EXPECT_FALSE(tiny.Owns(&x));
  EXPECT_EQ(tiny.blocks_in_use(), 0u);
}

TEST(BlockPoolTest, ThreadsTakingAndGivingNeverShareABlock) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  BlockPool pool(kBlock, 2 * kThreads * kBlock);
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, &failures, t] {
      for (int r = 0; r < kRounds; ++r) {
        auto* block = static_cast<unsigned char*>(pool.Take());
        if (block == nullptr) {
          ++failures[t];
          continue;
        }
        // Stamp the block, yield, and check that nobody else wrote into it meanwhile.
        std::memset(block + 64, t + 1, 256);
        std::this_thread::yield();
        for (int k = 64; k < 64 + 256; ++k)
          if (block[k] != t + 1) ++failures[t];
        pool.Give(block);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(pool.blocks_in_use(), 0u);
}

}  // namespace
}  // namespace tally
