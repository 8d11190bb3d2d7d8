// Where view state lives in the storage keyspace. Every view owns the keys under "<view name>" 0x00; inside,
// each generation owns "<view name>" 0x00 <generation, big-endian u32>. Generation 0 is reserved for the
// view's control record (which generation serves, which one is being rebuilt). Processors and queries only
// ever see keys relative to one generation's prefix.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace tally {

// The key prefix of one generation of a view.
inline std::string ViewGenerationPrefix(std::string_view view, uint32_t generation) {
  std::string prefix(view);
  prefix.push_back('\0');
  PutBigEndian32(&prefix, generation);
  return prefix;
}

// The control record of a view: value = ViewControl encoded with EncodeViewControl.
inline std::string ViewControlKey(std::string_view view) { return ViewGenerationPrefix(view, 0); }

// The state layout version the view's rows were written with (Processor::layout_version): value = u64. It
// lives in generation 0 beside the control record, which the runner never range-deletes, so it survives
// rebuilds and generation swaps.
inline std::string ViewLayoutKey(std::string_view view) { return ViewControlKey(view) + "layout"; }

// The name under which a rebuild's offset is committed (the serving offset uses the plain view name).
inline std::string RebuildOffsetName(std::string_view view) { return std::string(view) + "@rebuild"; }

struct ViewControl {
  uint32_t serving = 1;   // generation that queries read; generation 1 needs no control record
  uint32_t building = 0;  // generation being rebuilt from seq 1, 0 when none
};

inline std::string EncodeViewControl(const ViewControl& control) {
  return ValueWriter().U64(control.serving).U64(control.building).Take();
}

inline ViewControl DecodeViewControl(std::string_view value) {
  ValueReader reader(value);
  ViewControl control;
  uint64_t serving = reader.U64();
  uint64_t building = reader.U64();
  if (reader.ok() && serving != 0) {
    control.serving = static_cast<uint32_t>(serving);
    control.building = static_cast<uint32_t>(building);
  }
  return control;
}

}  // namespace tally
