#include "storage/rocks_status.h"

#include <string>

namespace tally {

Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  std::string detail = std::string(what) + ": " + status.ToString();
  if (status.IsNoSpace()) return Status(Code::kUnavailable, "disk full during " + detail);
  if (status.IsCorruption()) return Status(Code::kCorruption, detail);
  if (status.IsNotFound() || status.IsPathNotFound()) return Status(Code::kNotFound, detail);
  if (status.IsIOError()) {
    // RocksDB reports a held LOCK file as an IO error; name the real cause for the operator.
    if (detail.find("lock") != std::string::npos && detail.find("LOCK") != std::string::npos) {
      return Status(Code::kUnavailable, "data directory is in use by another process (" + detail + ")");
    }
    return Status(Code::kIoError, detail);
  }
  if (status.IsInvalidArgument()) {
    // Opening a missing directory without create_if_missing is reported as an invalid argument.
    if (detail.find("does not exist") != std::string::npos) return Status(Code::kNotFound, detail);
    return Status(Code::kInternal, detail);
  }
  if (status.IsBusy() || status.IsTryAgain() || status.IsShutdownInProgress()) {
    return Status(Code::kUnavailable, detail);
  }
  return Status(Code::kIoError, detail);
}

}  // namespace tally
