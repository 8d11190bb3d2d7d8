// Golden tests as data: every directory tests/data/golden/<case>/ holds
//   events.ndjson  — events imported through the validator and storage, then folded;
//   queries.txt    — steps, run after a restart (storage and engine closed and reopened):
//                      "# ..."          a comment
//                      "> ROUTE k=v …"  a query (see engine_harness.h ParseQueryLine); the lines after it, up
//                                       to the next step, are the expected answer: JSON (compared ignoring
//                                       white space outside strings), CSV lines (compared exactly, CRLF line
//                                       ends), or "error: <code>[: message prefix]"
//                      "!restart"       close and reopen storage and engine
// A new case needs only a new directory.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/processors/engine_harness.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Drops white space outside JSON strings, so expected answers may be written pretty-printed.
std::string CompactJson(std::string_view json) {
  std::string out;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < json.size()) out.push_back(json[++i]);
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      out.push_back(c);
    }
  }
  return out;
}

struct Step {
  int line = 0;
  std::string query;  // empty: restart
  std::vector<std::string> expected;
};

std::vector<Step> ParseSteps(const std::string& text) {
  std::vector<Step> steps;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#", 0) == 0) continue;
    if (line.rfind(">", 0) == 0) {
      steps.push_back(Step{number, line.substr(1), {}});
    } else if (line == "!restart") {
      steps.push_back(Step{number, "", {}});
    } else if (!steps.empty() && !steps.back().query.empty()) {
      steps.back().expected.push_back(line);
    }
  }
  for (Step& step : steps) {
    while (!step.expected.empty() && step.expected.back().empty()) step.expected.pop_back();
  }
  return steps;
}

void CheckAnswer(const Step& step, const std::string& actual) {
  std::string expected;
  for (const std::string& l : step.expected) expected += l + "\n";
  SCOPED_TRACE("queries.txt line " + std::to_string(step.line) + ":" + step.query);
  if (expected.rfind("error:", 0) == 0) {
    std::string want = expected.substr(0, expected.size() - 1);
    EXPECT_EQ(actual.substr(0, want.size()), want) << "actual: " << actual;
  } else if (!expected.empty() && (expected[0] == '{' || expected[0] == '[')) {
    EXPECT_EQ(CompactJson(actual), CompactJson(expected));
  } else {
    std::string csv;
    for (const std::string& l : step.expected) csv += l + "\r\n";
    EXPECT_EQ(actual, csv);
  }
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpectedAnswers) {
  fs::path dir = fs::path(TALLY_TEST_DATA_DIR) / "golden" / GetParam();
  TempDir data;
  auto storage = OpenTestStorage(data.path());
  ASSERT_TRUE(storage);
  std::vector<std::string> rejected = ImportNdjson(*storage, ReadText(dir / "events.ndjson"));
  EXPECT_TRUE(rejected.empty()) << rejected.front();
  auto engine = ViewEngine::Open(storage.get());
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  ASSERT_TRUE((*engine)->CatchUp().ok());

  auto restart = [&] {
    engine.value().reset();
    ASSERT_TRUE(storage->Close().ok());
    storage = OpenTestStorage(data.path());
    ASSERT_TRUE(storage);
    engine = ViewEngine::Open(storage.get());
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    ASSERT_TRUE((*engine)->CatchUp().ok());
  };
  restart();
  for (const Step& step : ParseSteps(ReadText(dir / "queries.txt"))) {
    if (step.query.empty()) {
      restart();
      continue;
    }
    CheckAnswer(step, RunQueryLine(**engine, step.query));
  }
}

std::vector<std::string> GoldenCases() {
  std::vector<std::string> cases;
  fs::path root = fs::path(TALLY_TEST_DATA_DIR) / "golden";
  if (fs::exists(root)) {
    for (const auto& entry : fs::directory_iterator(root)) {
      if (entry.is_directory()) cases.push_back(entry.path().filename().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(GoldenCases()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tally::testing
