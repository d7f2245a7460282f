#pragma once
/// @file
/// The Stratus CA's certificate revocation list (docs/adr/0037): the certificates that
/// claiming issued and that were revoked since (a re-claim, an admin revocation), as a
/// signed X.509 CRL for brokers that check client certificates against one — EMQX
/// (`enable_crl_check`) fetches it from the URL that the certificates name in their
/// cRLDistributionPoints (config `claiming.crl_url`). The Stratus mosquitto plugin does
/// not need it: it reads the fingerprint list (`RevocationList`).

#include <chrono>
#include <cstddef>
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

/// Builds the list from the database (`ClaimRepository::revoked_claim_serials`) and has
/// the CA port sign it; one signed list answers every call for `reuse`, so a burst of
/// fetches costs one read and one signature, and a revocation on any instance is in the
/// lists of all within `reuse`. Thread-safe; `current` blocks (database, signing): call
/// it from the blocking pool.
class CaRevocationList {
 public:
  /// A signed list.
  struct Signed {
    std::string der;               ///< the CRL, DER (RFC 5280 §5)
    std::int64_t this_update = 0;  ///< Unix seconds; also its cRLNumber
    std::int64_t next_update = 0;  ///< Unix seconds: `this_update` + `validity`
    std::size_t entries = 0;       ///< revoked certificates it names
  };

  /// `validity`: how long a verifier may use one list (its nextUpdate); a broker refreshes
  /// it sooner on its own schedule (EMQX: every 15 minutes), and past it a verifier may
  /// refuse every certificate, so it is long enough to ride out an outage of stratusd.
  /// Keeps references: they must outlive it.
  CaRevocationList(storage::ClaimRepository& claims, NodeCertificateIssuer& ca, const Clock& clock,
                   std::chrono::seconds reuse = std::chrono::seconds(5),
                   std::chrono::seconds validity = std::chrono::days(7));

  /// The current list, signed at most `reuse` ago. Errors: the repository's
  /// (unavailable), the port's (internal); nothing is cached then.
  Result<std::shared_ptr<const Signed>> current();

 private:
  storage::ClaimRepository& claims_;
  NodeCertificateIssuer& ca_;
  const Clock& clock_;
  std::chrono::seconds reuse_;
  std::chrono::seconds validity_;
  std::mutex mutex_;  // one build at a time; guards the two below
  std::shared_ptr<const Signed> last_;
  std::optional<std::chrono::steady_clock::time_point> built_at_;
};

}  // namespace stratus::service
