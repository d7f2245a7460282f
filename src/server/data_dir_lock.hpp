#pragma once
/// @file
/// The data directory's lock: `<data-dir>/stratusd.lock`, held with `flock` by the one
/// stratusd that runs on an embedded (SQLite) data directory, and by `stratusd db
/// compact` while it packs that directory's database.

#include <filesystem>

#include "core/error.hpp"

namespace stratus::server {

/// An exclusive `flock` on `<data-dir>/stratusd.lock`, released when destroyed (the
/// kernel also releases it when the process dies, so a `kill -9` leaves no stale
/// lock). Move-only; not thread-safe (one owner).
class DataDirLock {
 public:
  /// How to take the lock.
  enum class Mode {
    /// Create the directory (mode 0700) and the file (0600) if absent, and write
    /// this process's id into it: what stratusd does to run.
    create,
    /// Only if the file exists; an absent file means no stratusd ever ran there,
    /// and the returned lock holds nothing: what the offline `db` commands do.
    if_present,
  };

  /// Takes the lock without waiting. Errors: `conflict` when another process holds
  /// it ("another stratusd is using <dir>"); `unavailable` when the directory or
  /// the file cannot be created, opened or written.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir, Mode mode);

  DataDirLock() = default;
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock() { release(); }

  /// Releases the lock now (idempotent).
  void release() noexcept;

  /// The lock file's name inside a data directory.
  static constexpr const char* kFileName = "stratusd.lock";

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace stratus::server
