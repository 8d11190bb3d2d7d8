// Loader for the table-driven validator cases in tests/data/validator/*.txt (format described at the top of
// cases.txt). Shared by the JSON and the wire validator tests so both judge the very same inputs.
#pragma once

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "core/validator.h"

namespace tally::testing {

struct ValidatorCase {
  std::string file;
  int line = 0;
  std::string expected;   // "ok" or a code name
  std::string substring;  // must occur in the rejection message
  std::string raw;        // the event bytes, expanded
};

inline std::string ExpandCaseText(std::string_view text) {
  static const std::regex kToken(R"(<<(ENV|x([0-9A-Fa-f]{2})|(.)\*([0-9]+))>>)");
  std::string in(text);
  std::string out;
  auto begin = std::sregex_iterator(in.begin(), in.end(), kToken);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.append(in, last, m.position(0) - last);
    if (m[1] == "ENV") {
      out += R"("event_id":"e1","store_id":"s1","occurred_at":"2026-11-20T10:00:00Z")";
    } else if (m[2].matched) {
      out.push_back(static_cast<char>(std::stoi(m[2].str(), nullptr, 16)));
    } else {
      out.append(std::stoul(m[4].str()), m[3].str()[0]);
    }
    last = m.position(0) + m.length(0);
  }
  out.append(in, last);
  return out;
}

inline std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(' ');
  size_t e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

inline std::vector<ValidatorCase> LoadValidatorCases(const std::string& name) {
  std::string path = std::string(TALLY_TEST_DATA_DIR) + "/validator/" + name;
  std::ifstream file(path, std::ios::binary);
  std::vector<ValidatorCase> cases;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    size_t bar1 = line.find('|');
    size_t bar2 = bar1 == std::string::npos ? bar1 : line.find('|', bar1 + 1);
    if (bar2 == std::string::npos) continue;
    ValidatorCase c;
    c.file = name;
    c.line = number;
    c.expected = Trim(line.substr(0, bar1));
    c.substring = Trim(line.substr(bar1 + 1, bar2 - bar1 - 1));
    std::string raw = line.substr(bar2 + 1);
    if (!raw.empty() && raw[0] == ' ') raw.erase(0, 1);
    c.raw = ExpandCaseText(raw);
    cases.push_back(std::move(c));
  }
  return cases;
}

// The context every case is judged in: clock at 2026-11-20T12:00:00Z, no sentAt, all stores but "secret".
inline ValidationContext CaseContext() {
  ValidationContext ctx;
  ctx.now_ms = *ParseRfc3339("2026-11-20T12:00:00Z");
  ctx.received_at = ctx.now_ms;
  ctx.can_write = [](std::string_view store) { return store != "secret"; };
  return ctx;
}

inline std::string VerdictName(const ValidationResult& result) {
  if (std::holds_alternative<Event>(result)) return "ok";
  return std::string(CodeName(std::get<Rejection>(result).code));
}

inline std::string VerdictMessage(const ValidationResult& result) {
  if (std::holds_alternative<Event>(result)) return "";
  return std::get<Rejection>(result).message;
}

}  // namespace tally::testing
