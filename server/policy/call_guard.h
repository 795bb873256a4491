// CallGuard: the one place a call is admitted. Every handler runs its body
// through Unary(), which applies the method's declared policy
// (declared_policy.h) before the handler's own logic:
//
//   1. the client address's lockout (core/limits/lockout.h): a locked
//      address is refused before any lookup or cryptography, with the reply a
//      wrong credential gets;
//   2. the credential the policy asks for (admin key, API key, IAM token,
//      client token), with the surface's own UNAUTHENTICATED wording; a
//      store failure meanwhile is UNAVAILABLE, never UNAUTHENTICATED;
//   3. the method's rate-limit class, per caller or per client address:
//      RESOURCE_EXHAUSTED with google.rpc.RetryInfo and `retry-after`
//      trailing metadata (the gateway turns it into 429 and Retry-After);
//   4. the request's proto validation, then the body;
//   5. the audit line the method declares (server/audit), with --audit_log;
//   6. the outcome: a failed credential, the guard's or one the body reports
//      as UNAUTHENTICATED (a forged JWT at IAM Create), counts towards the
//      address's lockout unless marked NotAGuess; store internals never
//      reach the caller (truthful_status.h).
//
// A call in the handler, not an interceptor: gRPC 1.51's server
// interceptors cannot fail a call before its handler runs
// (server/validation/grpc_validation.h has the details).
//
//   grpc::ServerUnaryReactor* ScopedTokenServiceImpl::IssueToken(
//       grpc::CallbackServerContext* context, const IssueTokenRequest* request,
//       IssueTokenResponse* response) {
//     return guard_->Unary(context, *request,
//                          TOKEND_POLICY(ScopedTokenService, IssueToken),
//                          [&](const Caller& caller) -> absl::Status { ... });
//   }
#ifndef TOKEND_SERVER_POLICY_CALL_GUARD_H_
#define TOKEND_SERVER_POLICY_CALL_GUARD_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/auth/api_keys.h"
#include "core/common/clock.h"
#include "core/iam/iam_token_issuer.h"
#include "core/limits/lockout.h"
#include "core/limits/rate_limiter.h"
#include "core/sessions/session_tokens.h"
#include "google/protobuf/message.h"
#include "server/audit/audit_log.h"
#include "server/auth.h"
#include "server/policy/declared_policy.h"

namespace tokend::server {

// Who the guard admitted.
struct Caller {
  enum class Kind {
    kAnyone,       // an `anyone` method: no credential asked for
    kAdmin,        // the admin key
    kApiKey,       // a sessions or scoped API key (`id`)
    kIamToken,     // an IAM token (`iam`)
    kClientToken,  // a session's client token (`session`)
  };
  Kind kind = Kind::kAnyone;
  std::string id;  // the API key's id; the IAM token's subject
  std::optional<iam::VerifiedIamToken> iam;
  // kClientToken: the token's session, or NotFound when it is no longer
  // active (the method answers that in its own words).
  absl::StatusOr<store::SessionRecord> session =
      absl::Status(absl::StatusCode::kNotFound, "");  // no allocation
  std::string address;  // the client address (client_address.h)
};

struct GuardOptions {
  // By RateLimitClass; "off" for classes not set.
  std::array<limits::Rate, 8> rates{};
  limits::LockoutOptions lockout;
  // Per-key slots of each rate limiter and of the lockout table.
  size_t slots = 16384;
  // How long a credential that authenticated skips the lockout's
  // reservation (it still authenticates every time).
  absl::Duration known_good_for = absl::Minutes(1);

  // The vendors' figures and ours (README "Rate limits").
  static GuardOptions Defaults();
  // "class=RATE,…" (class names as in RateLimitClassName, RATE as
  // limits::ParseRate) over the current values.
  absl::Status SetRates(absl::string_view text);
};

// "clerk_backend" for RATE_LIMIT_CLASS_CLERK_BACKEND, …
absl::string_view RateLimitClassName(RateLimitClass c);

struct GuardDeps {
  const Clock* clock = nullptr;
  const AdminAuthenticator* admin = nullptr;
  auth::ApiKeyManager* api_keys = nullptr;
  const iam::IamTokenIssuer* iam = nullptr;
  const sessions::SessionTokenIssuer* sessions = nullptr;
  // Null without --audit_log.
  AuditLog* audit = nullptr;
};

// What the guard reads from a call, gathered once. The views point into
// the call's metadata.
struct CallFacts {
  std::string address;  // the client address (client_address.h)
  std::optional<absl::string_view> authorization;
  absl::string_view cookie;

  static CallFacts Of(const grpc::ServerContextBase& context);
};

// Counters for /metrics.
struct GuardCounters {
  std::atomic<uint64_t> rate_limited{0};
  std::atomic<uint64_t> locked_out{0};  // calls refused by a lockout
  std::atomic<uint64_t> lockouts{0};    // addresses locked
  std::atomic<uint64_t> failed_credentials{0};
};

class CallGuard {
 public:
  CallGuard(GuardDeps deps, GuardOptions options);
  ~CallGuard();

  template <typename Body>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                  const google::protobuf::Message& request,
                                  const google::protobuf::Message& response,
                                  const MethodPolicy& policy, Body&& body) {
    const CallFacts facts = CallFacts::Of(*context);
    Admission admission = Admit(facts, policy);
    if (admission.refusal.ok()) {
      admission.refusal = Validate(request);
      if (admission.refusal.ok()) admission.refusal = body(admission.caller);
    }
    return Finish(context, policy, admission, request, response);
  }

  // Unary's steps without a call, for the benchmark: Admit, then Settle
  // with the outcome in `refusal`.
  struct Admission {
    Caller caller;
    uint64_t address_key = 0;
    bool reserved = false;  // holds a unit of the address's lockout budget
    bool admitted = false;  // the guard let the body run
    // The credential presented (a view into the call's metadata): only the
    // audit log's HMAC of it is ever kept.
    absl::string_view credential;
    absl::Status refusal;  // then: the body's outcome
    std::optional<absl::Duration> retry_after;
  };
  Admission Admit(const CallFacts& facts, const MethodPolicy& policy);
  // The lockout's bookkeeping of the outcome.
  void Settle(Admission& admission);

  const GuardCounters& counters() const { return counters_; }
  // The counters as Prometheus families (for GET /metrics).
  void AppendMetrics(std::string* out) const;

 private:
  struct KnownGood;

  // The credential step; refusal set when it fails.
  void Authenticate(const CallFacts& facts, const MethodPolicy& policy,
                    absl::Time now, Admission& admission);
  bool RateLimited(const MethodPolicy& policy, uint64_t key, absl::Time now,
                   Admission& admission);
  static absl::Status Validate(const google::protobuf::Message& request);
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                   const MethodPolicy& policy,
                                   Admission& admission,
                                   const google::protobuf::Message& request,
                                   const google::protobuf::Message& response);
  void Audit(const MethodPolicy& policy, const Admission& admission,
             const absl::Status& outcome,
             const google::protobuf::Message& request,
             const google::protobuf::Message& response);

  const GuardDeps deps_;
  const GuardOptions options_;
  std::array<std::unique_ptr<limits::RateLimiter>, 8> limiters_;
  limits::Lockout lockout_;
  std::unique_ptr<KnownGood> known_good_;
  GuardCounters counters_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_POLICY_CALL_GUARD_H_
