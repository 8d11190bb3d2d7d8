// Splitting a POST /v1/events body into events (CONTRACT §2.2). The body is a JSON array when its first
// non-whitespace byte is '[', otherwise NDJSON. Each event's bytes go to the shared validator unchanged, so
// what makes one event bad (not an object, repeated key, bad field) is reported for that event alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tally::net {

struct EventsBody {
  bool is_array = false;
  // Set when the body is an array that is not valid JSON: the whole request is one `malformed` input.
  bool array_unparseable = false;
  std::string error;                     // what is wrong with the array, when array_unparseable
  std::vector<std::string_view> events;  // array elements or non-blank lines, in order; views into the body
};

// Blank NDJSON lines (only spaces, tabs, CR) are not events and take no index.
EventsBody SplitEventsBody(std::string_view body);

// Checks that `body` is exactly one JSON array (RFC 8259 syntax; repeated keys inside elements are left to the
// validator) and collects each element's exact bytes. On failure returns false and describes it in *error.
bool SplitJsonArray(std::string_view body, std::vector<std::string_view>* elements, std::string* error);

}  // namespace tally::net
