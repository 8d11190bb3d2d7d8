#include "net/http_params.h"

namespace tally::net {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::vector<std::string>> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  if (path.empty() || path.front() != '/') return Status(Code::kBadParameter, "path must start with '/'");
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto decoded = PercentDecode(path.substr(start, end - start), /*plus_is_space=*/false);
    if (!decoded) return Status(Code::kBadParameter, "path has a bad percent escape");
    segments.push_back(std::move(*decoded));
    start = end + 1;
  }
  // "/healthz/" names the same resource as "/healthz".
  if (segments.size() > 1 && segments.back().empty()) segments.pop_back();
  return segments;
}

bool IsValidStoreId(std::string_view store_id) {
  if (store_id.empty() || store_id.size() > 128) return false;
  for (char c : store_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<ParamMap> ParseQueryString(std::string_view query) {
  ParamMap params;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name) return Status(Code::kBadParameter, "query string has a bad percent escape");
    if (!value) return Status(Code::kBadParameter, *name + ": bad percent escape");
    if (params.count(*name) > 0) return Status(Code::kBadParameter, *name + ": given more than once");
    params.emplace(std::move(*name), std::move(*value));
  }
  return params;
}

}  // namespace tally::net
