#include "tests/testing/fault_fs.h"

namespace tally::testing {
namespace {

bool IsWal(const std::string& fname) {
  return fname.size() > 4 && fname.compare(fname.size() - 4, 4, ".log") == 0;
}

class FaultWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWalFile(std::unique_ptr<rocksdb::FSWritableFile> target, FaultInjectionFs* fs)
      : FSWritableFileOwnerWrapper(std::move(target)), fs_(fs) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (fs_->TakeAppendFault()) return fs_->Fault("WAL append");
    return target()->Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
    if (fs_->TakeAppendFault()) return fs_->Fault("WAL append");
    return target()->Append(data, options, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return AfterSync(target()->Sync(options, dbg));
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return AfterSync(target()->Fsync(options, dbg));
  }

 private:
  // The real sync runs first: a failed fsync still leaves the bytes in the file, the nastiest case.
  rocksdb::IOStatus AfterSync(rocksdb::IOStatus status) {
    if (!status.ok()) return status;
    if (fs_->TakeSyncFault()) return fs_->Fault("WAL sync");
    fs_->CountSync();
    return status;
  }

  FaultInjectionFs* fs_;
};

}  // namespace

FaultInjectionFs::FaultInjectionFs(const std::shared_ptr<rocksdb::FileSystem>& base) : FileSystemWrapper(base) {}

bool FaultInjectionFs::Take(std::atomic<int>* faults) {
  int n = faults->load();
  while (n > 0) {
    if (faults->compare_exchange_weak(n, n - 1)) return true;
  }
  return false;
}

rocksdb::IOStatus FaultInjectionFs::Fault(const char* what) const {
  rocksdb::IOStatus status = no_space_.load() ? rocksdb::IOStatus::NoSpace("injected fault", what)
                                               : rocksdb::IOStatus::IOError("injected fault", what);
  status.SetRetryable(retryable_.load());
  return status;
}

void FaultInjectionFs::Wrap(const std::string& fname, std::unique_ptr<rocksdb::FSWritableFile>* result) {
  if (IsWal(fname) && *result) *result = std::make_unique<FaultWalFile>(std::move(*result), this);
}

rocksdb::IOStatus FaultInjectionFs::NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                    rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
  if (s.ok()) Wrap(fname, result);
  return s;
}

rocksdb::IOStatus FaultInjectionFs::ReopenWritableFile(const std::string& fname,
                                                       const rocksdb::FileOptions& options,
                                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                       rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->ReopenWritableFile(fname, options, result, dbg);
  if (s.ok()) Wrap(fname, result);
  return s;
}

rocksdb::IOStatus FaultInjectionFs::ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                                      const rocksdb::FileOptions& options,
                                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                      rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
  if (s.ok()) Wrap(fname, result);
  return s;
}

FaultEnv::FaultEnv()
    : fs(std::make_shared<FaultInjectionFs>(rocksdb::FileSystem::Default())),
      env_(rocksdb::NewCompositeEnv(fs)) {}

}  // namespace tally::testing
