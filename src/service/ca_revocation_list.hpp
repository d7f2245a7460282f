#pragma once
/// @file
/// The Stratus CA's certificate revocation list (docs/adr/0037): the certificates it
/// signed that were revoked since (a re-claim, an admin revocation), as a signed X.509
/// CRL for brokers that check client certificates against one — EMQX
/// (`enable_crl_check`) fetches it from the URL that the certificates name in their
/// cRLDistributionPoints (config `claiming.crl_url`). The Stratus mosquitto plugin does
/// not need it: it reads the fingerprint list (`RevocationList`).

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/certificate_issuer.hpp"
#include "storage/claim_repository.hpp"

namespace stratus::service {

/// Builds the list from the database (`ClaimRepository::revoked_serials`) and has the
/// CA port sign it. The route that serves it is unauthenticated, so the database sees
/// at most one build per `reuse`, whatever the number of requests:
/// - a list signed less than `reuse` ago answers every call;
/// - one caller builds a new one, without holding the lock; the others meanwhile get
///   the last list;
/// - a failed build is not tried again for `reuse`: the calls meanwhile get the last
///   list while it is valid (before its nextUpdate), else the failure.
/// So a revocation on any instance is in every instance's list within `reuse` (plus a
/// build), and an outage of the database does not take a valid list away.
/// Thread-safe; `current` blocks (database, signing): call it from the blocking pool.
class CaRevocationList {
 public:
  /// A signed list.
  struct Signed {
    std::string der;               ///< the CRL, DER (RFC 5280 §5)
    std::int64_t this_update = 0;  ///< Unix seconds
    std::int64_t next_update = 0;  ///< Unix seconds: `this_update` + `validity`
    std::uint64_t number = 0;      ///< its cRLNumber: Unix milliseconds when it was signed
  };

  /// `validity`: how long a verifier may use one list (its nextUpdate); a broker refreshes
  /// it sooner on its own schedule (EMQX: every 15 minutes), and past it a verifier may
  /// refuse every certificate, so it is long enough to ride out an outage of stratusd. A
  /// revoked certificate stays in the list for `validity` past its notAfter (RFC 5280
  /// §3.3: at least one list after it expired). Keeps references: they must outlive it.
  CaRevocationList(storage::ClaimRepository& claims, NodeCertificateIssuer& ca, const Clock& clock,
                   std::chrono::seconds reuse = std::chrono::seconds(5),
                   std::chrono::seconds validity = std::chrono::days(7));

  /// The current list (see the class comment). Errors: the repository's (unavailable) or
  /// the port's (internal) when the last build failed and no valid list is kept;
  /// unavailable while the first list is being built.
  Result<std::shared_ptr<const Signed>> current();

 private:
  Result<std::shared_ptr<const Signed>> build();
  // The last list if a verifier may still use it, else `why`.
  Result<std::shared_ptr<const Signed>> last_or(const Error& why) const;

  storage::ClaimRepository& claims_;
  NodeCertificateIssuer& ca_;
  const Clock& clock_;
  std::chrono::seconds reuse_;
  std::chrono::seconds validity_;
  std::mutex mutex_;  // guards the members below; never held while building
  std::shared_ptr<const Signed> last_;
  std::optional<std::chrono::steady_clock::time_point> tried_at_;  // the last build's start
  std::optional<Error> failed_;                                    // the last build's failure
  bool building_ = false;
};

}  // namespace stratus::service
