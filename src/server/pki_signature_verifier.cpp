#include "server/pki_signature_verifier.hpp"

#include <string>

#include "pki/certificate.hpp"
#include "pki/signature.hpp"

namespace stratus::server {

Result<void> PkiSignatureVerifier::verify(std::string_view certificate_pem, std::string_view data,
                                          std::string_view signature) {
  auto certificate = pki::Certificate::from_pem(certificate_pem);
  if (!certificate) {
    return fail(errc::internal,
                "stored node certificate does not parse: " + certificate.error().context);
  }
  return pki::verify_signature(*certificate, data, signature);
}

}  // namespace stratus::server
