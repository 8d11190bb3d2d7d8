// FoldState::Update's default (Get, edit, Put or Delete), which every FoldState without an override uses.
#include <gtest/gtest.h>

#include <map>

#include "processors/processor.h"

namespace tally {
namespace {

class MapState final : public FoldState {
 public:
  std::optional<std::string_view> Get(std::string_view key) override {
    auto it = rows.find(std::string(key));
    return it == rows.end() ? std::nullopt : std::optional<std::string_view>(it->second);
  }
  void Put(std::string_view key, std::string value) override { rows[std::string(key)] = std::move(value); }
  void Delete(std::string_view key) override {
    ++deletes;
    rows.erase(std::string(key));
  }
  std::map<std::string, std::string> rows;
  int deletes = 0;
};

TEST(FoldStateUpdateTest, EditsTheCurrentValueAndWritesTheResult) {
  MapState state;
  state.Update("a", [](std::optional<std::string>& v) {
    EXPECT_FALSE(v.has_value());
    v = "x";
  });
  state.Update("a", [](std::optional<std::string>& v) {
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, "x");
    v->push_back('y');
  });
  EXPECT_EQ(state.rows, (std::map<std::string, std::string>{{"a", "xy"}}));
  state.Update("a", [](std::optional<std::string>& v) { v.reset(); });
  EXPECT_TRUE(state.rows.empty());
  EXPECT_EQ(state.deletes, 1);
}

}  // namespace
}  // namespace tally
