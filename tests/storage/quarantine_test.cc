// Quarantine: newest N kept per quarantine (per store, "" global), drops counted, newest first with cursors.
#include "tests/storage/storage_test_util.h"

namespace tally::storage_test {
namespace {

using testing::TempDir;

QuarantineEntry Reject(std::string store, std::string message, std::string raw = "{bad") {
  QuarantineEntry q;
  q.store_id = std::move(store);
  q.received_at = 1'780'000'000'123;
  q.code = Code::kInvalidValue;
  q.message = std::move(message);
  q.raw = std::move(raw);
  return q;
}

std::vector<std::string> Messages(const QuarantinePage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.entries) out.push_back(e.message);
  return out;
}

TEST(QuarantineTest, KeepsNewestPerStoreAndCountsDrops) {
  TempDir dir;
  StorageOptions options = OptionsFor(dir.path());
  options.quarantine_capacity = 3;
  auto storage = OpenOrDie(options);
  std::vector<QuarantineEntry> rejects;
  for (int i = 1; i <= 5; ++i) rejects.push_back(Reject("s1", "m" + std::to_string(i)));
  rejects.push_back(Reject("", "g1"));
  AppendResult r = storage->AppendAndWait(MakeEvents("s1", "ok", 1), rejects);
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(storage->AppendAndWait({}, {Reject("", "g2"), Reject("s2", "other")}).status.ok());

  auto s1 = storage->ReadQuarantine("s1", 100, std::nullopt);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(Messages(*s1), (std::vector<std::string>{"m5", "m4", "m3"}));
  EXPECT_EQ(s1->dropped, 2u);
  EXPECT_FALSE(s1->next_cursor.has_value());
  EXPECT_EQ(s1->entries[0].code, Code::kInvalidValue);
  EXPECT_EQ(s1->entries[0].received_at, 1'780'000'000'123);
  EXPECT_EQ(s1->entries[0].store_id, "s1");

  auto global = storage->ReadQuarantine("", 100, std::nullopt);
  ASSERT_TRUE(global.ok());
  EXPECT_EQ(Messages(*global), (std::vector<std::string>{"g2", "g1"}));
  EXPECT_EQ(global->dropped, 0u);
  EXPECT_EQ(Messages(storage->ReadQuarantine("s2", 100, std::nullopt).value()), std::vector<std::string>{"other"});
  EXPECT_TRUE(storage->ReadQuarantine("s3", 100, std::nullopt)->entries.empty());
  EXPECT_EQ(storage->Stats().quarantined, 8u);
}

TEST(QuarantineTest, PagesNewestFirstWithCursor) {
  TempDir dir;
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  std::vector<QuarantineEntry> rejects;
  for (int i = 1; i <= 5; ++i) rejects.push_back(Reject("s", "m" + std::to_string(i)));
  ASSERT_TRUE(storage->AppendAndWait({}, rejects).status.ok());
  auto page1 = storage->ReadQuarantine("s", 2, std::nullopt);
  ASSERT_TRUE(page1.ok());
  EXPECT_EQ(Messages(*page1), (std::vector<std::string>{"m5", "m4"}));
  ASSERT_TRUE(page1->next_cursor.has_value());
  auto page2 = storage->ReadQuarantine("s", 2, *page1->next_cursor);
  EXPECT_EQ(Messages(*page2), (std::vector<std::string>{"m3", "m2"}));
  auto page3 = storage->ReadQuarantine("s", 2, *page2->next_cursor);
  EXPECT_EQ(Messages(*page3), (std::vector<std::string>{"m1"}));
  EXPECT_FALSE(page3->next_cursor.has_value());
  EXPECT_EQ(storage->ReadQuarantine("s", 2, "garbage").status().code(), Code::kBadParameter);
}

TEST(QuarantineTest, RawBytesAndBoundsSurviveReopen) {
  TempDir dir;
  StorageOptions options = OptionsFor(dir.path());
  options.quarantine_capacity = 2;
  const std::string binary("\x00\xff{\"a\":1}\n", 10);
  {
    auto storage = OpenOrDie(options);
    ASSERT_TRUE(storage->AppendAndWait({}, {Reject("s", "a", binary), Reject("s", "b"), Reject("s", "c")})
                    .status.ok());
  }
  auto storage = OpenOrDie(options);
  ASSERT_TRUE(storage->AppendAndWait({}, {Reject("s", "d")}).status.ok());
  auto page = storage->ReadQuarantine("s", 10, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Messages(*page), (std::vector<std::string>{"d", "c"}));
  EXPECT_EQ(page->dropped, 2u);

  StorageOptions roomy = options;
  roomy.quarantine_capacity = 10;
  storage.reset();
  storage = OpenOrDie(roomy);
  ASSERT_TRUE(storage->AppendAndWait({}, {Reject("s", "e", binary)}).status.ok());
  page = storage->ReadQuarantine("s", 10, std::nullopt);
  EXPECT_EQ(Messages(*page), (std::vector<std::string>{"e", "d", "c"}));
  EXPECT_EQ(page->entries[0].raw, binary);
}

}  // namespace
}  // namespace tally::storage_test
