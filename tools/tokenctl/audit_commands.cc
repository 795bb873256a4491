#include "tools/tokenctl/audit_commands.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/flags/flag.h"
#include "absl/strings/strip.h"
#include "core/audit/audit_chain.h"
#include "tools/tokenctl/ctl_common.h"

ABSL_FLAG(std::string, audit_key_file, "./var/audit.key",
          "audit verify / audit hmac: tokend's audit key");

namespace tokend::tokenctl {

const char kAuditUsage[] =
    "  audit verify FILE... (oldest first) | audit hmac (secret on stdin)\n";

namespace {

absl::StatusOr<audit::AuditKeys> LoadKeys() {
  const std::string secret = std::string(absl::StripAsciiWhitespace(
      MustRead(absl::GetFlag(FLAGS_audit_key_file))));
  return audit::AuditKeys::FromSecret(secret);
}

int Verify(const audit::AuditKeys& keys,
           const std::vector<std::string>& files) {
  audit::ChainVerifier verifier(keys);
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << "tokenctl: cannot read " << file << "\n";
      return 1;
    }
    std::string line;
    const int64_t before = verifier.lines();
    while (std::getline(in, line)) {
      absl::Status s = verifier.Next(line);
      if (!s.ok()) {
        std::cerr << "tokenctl: " << file << ":"
                  << verifier.lines() - before + 1 << ": " << s.message()
                  << "\n";
        return 1;
      }
    }
    if (in.bad()) {
      std::cerr << "tokenctl: cannot read " << file << "\n";
      return 1;
    }
  }
  std::cout << "verified " << verifier.lines() << " lines in " << files.size()
            << (files.size() == 1 ? " file" : " files") << "; last link "
            << verifier.head() << "\n";
  if (verifier.continues_earlier()) {
    std::cout << "the first file continues an earlier one (rotated): give "
                 "that one too to check the link between them\n";
  }
  return 0;
}

}  // namespace

std::optional<int> RunAuditCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "audit" || args.size() < 2) {
    return std::nullopt;
  }
  const bool verify = args[1] == "verify" && args.size() >= 3;
  const bool hmac = args[1] == "hmac" && args.size() == 2;
  if (!verify && !hmac) return std::nullopt;
  absl::StatusOr<audit::AuditKeys> keys = LoadKeys();
  if (!keys.ok()) {
    std::cerr << "tokenctl: --audit_key_file: " << keys.status().message()
              << "\n";
    return 1;
  }
  if (verify) {
    return Verify(*keys,
                  std::vector<std::string>(args.begin() + 2, args.end()));
  }
  std::string secret((std::istreambuf_iterator<char>(std::cin)),
                     std::istreambuf_iterator<char>());
  std::cout << keys->SecretId(absl::StripAsciiWhitespace(secret)) << "\n";
  return 0;
}

}  // namespace tokend::tokenctl
