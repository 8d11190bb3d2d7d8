// Status and Result<T>: the one error type of tally. Expected failures are values; no exception crosses a
// layer boundary. Codes map one-to-one onto the contract's rejection codes (§1.3) and HTTP errors (§4).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tally {

enum class Code {
  kOk = 0,
  // Event rejection codes, in the order the validator checks them (CONTRACT §1.3).
  kMalformed,
  kTooLarge,
  kUnknownType,
  kForbidden,
  kMissingField,
  kUnknownField,
  kInvalidValue,
  kFutureTimestamp,
  // Request and system errors (CONTRACT §4).
  kBadParameter,
  kUnauthorized,
  kNotFound,
  kMethodNotAllowed,
  kUnavailable,
  kIoError,
  kCorruption,
  kInternal,
};

// The snake_case name used on the wire and in JSON ("missing_field", "io_error", ...).
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code>: <message>", for logs.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok()
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace tally
