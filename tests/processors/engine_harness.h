// Helpers for tests that run views end to end: real storage in a temp directory, events imported through the
// validator, the ViewEngine, and queries written as one text line ("daily_metrics store=s1 from=… to=…").
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core/validator.h"
#include "processors/engine.h"
#include "processors/query.h"
#include "storage/storage.h"

namespace tally::testing {

inline std::unique_ptr<Storage> OpenTestStorage(const std::string& path) {
  StorageOptions options;
  options.path = path;
  options.durability = Durability::kAsync;  // tests reopen cleanly (Close), so no fsync per batch is needed
  auto storage = Storage::Open(options);
  EXPECT_TRUE(storage.ok()) << storage.status().ToString();
  return storage.ok() ? std::move(storage.value()) : nullptr;
}

// Validates every non-blank NDJSON line (clock far in the future so no event is "future") and appends the
// valid ones in one batch. Returns the rejection messages, one per rejected line.
inline std::vector<std::string> ImportNdjson(Storage& storage, std::string_view text) {
  ValidationContext ctx;
  ctx.now_ms = ctx.received_at = *ParseRfc3339("2100-01-01T00:00:00Z");
  std::vector<Event> events;
  std::vector<std::string> rejected;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto result = ValidateJsonEvent(line, ctx);
    if (auto* event = std::get_if<Event>(&result)) {
      events.push_back(std::move(*event));
    } else {
      rejected.push_back(std::get<Rejection>(result).message + " in: " + line);
    }
  }
  if (!events.empty()) {
    AppendResult appended = storage.AppendAndWait(std::move(events));
    EXPECT_TRUE(appended.status.ok()) << appended.status.ToString();
  }
  return rejected;
}

struct QueryLine {
  std::string route;
  QueryArgs args;
};

// "route key=value key=value ...": `store` fills args.store, `now` (RFC 3339 or a date) fills args.now_ms,
// everything else goes to args.params.
inline QueryLine ParseQueryLine(std::string_view text) {
  QueryLine q;
  std::istringstream in{std::string(text)};
  in >> q.route;
  std::string word;
  while (in >> word) {
    size_t eq = word.find('=');
    std::string key = word.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
    if (key == "store") {
      q.args.store = value;
    } else if (key == "now") {
      auto t = ParseRfc3339(value);
      if (!t) {
        auto day = ParseDate(value);
        t = day ? std::optional<TimeMs>(TimeMs{*day} * kMsPerDay) : std::nullopt;
      }
      q.args.now_ms = t.value_or(0);
    } else {
      q.args.params[key] = value;
    }
  }
  return q;
}

// The body, or "error: <code>: <message>".
inline std::string RunQueryLine(const ViewEngine& engine, std::string_view text) {
  QueryLine q = ParseQueryLine(text);
  auto body = RunQuery(engine, q.route, q.args);
  if (!body.ok()) return "error: " + std::string(CodeName(body.status().code())) + ": " + body.status().message();
  return body.value();
}

}  // namespace tally::testing
