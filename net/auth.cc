#include "net/auth.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <boost/asio/ip/address.hpp>

#include "core/json_reader.h"

namespace tally::net {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kProducer: return "producer";
    case Role::kReader: return "reader";
  }
  return "reader";
}

Principal::Principal(Role role, std::vector<std::string> stores) : role_(role), stores_(std::move(stores)) {
  for (const auto& s : stores_) {
    if (s == "*") all_stores_ = true;
  }
}

bool Principal::InScope(std::string_view store) const {
  if (all_stores_) return true;
  for (const auto& s : stores_) {
    if (s == store) return true;
  }
  return false;
}

bool Principal::CanWrite(std::string_view store) const {
  if (role_ == Role::kAdmin) return true;
  return role_ == Role::kProducer && InScope(store);
}

bool Principal::CanRead(std::string_view store) const { return role_ == Role::kAdmin || InScope(store); }

std::shared_ptr<const Auth> Auth::Open() {
  auto auth = std::make_shared<Auth>();
  auth->open_ = true;
  return auth;
}

namespace {

// Equal-length comparison that looks at every byte, so timing does not reveal the matching prefix. The
// length of a candidate token is not secret-dependent on the presented one beyond "same length or not".
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = b.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

Status Bad(std::string message) { return Status(Code::kBadParameter, "auth file: " + std::move(message)); }

Result<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "producer") return Role::kProducer;
  if (name == "reader") return Role::kReader;
  return Bad("unknown role \"" + std::string(name) + "\" (admin, producer or reader)");
}

// The top-level elements of a JSON array's text, which the reader has already checked is valid JSON (so only
// strings and nesting need tracking here).
std::vector<std::string_view> ArrayElements(std::string_view array) {
  std::vector<std::string_view> out;
  size_t depth = 0, start = 0;
  bool in_string = false;
  for (size_t i = 0; i < array.size(); ++i) {
    char c = array[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth == 1) start = i + 1;
    } else if (c == '}' || c == ']' || (c == ',' && depth == 1)) {
      if (depth == 1) {
        std::string_view element = array.substr(start, i - start);
        size_t b = element.find_first_not_of(" \t\r\n");
        if (b != std::string_view::npos) out.push_back(element.substr(b, element.find_last_not_of(" \t\r\n") + 1 - b));
        start = i + 1;
      }
      if (c != ',') --depth;
    }
  }
  return out;
}

Result<std::vector<std::string>> ParseStores(JsonReader& reader, const JsonValue& value, const std::string& where) {
  if (value.kind != JsonKind::kArray) return Bad(where + " must be an array of store ids or [\"*\"]");
  std::vector<std::string> stores;
  for (std::string_view text : ArrayElements(value.raw)) {
    JsonValue element;
    if (Status s = reader.ParseValue(text, &element); !s.ok() || element.kind != JsonKind::kString) {
      return Bad(where + " must hold strings");
    }
    stores.emplace_back(element.string);
  }
  if (stores.empty()) return Bad(where + " is empty");
  return stores;
}

Result<Principal> ParseToken(std::string_view text, const std::string& where, std::string* token) {
  JsonReader reader;
  std::vector<JsonMember> members;
  if (Status s = reader.ParseObject(text, &members); !s.ok()) return Bad(where + ": " + s.message());
  std::string role_name;
  std::optional<std::vector<std::string>> stores;
  for (const JsonMember& m : members) {
    if (m.key == "token" && m.value.kind == JsonKind::kString) {
      *token = std::string(m.value.string);
    } else if (m.key == "role" && m.value.kind == JsonKind::kString) {
      role_name = std::string(m.value.string);
    } else if (m.key == "stores") {
      JsonReader element_reader;
      auto parsed = ParseStores(element_reader, m.value, where + ".stores");
      if (!parsed.ok()) return parsed.status();
      stores = std::move(parsed.value());
    } else {
      return Bad(where + ": unexpected field \"" + std::string(m.key) + "\"");
    }
  }
  if (token->empty()) return Bad(where + ".token is missing or empty");
  auto role = ParseRole(role_name);
  if (!role.ok()) return role.status();
  if (!stores) {
    if (*role != Role::kAdmin) return Bad(where + ".stores is missing");
    stores = std::vector<std::string>{"*"};
  }
  return Principal(*role, std::move(*stores));
}

}  // namespace

Result<std::shared_ptr<const Auth>> Auth::Parse(std::string_view json) {
  JsonReader reader;
  std::vector<JsonMember> top;
  if (Status s = reader.ParseObject(json, &top); !s.ok()) return Bad(s.message());
  if (top.size() != 1 || top[0].key != "tokens" || top[0].value.kind != JsonKind::kArray) {
    return Bad("expected {\"tokens\": [...]}");
  }
  auto auth = std::make_shared<Auth>();
  std::vector<std::string_view> items = ArrayElements(top[0].value.raw);
  for (size_t i = 0; i < items.size(); ++i) {
    std::string where = "tokens[" + std::to_string(i) + "]";
    std::string token;
    auto principal = ParseToken(items[i], where, &token);
    if (!principal.ok()) return principal.status();
    for (const Entry& e : auth->entries_) {
      if (e.token == token) return Bad(where + ": the same token appears twice");
    }
    auth->entries_.push_back(Entry{std::move(token), std::move(principal.value())});
  }
  return std::shared_ptr<const Auth>(std::move(auth));
}

Result<std::shared_ptr<const Auth>> Auth::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(Code::kIoError, "cannot read auth file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str());
}

std::optional<Principal> Auth::Authenticate(std::string_view token) const {
  if (open_) return Principal::OpenAdmin();
  if (token.empty()) return std::nullopt;
  std::optional<Principal> found;
  // Compare against every entry (no early exit), so the time taken does not say which entry matched.
  for (const Entry& e : entries_) {
    if (ConstantTimeEquals(token, e.token) && !found) found = e.principal;
  }
  return found;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

Status CheckOpenModeAllowed(const std::vector<std::string>& hosts) {
  for (const auto& host : hosts) {
    if (!IsLoopbackHost(host)) {
      return Status(Code::kBadParameter, "refusing to listen on non-loopback address " + host +
                                             " without --auth FILE: tokens are required off loopback");
    }
  }
  return Status::Ok();
}

Status SplitHostPort(std::string_view address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status(Code::kBadParameter, "expected HOST:PORT, got \"" + std::string(address) + "\"");
  }
  std::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string_view p = address.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535 || p.empty()) {
    return Status(Code::kBadParameter, "bad port in \"" + std::string(address) + "\"");
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

}  // namespace tally::net
