#pragma once
/// @file
/// The broker's revocation list, published from the database (issue 13: one valid
/// certificate per node id; issue 18: admin revocation). Every service that revokes a
/// certificate publishes through the one `RevocationList`, so the read of the list and
/// its write to the broker are one step under one lock: two revocations racing (a claim
/// re-issue and an admin revoke) cannot leave the older list in force.

#include <cstddef>
#include <mutex>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/certificate_revocations.hpp"
#include "storage/claim_repository.hpp"

namespace stratus::service {

/// Reads `ClaimRepository::revoked_fingerprints` (certificates revoked and not yet
/// expired) and hands the list to the `CertificateRevocations` port. Thread-safe; `publish`
/// blocks (database, file I/O): call it from the blocking pool.
class RevocationList {
 public:
  /// Keeps references: they must outlive it.
  RevocationList(storage::ClaimRepository& claims, CertificateRevocations& broker,
                 const Clock& clock);

  /// Publishes the current list. The database is the record and the broker's list
  /// follows it: a failed write leaves the previous list in force until the next
  /// publish (a revocation or a restart) rewrites it. Returns the number of revoked
  /// fingerprints published. Errors: the repository's (list not read) or the port's
  /// unavailable (list not written); both are also logged.
  Result<std::size_t> publish();

  /// Publishes again when the last publish failed (a revocation committed whose list
  /// never reached the broker); the server calls it every few seconds. Returns whether
  /// it published. Errors as `publish`, and the list stays due.
  Result<bool> retry();

 private:
  Result<std::size_t> publish_locked();

  storage::ClaimRepository& claims_;
  CertificateRevocations& broker_;
  const Clock& clock_;
  std::mutex mutex_;  // read and write as one
  bool due_ = false;  // the last publish failed; under mutex_
};

}  // namespace stratus::service
