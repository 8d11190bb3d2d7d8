// Translation of rocksdb::Status into tally's Status. RocksDB types never leave storage/; this is the one
// place their errors become tally codes.
#pragma once

#include <string_view>

#include <rocksdb/status.h>

#include "core/status.h"

namespace tally {

// `what` names the operation for the message ("append", "read events", ...).
//   IO errors and unknown failures -> kIoError; corruption -> kCorruption; a full disk -> kUnavailable with
//   "disk full" in the message (the operator frees space and the write can succeed again); a data directory
//   locked by another process -> kUnavailable; a missing directory -> kNotFound.
Status FromRocks(const rocksdb::Status& status, std::string_view what);

}  // namespace tally
