// FaultInjectionFs: a RocksDB FileSystem wrapper for storage tests that makes write-ahead-log writes fail on
// demand (the Env/FileSystem hook StorageOptions::env exists for this). Only WAL files ("*.log") are
// affected, so flushes and the MANIFEST keep working and the database can recover.
//
//   FaultEnv fault;                      // wraps the default FileSystem
//   options.env = fault.env();
//   fault.fs->FailWalSyncs(1);           // the next WAL fsync fails (the bytes did reach the file)
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace tally::testing {

class FaultInjectionFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultInjectionFs(const std::shared_ptr<rocksdb::FileSystem>& base);

  static const char* kClassName() { return "TallyFaultInjectionFs"; }
  const char* Name() const override { return kClassName(); }

  // The next n WAL appends (the bytes never reach the file) / WAL syncs (the bytes are in the file, the fsync
  // reports failure) fail with an IO error — or "no space" when set.
  void FailWalAppends(int n) { append_faults_.store(n); }
  void FailWalSyncs(int n) { sync_faults_.store(n); }
  void SetNoSpace(bool no_space) { no_space_.store(no_space); }
  // Mark injected errors retryable (RocksDB then treats them as recoverable by DB::Resume).
  void SetRetryable(bool retryable) { retryable_.store(retryable); }
  int wal_syncs() const { return wal_syncs_.load(); }

  // Called by the WAL file wrapper: true when this operation must fail (consumes one fault).
  bool TakeAppendFault() { return Take(&append_faults_); }
  bool TakeSyncFault() { return Take(&sync_faults_); }
  void CountSync() { wal_syncs_.fetch_add(1); }
  rocksdb::IOStatus Fault(const char* what) const;

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;

 private:
  static bool Take(std::atomic<int>* faults);
  void Wrap(const std::string& fname, std::unique_ptr<rocksdb::FSWritableFile>* result);

  std::atomic<int> append_faults_{0};
  std::atomic<int> sync_faults_{0};
  std::atomic<bool> no_space_{false};
  std::atomic<bool> retryable_{false};
  std::atomic<int> wal_syncs_{0};
};

// A FaultInjectionFs over the default FileSystem and the Env that routes file I/O through it.
struct FaultEnv {
  FaultEnv();
  rocksdb::Env* env() const { return env_.get(); }
  std::shared_ptr<FaultInjectionFs> fs;

 private:
  std::unique_ptr<rocksdb::Env> env_;
};

}  // namespace tally::testing
