// Auth: tokens, roles and store scopes (CONTRACT §5). One Auth is loaded at start-up from `--auth FILE`:
//   {"tokens": [{"token": "…", "role": "admin|producer|reader", "stores": ["s1", …] | ["*"]}]}
// producer: push events for its stores; reader: read its stores' views; admin: everything. Without --auth the
// server runs in open mode (every caller is an admin), which is only allowed when every listen address is a
// loopback address (CheckOpenModeAllowed).
//
// Threading: immutable after Load; thread-safe. Principals are small values, copied into each connection.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tally::net {

enum class Role { kAdmin, kProducer, kReader };

std::string_view RoleName(Role role);

// Who a request acts as.
class Principal {
 public:
  Principal(Role role, std::vector<std::string> stores);
  static Principal OpenAdmin() { return Principal(Role::kAdmin, {"*"}); }

  Role role() const { return role_; }
  bool IsAdmin() const { return role_ == Role::kAdmin; }
  // May this principal append events for the store? (admin: any; producer: its stores; reader: none)
  bool CanWrite(std::string_view store) const;
  // May it read the store's views and quarantine? (admin: any; reader and producer: their stores)
  bool CanRead(std::string_view store) const;
  // May it push at all (admin or producer)?
  bool CanPush() const { return role_ != Role::kReader; }

 private:
  bool InScope(std::string_view store) const;

  Role role_;
  bool all_stores_ = false;
  std::vector<std::string> stores_;
};

class Auth {
 public:
  // Open mode: no tokens; everyone is an admin.
  static std::shared_ptr<const Auth> Open();
  // Parses the tokens file's JSON text. kBadParameter naming the problem (bad role, empty token, repeated
  // token, missing stores, ...).
  static Result<std::shared_ptr<const Auth>> Parse(std::string_view json);
  // Reads and parses the file. kIoError when unreadable.
  static Result<std::shared_ptr<const Auth>> Load(const std::string& path);

  bool open() const { return open_; }
  // The principal for a presented token, nullopt when unknown (or empty). In open mode every caller, with or
  // without a token, is an admin. Compares tokens in constant time (per candidate token).
  std::optional<Principal> Authenticate(std::string_view token) const;

 private:
  struct Entry {
    std::string token;
    Principal principal;
  };
  bool open_ = false;
  std::vector<Entry> entries_;
};

// Without --auth, tally serves only on loopback. hosts: the host part of every listen address. kBadParameter
// with a message naming the first non-loopback host.
Status CheckOpenModeAllowed(const std::vector<std::string>& hosts);
// "127.0.0.1", "::1", "localhost", any 127.x.y.z.
bool IsLoopbackHost(std::string_view host);

// Splits "HOST:PORT" ("[::1]:7070" for IPv6). kBadParameter when malformed.
Status SplitHostPort(std::string_view address, std::string* host, uint16_t* port);

}  // namespace tally::net
