#include "server/policy/call_guard.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/auth/secrets.h"
#include "core/common/error_reason.h"
#include "core/limits/keyed_slots.h"
#include "google/protobuf/duration.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/audit/call_record.h"
#include "server/grpc_status.h"
#include "server/policy/client_address.h"
#include "server/policy/truthful_status.h"
#include "server/validation/request_validator.h"

namespace tokend::server {
namespace {

using api::v1::RateLimitClass;

constexpr RateLimitClass kClasses[] = {
    api::v1::RATE_LIMIT_CLASS_NONE,
    api::v1::RATE_LIMIT_CLASS_ADMIN,
    api::v1::RATE_LIMIT_CLASS_CLERK_BACKEND,
    api::v1::RATE_LIMIT_CLASS_CLERK_FRONTEND,
    api::v1::RATE_LIMIT_CLASS_COURIER,
    api::v1::RATE_LIMIT_CLASS_IAM,
    api::v1::RATE_LIMIT_CLASS_VERIFY,
};

enum class Failure { kMissing, kInvalid };

// A failed credential in the words of the surface the method belongs to,
// never echoing the credential. `detail`: what the check itself said, for
// surfaces that pass it on.
absl::Status Unauthenticated(const MethodPolicy& policy, Failure failure,
                             const absl::Status& detail) {
  if (policy.Accepts(api::v1::CREDENTIAL_SESSIONS_KEY)) {
    if (failure == Failure::kMissing) {
      return WithReason(absl::UnauthenticatedError(
                            "Invalid Authorization header format. Must be "
                            "'Bearer <YOUR_API_KEY>'"),
                        "authorization_header_format_invalid",
                        "Invalid Authorization header format");
    }
    return WithReason(absl::UnauthenticatedError(
                          "The provided Clerk Secret Key is invalid. Make "
                          "sure that your Clerk Secret Key is correct."),
                      "clerk_key_invalid", "Secret Key is invalid");
  }
  if (policy.Accepts(api::v1::CREDENTIAL_CLIENT_TOKEN) || policy.anyone) {
    if (policy.anyone && !detail.ok()) return detail;
    return WithReason(
        absl::UnauthenticatedError("Unable to authenticate the request, you "
                                   "need to supply an active session"),
        "authentication_invalid", "Invalid authentication");
  }
  if (policy.Accepts(api::v1::CREDENTIAL_SCOPED_KEY)) {
    // Courier's SDK shows "<status> <message>": say what to fix.
    return absl::UnauthenticatedError(
        "Unauthorized: send a scoped API key (sck_…) as "
        "'Authorization: Bearer <key>'");
  }
  if (failure == Failure::kMissing) return detail;
  if (policy.Accepts(api::v1::CREDENTIAL_SERVICE_ACCOUNT_TOKEN)) {
    return absl::UnauthenticatedError(
        "invalid credential: send the admin key or a service account's IAM "
        "token");
  }
  if (policy.Accepts(api::v1::CREDENTIAL_IAM_TOKEN)) {
    return absl::IsUnauthenticated(detail)
               ? detail
               : absl::UnauthenticatedError("invalid IAM token");
  }
  return absl::UnauthenticatedError("invalid admin credential");
}

// A client token: raw or Bearer in Authorization (native SDKs), else the
// __client cookie (browsers).
absl::string_view ClientToken(const CallFacts& facts) {
  absl::string_view value = facts.authorization.value_or("");
  if (absl::StartsWithIgnoreCase(value, "bearer ")) value.remove_prefix(7);
  value = absl::StripAsciiWhitespace(value);
  if (!value.empty()) return value;
  for (absl::string_view cookie : absl::StrSplit(facts.cookie, ';')) {
    cookie = absl::StripAsciiWhitespace(cookie);
    if (absl::ConsumePrefix(&cookie, "__client=")) return cookie;
  }
  return "";
}

bool KeyedByAddress(const MethodPolicy& policy) {
  return policy.anyone ||
         policy.rate_limit == api::v1::RATE_LIMIT_CLASS_CLERK_FRONTEND ||
         policy.rate_limit == api::v1::RATE_LIMIT_CLASS_VERIFY;
}

// A rate limit's wait in whole seconds, as Retry-After states it.
int64_t RetrySeconds(absl::Duration wait) {
  return std::max<int64_t>(
      1, absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))));
}

grpc::Status RateLimitedStatus(const MethodPolicy& policy, int64_t seconds) {
  const std::string message = absl::StrCat(
      "rate limit exceeded (", RateLimitClassName(policy.rate_limit),
      "): retry in ", seconds, " s");
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(seconds);
  google::rpc::ErrorInfo info;
  info.set_reason("too_many_requests");
  info.set_domain("tokend");
  (*info.mutable_metadata())["message"] = "Too many requests";
  google::rpc::Status details;
  details.set_code(grpc::StatusCode::RESOURCE_EXHAUSTED);
  details.set_message(message);
  details.add_details()->PackFrom(info);
  details.add_details()->PackFrom(retry);
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message,
                      details.SerializeAsString());
}

}  // namespace

absl::string_view RateLimitClassName(RateLimitClass c) {
  switch (c) {
    case api::v1::RATE_LIMIT_CLASS_NONE:
      return "none";
    case api::v1::RATE_LIMIT_CLASS_ADMIN:
      return "admin";
    case api::v1::RATE_LIMIT_CLASS_CLERK_BACKEND:
      return "clerk_backend";
    case api::v1::RATE_LIMIT_CLASS_CLERK_FRONTEND:
      return "clerk_frontend";
    case api::v1::RATE_LIMIT_CLASS_COURIER:
      return "courier";
    case api::v1::RATE_LIMIT_CLASS_IAM:
      return "iam";
    case api::v1::RATE_LIMIT_CLASS_VERIFY:
      return "verify";
    default:
      return "unspecified";
  }
}

GuardOptions GuardOptions::Defaults() {
  GuardOptions options;
  auto set = [&](RateLimitClass c, int64_t count, absl::Duration period) {
    options.rates[c] = limits::Rate{count, period};
  };
  // Clerk's Backend API: 1,000 requests per 10 s per secret key.
  set(api::v1::RATE_LIMIT_CLASS_CLERK_BACKEND, 1000, absl::Seconds(10));
  // Clerk's Frontend API limits per client address; ours: 10/s sustained.
  set(api::v1::RATE_LIMIT_CLASS_CLERK_FRONTEND, 600, absl::Minutes(1));
  // Courier documents none for issue-token; ours, as Clerk's backend.
  set(api::v1::RATE_LIMIT_CLASS_COURIER, 1000, absl::Seconds(10));
  // Yandex documents quotas per cloud; ours: 50/s sustained per address or
  // service account.
  set(api::v1::RATE_LIMIT_CLASS_IAM, 500, absl::Seconds(10));
  set(api::v1::RATE_LIMIT_CLASS_ADMIN, 1000, absl::Seconds(10));
  set(api::v1::RATE_LIMIT_CLASS_VERIFY, 10000, absl::Seconds(10));
  return options;
}

absl::Status GuardOptions::SetRates(absl::string_view text) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    bool found = false;
    for (RateLimitClass c : kClasses) {
      if (c == api::v1::RATE_LIMIT_CLASS_NONE) continue;
      if (kv.first != RateLimitClassName(c) && kv.first != "all") continue;
      absl::StatusOr<limits::Rate> rate = limits::ParseRate(kv.second);
      if (!rate.ok()) return rate.status();
      rates[c] = *rate;
      found = true;
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("rate-limit class must be one of admin, clerk_backend, "
                       "clerk_frontend, courier, iam, verify, all: ",
                       kv.first.substr(0, 32)));
    }
  }
  return absl::OkStatus();
}

// Credentials that authenticated lately, by hash: they skip the lockout's
// reservation, so a busy, legitimate key costs no lockout bookkeeping and
// its concurrency is not bounded by the budget.
struct CallGuard::KnownGood {
  struct Entry {
    struct Params {};
    int64_t until = 0;
    bool Idle(int64_t now, const Params&) const { return now >= until; }
    void Reset(int64_t, const Params&) { until = 0; }
  };
  explicit KnownGood(size_t slots) : slots(slots, {}) {}
  limits::KeyedSlots<Entry> slots;
};

CallGuard::CallGuard(GuardDeps deps, GuardOptions options)
    : deps_(deps),
      options_(options),
      lockout_(options.lockout, options.slots),
      known_good_(std::make_unique<KnownGood>(options.slots)) {
  for (RateLimitClass c : kClasses) {
    limiters_[c] =
        std::make_unique<limits::RateLimiter>(options.rates[c], options.slots);
  }
}

CallGuard::~CallGuard() = default;

absl::Status CallGuard::Validate(const google::protobuf::Message& request) {
  return validation::Validate(request);
}

bool CallGuard::RateLimited(const MethodPolicy& policy, uint64_t key,
                            absl::Time now, Admission& admission) {
  limits::RateLimiter* limiter = limiters_[policy.rate_limit].get();
  if (limiter == nullptr) return false;
  const absl::Duration wait = limiter->Take(key, now);
  if (wait <= absl::ZeroDuration()) return false;
  counters_.rate_limited.fetch_add(1, std::memory_order_relaxed);
  admission.retry_after = wait;
  admission.refusal = absl::ResourceExhaustedError("rate limited");
  return true;
}

CallFacts CallFacts::Of(const grpc::ServerContextBase& context) {
  CallFacts facts;
  facts.address = ClientAddress(context);
  const auto& md = context.client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    facts.authorization =
        absl::string_view(it->second.data(), it->second.size());
  }
  if (auto it = md.find("cookie"); it != md.end()) {
    facts.cookie = absl::string_view(it->second.data(), it->second.size());
  }
  return facts;
}

CallGuard::Admission CallGuard::Admit(const CallFacts& facts,
                                      const MethodPolicy& policy) {
  Admission admission;
  if (policy.anyone && policy.rate_limit == api::v1::RATE_LIMIT_CLASS_NONE) {
    admission.admitted = true;  // a public document, served from cache
    return admission;
  }
  const absl::Time now = deps_.clock->Now();
  admission.caller.address = facts.address;
  admission.address_key = AddressKey(admission.caller.address);
  const uint64_t address_bucket =
      absl::HashOf(static_cast<int>(policy.rate_limit), admission.address_key);
  if (policy.anyone) {
    // The request carries what is checked: every call may be a guess.
    if (policy.rate_limit != api::v1::RATE_LIMIT_CLASS_NONE) {
      if (!lockout_.Reserve(admission.address_key, now)) {
        counters_.locked_out.fetch_add(1, std::memory_order_relaxed);
        admission.refusal = Unauthenticated(
            policy, Failure::kInvalid,
            absl::UnauthenticatedError("authentication failed"));
        return admission;
      }
      admission.reserved = true;
    }
    if (RateLimited(policy, address_bucket, now, admission)) return admission;
    admission.admitted = true;
    return admission;
  }
  if (KeyedByAddress(policy) &&
      RateLimited(policy, address_bucket, now, admission)) {
    return admission;
  }
  Authenticate(facts, policy, now, admission);
  if (!admission.refusal.ok()) return admission;
  if (!KeyedByAddress(policy)) {
    const uint64_t caller_bucket = absl::HashOf(
        static_cast<int>(policy.rate_limit),
        static_cast<int>(admission.caller.kind), admission.caller.id);
    if (RateLimited(policy, caller_bucket, now, admission)) return admission;
  }
  admission.admitted = true;
  return admission;
}

void CallGuard::Authenticate(const CallFacts& facts, const MethodPolicy& policy,
                             absl::Time now, Admission& admission) {
  absl::string_view credential;
  if (policy.Accepts(api::v1::CREDENTIAL_CLIENT_TOKEN)) {
    credential = ClientToken(facts);
    if (credential.empty() || credential.size() > kMaxCredentialBytes) {
      admission.refusal = Unauthenticated(policy, Failure::kMissing, {});
      return;
    }
  } else {
    absl::StatusOr<absl::string_view> bearer =
        BearerCredential(facts.authorization);
    if (!bearer.ok()) {
      admission.refusal =
          Unauthenticated(policy, Failure::kMissing, bearer.status());
      return;
    }
    credential = *bearer;
  }
  admission.credential = credential;

  const int64_t micros = absl::ToUnixMicros(now);
  const uint64_t credential_key = absl::HashOf(credential);
  // A locked address is refused whatever it presents: even a credential
  // that is valid, or every refused attempt would be a free guess.
  const bool known_good =
      !lockout_.Locked(admission.address_key, now) &&
      known_good_->slots.With(credential_key, micros, [&](KnownGood::Entry& e) {
        return e.until > micros;
      });
  if (!known_good) {
    if (!lockout_.Reserve(admission.address_key, now)) {
      counters_.locked_out.fetch_add(1, std::memory_order_relaxed);
      admission.refusal = Unauthenticated(policy, Failure::kInvalid, {});
      return;
    }
    admission.reserved = true;
  }

  Caller& caller = admission.caller;
  absl::Status verdict = absl::UnauthenticatedError("no credential matched");
  const bool api_key = policy.Accepts(api::v1::CREDENTIAL_SESSIONS_KEY) ||
                       policy.Accepts(api::v1::CREDENTIAL_SCOPED_KEY);
  // One SHA-256 for both the admin key's comparison and the API key lookup.
  const std::string hash =
      policy.Accepts(api::v1::CREDENTIAL_ADMIN_KEY) || api_key
          ? auth::HashSecret(credential)
          : std::string();
  if (policy.Accepts(api::v1::CREDENTIAL_ADMIN_KEY) &&
      deps_.admin->MatchesHash(hash)) {
    caller.kind = Caller::Kind::kAdmin;
    caller.id = "admin";
    verdict = absl::OkStatus();
  } else if (api_key) {
    absl::StatusOr<store::ApiKeyRecord> key =
        deps_.api_keys->AuthenticateHashed(
            credential, hash,
            policy.Accepts(api::v1::CREDENTIAL_SESSIONS_KEY)
                ? store::ApiKeySurface::kSessions
                : store::ApiKeySurface::kScoped);
    verdict = key.status();
    if (key.ok()) {
      caller.kind = Caller::Kind::kApiKey;
      caller.id = key->id;
    }
  } else if (policy.Accepts(api::v1::CREDENTIAL_SERVICE_ACCOUNT_TOKEN) ||
             policy.Accepts(api::v1::CREDENTIAL_IAM_TOKEN)) {
    absl::StatusOr<iam::VerifiedIamToken> token = deps_.iam->Verify(credential);
    verdict = token.status();
    if (token.ok()) {
      if (!policy.Accepts(api::v1::CREDENTIAL_IAM_TOKEN) &&
          token->kind != iam::AccountKind::kServiceAccount) {
        verdict = absl::PermissionDeniedError(
            "Permission denied: only service accounts manage authorized "
            "keys");
      } else {
        caller.kind = Caller::Kind::kIamToken;
        caller.id = token->subject_id;
        caller.iam = *std::move(token);
      }
    }
  } else if (policy.Accepts(api::v1::CREDENTIAL_CLIENT_TOKEN)) {
    absl::StatusOr<store::SessionRecord> session =
        deps_.sessions->SessionForClientToken(credential);
    verdict = absl::IsNotFound(session.status()) ? absl::OkStatus()
                                                 : session.status();
    if (verdict.ok()) {
      caller.kind = Caller::Kind::kClientToken;
      caller.session = std::move(session);
    }
  }

  if (verdict.ok()) {
    known_good_->slots.With(credential_key, micros, [&](KnownGood::Entry& e) {
      e.until = micros + absl::ToInt64Microseconds(options_.known_good_for);
    });
  }
  if (absl::IsUnauthenticated(verdict)) {
    counters_.failed_credentials.fetch_add(1, std::memory_order_relaxed);
    if (admission.reserved) {
      admission.reserved = false;
      if (lockout_.Failed(admission.address_key, now)) {
        counters_.lockouts.fetch_add(1, std::memory_order_relaxed);
      }
    }
    admission.refusal = Unauthenticated(policy, Failure::kInvalid, verdict);
    return;
  }
  if (admission.reserved) {
    admission.reserved = false;
    lockout_.Succeeded(admission.address_key, now);
  }
  admission.refusal = verdict;  // OK, or PERMISSION_DENIED / a store error
}

void CallGuard::AppendMetrics(std::string* out) const {
  auto family = [&](absl::string_view name, absl::string_view help,
                    const std::atomic<uint64_t>& value) {
    absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name,
                    " counter\n", name, " ",
                    value.load(std::memory_order_relaxed), "\n");
  };
  family("tokend_rate_limited_total",
         "Calls refused by a rate limit (RESOURCE_EXHAUSTED, 429).",
         counters_.rate_limited);
  family("tokend_credential_failures_total",
         "Credential checks that failed (a wrong key or token).",
         counters_.failed_credentials);
  family("tokend_lockout_refusals_total",
         "Calls refused unchecked because their address is locked out.",
         counters_.locked_out);
  family("tokend_lockouts_total",
         "Times an address spent its failure budget and was locked out.",
         counters_.lockouts);
}

void CallGuard::Settle(Admission& admission) {
  const absl::Status& outcome = admission.refusal;
  if (admission.reserved) {
    admission.reserved = false;
    const absl::Time now = deps_.clock->Now();
    if (absl::IsUnauthenticated(outcome) && !IsNotAGuess(outcome)) {
      counters_.failed_credentials.fetch_add(1, std::memory_order_relaxed);
      if (lockout_.Failed(admission.address_key, now)) {
        counters_.lockouts.fetch_add(1, std::memory_order_relaxed);
      }
    } else {
      lockout_.Succeeded(admission.address_key, now);
    }
  }
}

void CallGuard::Audit(const MethodPolicy& policy, const Admission& admission,
                      const absl::Status& outcome,
                      const google::protobuf::Message& request,
                      const google::protobuf::Message& response) {
  if (!ShouldAudit(policy.audit, admission.admitted, outcome)) return;
  const Caller& caller = admission.caller;
  AuditedCaller audited;
  audited.address = caller.address;
  audited.credential = admission.credential;
  audited.id = caller.id;
  switch (caller.kind) {
    case Caller::Kind::kAnyone:
      audited.kind = "anyone";
      break;
    case Caller::Kind::kAdmin:
      audited.kind = "admin";
      break;
    case Caller::Kind::kApiKey:
      audited.kind = "api_key";
      break;
    case Caller::Kind::kIamToken:
      audited.kind = "iam_token";
      break;
    case Caller::Kind::kClientToken:
      audited.kind = "client_token";
      if (caller.session.ok()) audited.id = caller.session->id;
      break;
  }
  RecordCall(*deps_.audit, policy, audited, request, response, outcome);
}

grpc::ServerUnaryReactor* CallGuard::Finish(
    grpc::CallbackServerContext* context, const MethodPolicy& policy,
    Admission& admission, const google::protobuf::Message& request,
    const google::protobuf::Message& response) {
  Settle(admission);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (admission.retry_after.has_value()) {
    const int64_t seconds = RetrySeconds(*admission.retry_after);
    context->AddTrailingMetadata("retry-after", std::to_string(seconds));
    reactor->Finish(RateLimitedStatus(policy, seconds));
    return reactor;
  }
  const absl::Status outcome = Truthful(admission.refusal, policy.method);
  if (deps_.audit != nullptr &&
      policy.audit.event != api::v1::AUDIT_EVENT_NONE) {
    Audit(policy, admission, outcome, request, response);
  }
  reactor->Finish(ToGrpcStatus(outcome));
  return reactor;
}

}  // namespace tokend::server
