// Opening and closing the RocksDB instance: column-family tuning, the format-version check, recovery of the
// log head.
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>
#include <spdlog/spdlog.h>

#include "core/bytes.h"
#include "core/thread_name.h"
#include "storage/block_pool.h"
#include "storage/keys.h"
#include "storage/rocks_status.h"
#include "storage/rocks_storage.h"

namespace tally {
namespace {

namespace keys = storage_keys;

// Memory is one budget that does not grow with the log: the block cache holds data blocks AND every SST's
// index and filter partitions (otherwise those grow with the data: ~25 MB of dedup filters per 20 M events),
// and the memtables of all CFs are charged to the same cache through one WriteBufferManager, which flushes
// the largest memtable when their sum passes kMemtableBudget. Sized for the 512 MiB resident target under
// full-speed ingest into 10 000 stores (256/128 MiB gave a 509-555 MiB peak there; docs/performance.md, "Memory").
constexpr size_t kCacheBytes = 192 << 20;
constexpr size_t kMemtableBudget = 96 << 20;

// Every CF shares one block cache; point-lookup CFs get whole-key bloom filters (SST and memtable) so the
// common "never seen" answer costs no disk read.
rocksdb::ColumnFamilyOptions CfOptions(std::string_view name, const std::shared_ptr<rocksdb::Cache>& cache,
                                       bool offline_rebuild) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = 16 * 1024;
  // Partitioned index and filters, cached and evictable; the small top level of each and L0's blocks stay
  // pinned so hot lookups do not thrash.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  const bool point_lookups = name == keys::kDedupCf || name == keys::kStateCf || name == keys::kMetaCf;
  if (point_lookups) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = true;
    cf.memtable_whole_key_filtering = true;
    cf.memtable_prefix_bloom_size_ratio = 0.05;
  }
  // View queries scan a few blocks of the state CF; RocksDB's automatic readahead would issue a readahead()
  // system call for each block they enter (6 % of an uncached daily_metrics query's CPU). Only the log is read
  // in long sequential runs.
  if (name == keys::kStateCf) table.max_auto_readahead_size = 0;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The state CF takes random-key rows from the folds: in a smaller memtable each insert's skip-list search
  // touches fewer cold cache lines, and the rows change in place between commits anyway (the RowStore), so a
  // larger one absorbs little. 16 MiB against 64: a replay's CPU -9 %, its peak RSS -40 MiB, ingest unchanged
  // (docs/performance.md, fix 23). The log's keys arrive in order and are cheap to insert at any size.
  cf.write_buffer_size = name == keys::kEventsCf ? 64 << 20 : name == keys::kStateCf ? 16 << 20 : 32 << 20;
  // RocksDB's default for these sizes, set explicitly: the tally binary serves blocks of exactly this size from
  // its memtable block pool (storage/block_pool.h, tools/memtable_blocks.cc).
  cf.arena_block_size = kMemtableBlockBytes;
  cf.level_compaction_dynamic_level_bytes = true;
  // The state CF's rows are rewritten level by level as the folds overwrite them: only its bottommost level,
  // where most of its bytes come to rest, is compressed. Snappy at every level cost a replay over 10 000 stores
  // ~5 % of its speed (compressing each row at each flush and compaction, decompressing it at the next) for
  // about the same size at rest (docs/performance.md, fix 39). The log's bytes are flushed once and compacted
  // rarely: it stays compressed everywhere (uncompressed flushes measured no faster there).
  if (name == keys::kStateCf) {
    cf.compression = rocksdb::kNoCompression;
    cf.bottommost_compression = rocksdb::kSnappyCompression;
    // An offline rebuild writes a whole generation of rows and reads back few: letting twice as many L0
    // files gather before they are compacted (a point read checks each one's pinned filter) merges more
    // rows per compaction. Replays in alternating pairs: +10 % over 100 stores, +3 to +13 % over 10 000
    // (docs/performance.md, fix 40). The server keeps RocksDB's 4, for its queries' scans.
    if (offline_rebuild) cf.level0_file_num_compaction_trigger = 8;
  }
  return cf;
}

rocksdb::DBOptions DbOptions(const StorageOptions& options, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::DBOptions db;
  db.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(kMemtableBudget, cache);
  db.create_if_missing = options.create_if_missing;
  db.create_missing_column_families = true;
  db.env = options.env != nullptr ? options.env : rocksdb::Env::Default();
  db.max_background_jobs = 2;
  db.bytes_per_sync = 1 << 20;
  // Several CFs share the WAL; cap it so rarely written CFs (meta, quarantine) get flushed and old WAL
  // files can go.
  db.max_total_wal_size = 512 << 20;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db.keep_log_file_num = 3;
  // The writer resumes after a failed write itself (group_commit.cc), before it hands out more seqs.
  db.max_bgerror_resume_count = 0;
  return db;
}

// Records this build's format version, synced: for a fresh directory, or one of an older readable format.
rocksdb::Status WriteFormatVersion(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return db->Put(wo, meta, keys::kFormatVersionKey, BigEndianKey64(keys::kFormatVersion));
}

// Checks (or, for a fresh directory, writes) the format version, and returns the log head.
Result<uint64_t> CheckFormat(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, rocksdb::ColumnFamilyHandle* events,
                             const std::string& path) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta, keys::kFormatVersionKey, &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read format version");
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), events));
  it->SeekToLast();
  const uint64_t last_event = it->Valid() ? GetBigEndian64(it->key().ToStringView()) : 0;
  if (s.IsNotFound()) {
    if (last_event != 0) {
      return Status(Code::kCorruption, "data directory " + path + " holds events but no format version");
    }
    s = WriteFormatVersion(db, meta);
    if (!s.ok()) return FromRocks(s, "write format version");
    return uint64_t{0};
  }
  const uint64_t version = value.size() == 8 ? GetBigEndian64(value) : 0;
  if (version < keys::kOldestReadableFormat || version > keys::kFormatVersion) {
    return Status(Code::kCorruption, "data directory " + path + " has format version " + std::to_string(version) +
                                         "; this tally reads format versions " +
                                         std::to_string(keys::kOldestReadableFormat) + " to " +
                                         std::to_string(keys::kFormatVersion) +
                                         " (written by a newer or unknown tally? refusing to open)");
  }
  if (version != keys::kFormatVersion) {
    // Before anything of the new format is written, so that an older tally refuses the directory from now on.
    s = WriteFormatVersion(db, meta);
    if (!s.ok()) return FromRocks(s, "upgrade format version");
    spdlog::info("data directory {}: format version {} -> {}", path, version, keys::kFormatVersion);
  }
  s = db->Get(rocksdb::ReadOptions(), meta, keys::kLogHeadKey, &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read log head");
  const uint64_t head = s.ok() && value.size() == 8 ? GetBigEndian64(value) : 0;
  if (last_event > head) {
    return Status(Code::kCorruption, "event " + std::to_string(last_event) + " lies beyond the log head " +
                                         std::to_string(head) + " in " + path);
  }
  return head;
}

const std::vector<std::string_view> kOurCfs = {keys::kEventsCf, keys::kDedupCf, keys::kQuarantineCf, keys::kStateCf,
                                               keys::kMetaCf};

}  // namespace

Result<std::unique_ptr<Storage>> Storage::Open(const StorageOptions& options) {
  auto cache = rocksdb::NewLRUCache(kCacheBytes);
  rocksdb::DBOptions db_options = DbOptions(options, cache);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, CfOptions("default", cache, options.offline_rebuild));
  for (std::string_view name : kOurCfs) {
    cfs.emplace_back(std::string(name), CfOptions(name, cache, options.offline_rebuild));
  }
  // A directory written by a later version may carry CFs we do not know; RocksDB insists they are opened.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing).ok()) {
    for (const std::string& name : existing) {
      bool known = name == rocksdb::kDefaultColumnFamilyName;
      for (std::string_view ours : kOurCfs) known = known || name == ours;
      if (!known) cfs.emplace_back(name, CfOptions(name, cache, options.offline_rebuild));
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, cfs, &handles, &raw);
  if (!s.ok()) return FromRocks(s, "open data directory " + options.path);
  std::unique_ptr<rocksdb::DB> db(raw);
  Result<uint64_t> head = CheckFormat(db.get(), handles[5], handles[1], options.path);
  if (!head.ok()) {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();
    return head.status();
  }
  return std::unique_ptr<Storage>(new RocksStorage(options, std::move(db), std::move(handles), *head));
}

RocksStorage::RocksStorage(const StorageOptions& options, std::unique_ptr<rocksdb::DB> db,
                           std::vector<rocksdb::ColumnFamilyHandle*> handles, uint64_t head)
    : options_(options),
      db_(std::move(db)),
      handles_(std::move(handles)),
      events_(handles_[1]),
      dedup_(handles_[2]),
      quarantine_(handles_[3]),
      state_(handles_[4]),
      meta_(handles_[5]),
      head_(head),
      recent_(1 << 16),
      quarantine_book_(db_.get(), quarantine_, meta_, options.quarantine_capacity) {
  writer_ = std::thread([this] {
    NameThisThread("tally-writer");
    WriterLoop();
  });
  if (options_.durability == Durability::kAsync) {
    syncer_ = std::thread([this] {
      NameThisThread("tally-syncer");
      SyncerLoop();
    });
  }
}

RocksStorage::~RocksStorage() {
  Status status = Close();
  if (!status.ok()) spdlog::error("storage: close: {}", status.ToString());
}

Status RocksStorage::Close() {
  std::lock_guard<std::mutex> close_lock(close_mu_);
  if (closed_) return Status::Ok();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  writer_.join();  // drains every queued request first
  if (syncer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(sync_mu_);
      sync_stop_ = true;
    }
    sync_cv_.notify_all();
    syncer_.join();
  }
  // A WAL that failed a write cannot be synced (RocksDB refuses); its acknowledged contents were synced before.
  // Nor can the memtables be flushed then, and the next open must replay the WAL anyway.
  Status status;
  if (!wal_failed_.load(std::memory_order_acquire)) {
    status = FromRocks(db_->SyncWAL(), "sync WAL at close");
    // A clean close also flushes every memtable, so that the next open has no WAL to replay: without it,
    // opening a directory re-inserted up to max_total_wal_size of WAL into memtables and flushed them again
    // (~1 s of a 1 M-event directory's open, docs/performance.md). Best effort: the synced WAL still holds it all.
    if (status.ok()) {
      rocksdb::FlushOptions flush;
      flush.allow_write_stall = true;
      Status flushed = FromRocks(db_->Flush(flush, handles_), "flush memtables at close");
      if (!flushed.ok()) spdlog::warn("storage: {} (the next open replays the WAL instead)", flushed.ToString());
    }
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  Status close = FromRocks(db_->Close(), "close data directory");
  db_.reset();
  closed_ = true;
  return status.ok() ? close : status;
}

std::vector<std::pair<std::string, uint64_t>> RocksStorage::SizesByColumnFamily() {
  std::vector<std::pair<std::string, uint64_t>> sizes;
  for (auto* h : handles_) {
    uint64_t live = 0, mem = 0;
    db_->GetIntProperty(h, rocksdb::DB::Properties::kLiveSstFilesSize, &live);
    db_->GetIntProperty(h, rocksdb::DB::Properties::kSizeAllMemTables, &mem);
    sizes.emplace_back(h->GetName(), live + mem);
  }
  return sizes;
}

std::vector<std::pair<std::string, uint64_t>> RocksStorage::MemoryUsage() {
  // block_cache includes the cached index/filter partitions and the memtables' charge (see kMemtableBudget);
  // the other two are reported apart so a reader can tell the components, not summed.
  uint64_t memtables = 0, table_readers = 0, cache = 0, pinned = 0;
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables);
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &table_readers);
  db_->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &cache);
  db_->GetIntProperty(rocksdb::DB::Properties::kBlockCachePinnedUsage, &pinned);
  return {{"memtables", memtables},
          {"table_readers", table_readers},
          {"block_cache", cache},
          {"block_cache_pinned", pinned}};
}

StorageStats RocksStorage::Stats() const {
  StorageStats stats;
  stats.groups_committed = counters_.groups.load(std::memory_order_relaxed);
  stats.requests_committed = counters_.requests.load(std::memory_order_relaxed);
  stats.events_appended = counters_.events.load(std::memory_order_relaxed);
  stats.duplicates = counters_.duplicates.load(std::memory_order_relaxed);
  stats.quarantined = counters_.quarantined.load(std::memory_order_relaxed);
  stats.fsyncs = counters_.fsyncs.load(std::memory_order_relaxed);
  stats.failed_groups = counters_.failed_groups.load(std::memory_order_relaxed);
  stats.queued_events = queued_events_.load(std::memory_order_relaxed);
  stats.writes_failing = wal_failed_.load(std::memory_order_acquire);
  if (db_) db_->GetIntProperty(rocksdb::DB::Properties::kNumSnapshots, &stats.rocksdb_snapshots);
  return stats;
}

}  // namespace tally
