// Fuzz target `csr`: the PEM certificate signing request a node sends when claiming
// (pki::CertificateSigningRequest::from_pem, spec rainmaker.md §1.1), parsed by OpenSSL
// behind Stratus's checks.
// Invariants: an accepted CSR has a commonName of 1..64 bytes without control characters,
// and a key of a supported type.
#include "fuzz_check.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::pki;
  const auto csr = CertificateSigningRequest::from_pem(stratus::fuzz::as_text(data, size));
  if (!csr)
    return 0;
  const auto cn = csr->subject_cn();
  FUZZ_CHECK(!cn.empty() && cn.size() <= 64);
  for (const char c : cn)
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  const auto type = csr->key_type();
  FUZZ_CHECK(type == KeyType::ecdsa_p256 || type == KeyType::rsa_2048);
  return 0;
}
