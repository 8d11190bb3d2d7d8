#include "core/status.h"

namespace tally {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kMalformed: return "malformed";
    case Code::kTooLarge: return "too_large";
    case Code::kUnknownType: return "unknown_type";
    case Code::kForbidden: return "forbidden";
    case Code::kMissingField: return "missing_field";
    case Code::kUnknownField: return "unknown_field";
    case Code::kInvalidValue: return "invalid_value";
    case Code::kFutureTimestamp: return "future_timestamp";
    case Code::kBadParameter: return "bad_parameter";
    case Code::kUnauthorized: return "unauthorized";
    case Code::kNotFound: return "not_found";
    case Code::kMethodNotAllowed: return "method_not_allowed";
    case Code::kUnavailable: return "unavailable";
    case Code::kIoError: return "io_error";
    case Code::kCorruption: return "corruption";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace tally
